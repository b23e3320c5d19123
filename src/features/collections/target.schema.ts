import { z } from "zod";
import { parseDocument } from "@/features/contacts/contact-fields";
import { tText } from "@/lib/i18n";
import { isoDay } from "./promise.schema";

export const TARGET_LIMITS = {
  debtorName: 200,
  phone: 40,
  maxAmountCents: 100_000_000_00,
  metadataBytes: 8192,
  pageDefault: 50,
  pageMax: 200,
} as const;

const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);
const blankToNull = (v: unknown) => (v === "" ? null : v);
const msg = (key: string, values?: Record<string, string | number>) => ({ error: () => tText(`collections:errors.${key}`, values) });

/** CPF or CNPJ with valid check digits (the contacts' validator), kept as digits with its type; empty is none. */
export const debtorDocumentSchema = z.preprocess(
  blankToNull,
  z
    .string()
    .trim()
    .max(30, msg("documentInvalid"))
    .transform((value, ctx) => {
      const parsed = parseDocument(value);
      if (!parsed) {
        ctx.addIssue({ code: "custom", message: tText("collections:errors.documentInvalid") });
        return z.NEVER;
      }
      return parsed;
    })
    .nullable(),
);

/** Free-form CRM data (bounded: it is stored with every target and rendered into messages). */
export const metadataSchema = z
  .record(z.string().max(100), z.unknown())
  .refine((m) => JSON.stringify(m).length <= TARGET_LIMITS.metadataBytes, msg("metadataTooLarge", { bytes: TARGET_LIMITS.metadataBytes }));

export const amountCentsSchema = z.coerce
  .number()
  .int(msg("amountInvalid"))
  .min(1, msg("amountInvalid"))
  .max(TARGET_LIMITS.maxAmountCents, msg("amountInvalid"));

/** A debtor added to a campaign by hand or over the API (a CRM sync builds the same fields from its source). */
export const createTargetSchema = z.object({
  campaignId: z.uuid(msg("campaignNotFound")),
  phone: z.string().trim().min(1, msg("phoneInvalid")).max(TARGET_LIMITS.phone, msg("phoneInvalid")),
  debtorName: z.preprocess(blankToNull, z.string().trim().max(TARGET_LIMITS.debtorName).nullable()).optional(),
  document: debtorDocumentSchema.optional(),
  amountCents: amountCentsSchema,
  dueDate: isoDay,
  metadata: metadataSchema.optional(),
});
export type CreateTargetInput = z.output<typeof createTargetSchema>;

export const updateTargetSchema = z.object({
  debtorName: z.preprocess(blankToNull, z.string().trim().max(TARGET_LIMITS.debtorName).nullable()).optional(),
  document: debtorDocumentSchema.optional(),
  amountCents: amountCentsSchema.optional(),
  dueDate: isoDay.optional(),
  metadata: metadataSchema.optional(),
});
export type UpdateTargetInput = z.output<typeof updateTargetSchema>;

export const targetListQuerySchema = z.object({
  campaignId: z.preprocess(blankToUndefined, z.uuid().optional()),
  limit: z.coerce.number().int().min(1).max(TARGET_LIMITS.pageMax).default(TARGET_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});
export type TargetListQuery = z.output<typeof targetListQuerySchema>;
