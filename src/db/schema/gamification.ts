import { sql } from "drizzle-orm";
import { check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { organizations, users } from "./tenancy";

export const GAMIFICATION_PERIODS = ["weekly", "monthly", "quarterly"] as const;
export type GamificationPeriodKind = (typeof GAMIFICATION_PERIODS)[number];
export const BADGE_TYPES = ["solucionador", "velocista", "campeao_volume"] as const;
export type BadgeType = (typeof BADGE_TYPES)[number];

/** Seed 002 `gamification_settings`, one row per organization (absent = the defaults). Weights sum to 100. */
export const gamificationSettings = pgTable(
  "gamification_settings",
  {
    organizationId: uuid()
      .primaryKey()
      .references(() => organizations.id, { onDelete: "cascade" }),
    npsWeight: integer().notNull().default(40),
    volumeWeight: integer().notNull().default(30),
    resolutionWeight: integer().notNull().default(20),
    responseTimeWeight: integer().notNull().default(10),
    solucionadorNpsMin: integer().notNull().default(7),
    solucionadorResolutionMin: integer().notNull().default(70),
    velocistaNpsMin: integer().notNull().default(7),
    velocistaTopN: integer().notNull().default(1),
    campeaoVolumeTopN: integer().notNull().default(1),
    /** Normalisation targets: reaching one scores 100 on that component. */
    targetResolution: integer().notNull().default(85),
    targetResponseTime: integer().notNull().default(120),
    targetVolume: integer().notNull().default(500),
    calculationPeriod: text({ enum: GAMIFICATION_PERIODS }).notNull().default("monthly"),
    updatedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    updatedAt: updatedAt(),
  },
  () => [check("gamification_weights_sum", sql`nps_weight + volume_weight + resolution_weight + response_time_weight = 100`)],
);

/** Agents who chose to stay out of the ranking (seed participatesInGamification = false). */
export const gamificationOptOuts = pgTable(
  "gamification_opt_outs",
  {
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.userId] })],
);

/** Seed 002 `gamification_scores`: one agent's score for one period (`2026-03`, `2026-W09`, `2026-Q1`); recomputing replaces it. */
export const gamificationScores = pgTable(
  "gamification_scores",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    agentUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    period: text().notNull(),
    totalConversations: integer().notNull(),
    /** Average NPS answer 0–10, one decimal; null without answers. */
    avgNps: doublePrecision(),
    successRate: integer().notNull(),
    avgResponseTime: integer(),
    volumeScore: integer().notNull(),
    npsScore: integer().notNull(),
    resolutionScore: integer().notNull(),
    timeScore: integer().notNull(),
    totalScore: integer().notNull(),
    ranking: integer().notNull(),
    badges: text().array().notNull().default(sql`'{}'::text[]`),
    calculatedAt: tstz().notNull(),
  },
  (t) => [
    uniqueIndex("gamification_scores_org_period_agent_unique").on(t.organizationId, t.period, t.agentUserId),
    index("gamification_scores_org_period_rank_idx").on(t.organizationId, t.period, t.ranking),
  ],
);

/** Seed 002 `gamification_badges`: a badge an agent earned in a period. */
export const gamificationBadges = pgTable(
  "gamification_badges",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    agentUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    badgeType: text({ enum: BADGE_TYPES }).notNull(),
    period: text().notNull(),
    metric: integer(),
    awardedAt: createdAt(),
  },
  (t) => [uniqueIndex("gamification_badges_unique").on(t.organizationId, t.period, t.agentUserId, t.badgeType)],
);

/**
 * Seed 002 `gamification_history`: the top 5 of a closed period, written once when the period is first
 * computed after it ended and never rewritten (a permanent record: names and metrics are a snapshot).
 */
export const gamificationHistory = pgTable(
  "gamification_history",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    period: text().notNull(),
    /** Kept when the agent's account goes: the name below is the snapshot shown. */
    agentUserId: uuid(),
    agentName: text().notNull(),
    ranking: integer().notNull(),
    totalScore: integer().notNull(),
    metrics: jsonb().$type<Record<string, number | null>>().notNull(),
    badges: text().array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("gamification_history_org_period_rank_unique").on(t.organizationId, t.period, t.ranking)],
);
