import { z } from "zod";
import { tText } from "@/lib/i18n";

/**
 * Bounds of the retention settings. Events and the delivery log live in daily partitions up to their
 * expiry, so the longest retention is also how many partitions each table can hold: 90 days keeps
 * planning over them cheap. Messages are not partitioned (see retention.messages.ts): up to ten years.
 */
export const RETENTION_LIMITS = { minDays: 1, maxLogDays: 90, maxMessageDays: 3650 } as const;

/** A form posts numbers as text; JSON sends numbers. */
const asNumber = (v: unknown) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v);

const logDays = (field: "eventsDays" | "deliveriesDays") =>
  z.preprocess(
    asNumber,
    z
      .number({ error: () => tText(`retention:errors.${field}`, { min: RETENTION_LIMITS.minDays, max: RETENTION_LIMITS.maxLogDays }) })
      .int({ error: () => tText(`retention:errors.${field}`, { min: RETENTION_LIMITS.minDays, max: RETENTION_LIMITS.maxLogDays }) })
      .min(RETENTION_LIMITS.minDays, { error: () => tText(`retention:errors.${field}`, { min: RETENTION_LIMITS.minDays, max: RETENTION_LIMITS.maxLogDays }) })
      .max(RETENTION_LIMITS.maxLogDays, {
        error: () => tText(`retention:errors.${field}`, { min: RETENTION_LIMITS.minDays, max: RETENTION_LIMITS.maxLogDays }),
      }),
  );

const messageDaysError = () => tText("retention:errors.messagesDays", { min: RETENTION_LIMITS.minDays, max: RETENTION_LIMITS.maxMessageDays });

/**
 * `PATCH /v1/retention` and the settings form: only the fields sent change. `messagesDays` null (or an
 * empty field) = keep messages.
 */
export const retentionInputSchema = z.object({
  eventsDays: logDays("eventsDays").optional().describe("Days events are kept (1–90, default 30)"),
  deliveriesDays: logDays("deliveriesDays").optional().describe("Days webhook deliveries and their attempts are kept (1–90, default 30)"),
  messagesDays: z
    .preprocess(
      (v) => (v === "" ? null : asNumber(v)),
      z
        .number({ error: messageDaysError })
        .int({ error: messageDaysError })
        .min(RETENTION_LIMITS.minDays, { error: messageDaysError })
        .max(RETENTION_LIMITS.maxMessageDays, { error: messageDaysError })
        .nullable(),
    )
    .optional()
    .describe("Days messages are kept (1–3650); null = kept until deleted (the default)"),
});
export type RetentionInput = z.infer<typeof retentionInputSchema>;

/** The answer of `GET/PATCH /v1/retention`. */
export const retentionJsonSchema = z.object({
  eventsDays: z.number().int().describe("Days events are kept"),
  deliveriesDays: z.number().int().describe("Days webhook deliveries and their attempts are kept"),
  messagesDays: z.number().int().nullable().describe("Days messages are kept; null = kept until deleted"),
});
export type RetentionSettings = z.infer<typeof retentionJsonSchema>;
