import { z } from "zod";
import { SALES_LEAD_STATUSES } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const SALES_LIMITS = {
  name: 120,
  description: 2000,
  title: 200,
  notes: 4000,
  phone: 40,
  maxPriceCents: 100_000_000_00,
  pageDefault: 50,
  pageMax: 200,
} as const;

/** Form fields arrive as "" when not set; JSON may send null. Both mean "none". */
const blankToNull = (v: unknown) => (v === "" ? null : v);
const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);
/** The form's checkbox sends "on" or nothing; JSON sends a boolean. */
const checkboxValue = (v: unknown) => (v === "on" || v === "true" ? true : v === "false" || v === "" ? false : v);

export const createPlanSchema = z.object({
  name: z.string().trim().min(1).max(SALES_LIMITS.name),
  /** The price in cents (R$ 99,90 = 9990). */
  priceCents: z.coerce.number().int().min(0).max(SALES_LIMITS.maxPriceCents),
  description: z.preprocess(blankToNull, z.string().trim().max(SALES_LIMITS.description).nullable()).optional(),
  active: z.preprocess(checkboxValue, z.boolean()).default(true),
});
export type CreatePlanInput = z.output<typeof createPlanSchema>;

export const updatePlanSchema = z.object({
  name: z.string().trim().min(1).max(SALES_LIMITS.name).optional(),
  priceCents: z.coerce.number().int().min(0).max(SALES_LIMITS.maxPriceCents).optional(),
  description: z.preprocess(blankToNull, z.string().trim().max(SALES_LIMITS.description).nullable()).optional(),
  active: z.preprocess(checkboxValue, z.boolean()).optional(),
});
export type UpdatePlanInput = z.output<typeof updatePlanSchema>;

export const planListQuerySchema = z.object({ active: z.preprocess(blankToUndefined, z.enum(["true", "false"]).optional()) });

/** A lead from a conversation (`conversationId`: its contact), or for a contact by id or phone. */
export const createLeadSchema = z
  .object({
    conversationId: z.preprocess(blankToUndefined, z.uuid().optional()),
    contactId: z.preprocess(blankToUndefined, z.uuid().optional()),
    phone: z.preprocess(blankToUndefined, z.string().trim().max(SALES_LIMITS.phone).optional()),
    title: z.string().trim().min(1).max(SALES_LIMITS.title),
    notes: z.preprocess(blankToNull, z.string().trim().max(SALES_LIMITS.notes).nullable()).optional(),
    /** Estimated value in cents. */
    valueCents: z.preprocess(blankToNull, z.coerce.number().int().min(0).max(SALES_LIMITS.maxPriceCents).nullable()).optional(),
    planId: z.preprocess(blankToNull, z.uuid().nullable()).optional(),
    status: z.enum(SALES_LEAD_STATUSES).default("new"),
    assignedUserId: z.preprocess(blankToNull, z.uuid().nullable()).optional(),
  })
  .refine((v) => v.conversationId || v.contactId || v.phone, { path: ["phone"], error: () => tText("sales:errors.whoIsLead") });
export type CreateLeadInput = z.output<typeof createLeadSchema>;

export const updateLeadSchema = z.object({
  title: z.string().trim().min(1).max(SALES_LIMITS.title).optional(),
  notes: z.preprocess(blankToNull, z.string().trim().max(SALES_LIMITS.notes).nullable()).optional(),
  valueCents: z.preprocess(blankToNull, z.coerce.number().int().min(0).max(SALES_LIMITS.maxPriceCents).nullable()).optional(),
  planId: z.preprocess(blankToNull, z.uuid().nullable()).optional(),
  status: z.enum(SALES_LEAD_STATUSES).optional(),
  assignedUserId: z.preprocess(blankToNull, z.uuid().nullable()).optional(),
});
export type UpdateLeadInput = z.output<typeof updateLeadSchema>;

export const leadListQuerySchema = z.object({
  status: z.preprocess(blankToUndefined, z.enum(SALES_LEAD_STATUSES).optional()),
  assignee: z.preprocess(blankToUndefined, z.union([z.uuid(), z.enum(["me", "none"])]).optional()),
  planId: z.preprocess(blankToUndefined, z.uuid().optional()),
  contactId: z.preprocess(blankToUndefined, z.uuid().optional()),
  limit: z.coerce.number().int().min(1).max(SALES_LIMITS.pageMax).default(SALES_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});
export type LeadListQuery = z.output<typeof leadListQuerySchema>;
