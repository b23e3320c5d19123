import { and, asc, desc, eq, sql } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import {
  gamificationBadges,
  gamificationHistory,
  gamificationOptOuts,
  gamificationScores,
  gamificationSettings,
  memberships,
  users,
  type BadgeType,
} from "@/db/schema";
import { can } from "@/auth/roles";
import { systemCaller, type Caller } from "@/lib/caller";
import { AppError, forbidden } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { organizationOf } from "@/lib/tenant";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { dayInZone, organizationTimeZone, rollupSums } from "@/features/reports/reports.service";
import type { GamificationSettingsInput, ParticipationInput } from "./gamification.schema";
import { periodContaining, periodOfKey, previousPeriod, type Period } from "./gamification.period";

export type GamificationSettings = GamificationSettingsInput;
export const DEFAULT_GAMIFICATION_SETTINGS: GamificationSettings = {
  npsWeight: 40,
  volumeWeight: 30,
  resolutionWeight: 20,
  responseTimeWeight: 10,
  solucionadorNpsMin: 7,
  solucionadorResolutionMin: 70,
  velocistaNpsMin: 7,
  velocistaTopN: 1,
  campeaoVolumeTopN: 1,
  targetResolution: 85,
  targetResponseTime: 120,
  targetVolume: 500,
  calculationPeriod: "monthly",
};

/** One agent's numbers for a period (before ranking). */
export type AgentMetrics = {
  agentUserId: string;
  /** Conversations (cycles) the agent had that were resolved in the period's days. */
  totalConversations: number;
  /** Cycles attributed to the agent in the period (resolved or not). */
  handled: number;
  avgNps: number | null;
  successRate: number;
  avgResponseTime: number | null;
};
export type AgentScore = AgentMetrics & {
  npsScore: number;
  volumeScore: number;
  resolutionScore: number;
  timeScore: number;
  totalScore: number;
  ranking: number;
  badges: BadgeType[];
};

const notFound = () => new AppError("not_found", tText("gamification:errors.notFound"));

/** Supervisors and above configure and recalculate; a `/v1` key's scope was checked by its route. */
export function assertGamificationManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.superviseConversations(caller.role))) throw forbidden(tText("gamification:errors.forbidden"));
}

const isSupervisorView = (caller: Caller) => caller.type !== "user" || (caller.role !== undefined && can.superviseConversations(caller.role));

export async function getGamificationSettings(caller: Caller, tx: DbOrTx = db): Promise<GamificationSettings> {
  return settingsOf(organizationOf(caller), tx);
}

async function settingsOf(organizationId: string, tx: DbOrTx): Promise<GamificationSettings> {
  const [row] = await tx.select().from(gamificationSettings).where(eq(gamificationSettings.organizationId, organizationId)).limit(1);
  if (!row) return { ...DEFAULT_GAMIFICATION_SETTINGS };
  const { organizationId: _o, updatedBy: _u, updatedAt: _t, ...settings } = row;
  return settings;
}

export async function updateGamificationSettings(caller: Caller, input: GamificationSettingsInput, tx?: DbOrTx): Promise<GamificationSettings> {
  assertGamificationManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (t) => {
    const updatedBy = caller.type === "user" ? caller.id : null;
    await t
      .insert(gamificationSettings)
      .values({ organizationId, ...input, updatedBy })
      .onConflictDoUpdate({ target: gamificationSettings.organizationId, set: { ...input, updatedBy, updatedAt: new Date() } });
    await auditChange(t, organizationId, caller, "gamification.settings_updated", { type: "organization", id: organizationId }, { ...input });
    return settingsOf(organizationId, t);
  });
}

/**
 * Normalisation (each component 0–100, then weighted by the settings, weights summing to 100):
 * NPS = average answer × 10; volume = resolved conversations ÷ target volume; resolution = success rate
 * (resolved ÷ handled) ÷ target resolution rate; time = 100 at or under the target first-response time,
 * target ÷ average above it. Each is capped at 100; no data scores 0 on that component.
 */
export function scoreAgents(metrics: AgentMetrics[], settings: GamificationSettings, names: Map<string, string> = new Map()): AgentScore[] {
  const cap = (n: number) => Math.max(0, Math.min(100, Math.round(n)));
  const scored = metrics.map((m) => {
    const npsScore = m.avgNps === null ? 0 : cap(m.avgNps * 10);
    const volumeScore = cap((100 * m.totalConversations) / settings.targetVolume);
    const resolutionScore = m.handled === 0 ? 0 : cap((100 * m.successRate) / settings.targetResolution);
    const timeScore =
      m.avgResponseTime === null ? 0 : m.avgResponseTime <= settings.targetResponseTime ? 100 : cap((100 * settings.targetResponseTime) / m.avgResponseTime);
    const totalScore = Math.round(
      (npsScore * settings.npsWeight +
        volumeScore * settings.volumeWeight +
        resolutionScore * settings.resolutionWeight +
        timeScore * settings.responseTimeWeight) /
        100,
    );
    return { ...m, npsScore, volumeScore, resolutionScore, timeScore, totalScore, ranking: 0, badges: [] as BadgeType[] };
  });
  scored.sort(
    (a, b) =>
      b.totalScore - a.totalScore ||
      b.totalConversations - a.totalConversations ||
      (names.get(a.agentUserId) ?? a.agentUserId).localeCompare(names.get(b.agentUserId) ?? b.agentUserId),
  );
  scored.forEach((s, i) => {
    s.ranking = i + 1;
  });
  // Solucionador: NPS and resolution rate at or above the thresholds.
  for (const s of scored) {
    if (s.avgNps !== null && s.avgNps >= settings.solucionadorNpsMin && s.handled > 0 && s.successRate >= settings.solucionadorResolutionMin)
      s.badges.push("solucionador");
  }
  // Velocista: the N fastest average first responses among agents with NPS at or above the threshold.
  const fastest = scored
    .filter((s) => s.avgResponseTime !== null && s.avgNps !== null && s.avgNps >= settings.velocistaNpsMin)
    .sort((a, b) => (a.avgResponseTime as number) - (b.avgResponseTime as number))
    .slice(0, settings.velocistaTopN);
  for (const s of fastest) s.badges.push("velocista");
  // Campeão de volume: the N agents with most resolved conversations (at least one).
  const busiest = scored
    .filter((s) => s.totalConversations > 0)
    .sort((a, b) => b.totalConversations - a.totalConversations)
    .slice(0, settings.campeaoVolumeTopN);
  for (const s of busiest) s.badges.push("campeao_volume");
  for (const s of scored) s.badges.sort();
  return scored;
}

/** The period a query names, or the current one of the organization's setting (in its zone). */
export async function resolvePeriod(organizationId: string, key: string | undefined, now = new Date(), tx: DbOrTx = db): Promise<Period> {
  if (key) {
    const period = periodOfKey(key);
    if (!period)
      throw new AppError("validation_failed", tText("gamification:errors.period"), [{ path: "period", message: tText("gamification:errors.period") }]);
    return period;
  }
  const [settings, timeZone] = await Promise.all([settingsOf(organizationId, tx), organizationTimeZone(organizationId, tx)]);
  return periodContaining(settings.calculationPeriod, dayInZone(now, timeZone));
}

/**
 * Computes and stores every participating agent's score, ranking and badges for a period, replacing what
 * was stored for it (idempotent). Participants: the organization's agents, and any member who had
 * conversations in the period, minus those who opted out. Once the period has ended, its top 5 is written
 * to the permanent history the first time (never rewritten).
 */
export async function calculateScores(caller: Caller, periodKey?: string, now = new Date()): Promise<{ period: Period; scores: AgentScore[] }> {
  assertGamificationManager(caller);
  const organizationId = organizationOf(caller);
  const period = await resolvePeriod(organizationId, periodKey, now);
  const [settings, timeZone] = await Promise.all([settingsOf(organizationId, db), organizationTimeZone(organizationId)]);
  const sums = await rollupSums(organizationId, period, {}, sql`select report_daily.agent_user_id::text as key, null::text as label`);
  const byAgent = new Map(sums.filter((s) => s.key).map((s) => [s.key as string, s]));
  const members = await db
    .select({ userId: memberships.userId, role: memberships.role, name: sql<string>`coalesce(${users.name}, ${users.email})` })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, organizationId));
  const optedOut = new Set(
    (await db.select({ userId: gamificationOptOuts.userId }).from(gamificationOptOuts).where(eq(gamificationOptOuts.organizationId, organizationId))).map(
      (r) => r.userId,
    ),
  );
  const names = new Map(members.map((m) => [m.userId, m.name]));
  const participants = members.filter((m) => !optedOut.has(m.userId) && (m.role === "agent" || byAgent.has(m.userId)));
  const metrics: AgentMetrics[] = participants.map((m) => {
    const s = byAgent.get(m.userId);
    const handled = Number(s?.conversations ?? 0);
    const resolved = Number(s?.resolved ?? 0);
    const npsAnswers = Number(s?.nps_answers ?? 0);
    const firstResponses = Number(s?.first_responses ?? 0);
    return {
      agentUserId: m.userId,
      totalConversations: resolved,
      handled,
      avgNps: npsAnswers > 0 ? Math.round((Number(s?.nps_sum) / npsAnswers) * 10) / 10 : null,
      successRate: handled > 0 ? Math.round((100 * resolved) / handled) : 0,
      avgResponseTime: firstResponses > 0 ? Math.round(Number(s?.first_response_seconds) / firstResponses) : null,
    };
  });
  const scores = scoreAgents(metrics, settings, names);
  const closed = period.to < dayInZone(now, timeZone);
  await db.transaction(async (tx) => {
    // One calculation per organization at a time: the worker and a button press do not interleave.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('gamification:' || ${organizationId}))`);
    await tx.delete(gamificationScores).where(and(eq(gamificationScores.organizationId, organizationId), eq(gamificationScores.period, period.key)));
    await tx.delete(gamificationBadges).where(and(eq(gamificationBadges.organizationId, organizationId), eq(gamificationBadges.period, period.key)));
    if (scores.length > 0) {
      const calculatedAt = new Date();
      await tx.insert(gamificationScores).values(
        scores.map((s) => ({
          organizationId,
          agentUserId: s.agentUserId,
          period: period.key,
          totalConversations: s.totalConversations,
          avgNps: s.avgNps,
          successRate: s.successRate,
          avgResponseTime: s.avgResponseTime,
          volumeScore: s.volumeScore,
          npsScore: s.npsScore,
          resolutionScore: s.resolutionScore,
          timeScore: s.timeScore,
          totalScore: s.totalScore,
          ranking: s.ranking,
          badges: s.badges,
          calculatedAt,
        })),
      );
      const badges = scores.flatMap((s) =>
        s.badges.map((badgeType) => ({
          organizationId,
          agentUserId: s.agentUserId,
          period: period.key,
          badgeType,
          metric: badgeType === "velocista" ? s.avgResponseTime : badgeType === "campeao_volume" ? s.totalConversations : s.successRate,
        })),
      );
      if (badges.length > 0) await tx.insert(gamificationBadges).values(badges);
      if (closed) {
        await tx
          .insert(gamificationHistory)
          .values(
            scores.slice(0, 5).map((s) => ({
              organizationId,
              period: period.key,
              agentUserId: s.agentUserId,
              agentName: names.get(s.agentUserId) ?? "",
              ranking: s.ranking,
              totalScore: s.totalScore,
              metrics: {
                totalConversations: s.totalConversations,
                avgNps: s.avgNps,
                successRate: s.successRate,
                avgResponseTime: s.avgResponseTime,
                npsScore: s.npsScore,
                volumeScore: s.volumeScore,
                resolutionScore: s.resolutionScore,
                timeScore: s.timeScore,
              },
              badges: s.badges,
            })),
          )
          .onConflictDoNothing();
      }
    }
    await auditChange(
      tx,
      organizationId,
      caller,
      "gamification.calculated",
      { type: "organization", id: organizationId },
      { period: period.key, agents: scores.length },
    );
  });
  return { period, scores };
}

export type RankingEntry = {
  agentUserId: string;
  agentName: string;
  ranking: number;
  totalScore: number;
  badges: string[];
  /** The breakdown: every row for supervisors, only the agent's own row for an agent (null otherwise). */
  metrics: {
    totalConversations: number;
    avgNps: number | null;
    successRate: number;
    avgResponseTime: number | null;
    npsScore: number;
    volumeScore: number;
    resolutionScore: number;
    timeScore: number;
  } | null;
  calculatedAt: string;
};

/** The stored ranking of a period (default: the current one). Agents see the ranking and their own breakdown. */
export async function getRanking(caller: Caller, periodKey?: string, now = new Date()): Promise<{ period: Period; entries: RankingEntry[] }> {
  const organizationId = organizationOf(caller);
  const period = await resolvePeriod(organizationId, periodKey, now);
  const rows = await db
    .select({ score: gamificationScores, name: sql<string>`coalesce(${users.name}, ${users.email})` })
    .from(gamificationScores)
    .innerJoin(users, eq(users.id, gamificationScores.agentUserId))
    .where(and(eq(gamificationScores.organizationId, organizationId), eq(gamificationScores.period, period.key)))
    .orderBy(asc(gamificationScores.ranking));
  const supervisor = isSupervisorView(caller);
  return {
    period,
    entries: rows.map(({ score: s, name }) => ({
      agentUserId: s.agentUserId,
      agentName: name,
      ranking: s.ranking,
      totalScore: s.totalScore,
      badges: s.badges,
      metrics:
        supervisor || s.agentUserId === caller.id
          ? {
              totalConversations: s.totalConversations,
              avgNps: s.avgNps,
              successRate: s.successRate,
              avgResponseTime: s.avgResponseTime,
              npsScore: s.npsScore,
              volumeScore: s.volumeScore,
              resolutionScore: s.resolutionScore,
              timeScore: s.timeScore,
            }
          : null,
      calculatedAt: s.calculatedAt.toISOString(),
    })),
  };
}

export type HistoryEntry = {
  period: string;
  agentUserId: string | null;
  agentName: string;
  ranking: number;
  totalScore: number;
  badges: string[];
  metrics: Record<string, number | null>;
};

/** The permanent top 5 of every closed period, newest period first. */
export async function listHistory(caller: Caller): Promise<HistoryEntry[]> {
  const organizationId = organizationOf(caller);
  const rows = await db
    .select()
    .from(gamificationHistory)
    .where(eq(gamificationHistory.organizationId, organizationId))
    .orderBy(desc(gamificationHistory.period), asc(gamificationHistory.ranking))
    .limit(500);
  return rows.map((r) => ({
    period: r.period,
    agentUserId: r.agentUserId,
    agentName: r.agentName,
    ranking: r.ranking,
    totalScore: r.totalScore,
    badges: r.badges,
    metrics: r.metrics,
  }));
}

/** Whether `userId` takes part in the ranking. */
export async function participates(organizationId: string, userId: string, tx: DbOrTx = db): Promise<boolean> {
  const [row] = await tx
    .select({ userId: gamificationOptOuts.userId })
    .from(gamificationOptOuts)
    .where(and(eq(gamificationOptOuts.organizationId, organizationId), eq(gamificationOptOuts.userId, userId)))
    .limit(1);
  return !row;
}

/**
 * Sets a member's participation: a signed-in member changes only their own; a `/v1` key (scope checked
 * by its route) any member's. Another organization's member reads as not found.
 */
export async function setParticipation(caller: Caller, userId: string, input: ParticipationInput, tx?: DbOrTx): Promise<boolean> {
  const organizationId = organizationOf(caller);
  if (caller.type === "user" && caller.id !== userId) throw forbidden(tText("gamification:errors.ownOnly"));
  return inTransaction(tx, async (t) => {
    const [member] = await t
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.organizationId, organizationId), sql`${memberships.userId}::text = ${userId}`))
      .limit(1);
    if (!member) throw notFound();
    if (input.participates) {
      await t.delete(gamificationOptOuts).where(and(eq(gamificationOptOuts.organizationId, organizationId), eq(gamificationOptOuts.userId, member.userId)));
    } else {
      await t.insert(gamificationOptOuts).values({ organizationId, userId: member.userId }).onConflictDoNothing();
    }
    await auditChange(
      t,
      organizationId,
      caller,
      "gamification.participation_changed",
      { type: "user", id: member.userId },
      { participates: input.participates },
    );
    return input.participates;
  });
}

/**
 * The scheduled run: for every organization with report data in the last ~100 days, its current period,
 * and the previous one while that has no history yet (so a period's top 5 is recorded soon after it ends).
 */
export async function calculateDueScores(now = new Date()): Promise<number> {
  const since = new Date(now.getTime() - 100 * 86_400_000).toISOString().slice(0, 10);
  const orgs = rowsOf<{ organization_id: string }>(await db.execute(sql`select distinct organization_id from report_daily where day >= ${since}`));
  let runs = 0;
  for (const { organization_id: organizationId } of orgs) {
    const caller = systemCaller("gamification", organizationId);
    const { period } = await calculateScores(caller, undefined, now);
    runs++;
    const previous = previousPeriod(period);
    const [recorded] = await db
      .select({ id: gamificationHistory.id })
      .from(gamificationHistory)
      .where(and(eq(gamificationHistory.organizationId, organizationId), eq(gamificationHistory.period, previous.key)))
      .limit(1);
    if (!recorded) {
      await calculateScores(caller, previous.key, now);
      runs++;
    }
  }
  return runs;
}
