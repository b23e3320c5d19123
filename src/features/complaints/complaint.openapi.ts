import { z } from "zod";
import { COMPLAINT_SEVERITIES, COMPLAINT_STATUSES, COMPLAINT_TYPES } from "@/db/schema";
import { pageOf, timestamp } from "@/lib/openapi";

/** The JSON `/v1/complaints` answers (complaintJson), documented in /openapi.json. */
export const complaintJsonSchema = z.object({
  id: z.string(),
  conversationId: z.string().nullable(),
  contact: z.object({ id: z.string(), name: z.string().nullable(), phone: z.string().nullable() }),
  type: z.enum(COMPLAINT_TYPES),
  severity: z.enum(COMPLAINT_SEVERITIES),
  status: z.enum(COMPLAINT_STATUSES),
  subject: z.string(),
  description: z.string(),
  assignedUserId: z.string().nullable(),
  assigneeName: z.string().nullable(),
  createdByUserId: z.string().nullable(),
  openedByAi: z.boolean(),
  resolution: z.string().nullable(),
  resolvedAt: timestamp().nullable(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});

export const complaintNoteJsonSchema = z.object({
  id: z.string(),
  body: z.string(),
  /** The member who wrote it; null when written through the API. */
  author: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
  createdAt: timestamp(),
});

export const complaintDetailSchema = complaintJsonSchema.extend({ notes: z.array(complaintNoteJsonSchema) });
export const complaintPageSchema = pageOf(complaintJsonSchema);
