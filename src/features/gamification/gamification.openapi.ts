import { z } from "zod";
import { BADGE_TYPES, GAMIFICATION_PERIODS } from "@/db/schema";
import { timestamp } from "@/lib/openapi";

const uuid = () => z.string().meta({ format: "uuid" });

export const periodJsonSchema = z.object({
  kind: z.enum(GAMIFICATION_PERIODS),
  key: z.string().describe("`2026-03`, `2026-W09` or `2026-Q1`"),
  from: z.string().describe("First day (organization's zone)"),
  to: z.string().describe("Last day, included"),
});

const breakdown = z.object({
  totalConversations: z.number().int().describe("Resolved conversations (cycles) of the agent"),
  avgNps: z.number().nullable(),
  successRate: z.number().int().describe("Resolved ÷ handled, %"),
  avgResponseTime: z.number().int().nullable().describe("Average first response, seconds"),
  npsScore: z.number().int(),
  volumeScore: z.number().int(),
  resolutionScore: z.number().int(),
  timeScore: z.number().int(),
});

export const rankingJsonSchema = z.object({
  period: periodJsonSchema,
  entries: z.array(
    z.object({
      agentUserId: uuid(),
      agentName: z.string(),
      ranking: z.number().int(),
      totalScore: z.number().int().describe("Weighted 0–100"),
      badges: z.array(z.enum(BADGE_TYPES)),
      metrics: breakdown.nullable().describe("Null for other agents when an agent's session asks"),
      calculatedAt: timestamp(),
    }),
  ),
});

export const historyJsonSchema = z.object({
  data: z.array(
    z.object({
      period: z.string(),
      agentUserId: uuid().nullable(),
      agentName: z.string(),
      ranking: z.number().int().min(1).max(5),
      totalScore: z.number().int(),
      badges: z.array(z.enum(BADGE_TYPES)),
      metrics: z.record(z.string(), z.number().nullable()),
    }),
  ),
});

export const settingsJsonSchema = z.object({
  npsWeight: z.number().int(),
  volumeWeight: z.number().int(),
  resolutionWeight: z.number().int(),
  responseTimeWeight: z.number().int(),
  solucionadorNpsMin: z.number().int(),
  solucionadorResolutionMin: z.number().int(),
  velocistaNpsMin: z.number().int(),
  velocistaTopN: z.number().int(),
  campeaoVolumeTopN: z.number().int(),
  targetResolution: z.number().int(),
  targetResponseTime: z.number().int(),
  targetVolume: z.number().int(),
  calculationPeriod: z.enum(GAMIFICATION_PERIODS),
});

export const participationJsonSchema = z.object({ userId: uuid(), participates: z.boolean() });
