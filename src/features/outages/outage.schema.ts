import { z } from "zod";
import { OUTAGE_NOTIFICATION_KINDS, OUTAGE_NOTIFICATION_STATES, OUTAGE_SEVERITIES, OUTAGE_STATUSES } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const OUTAGE_LIMITS = {
  title: 160,
  description: 2000,
  message: 2000,
  regionName: 120,
  listEntries: 200,
  entry: 120,
  regionIds: 50,
  customAreas: 50,
  neighborhoods: 100,
  instances: 10,
  perMinuteMax: 60,
  dailyCapMax: 10_000,
  pageDefault: 50,
  pageMax: 200,
} as const;

const msg = (key: string, values?: Record<string, string | number>) => ({ error: () => tText(`outages:schema.${key}`, values) });
const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);
const blankToNull = (v: unknown) => (v === "" ? null : v);

/** A list as JSON array, or as text (one per line or comma-separated, as the form sends it). */
const textList = (max: number, item: z.ZodType<string, string>) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(/\r?\n|,/)).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).max(max, msg("tooMany", { max })));

const entry = z.string().max(OUTAGE_LIMITS.entry, msg("entryTooLong", { max: OUTAGE_LIMITS.entry }));

/** A predefined region: any of its cities, UFs or CEP prefixes puts a contact in it. */
export const regionSchema = z
  .object({
    name: z.string().trim().min(1, msg("nameRequired")).max(OUTAGE_LIMITS.regionName),
    cities: textList(OUTAGE_LIMITS.listEntries, entry).default([]),
    states: textList(
      30,
      z
        .string()
        .transform((s) => s.toUpperCase())
        .pipe(z.string().regex(/^[A-Z]{2}$/, msg("state"))),
    ).default([]),
    cepPrefixes: textList(
      OUTAGE_LIMITS.listEntries,
      z
        .string()
        .transform((s) => s.replace(/[.\-\s]/g, ""))
        .pipe(z.string().regex(/^\d{1,8}$/, msg("cepPrefix"))),
    ).default([]),
  })
  .refine((r) => r.cities.length + r.states.length + r.cepPrefixes.length > 0, { path: ["cities"], ...msg("regionEmpty") });
export type RegionInput = z.output<typeof regionSchema>;

export const affectedSchema = z
  .object({
    regionIds: z
      .array(z.uuid(msg("regionInvalid")))
      .max(OUTAGE_LIMITS.regionIds)
      .default([]),
    custom: z
      .array(
        z.object({
          city: z.string().trim().min(1, msg("cityRequired")).max(OUTAGE_LIMITS.entry),
          neighborhoods: textList(OUTAGE_LIMITS.neighborhoods, entry).default([]),
        }),
      )
      .max(OUTAGE_LIMITS.customAreas)
      .default([]),
  })
  .refine((a) => a.regionIds.length + a.custom.length > 0, { path: ["regionIds"], ...msg("areasRequired") });

/** Notice pacing per sending number: the campaign rules (messages per minute with jitter that only lengthens the gap, daily cap). */
export const outagePacingSchema = z
  .object({
    perMinute: z.coerce
      .number()
      .int()
      .min(1, msg("perMinute", { max: OUTAGE_LIMITS.perMinuteMax }))
      .max(OUTAGE_LIMITS.perMinuteMax, msg("perMinute", { max: OUTAGE_LIMITS.perMinuteMax }))
      .default(20),
    jitterPercent: z.coerce.number().int().min(0).max(200).default(30),
    dailyCap: z.coerce
      .number()
      .int()
      .min(1, msg("dailyCap", { max: OUTAGE_LIMITS.dailyCapMax }))
      .max(OUTAGE_LIMITS.dailyCapMax, msg("dailyCap", { max: OUTAGE_LIMITS.dailyCapMax }))
      .default(1000),
  })
  .prefault({});

const message = z
  .string()
  .trim()
  .max(OUTAGE_LIMITS.message, msg("messageTooLong", { max: OUTAGE_LIMITS.message }));
/** ISO 8601 with offset; the service makes it a Date (the form converts its wall-clock time in the organization's zone). */
const estimate = z.preprocess(blankToNull, z.iso.datetime({ offset: true, error: () => tText("outages:schema.estimate") }).nullable());

export const declareOutageSchema = z.object({
  title: z.string().trim().min(1, msg("titleRequired")).max(OUTAGE_LIMITS.title),
  description: z.preprocess(blankToNull, z.string().trim().max(OUTAGE_LIMITS.description).nullable()).optional(),
  severity: z.enum(OUTAGE_SEVERITIES, msg("severity")),
  affected: affectedSchema,
  estimatedResolutionAt: estimate.optional(),
  /** Blank: the default text in the organization's language. */
  noticeMessage: z.preprocess(blankToUndefined, message.optional()),
  resolutionMessage: z.preprocess(blankToUndefined, message.optional()),
  instanceIds: z
    .array(z.uuid(msg("instancesRequired")))
    .min(1, msg("instancesRequired"))
    .max(OUTAGE_LIMITS.instances),
  pacing: outagePacingSchema,
});
export type DeclareOutageInput = z.output<typeof declareOutageSchema>;

export const updateOutageSchema = z.object({
  title: z.string().trim().min(1, msg("titleRequired")).max(OUTAGE_LIMITS.title).optional(),
  description: z.preprocess(blankToNull, z.string().trim().max(OUTAGE_LIMITS.description).nullable()).optional(),
  severity: z.enum(OUTAGE_SEVERITIES, msg("severity")).optional(),
  estimatedResolutionAt: estimate.optional(),
  noticeMessage: z.preprocess(blankToUndefined, message.min(1).optional()),
  resolutionMessage: z.preprocess(blankToUndefined, message.min(1).optional()),
});
export type UpdateOutageInput = z.output<typeof updateOutageSchema>;

export const resolveOutageSchema = z.object({ resolutionMessage: z.preprocess(blankToUndefined, message.min(1).optional()) }).prefault({});

export const outageListQuerySchema = z.object({
  status: z.preprocess(blankToUndefined, z.enum(OUTAGE_STATUSES, msg("status")).optional()),
  limit: z.coerce.number().int().min(1).max(OUTAGE_LIMITS.pageMax).default(OUTAGE_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});
export type OutageListQuery = z.output<typeof outageListQuerySchema>;

export const notificationListQuerySchema = z.object({
  kind: z.preprocess(blankToUndefined, z.enum(OUTAGE_NOTIFICATION_KINDS).optional()),
  state: z.preprocess(blankToUndefined, z.enum(OUTAGE_NOTIFICATION_STATES).optional()),
  limit: z.coerce.number().int().min(1).max(OUTAGE_LIMITS.pageMax).default(OUTAGE_LIMITS.pageDefault),
  cursor: z.string().max(200).optional(),
});
export type NotificationListQuery = z.output<typeof notificationListQuerySchema>;
