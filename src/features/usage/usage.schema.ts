import { z } from "zod";
import { USAGE_METRICS } from "@/db/schema";

/** Limits shared by the API, the usage page and the service. */
export const USAGE_LIMITS = {
  /** Longest range one report may cover (a year, leap years included). */
  maxRangeDays: 366,
  defaultRangeDays: 30,
} as const;

export const USAGE_METRIC_LABELS: Record<(typeof USAGE_METRICS)[number], string> = {
  api_calls: "API calls",
  messages_sent: "Messages sent",
  messages_received: "Messages received",
  deliveries_succeeded: "Deliveries ok",
  deliveries_failed: "Deliveries failed",
};

/** A calendar day `YYYY-MM-DD` (UTC) that exists (rejects 2025-02-30). */
export const isoDay = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Use a date like 2025-01-31")
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, "Not a valid calendar date");

const emptyToUndefined = (v: unknown) => (v === "" ? undefined : v);

/** `GET /v1/usage` and the usage page's range form. */
export const usageQuerySchema = z.object({
  from: z.preprocess(emptyToUndefined, isoDay.optional()),
  to: z.preprocess(emptyToUndefined, isoDay.optional()),
  instanceId: z.preprocess(emptyToUndefined, z.uuid("instanceId must be a uuid").optional()),
});
export type UsageQuery = z.infer<typeof usageQuerySchema>;
