import { z } from "zod";
import { SALES_LEAD_STATUSES, salesPlans } from "@/db/schema";
import { pageOf, rowJson, timestamp } from "@/lib/openapi";

/** The JSON `/v1/sales/plans` answers (planJson). */
export const planJsonSchema = rowJson(salesPlans, ["id", "name", "priceCents", "description", "active", "createdAt", "updatedAt"]);
export const planListSchema = z.object({ data: z.array(planJsonSchema), nextCursor: z.null().describe("Always null: every plan is listed") });

/** The JSON `/v1/sales/leads` answers (leadJson). */
export const leadJsonSchema = z.object({
  id: z.string(),
  conversationId: z.string().nullable(),
  contact: z.object({ id: z.string(), name: z.string().nullable(), phone: z.string().nullable() }),
  title: z.string(),
  notes: z.string().nullable(),
  valueCents: z.number().int().nullable(),
  status: z.enum(SALES_LEAD_STATUSES),
  plan: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
  assignedUserId: z.string().nullable(),
  assigneeName: z.string().nullable(),
  createdByUserId: z.string().nullable(),
  createdByAi: z.boolean(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export const leadPageSchema = pageOf(leadJsonSchema);
