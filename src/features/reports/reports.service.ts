import { and, eq, gte, lte, sql, type SQL } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { departments, instances, memberships, organizations, reportDaily, users } from "@/db/schema";
import type { Caller } from "@/lib/caller";
import { forbidden } from "@/lib/errors";
import { DEFAULT_TIME_ZONE, tText, zonedWallTimeToDate } from "@/lib/i18n";
import { organizationOf } from "@/lib/tenant";
import { can } from "@/auth/roles";
import { REPORT_LIMITS, type ReportBucket, type ReportDimension, type ReportQuery } from "./reports.schema";

/**
 * Reports read the daily rollup (report_daily), kept exact by database triggers as conversation cycles
 * open, get their first response, resolve and reopen, and as NPS answers arrive (drizzle/0040). A report is
 * one indexed range read of at most (days × departments × agents × instances) rows, whatever the number of
 * conversations — the 1 M-conversation bench (tests/bench/reports.ts) keeps it under 500 ms.
 * Everything about a cycle counts on the day it started; an NPS answer on the day it was given.
 */

/** The numbers of one row of a report. Averages in seconds; NPS = % promoters − % detractors; null without data. */
export type ReportMetrics = {
  conversations: number;
  firstResponses: number;
  avgFirstResponseSeconds: number | null;
  resolved: number;
  botResolved: number;
  humanResolved: number;
  avgResolutionSeconds: number | null;
  npsAnswers: number;
  avgNps: number | null;
  nps: number | null;
};
export type ReportRow = ReportMetrics & { key: string | null; label: string | null };
export type Report = {
  from: string;
  to: string;
  timeZone: string;
  bucket: ReportBucket;
  groupBy: ReportDimension;
  totals: ReportMetrics;
  /** One row per bucket (the bucket's first day, `YYYY-MM-DD`), only buckets with data. */
  series: ReportRow[];
  /** One row per agent / department / instance (empty when groupBy is none). */
  groups: ReportRow[];
};

/** Supervisors and above read reports; a `/v1` key's scope was checked by its route. */
export function assertReportReader(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.superviseConversations(caller.role))) throw forbidden(tText("reports:errors.forbidden"));
}

type Sums = {
  conversations: number;
  first_responses: number;
  first_response_seconds: number;
  resolved: number;
  bot_resolved: number;
  human_resolved: number;
  resolution_seconds: number;
  nps_answers: number;
  nps_sum: number;
  promoters: number;
  detractors: number;
};

const round1 = (n: number) => Math.round(n * 10) / 10;

function metricsOf(s: Sums): ReportMetrics {
  const n = (v: unknown) => Number(v ?? 0);
  const firstResponses = n(s.first_responses);
  const resolved = n(s.resolved);
  const npsAnswers = n(s.nps_answers);
  return {
    conversations: n(s.conversations),
    firstResponses,
    avgFirstResponseSeconds: firstResponses > 0 ? Math.round(n(s.first_response_seconds) / firstResponses) : null,
    resolved,
    botResolved: n(s.bot_resolved),
    humanResolved: n(s.human_resolved),
    avgResolutionSeconds: resolved > 0 ? Math.round(n(s.resolution_seconds) / resolved) : null,
    npsAnswers,
    avgNps: npsAnswers > 0 ? round1(n(s.nps_sum) / npsAnswers) : null,
    nps: npsAnswers > 0 ? Math.round(((n(s.promoters) - n(s.detractors)) * 100) / npsAnswers) : null,
  };
}

const SUMS = sql`sum(report_daily.conversations)::int as conversations, sum(report_daily.first_responses)::int as first_responses,
  sum(report_daily.first_response_seconds)::float8 as first_response_seconds, sum(report_daily.resolved)::int as resolved, sum(report_daily.bot_resolved)::int as bot_resolved,
  sum(report_daily.human_resolved)::int as human_resolved, sum(report_daily.resolution_seconds)::float8 as resolution_seconds, sum(report_daily.nps_answers)::int as nps_answers,
  sum(report_daily.nps_sum)::int as nps_sum, sum(report_daily.promoters)::int as promoters, sum(report_daily.detractors)::int as detractors`;

/** The day `at` falls on in `timeZone` (`YYYY-MM-DD`). */
export function dayInZone(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }).format(at);
}

export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export async function organizationTimeZone(organizationId: string, tx: DbOrTx = db): Promise<string> {
  const [org] = await tx.select({ timeZone: organizations.timeZone }).from(organizations).where(eq(organizations.id, organizationId)).limit(1);
  return org?.timeZone ?? DEFAULT_TIME_ZONE;
}

/** Sums of the rollup for an organization's days [from, to], grouped by `keys` (SQL expressions over `r`). */
export async function rollupSums(
  organizationId: string,
  range: { from: string; to: string },
  filters: Pick<ReportQuery, "departmentId" | "agentUserId" | "instanceId">,
  keys: SQL | null,
  tx: DbOrTx = db,
): Promise<(Sums & { key: string | null; label: string | null })[]> {
  const where = and(
    eq(reportDaily.organizationId, organizationId),
    gte(reportDaily.day, range.from),
    lte(reportDaily.day, range.to),
    filters.departmentId ? eq(reportDaily.departmentId, filters.departmentId) : undefined,
    filters.agentUserId ? eq(reportDaily.agentUserId, filters.agentUserId) : undefined,
    filters.instanceId ? eq(reportDaily.instanceId, filters.instanceId) : undefined,
  );
  const rows = await tx.execute(
    keys
      ? sql`select k.key, k.label, ${SUMS} from ${reportDaily} cross join lateral (${keys}) k where ${where} group by k.key, k.label order by k.key`
      : sql`select null as key, null as label, ${SUMS} from ${reportDaily} where ${where}`,
  );
  return rowsOf<Sums & { key: string | null; label: string | null }>(rows);
}

function periodKey(bucket: ReportBucket): SQL {
  return sql`select to_char(date_trunc(${bucket}, report_daily.day::timestamp), 'YYYY-MM-DD') as key, null::text as label`;
}

function dimensionKey(dimension: Exclude<ReportDimension, "none">): SQL {
  switch (dimension) {
    case "agent":
      return sql`select report_daily.agent_user_id::text as key, (select coalesce(u.name, u.email) from users u where u.id = report_daily.agent_user_id) as label`;
    case "department":
      return sql`select report_daily.department_id::text as key, (select d.name from departments d where d.id = report_daily.department_id) as label`;
    case "instance":
      return sql`select report_daily.instance_id::text as key, (select i.name from instances i where i.id = report_daily.instance_id) as label`;
  }
}

/** Resolves the query's period (default: the last 30 days up to today in the organization's zone). */
export function reportRange(query: Pick<ReportQuery, "from" | "to">, timeZone: string, now = new Date()): { from: string; to: string } {
  const to = query.to ?? (query.from ? addDays(query.from, REPORT_LIMITS.defaultDays - 1) : dayInZone(now, timeZone));
  const from = query.from ?? addDays(to, -(REPORT_LIMITS.defaultDays - 1));
  return { from, to };
}

/** Conversations, first-response and resolution times, bot vs human resolutions and NPS for a period. */
export async function conversationReport(caller: Caller, query: ReportQuery, now = new Date(), tx: DbOrTx = db): Promise<Report> {
  assertReportReader(caller);
  const organizationId = organizationOf(caller);
  const timeZone = await organizationTimeZone(organizationId, tx);
  const range = reportRange(query, timeZone, now);
  const bucket = query.bucket ?? "day";
  const groupBy = query.groupBy ?? "none";
  const [totals, series, groups] = await Promise.all([
    rollupSums(organizationId, range, query, null, tx),
    rollupSums(organizationId, range, query, periodKey(bucket), tx),
    groupBy === "none" ? Promise.resolve([]) : rollupSums(organizationId, range, query, dimensionKey(groupBy), tx),
  ]);
  const row = (r: Sums & { key: string | null; label: string | null }): ReportRow => ({ key: r.key, label: r.label ?? r.key, ...metricsOf(r) });
  return {
    ...range,
    timeZone,
    bucket,
    groupBy,
    totals: metricsOf(totals[0] as Sums),
    series: series.map(row),
    groups: groups.map(row).sort((a, b) => b.conversations - a.conversations || String(a.label).localeCompare(String(b.label))),
  };
}

/** The start of day `day` in `timeZone` as an instant (for callers that need raw-table bounds). */
export function dayStart(day: string, timeZone: string): Date {
  return zonedWallTimeToDate(`${day}T00:00:00`, timeZone);
}

/**
 * Recomputes an organization's rollup from its cycles and NPS answers (after a time-zone change, or a bulk
 * load with triggers off). The triggers keep it equal to this at all times; the tests check exactly that.
 */
export async function rebuildRollup(organizationId: string, tx: DbOrTx = db): Promise<void> {
  await tx.execute(sql`delete from report_daily where organization_id = ${organizationId}`);
  await tx.execute(sql`
    insert into report_daily (organization_id, day, department_id, agent_user_id, instance_id, conversations, first_responses,
      first_response_seconds, resolved, bot_resolved, human_resolved, resolution_seconds, nps_answers, nps_sum, promoters, detractors)
    select organization_id, day, department_id, agent_user_id, instance_id, sum(conversations), sum(first_responses), sum(first_response_seconds),
      sum(resolved), sum(bot_resolved), sum(human_resolved), sum(resolution_seconds), sum(nps_answers), sum(nps_sum), sum(promoters), sum(detractors)
    from (
      select organization_id, day, department_id, agent_user_id, instance_id, 1 as conversations,
        (first_response_at is not null)::int as first_responses,
        coalesce(extract(epoch from first_response_at - started_at), 0) as first_response_seconds,
        (resolved_at is not null)::int as resolved, (resolved_by is not distinct from 'bot')::int as bot_resolved,
        (resolved_by is not distinct from 'human')::int as human_resolved, coalesce(extract(epoch from resolved_at - started_at), 0) as resolution_seconds,
        0 as nps_answers, 0 as nps_sum, 0 as promoters, 0 as detractors
      from conversation_cycles where organization_id = ${organizationId}
      union all
      select organization_id, report_zone_day(organization_id, answered_at), department_id, agent_user_id, instance_id, 0, 0, 0, 0, 0, 0, 0,
        1, nps_score, (nps_score >= 9)::int, (nps_score <= 6)::int
      from satisfaction_feedback where organization_id = ${organizationId} and nps_score is not null and answered_at is not null
    ) c
    group by organization_id, day, department_id, agent_user_id, instance_id`);
}

/** The choices of the report's filters: the organization's departments, members and instances. */
export async function reportFilterOptions(caller: Caller, tx: DbOrTx = db) {
  assertReportReader(caller);
  const organizationId = organizationOf(caller);
  const [departmentRows, agentRows, instanceRows] = await Promise.all([
    tx.select({ id: departments.id, name: departments.name }).from(departments).where(eq(departments.organizationId, organizationId)).orderBy(departments.name),
    tx
      .select({ id: users.id, name: sql<string>`coalesce(${users.name}, ${users.email})` })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.organizationId, organizationId))
      .orderBy(sql`2`),
    tx.select({ id: instances.id, name: instances.name }).from(instances).where(eq(instances.organizationId, organizationId)).orderBy(instances.name),
  ]);
  return { departments: departmentRows, agents: agentRows, instances: instanceRows };
}
