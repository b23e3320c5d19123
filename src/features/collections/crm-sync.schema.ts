import { z } from "zod";
import { CRM_DATE_RANGES, CRM_DEDUPE } from "@/db/schema";
import { tText } from "@/lib/i18n";
import { isoDay } from "./promise.schema";
import { TARGET_LIMITS } from "./target.schema";

export const CRM_LIMITS = {
  name: 120,
  url: 2000,
  apiKey: 1000,
  path: 100,
  metadataFields: 20,
  intervalMin: 5,
  intervalMax: 7 * 24 * 60,
  rangeDaysMax: 3650,
  /** A page's body at most (bytes); a bigger answer fails the run. */
  pageBytes: 5 * 1024 * 1024,
  /** Pages per run at most (the rest waits for the next run). */
  pages: 50,
  /** Records per run at most. */
  records: 20_000,
  /** Per request. */
  timeoutMs: 20_000,
  /** Skipped records kept with their reason per run. */
  samples: 50,
  runsListed: 50,
} as const;

const msg = (key: string, values?: Record<string, string | number>) => ({ error: () => tText(`collections:errors.${key}`, values) });
const blankToNull = (v: unknown) => (v === "" ? null : v);
const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);
const checkbox = (v: unknown) => (v === "on" || v === "true" ? true : v === "false" ? false : v);

/** A key or dot path into a source record (`cpf`, `cliente.telefone`). */
const path = z
  .string()
  .trim()
  .max(CRM_LIMITS.path, msg("pathInvalid"))
  .regex(/^[\w-]+(\.[\w-]+)*$/, msg("pathInvalid"));
const optionalPath = z.preprocess(blankToNull, path.nullable()).optional();

export const mappingSchema = z.object({
  phone: path,
  name: optionalPath,
  document: optionalPath,
  amount: path,
  amountUnit: z.enum(["cents", "reais"]).default("cents"),
  dueDate: path,
  metadata: z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(path).max(CRM_LIMITS.metadataFields).default([]),
  ),
});

const url = z
  .string()
  .trim()
  .max(CRM_LIMITS.url, msg("urlInvalid"))
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  }, msg("urlInvalid"));

const amount = z.preprocess(blankToNull, z.coerce.number().int(msg("amountInvalid")).min(0, msg("amountInvalid")).max(TARGET_LIMITS.maxAmountCents).nullable());

const fields = {
  name: z.string().trim().min(1, msg("nameRequired")).max(CRM_LIMITS.name),
  enabled: z.preprocess(checkbox, z.boolean()),
  url,
  /** Omitted keeps the stored key; "" or null removes it. */
  apiKey: z.preprocess(blankToNull, z.string().max(CRM_LIMITS.apiKey).nullable()),
  authHeader: z
    .string()
    .trim()
    .max(100)
    .regex(/^[A-Za-z0-9-]+$/, msg("headerInvalid")),
  mapping: mappingSchema,
  dateRangeType: z.enum(CRM_DATE_RANGES),
  dateRangeDays: z.preprocess(blankToNull, z.coerce.number().int().min(1, msg("rangeDays")).max(CRM_LIMITS.rangeDaysMax, msg("rangeDays")).nullable()),
  dateRangeFrom: z.preprocess(blankToNull, isoDay.nullable()),
  dateRangeTo: z.preprocess(blankToNull, isoDay.nullable()),
  minAmountCents: amount,
  maxAmountCents: amount,
  dedupeBy: z.enum(CRM_DEDUPE),
  updateExisting: z.preprocess(checkbox, z.boolean()),
  intervalMinutes: z.coerce
    .number()
    .int()
    .min(CRM_LIMITS.intervalMin, msg("interval", { min: CRM_LIMITS.intervalMin, max: CRM_LIMITS.intervalMax }))
    .max(CRM_LIMITS.intervalMax, msg("interval", { min: CRM_LIMITS.intervalMin, max: CRM_LIMITS.intervalMax })),
  campaignId: z.uuid(msg("campaignNotFound")),
};

type RangeFields = {
  dateRangeType?: (typeof CRM_DATE_RANGES)[number];
  dateRangeDays?: number | null;
  dateRangeFrom?: string | null;
  dateRangeTo?: string | null;
  minAmountCents?: number | null;
  maxAmountCents?: number | null;
};

/** The cross-field rules (a relative range has days, a fixed one both ends in order, min ≤ max), on the merged config. */
export function rangeIssues(c: RangeFields): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (c.dateRangeType === "relative" && !c.dateRangeDays) out.push({ path: "dateRangeDays", message: tText("collections:errors.rangeDays") });
  if (c.dateRangeType === "fixed") {
    if (!c.dateRangeFrom) out.push({ path: "dateRangeFrom", message: tText("collections:errors.rangeFixed") });
    if (!c.dateRangeTo) out.push({ path: "dateRangeTo", message: tText("collections:errors.rangeFixed") });
    if (c.dateRangeFrom && c.dateRangeTo && c.dateRangeFrom > c.dateRangeTo) out.push({ path: "dateRangeTo", message: tText("collections:errors.rangeOrder") });
  }
  if (c.minAmountCents != null && c.maxAmountCents != null && c.minAmountCents > c.maxAmountCents)
    out.push({ path: "maxAmountCents", message: tText("collections:errors.amountOrder") });
  return out;
}

export const createCrmSyncSchema = z
  .object({
    ...fields,
    enabled: fields.enabled.default(true),
    apiKey: fields.apiKey.optional(),
    authHeader: z.preprocess(blankToUndefined, fields.authHeader.default("Authorization")),
    dateRangeType: fields.dateRangeType.default("none"),
    dateRangeDays: fields.dateRangeDays.optional(),
    dateRangeFrom: fields.dateRangeFrom.optional(),
    dateRangeTo: fields.dateRangeTo.optional(),
    minAmountCents: fields.minAmountCents.optional(),
    maxAmountCents: fields.maxAmountCents.optional(),
    dedupeBy: fields.dedupeBy.default("phone"),
    updateExisting: fields.updateExisting.default(true),
    intervalMinutes: fields.intervalMinutes.default(60),
  })
  .superRefine((c, ctx) => {
    for (const i of rangeIssues(c)) ctx.addIssue({ code: "custom", path: [i.path], message: i.message });
  });
export type CreateCrmSyncInput = z.output<typeof createCrmSyncSchema>;

/** Every field optional (omitted = unchanged); the cross-field rules are checked by the service on the merged config. */
export const updateCrmSyncSchema = z.object({
  name: fields.name.optional(),
  enabled: fields.enabled.optional(),
  url: z.preprocess(blankToUndefined, fields.url.optional()),
  apiKey: fields.apiKey.optional(),
  authHeader: z.preprocess(blankToUndefined, fields.authHeader.optional()),
  mapping: fields.mapping.optional(),
  dateRangeType: fields.dateRangeType.optional(),
  dateRangeDays: fields.dateRangeDays.optional(),
  dateRangeFrom: fields.dateRangeFrom.optional(),
  dateRangeTo: fields.dateRangeTo.optional(),
  minAmountCents: fields.minAmountCents.optional(),
  maxAmountCents: fields.maxAmountCents.optional(),
  dedupeBy: fields.dedupeBy.optional(),
  updateExisting: fields.updateExisting.optional(),
  intervalMinutes: fields.intervalMinutes.optional(),
  campaignId: fields.campaignId.optional(),
});
export type UpdateCrmSyncInput = z.output<typeof updateCrmSyncSchema>;
