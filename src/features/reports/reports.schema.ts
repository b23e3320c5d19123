import { z } from "zod";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";

export const REPORT_LIMITS = {
  /** Longest period one report covers (days): bounds the rollup rows read. */
  maxDays: 731,
  defaultDays: 30,
} as const;

export const REPORT_BUCKETS = ["day", "week", "month"] as const;
export type ReportBucket = (typeof REPORT_BUCKETS)[number];
export const REPORT_DIMENSIONS = ["none", "agent", "department", "instance"] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

const emptyToUndefined = (v: unknown) => (v === "" ? undefined : v);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: () => tText("reports:errors.date") });
const optionalId = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .refine(isUuid, { error: () => tText("reports:errors.id") })
    .optional(),
);

/** A report's period (days in the organization's zone, `to` included), bucket, grouping and filters. */
export const reportQuerySchema = z
  .object({
    from: z.preprocess(emptyToUndefined, isoDate.optional()),
    to: z.preprocess(emptyToUndefined, isoDate.optional()),
    bucket: z.preprocess(emptyToUndefined, z.enum(REPORT_BUCKETS).optional()),
    groupBy: z.preprocess(emptyToUndefined, z.enum(REPORT_DIMENSIONS).optional()),
    departmentId: optionalId,
    agentUserId: optionalId,
    instanceId: optionalId,
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { error: () => tText("reports:errors.range"), path: ["to"] })
  .refine((v) => !v.from || !v.to || (Date.parse(v.to) - Date.parse(v.from)) / 86_400_000 < REPORT_LIMITS.maxDays, {
    error: () => tText("reports:errors.tooLong", { days: REPORT_LIMITS.maxDays }),
    path: ["from"],
  });
export type ReportQuery = z.infer<typeof reportQuerySchema>;
