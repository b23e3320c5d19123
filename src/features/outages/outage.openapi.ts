import { z } from "zod";
import { OUTAGE_NOTIFICATION_KINDS, OUTAGE_NOTIFICATION_STATES, OUTAGE_SEVERITIES, OUTAGE_SKIP_REASONS, OUTAGE_STATUSES } from "@/db/schema";
import { pageOf, timestamp } from "@/lib/openapi";

const uuid = () => z.string().meta({ format: "uuid" });

/** The JSON `/v1/outage-regions` answers (regionJson). */
export const regionJsonSchema = z.object({
  id: uuid(),
  name: z.string(),
  cities: z.array(z.string()),
  states: z.array(z.string()).describe("UFs, upper case"),
  cepPrefixes: z.array(z.string()).describe("Leading digits of CEPs"),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export const regionListSchema = z.object({ data: z.array(regionJsonSchema), nextCursor: z.null().describe("Always null: every region is listed") });

/** The JSON `/v1/outages` answers (outageJson). */
export const outageJsonSchema = z.object({
  id: uuid(),
  title: z.string(),
  description: z.string().nullable(),
  severity: z.enum(OUTAGE_SEVERITIES),
  status: z.enum(OUTAGE_STATUSES),
  affected: z.object({
    regionIds: z.array(uuid()),
    custom: z.array(z.object({ city: z.string(), neighborhoods: z.array(z.string()).describe("Empty: the whole city") })),
  }),
  estimatedResolutionAt: timestamp().nullable(),
  noticeMessage: z.string(),
  resolutionMessage: z.string(),
  instanceIds: z.array(uuid()),
  pacing: z.object({ perMinute: z.number().int(), jitterPercent: z.number().int(), dailyCap: z.number().int() }),
  createdByUserId: uuid().nullable(),
  resolvedByUserId: uuid().nullable(),
  resolvedAt: timestamp().nullable(),
  cancelledAt: timestamp().nullable(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export const outagePageSchema = pageOf(outageJsonSchema);

/** One row of the notification log (seed `failure_notifications`). */
export const notificationJsonSchema = z.object({
  id: uuid(),
  outageId: uuid(),
  contactId: uuid(),
  kind: z.enum(OUTAGE_NOTIFICATION_KINDS),
  via: z.enum(["broadcast", "inbound"]).describe("broadcast: the paced notice; inbound: sent first when the contact wrote in"),
  phone: z.string().nullable(),
  name: z.string().nullable(),
  state: z.enum(OUTAGE_NOTIFICATION_STATES),
  skipReason: z.enum(OUTAGE_SKIP_REASONS).nullable(),
  error: z.string().nullable(),
  instanceId: uuid().nullable(),
  messageId: uuid().nullable(),
  body: z.string().nullable(),
  sentAt: timestamp().nullable(),
  deliveredAt: timestamp().nullable(),
  readAt: timestamp().nullable(),
  respondedAt: timestamp().nullable(),
  responseText: z.string().nullable(),
  createdAt: timestamp(),
});
export const notificationPageSchema = pageOf(notificationJsonSchema);

const kindMetrics = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  notified: z.number().int().describe("Sent (queued to the provider)"),
  delivered: z.number().int(),
  read: z.number().int(),
  responded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
});
export const outageMetricsSchema = z.object({
  notice: kindMetrics,
  resolution: kindMetrics,
  uniqueContacts: z.number().int().describe("Distinct phones sent a notice or resolution"),
});
