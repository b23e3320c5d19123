import { z } from "zod";
import { tText } from "@/lib/i18n";

export const CAMPAIGN_LIMITS = {
  name: 120,
  body: 4096,
  variants: 10,
  instances: 10,
  csvBytes: 5_000_000,
  perMinuteMax: 60,
  dailyCapMax: 10_000,
  maxAttempts: 5,
} as const;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: () => tText("campaigns:schema.time") });
const msg = (key: string, values?: Record<string, string | number>) => ({ error: () => tText(`campaigns:schema.${key}`, values) });

export const activeHoursSchema = z
  .object({
    weekdays: z.array(z.coerce.number().int().min(0).max(6)).min(1, msg("weekdays")),
    start: hhmm,
    end: hhmm,
  })
  .refine((h) => h.start < h.end, { path: ["end"], ...msg("endAfterStart") });

export const pacingSchema = z.object({
  perMinute: z.coerce.number().int().min(1, msg("perMinute")).max(CAMPAIGN_LIMITS.perMinuteMax, msg("perMinute")),
  jitterPercent: z.coerce.number().int().min(0).max(200).default(30),
  dailyCap: z.coerce.number().int().min(1, msg("dailyCap")).max(CAMPAIGN_LIMITS.dailyCapMax, msg("dailyCap")),
  warmupDays: z.coerce.number().int().min(0).max(60).default(14),
  warmupStartPerDay: z.coerce.number().int().min(1).max(CAMPAIGN_LIMITS.dailyCapMax).default(20),
});

const body = z.string().trim().min(1, msg("bodyRequired")).max(CAMPAIGN_LIMITS.body);

const audienceSchema = z.discriminatedUnion("source", [
  z.object({ source: z.literal("csv"), csv: z.string().min(1, msg("csvRequired")).max(CAMPAIGN_LIMITS.csvBytes) }),
  z.object({ source: z.literal("tag"), tag: z.string().trim().min(1, msg("tagRequired")).max(80) }),
  z.object({ source: z.literal("segment"), segmentId: z.uuid(msg("segmentRequired")) }),
  /** A finished contact import (`/v1/contact-imports`): its accepted rows are the audience, any size. */
  z.object({ source: z.literal("import"), importId: z.uuid(msg("importRequired")) }),
]);

const campaignFields = z.object({
  name: z.string().trim().min(1, msg("nameRequired")).max(CAMPAIGN_LIMITS.name),
  audience: audienceSchema,
  message: z.object({
    body,
    variants: z.array(z.string().trim().max(CAMPAIGN_LIMITS.body)).max(CAMPAIGN_LIMITS.variants).default([]),
    mediaUrl: z.url(msg("mediaUrl")).nullish(),
    rotation: z.enum(["sequential", "random"]).default("sequential"),
  }),
  instanceIds: z.array(z.uuid()).min(1, msg("instancesRequired")).max(CAMPAIGN_LIMITS.instances),
  /** ISO 8601 with offset; kept as text here (the API body and the service parse the same schema), made Dates by the service. */
  startsAt: z.iso.datetime({ offset: true }).nullish(),
  endsAt: z.iso.datetime({ offset: true }).nullish(),
  activeHours: activeHoursSchema,
  pacing: pacingSchema,
  maxAttempts: z.coerce.number().int().min(1).max(CAMPAIGN_LIMITS.maxAttempts).default(1),
  attemptSpacingMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  stopOnReply: z.boolean().default(true),
});

const endAfterStart = (c: { startsAt?: string | null; endsAt?: string | null }) => !c.startsAt || !c.endsAt || new Date(c.startsAt) < new Date(c.endsAt);

export const campaignCreateSchema = campaignFields.refine(endAfterStart, { path: ["endsAt"], ...msg("endAfterStart") });
export type CampaignCreateInput = z.output<typeof campaignCreateSchema>;

/** A draft's edit (admin form): the same fields; without `audience` the targets already chosen are kept. */
export const campaignUpdateSchema = campaignFields
  .extend({ audience: audienceSchema.optional() })
  .refine(endAfterStart, { path: ["endsAt"], ...msg("endAfterStart") });
export type CampaignUpdateInput = z.output<typeof campaignUpdateSchema>;

export const campaignPreviewQuery = z.object({ limit: z.coerce.number().int().min(1).max(20).default(5) });
