import { z } from "zod";
import { GAMIFICATION_PERIODS } from "@/db/schema";
import { tText } from "@/lib/i18n";

const emptyToUndefined = (v: unknown) => (v === "" ? undefined : v);
const percent = z.coerce.number().int().min(0).max(100);
const positive = (max: number) => z.coerce.number().int().min(1).max(max);

/** A period key: `2026-03` (monthly), `2026-W09` (weekly, ISO), `2026-Q1` (quarterly). */
export const PERIOD_KEY = /^(\d{4})-(?:(\d{2})|W(\d{2})|Q([1-4]))$/;

/** Seed 002 gamification_settings: weights (sum 100), badge thresholds, normalisation targets, the period. */
export const gamificationSettingsSchema = z
  .object({
    npsWeight: percent,
    volumeWeight: percent,
    resolutionWeight: percent,
    responseTimeWeight: percent,
    solucionadorNpsMin: z.coerce.number().int().min(0).max(10),
    solucionadorResolutionMin: percent,
    velocistaNpsMin: z.coerce.number().int().min(0).max(10),
    velocistaTopN: positive(50),
    campeaoVolumeTopN: positive(50),
    targetResolution: positive(100),
    targetResponseTime: positive(86_400),
    targetVolume: positive(1_000_000),
    calculationPeriod: z.enum(GAMIFICATION_PERIODS),
  })
  .refine((v) => v.npsWeight + v.volumeWeight + v.resolutionWeight + v.responseTimeWeight === 100, {
    error: () => tText("gamification:errors.weights"),
    path: ["npsWeight"],
  });
export type GamificationSettingsInput = z.infer<typeof gamificationSettingsSchema>;

export const periodQuerySchema = z.object({
  period: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(PERIOD_KEY, { error: () => tText("gamification:errors.period") })
      .optional(),
  ),
});
export type PeriodQuery = z.infer<typeof periodQuerySchema>;

/** Checkbox: "on"/"true" checked, absent unchecked; JSON sends a boolean. */
export const participationSchema = z.object({
  participates: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
});
export type ParticipationInput = z.infer<typeof participationSchema>;
