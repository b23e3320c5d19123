import { z } from "zod";
import { PAYMENT_METHODS, PAYMENT_PROMISE_STATUSES } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const PROMISE_LIMITS = { notes: 2000, phone: 40, maxAmountCents: 100_000_000_00, pageDefault: 50, pageMax: 200 } as const;
/** The reminder goes to the contact this many days before the promised day (in the organization's zone). */
export const REMINDER_DAYS_BEFORE = 1;

const blankToNull = (v: unknown) => (v === "" ? null : v);
const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);

/** A calendar day that exists (2025-02-30 is refused, not rolled over to March). */
export const isoDay = z.iso.date().refine(
  (d) => {
    const at = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === d;
  },
  { error: () => tText("collections:errors.badDay") },
);

/** A promise captured by an agent (from a conversation, or for a contact by id or phone) or over the API. */
export const createPromiseSchema = z
  .object({
    conversationId: z.preprocess(blankToUndefined, z.uuid().optional()),
    contactId: z.preprocess(blankToUndefined, z.uuid().optional()),
    phone: z.preprocess(blankToUndefined, z.string().trim().max(PROMISE_LIMITS.phone).optional()),
    amountCents: z.coerce.number().int().min(1).max(PROMISE_LIMITS.maxAmountCents),
    dueDate: isoDay,
    method: z.preprocess(blankToNull, z.enum(PAYMENT_METHODS).nullable()).optional(),
    notes: z.preprocess(blankToNull, z.string().trim().max(PROMISE_LIMITS.notes).nullable()).optional(),
    /** The collection target (campaign debtor) the promise answers; found from the conversation when omitted. */
    targetId: z.preprocess(blankToUndefined, z.uuid().optional()),
  })
  .refine((v) => v.conversationId || v.contactId || v.phone, { path: ["phone"], error: () => tText("collections:errors.whoPromised") });
export type CreatePromiseInput = z.output<typeof createPromiseSchema>;

/** Marking it fulfilled (paid) or broken by hand, or back to pending; notes may change. */
export const updatePromiseSchema = z.object({
  status: z.enum(PAYMENT_PROMISE_STATUSES).optional(),
  notes: z.preprocess(blankToNull, z.string().trim().max(PROMISE_LIMITS.notes).nullable()).optional(),
});
export type UpdatePromiseInput = z.output<typeof updatePromiseSchema>;

export const promiseListQuerySchema = z.object({
  status: z.preprocess(blankToUndefined, z.enum(PAYMENT_PROMISE_STATUSES).optional()),
  contactId: z.preprocess(blankToUndefined, z.uuid().optional()),
  limit: z.coerce.number().int().min(1).max(PROMISE_LIMITS.pageMax).default(PROMISE_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});
export type PromiseListQuery = z.output<typeof promiseListQuerySchema>;
