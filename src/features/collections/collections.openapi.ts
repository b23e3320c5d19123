import { z } from "zod";
import { PAYMENT_METHODS, PAYMENT_PROMISE_STATUSES } from "@/db/schema";
import { pageOf, timestamp } from "@/lib/openapi";

/** The JSON `/v1/collections/promises` answers (promiseJson). */
export const promiseJsonSchema = z.object({
  id: z.string(),
  conversationId: z.string().nullable(),
  contact: z.object({ id: z.string(), name: z.string().nullable(), phone: z.string().nullable() }),
  amountCents: z.number().int(),
  dueDate: z.string().meta({ format: "date" }),
  method: z.enum(PAYMENT_METHODS).nullable(),
  notes: z.string().nullable(),
  status: z.enum(PAYMENT_PROMISE_STATUSES),
  reminderSentAt: timestamp().nullable(),
  settledAt: timestamp().nullable(),
  createdByUserId: z.string().nullable(),
  createdByAi: z.boolean(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export const promisePageSchema = pageOf(promiseJsonSchema);
