import { and, eq, gte, isNull, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { instances, messages, organizations, usageDaily } from "@/db/schema";
import { AppError, notFound } from "@/lib/errors";
import type { VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { MINUTE_MS, rateLimiter, type RateLimitResult } from "./rate-limit";

/**
 * Limits of SPEC §6. Every limit resolves the same way: the API key's override, else the instance's
 * override, else the organization's plan. Unclaimed (try-before-sign-up) credentials have no plan and
 * get the small defaults below.
 */
export const UNCLAIMED_LIMITS = {
  requestsPerMinute: 60,
  maxMessagesPerDay: 100,
  /** Enforced by the instances feature (VISITOR_MAX_INSTANCES mirrors it). */
  maxInstances: 1,
} as const;

type Override = number | null | undefined;

/** First configured value in precedence order: key → instance → organization → fallback. */
export function resolveLimit(key: Override, instance: Override, organization: Override, fallback: number): number {
  return key ?? instance ?? organization ?? fallback;
}

export type EffectiveLimits = { requestsPerMinute: number; maxMessagesPerDay: number };

/** The limits that apply to one request context; any part may be absent. */
export function effectiveLimits(input: {
  key?: { requestsPerMinute?: Override; maxMessagesPerDay?: Override } | null;
  instance?: { maxMessagesPerDay?: Override } | null;
  organization?: { apiRequestsPerMinute?: Override; maxMessagesPerDay?: Override } | null;
}): EffectiveLimits {
  return {
    // Instances carry no request-rate override (the schema has none): key → organization.
    requestsPerMinute: resolveLimit(input.key?.requestsPerMinute, undefined, input.organization?.apiRequestsPerMinute, UNCLAIMED_LIMITS.requestsPerMinute),
    maxMessagesPerDay: resolveLimit(
      input.key?.maxMessagesPerDay,
      input.instance?.maxMessagesPerDay,
      input.organization?.maxMessagesPerDay,
      UNCLAIMED_LIMITS.maxMessagesPerDay,
    ),
  };
}

/**
 * The per-minute budget of a verified key. Verification already resolved key override ?? plan
 * (cached with the key, so plan changes apply within the key cache TTL); unclaimed keys get the small default.
 */
export function requestsPerMinuteFor(key: Pick<VerifiedApiKey, "organizationId" | "requestsPerMinute">): number {
  return key.organizationId ? key.requestsPerMinute : Math.min(key.requestsPerMinute, UNCLAIMED_LIMITS.requestsPerMinute);
}

/** Response headers describing a rate-limit decision. */
export function rateLimitHeaders(r: RateLimitResult): Record<string, string> {
  const headers: Record<string, string> = {
    "x-ratelimit-limit": String(r.limit),
    "x-ratelimit-remaining": String(r.remaining),
    "x-ratelimit-reset": String(r.resetAt),
  };
  if (!r.allowed) headers["retry-after"] = String(r.retryAfter);
  return headers;
}

/** The limiter key of each API key id, built once: a fresh `key:${id}` per request is a concatenation and a string to hash. */
const limiterKeys = new Map<string, string>();
function limiterKeyOf(id: string): string {
  let key = limiterKeys.get(id);
  if (key === undefined) {
    // Ids of deleted keys would otherwise stay forever; a full map starts over (it only saves work).
    if (limiterKeys.size >= 10_000) limiterKeys.clear();
    key = `key:${id}`;
    limiterKeys.set(id, key);
  }
  return key;
}

/** Header values that repeat from request to request (a key's limit, the window's end), stringified once. */
const lastText = { limit: Number.NaN, limitText: "", resetAt: Number.NaN, resetText: "" };

/**
 * Counts one request against the key's sliding-window budget, puts the X-RateLimit-* headers on the
 * response (`set.headers`, which onError also copies onto error responses) and throws 429
 * `rate_limited` with Retry-After when the budget is spent. Synchronous with the in-process limiter
 * (a promise only with Redis), because it runs on every /v1 request.
 */
export function enforceApiRateLimit(
  key: Pick<VerifiedApiKey, "id" | "organizationId" | "requestsPerMinute">,
  set: { headers: Record<string, string | number> },
): RateLimitResult | Promise<RateLimitResult> {
  const outcome = rateLimiter().hit(limiterKeyOf(key.id), requestsPerMinuteFor(key), MINUTE_MS);
  return outcome instanceof Promise ? outcome.then((result) => applyRateLimit(result, set)) : applyRateLimit(outcome, set);
}

function applyRateLimit(result: RateLimitResult, set: { headers: Record<string, string | number> }): RateLimitResult {
  if (!result.allowed) {
    const headers = rateLimitHeaders(result);
    Object.assign(set.headers, headers);
    throw new AppError("rate_limited", `Rate limit of ${result.limit} requests per minute exceeded; retry in ${result.retryAfter} s`, undefined, headers);
  }
  // The allowed path writes the three headers straight onto the response (what rateLimitHeaders builds).
  if (result.limit !== lastText.limit) {
    lastText.limit = result.limit;
    lastText.limitText = String(result.limit);
  }
  if (result.resetAt !== lastText.resetAt) {
    lastText.resetAt = result.resetAt;
    lastText.resetText = String(result.resetAt);
  }
  const headers = set.headers;
  headers["x-ratelimit-limit"] = lastText.limitText;
  headers["x-ratelimit-remaining"] = String(result.remaining);
  headers["x-ratelimit-reset"] = lastText.resetText;
  return result;
}

/** Seconds until the next UTC midnight, when daily counters start over. */
export function secondsUntilUtcMidnight(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

export type DailyQuota = { limit: number; used: number; remaining: number; resetAt: number };

type QuotaInstance = Pick<typeof instances.$inferSelect, "id" | "name" | "organizationId" | "maxMessagesPerDay">;

/**
 * Outbound messages of an instance that count against today's limit: those sent today (usage_daily
 * `messages_sent`, incremented by the outbound worker when the provider accepts a message) plus those
 * still waiting in the queue — otherwise a burst could queue far past the limit before any is sent.
 * Unclaimed sandboxes are not metered in usage_daily, so theirs are counted on the messages table.
 */
async function messagesUsedToday(tx: DbOrTx, instance: QuotaInstance, now: Date): Promise<number> {
  const day = now.toISOString().slice(0, 10);
  if (!instance.organizationId) {
    const [row] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(messages)
      .where(
        and(
          eq(messages.instanceId, instance.id),
          eq(messages.direction, "outbound"),
          sql`${messages.status} <> 'failed'`,
          gte(messages.createdAt, new Date(`${day}T00:00:00.000Z`)),
        ),
      );
    return row?.n ?? 0;
  }
  const [sent] = await tx
    .select({ n: sql<number>`coalesce(sum(${usageDaily.count}), 0)::int` })
    .from(usageDaily)
    .where(
      and(
        eq(usageDaily.organizationId, instance.organizationId),
        eq(usageDaily.instanceId, instance.id),
        eq(usageDaily.day, day),
        eq(usageDaily.metric, "messages_sent"),
      ),
    );
  // Served by the partial index messages_outbox_due_idx (queued outbound only).
  const [queued] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(messages)
    .where(and(eq(messages.status, "queued"), eq(messages.direction, "outbound"), eq(messages.instanceId, instance.id)));
  return (sent?.n ?? 0) + (queued?.n ?? 0);
}

/**
 * Checks the instance's daily outbound-message quota before `count` more messages are queued, and
 * throws 429 `quota_exceeded` (Retry-After: until UTC midnight) when they would not fit.
 * Effective limit = the key's override ?? the instance's override ?? the organization's plan
 * (unclaimed instances: UNCLAIMED_LIMITS.maxMessagesPerDay).
 *
 * Call it inside the transaction that queues the message(s). It takes a per-instance advisory lock
 * held until commit, so concurrent senders on any process go one after another and cannot both take
 * the last slot (its place in the lock order: src/db/lock-order.ts).
 * Pass the instance row when you have it (no extra read), or just its id.
 */
export async function checkDailyMessageQuota(
  input: {
    organizationId?: string | null;
    instanceId?: string;
    instance?: QuotaInstance;
    /** The calling key's override (VerifiedApiKey.maxMessagesPerDay), when sent through the API. */
    apiKey?: { maxMessagesPerDay: number | null | undefined } | null;
    count?: number;
    now?: Date;
  },
  tx: DbOrTx = db,
): Promise<DailyQuota> {
  const count = input.count ?? 1;
  const now = input.now ?? new Date();
  let instance = input.instance;
  const instanceId = instance?.id ?? input.instanceId;
  if (!instanceId) throw new Error("checkDailyMessageQuota needs an instance or an instanceId");
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`livchat:quota:${instanceId}`}, 0))`);
  if (!instance) {
    const organizationId = input.organizationId ?? null;
    const [row] = await tx
      .select({ id: instances.id, name: instances.name, organizationId: instances.organizationId, maxMessagesPerDay: instances.maxMessagesPerDay })
      .from(instances)
      .where(and(eq(instances.id, instanceId), organizationId ? eq(instances.organizationId, organizationId) : isNull(instances.organizationId)));
    if (!row) throw notFound("Instance");
    instance = row;
  }
  let organizationLimit: number | null = null;
  if (instance.organizationId && input.apiKey?.maxMessagesPerDay == null && instance.maxMessagesPerDay == null) {
    const [org] = await tx.select({ max: organizations.maxMessagesPerDay }).from(organizations).where(eq(organizations.id, instance.organizationId));
    organizationLimit = org?.max ?? 0;
  }
  const limit = resolveLimit(input.apiKey?.maxMessagesPerDay, instance.maxMessagesPerDay, organizationLimit, UNCLAIMED_LIMITS.maxMessagesPerDay);
  const used = await messagesUsedToday(tx, instance, now);
  const retryAfter = secondsUntilUtcMidnight(now);
  const quota = { limit, used, remaining: Math.max(0, limit - used), resetAt: Math.ceil(now.getTime() / 1000) + retryAfter };
  if (used + count > limit) {
    throw new AppError("quota_exceeded", `Daily message limit of ${limit} reached for instance "${instance.name}"; it resets at 00:00 UTC`, undefined, {
      "retry-after": String(retryAfter),
    });
  }
  return quota;
}
