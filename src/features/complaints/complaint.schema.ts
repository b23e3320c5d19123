import { z } from "zod";
import { COMPLAINT_SEVERITIES, COMPLAINT_STATUSES, COMPLAINT_TYPES } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const COMPLAINT_LIMITS = { subject: 200, description: 4000, resolution: 4000, note: 4000, phone: 40, pageDefault: 30, pageMax: 100 } as const;

/** Form fields arrive as "" when not set; JSON may send null. Both mean "none". */
const blankToNull = (v: unknown) => (v === "" ? null : v);
const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);

/**
 * Opening a complaint: from a conversation (`conversationId`, its contact is the complainant) or by hand
 * for a contact (`contactId`, or `phone` as the form asks it). One of the three is required.
 */
export const createComplaintSchema = z
  .object({
    conversationId: z.preprocess(blankToUndefined, z.uuid().optional()),
    contactId: z.preprocess(blankToUndefined, z.uuid().optional()),
    phone: z.preprocess(blankToUndefined, z.string().trim().max(COMPLAINT_LIMITS.phone).optional()),
    type: z.enum(COMPLAINT_TYPES).default("other"),
    severity: z.enum(COMPLAINT_SEVERITIES).default("medium"),
    subject: z.string().trim().min(1).max(COMPLAINT_LIMITS.subject),
    description: z.string().trim().min(1).max(COMPLAINT_LIMITS.description),
    assignedUserId: z.preprocess(blankToNull, z.uuid().nullable()).optional(),
  })
  .refine((v) => v.conversationId || v.contactId || v.phone, { path: ["phone"], error: () => tText("complaints:errors.whoComplains") });
export type CreateComplaintInput = z.output<typeof createComplaintSchema>;

/** PATCH: only what is sent changes; resolving or closing needs a resolution (sent now or already recorded). */
export const updateComplaintSchema = z.object({
  type: z.enum(COMPLAINT_TYPES).optional(),
  severity: z.enum(COMPLAINT_SEVERITIES).optional(),
  status: z.enum(COMPLAINT_STATUSES).optional(),
  subject: z.string().trim().min(1).max(COMPLAINT_LIMITS.subject).optional(),
  description: z.string().trim().min(1).max(COMPLAINT_LIMITS.description).optional(),
  assignedUserId: z.preprocess(blankToNull, z.uuid().nullable()).optional(),
  resolution: z.preprocess(blankToNull, z.string().trim().max(COMPLAINT_LIMITS.resolution).nullable()).optional(),
});
export type UpdateComplaintInput = z.output<typeof updateComplaintSchema>;

export const complaintNoteSchema = z.object({ body: z.string().trim().min(1).max(COMPLAINT_LIMITS.note) });

const blankQuery = (v: unknown) => (v === "" ? undefined : v);

/** List filters (API query and the page's URL): status, type, severity, assignee (`me`, `none` or a user id), period of opening. */
export const complaintListQuerySchema = z.object({
  status: z.preprocess(blankQuery, z.enum(COMPLAINT_STATUSES).optional()),
  type: z.preprocess(blankQuery, z.enum(COMPLAINT_TYPES).optional()),
  severity: z.preprocess(blankQuery, z.enum(COMPLAINT_SEVERITIES).optional()),
  assignee: z.preprocess(blankQuery, z.union([z.uuid(), z.enum(["me", "none"])]).optional()),
  contactId: z.preprocess(blankQuery, z.uuid().optional()),
  conversationId: z.preprocess(blankQuery, z.uuid().optional()),
  /** Opened on or after this day (`YYYY-MM-DD`, the organization's time zone). */
  from: z.preprocess(blankQuery, z.iso.date().optional()),
  /** Opened on or before this day. */
  to: z.preprocess(blankQuery, z.iso.date().optional()),
  limit: z.coerce.number().int().min(1).max(COMPLAINT_LIMITS.pageMax).default(COMPLAINT_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});
export type ComplaintListQuery = z.output<typeof complaintListQuerySchema>;
