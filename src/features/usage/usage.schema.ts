import { z } from "zod";
import type { USAGE_METRICS } from "@/db/schema";
import { tText } from "@/lib/i18n";

/** Limits shared by the API, the usage page and the service. */
export const USAGE_LIMITS = {
  /** Longest range one report may cover (a year, leap years included). */
  maxRangeDays: 366,
  defaultRangeDays: 30,
} as const;

/** A metric's name in the reader's language. */
export const usageMetricLabel = (metric: (typeof USAGE_METRICS)[number]) => tText(`usage:metrics.${metric}`);

/** A calendar day `YYYY-MM-DD` (UTC) that exists (rejects 2025-02-30). */
export const isoDay = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: () => tText("usage:errors.date") })
  .refine(
    (v) => {
      const d = new Date(`${v}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
    },
    { error: () => tText("usage:errors.calendarDate") },
  );

const emptyToUndefined = (v: unknown) => (v === "" ? undefined : v);

/** `GET /v1/usage` and the usage page's range form. */
export const usageQuerySchema = z.object({
  from: z.preprocess(emptyToUndefined, isoDay.optional()),
  to: z.preprocess(emptyToUndefined, isoDay.optional()),
  instanceId: z.preprocess(emptyToUndefined, z.uuid({ error: () => tText("usage:errors.instanceId") }).optional()),
});
export type UsageQuery = z.infer<typeof usageQuerySchema>;

/** The usage page's monthly AI token limit form: empty = no limit. */
export const aiTokenLimitSchema = z.object({
  aiTokensPerMonth: z.preprocess(
    (v) => (v === "" || v === undefined || v === null ? null : typeof v === "string" ? Number(v.replace(/[\s.,_]/g, "")) : v),
    z
      .number({ error: () => tText("usage:errors.tokenLimit") })
      .int({ error: () => tText("usage:errors.tokenLimit") })
      .min(1, { error: () => tText("usage:errors.tokenLimit") })
      .max(1e15, { error: () => tText("usage:errors.tokenLimit") })
      .nullable(),
  ),
});
