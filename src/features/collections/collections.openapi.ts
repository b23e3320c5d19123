import { z } from "zod";
import { CRM_DATE_RANGES, CRM_DEDUPE, CRM_RUN_STATUSES, CRM_SYNC_STATUSES, PAYMENT_METHODS, PAYMENT_PROMISE_STATUSES, TARGET_STATES } from "@/db/schema";
import { pageOf, timestamp } from "@/lib/openapi";

/** The JSON `/v1/collections/promises` answers (promiseJson). */
export const promiseJsonSchema = z.object({
  id: z.string(),
  conversationId: z.string().nullable(),
  targetId: z.string().nullable().describe("The collection target (campaign debtor) the promise answers"),
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

/** A collection target (targetJson): a campaign debtor with the debt its messages render. */
export const targetJsonSchema = z.object({
  id: z.string().describe("The campaign target's id"),
  campaignId: z.string(),
  contact: z.object({ id: z.string(), name: z.string().nullable(), phone: z.string().nullable() }),
  state: z.enum(TARGET_STATES).describe("The campaign target's state"),
  debtorName: z.string().nullable(),
  document: z.string().nullable().describe("CPF or CNPJ digits"),
  documentType: z.enum(["cpf", "cnpj"]).nullable(),
  amountCents: z.number().int(),
  dueDate: z.string().meta({ format: "date" }),
  metadata: z.record(z.string(), z.unknown()),
  crmSyncId: z.string().nullable(),
  promises: z.array(z.object({ id: z.string(), status: z.enum(PAYMENT_PROMISE_STATUSES) })),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export const targetPageSchema = pageOf(targetJsonSchema);

export const settingsJsonSchema = z.object({
  remindersEnabled: z.boolean(),
  reminderDaysBefore: z.number().int(),
  promiseMaxDays: z.number().int().nullable(),
  allowedMethods: z.array(z.enum(PAYMENT_METHODS)),
  updatedAt: timestamp().nullable(),
});

export const crmSyncJsonSchema = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  url: z.string().describe("Scheme, host and path; query values masked"),
  apiKey: z.string().nullable().describe("Masked (last 4 characters); null when none. The key itself is never returned"),
  authHeader: z.string(),
  mapping: z.object({
    phone: z.string(),
    name: z.string().nullable(),
    document: z.string().nullable(),
    amount: z.string(),
    amountUnit: z.enum(["cents", "reais"]),
    dueDate: z.string(),
    metadata: z.array(z.string()),
  }),
  dateRangeType: z.enum(CRM_DATE_RANGES),
  dateRangeDays: z.number().int().nullable(),
  dateRangeFrom: z.string().meta({ format: "date" }).nullable(),
  dateRangeTo: z.string().meta({ format: "date" }).nullable(),
  minAmountCents: z.number().int().nullable(),
  maxAmountCents: z.number().int().nullable(),
  dedupeBy: z.enum(CRM_DEDUPE),
  updateExisting: z.boolean(),
  intervalMinutes: z.number().int(),
  campaignId: z.string(),
  nextRunAt: timestamp().nullable(),
  running: z.boolean(),
  lastSync: z.object({
    at: timestamp().nullable(),
    status: z.enum(CRM_SYNC_STATUSES).nullable(),
    error: z.string().nullable(),
    fetched: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    skipped: z.number().int(),
  }),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export const crmSyncListSchema = z.object({ data: z.array(crmSyncJsonSchema), nextCursor: z.null().describe("Always null: up to 200 are listed") });

export const crmRunJsonSchema = z.object({
  id: z.string(),
  configId: z.string(),
  trigger: z.enum(["schedule", "manual"]),
  status: z.enum(CRM_RUN_STATUSES),
  error: z.string().nullable().describe("Our own description (never the source's body)"),
  pages: z.number().int(),
  fetched: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  skipReasons: z.record(z.string(), z.number().int()).describe("Skipped records per reason"),
  skippedSamples: z.array(z.object({ record: z.number().int().describe("1-based position in the source"), reason: z.string() })),
  startedAt: timestamp(),
  finishedAt: timestamp().nullable(),
});
export const crmRunListSchema = z.object({ data: z.array(crmRunJsonSchema) });
