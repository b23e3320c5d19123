import { and, asc, eq, gte, lte, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { instances, usageDaily, usageLimits, USAGE_METRICS } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { Caller } from "@/lib/caller";
import { pgCode, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { instanceOfTenant, organizationOf } from "@/lib/tenant";
import { log } from "@/lib/logger";
import { USAGE_LIMITS, type UsageQuery } from "./usage.schema";

export type UsageMetric = (typeof USAGE_METRICS)[number];
const NONE = "00000000-0000-0000-0000-000000000000";

/** Atomic upsert-increment of today's (UTC) counter. Unclaimed tenants (no organization) are not metered. */
export async function incrementUsage(
  input: { organizationId: string | null; instanceId?: string | null; apiKeyId?: string | null; metric: UsageMetric; by?: number; at?: Date },
  tx: DbOrTx = db,
): Promise<void> {
  if (!input.organizationId) return;
  const day = (input.at ?? new Date()).toISOString().slice(0, 10);
  const by = input.by ?? 1;
  await tx
    .insert(usageDaily)
    .values({
      organizationId: input.organizationId,
      instanceId: input.instanceId ?? NONE,
      apiKeyId: input.apiKeyId ?? NONE,
      day,
      metric: input.metric,
      count: by,
    })
    .onConflictDoUpdate({
      target: [usageDaily.organizationId, usageDaily.instanceId, usageDaily.apiKeyId, usageDaily.day, usageDaily.metric],
      set: { count: sql`${usageDaily.count} + ${by}` },
    });
}

// ——— API-call metering: counted in memory, flushed in batches ———

type Pending = { organizationId: string; instanceId: string; apiKeyId: string; day: string; metric: UsageMetric; count: number };
const pending = new Map<string, Pending>();
const pendingApiCalls = new Map<string, Pending>();
const FLUSH_INTERVAL_MS = 5_000;
let flushTimer: ReturnType<typeof setInterval> | undefined;
let flushing: Promise<number> | undefined;

/**
 * Counts one `/v1` call without touching the database on the request path: calls are summed in
 * memory per (organization, instance, key, day) and written every few seconds by flushUsage().
 * A crash loses at most the last few seconds of call counts — acceptable for metering, and it keeps
 * a hot key from turning every request into a contended row update.
 */
export function meterApiCall(input: { organizationId: string | null; instanceId?: string | null; apiKeyId?: string | null }, at = Date.now()): void {
  if (!input.organizationId) return;
  // Hot path of every /v1 request: one Map lookup on the key id (a key's organization and instance
  // never change), instead of building and hashing the full five-part counter key.
  const day = utcDay(at);
  const apiKeyId = input.apiKeyId ?? NONE;
  let p = pendingApiCalls.get(apiKeyId);
  if (p && p.day !== day) {
    addPending(p);
    p = undefined;
  }
  if (!p) {
    p = { organizationId: input.organizationId, instanceId: input.instanceId ?? NONE, apiKeyId, day, metric: "api_calls", count: 0 };
    pendingApiCalls.set(apiKeyId, p);
  }
  p.count += 1;
  startUsageFlusher();
}

/** Moves the per-key api_calls counters into the general batch (before a flush or a count). */
function foldApiCalls() {
  for (const p of pendingApiCalls.values()) if (p.count > 0) addPending(p);
  pendingApiCalls.clear();
}

/**
 * The batched form of incrementUsage for any metric, for hot paths where a counter that may lag a
 * few seconds (and lose those seconds on a crash) beats a contended row lock inside the transaction.
 */
export function meterUsage(
  input: { organizationId: string | null; instanceId?: string | null; apiKeyId?: string | null; metric: UsageMetric; by?: number },
  at = new Date(),
): void {
  if (!input.organizationId) return;
  addPending({
    organizationId: input.organizationId,
    instanceId: input.instanceId ?? NONE,
    apiKeyId: input.apiKeyId ?? NONE,
    day: utcDay(at.getTime()),
    metric: input.metric,
    count: input.by ?? 1,
  });
  startUsageFlusher();
}

let dayCache = { from: 0, until: 0, day: "" };

/** "YYYY-MM-DD" (UTC) of the time `t` (ms); cached for the current day because it runs on every /v1 request. */
function utcDay(t: number): string {
  if (t < dayCache.from || t >= dayCache.until) {
    const from = t - (t % 86_400_000);
    dayCache = { from, until: from + 86_400_000, day: new Date(from).toISOString().slice(0, 10) };
  }
  return dayCache.day;
}

function addPending(p: Pending) {
  const key = `${p.organizationId}|${p.instanceId}|${p.apiKeyId}|${p.day}|${p.metric}`;
  const existing = pending.get(key);
  if (existing) existing.count += p.count;
  else pending.set(key, { ...p });
}

/** Counts buffered in this process and not yet written (for tests and the metrics endpoint). */
export function pendingUsageCount(): number {
  foldApiCalls();
  let n = 0;
  for (const p of pending.values()) n += p.count;
  return n;
}

/**
 * Writes buffered counters: one multi-row upsert, one row per (org, instance, key, day, metric),
 * each adding its batch atomically (`count = count + excluded.count`) so concurrent flushes of many
 * processes never lose an increment. A failed write puts the batch back for the next flush.
 */
export async function flushUsage(): Promise<number> {
  // Wait for a flush in flight, so "after await flushUsage() everything is written" holds for every caller.
  while (flushing) await flushing.catch(() => {});
  foldApiCalls();
  if (pending.size === 0) return 0;
  const batch = [...pending.values()];
  pending.clear();
  flushing = (async () => {
    try {
      await db
        .insert(usageDaily)
        .values(batch)
        .onConflictDoUpdate({
          target: [usageDaily.organizationId, usageDaily.instanceId, usageDaily.apiKeyId, usageDaily.day, usageDaily.metric],
          set: { count: sql`${usageDaily.count} + excluded.count` },
        });
      return batch.length;
    } catch (err) {
      // 23503: the organization, instance or key was deleted meanwhile; those counts have nowhere to go.
      if (pgCode(err) === "23503") return flushOneByOne(batch);
      for (const p of batch) addPending(p);
      throw err;
    }
  })();
  try {
    return await flushing;
  } finally {
    flushing = undefined;
  }
}

async function flushOneByOne(batch: Pending[]): Promise<number> {
  let written = 0;
  for (const p of batch) {
    try {
      await incrementUsage({ ...p, by: p.count, at: new Date(`${p.day}T12:00:00Z`) });
      written++;
    } catch (err) {
      if (pgCode(err) !== "23503") addPending(p);
    }
  }
  return written;
}

/** Starts the periodic flush (idempotent; the timer does not keep the process alive). */
export function startUsageFlusher(): void {
  if (flushTimer) return;
  flushTimer = setInterval(() => {
    flushUsage().catch((err) => log.warn("usage flush failed; will retry", { err }));
  }, FLUSH_INTERVAL_MS);
  flushTimer.unref?.();
}

/** Stops the timer and writes what is buffered (graceful shutdown). */
export async function stopUsageFlusher(): Promise<void> {
  clearInterval(flushTimer);
  flushTimer = undefined;
  await flushUsage().catch((err) => log.warn("final usage flush failed", { err }));
}

// ——— AI tokens: metered per turn, limited per calendar month ———

/** Tokens a model turn used, counted at once (not batched): the monthly limit reads them before the next turn. */
export async function recordAiTokens(input: { organizationId: string | null; instanceId?: string | null; tokens: number }, tx: DbOrTx = db): Promise<void> {
  if (!input.organizationId || !(input.tokens > 0)) return;
  await incrementUsage({ organizationId: input.organizationId, instanceId: input.instanceId, metric: "ai_tokens", by: Math.round(input.tokens) }, tx);
}

/** The first day (UTC) of `now`'s month. */
const monthStart = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);

export type AiTokenBudget = { used: number; limit: number | null; month: string };

/** Tokens used this calendar month (UTC) and the organization's monthly limit (null: none). */
export async function aiTokenBudget(organizationId: string, now = new Date(), tx: DbOrTx = db): Promise<AiTokenBudget> {
  const month = monthStart(now);
  const [used] = await tx
    .select({ n: sql<string>`coalesce(sum(${usageDaily.count}), 0)` })
    .from(usageDaily)
    .where(and(eq(usageDaily.organizationId, organizationId), eq(usageDaily.metric, "ai_tokens"), gte(usageDaily.day, month)));
  const [row] = await tx.select({ limit: usageLimits.aiTokensPerMonth }).from(usageLimits).where(eq(usageLimits.organizationId, organizationId)).limit(1);
  return { used: Number(used?.n ?? 0), limit: row?.limit ?? null, month: month.slice(0, 7) };
}

/** Whether another model turn may start: false once this month's tokens reached the limit. */
export async function aiTokensAvailable(organizationId: string, now = new Date()): Promise<boolean> {
  const budget = await aiTokenBudget(organizationId, now);
  return budget.limit === null || budget.used < budget.limit;
}

/** Sets (or with null removes) the organization's monthly AI token limit. */
export async function setAiTokenLimit(caller: Caller, limit: number | null): Promise<void> {
  const organizationId = organizationOf(caller);
  await inTransaction(undefined, async (tx) => {
    await tx
      .insert(usageLimits)
      .values({ organizationId, aiTokensPerMonth: limit })
      .onConflictDoUpdate({ target: usageLimits.organizationId, set: { aiTokensPerMonth: limit } });
    await auditChange(tx, organizationId, caller, "usage.ai_token_limit_set", { type: "organization", id: organizationId }, { aiTokensPerMonth: limit });
  });
}

// ——— Reports ———

export type UsageDay = { day: string } & Record<UsageMetric, number>;
export type UsageReport = {
  from: string;
  to: string;
  instanceId: string | null;
  totals: Record<UsageMetric, number>;
  /** One entry per day of the range, oldest first, zeros included (charts need the gaps). */
  days: UsageDay[];
};

const DAY_MS = 86_400_000;
const dayString = (d: Date) => d.toISOString().slice(0, 10);
const zeroMetrics = () => Object.fromEntries(USAGE_METRICS.map((m) => [m, 0])) as Record<UsageMetric, number>;

/**
 * Resolves `from`/`to` (inclusive UTC days; default: the last 30 days) and rejects reversed or
 * over-long ranges with field errors.
 */
export function resolveUsageRange(query: UsageQuery, now = new Date()): { from: string; to: string } {
  const to =
    query.to ??
    (query.from
      ? dayString(new Date(Math.min(now.getTime(), Date.parse(`${query.from}T00:00:00Z`) + (USAGE_LIMITS.defaultRangeDays - 1) * DAY_MS)))
      : dayString(now));
  const from = query.from ?? dayString(new Date(Date.parse(`${to}T00:00:00Z`) - (USAGE_LIMITS.defaultRangeDays - 1) * DAY_MS));
  const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (span < 1) throw validationFailed([{ path: "to", message: tText("usage:errors.toBeforeFrom") }], tText("usage:errors.range"));
  if (span > USAGE_LIMITS.maxRangeDays) {
    throw validationFailed([{ path: "to", message: tText("usage:errors.tooLong", { count: USAGE_LIMITS.maxRangeDays }) }], tText("usage:errors.range"));
  }
  return { from, to };
}

/**
 * Per-day and total counts of every metric for the organization (optionally one instance of it).
 * An instance of another organization is a 404, like any foreign id.
 */
export async function usageReport(organizationId: string, query: UsageQuery, now = new Date()): Promise<UsageReport> {
  const { from, to } = resolveUsageRange(query, now);
  const instanceId = query.instanceId ?? null;
  if (instanceId) await instanceOfTenant({ tenant: { organizationId } }, instanceId);
  const rows = await db
    .select({ day: usageDaily.day, metric: usageDaily.metric, count: sql<string>`sum(${usageDaily.count})` })
    .from(usageDaily)
    .where(
      and(
        eq(usageDaily.organizationId, organizationId),
        gte(usageDaily.day, from),
        lte(usageDaily.day, to),
        instanceId ? eq(usageDaily.instanceId, instanceId) : undefined,
      ),
    )
    .groupBy(usageDaily.day, usageDaily.metric);

  const byDay = new Map<string, UsageDay>();
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    const day = dayString(new Date(t));
    byDay.set(day, { day, ...zeroMetrics() });
  }
  const totals = zeroMetrics();
  for (const r of rows) {
    const metric = r.metric as UsageMetric;
    if (!(metric in totals)) continue;
    const n = Number(r.count);
    byDay.get(String(r.day))![metric] += n;
    totals[metric] += n;
  }
  return { from, to, instanceId, totals, days: [...byDay.values()] };
}

/** Instances of the organization for the page's filter. */
export async function usageInstanceOptions(organizationId: string) {
  return db.select({ id: instances.id, name: instances.name }).from(instances).where(eq(instances.organizationId, organizationId)).orderBy(asc(instances.name));
}
