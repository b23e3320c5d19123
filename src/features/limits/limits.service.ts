import { and, eq, gte, sql } from "drizzle-orm";
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
  maxInstances: 2,
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

/**
 * Counts one request against the key's sliding-window budget, puts the X-RateLimit-* headers on the
 * response (`set.headers`, which onError also copies onto error responses) and throws 429
 * `rate_limited` with Retry-After when the budget is spent.
 */
export async function enforceApiRateLimit(
  key: Pick<VerifiedApiKey, "id" | "organizationId" | "requestsPerMinute">,
  set: { headers: Record<string, string | number> },
): Promise<RateLimitResult> {
  const result = await rateLimiter().hit(`key:${key.id}`, requestsPerMinuteFor(key), MINUTE_MS);
  const headers = rateLimitHeaders(result);
  Object.assign(set.headers, headers);
  if (!result.allowed) {
    throw new AppError("rate_limited", `Rate limit of ${result.limit} requests per minute exceeded; retry in ${result.retryAfter} s`, undefined, headers);
  }
  return result;
}

/** Seconds until the next UTC midnight, when daily counters start over. */
export function secondsUntilUtcMidnight(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

export type DailyQuota = { limit: number; used: number; remaining: number; resetAt: number };

/**
 * Checks the instance's daily outbound-message quota before `count` more messages are queued, and
 * throws 429 `quota_exceeded` (Retry-After: until UTC midnight) when they would not fit.
 *
 * Call it inside the transaction that queues the message(s): it takes a per-instance advisory lock
 * held until commit, so concurrent senders on any process queue one after another and cannot both
 * take the last slot. The count is today's `messages_sent` in usage_daily, which the caller
 * increments in that same transaction (incrementUsage); unclaimed instances are not metered, so for
 * them today's outbound messages are counted directly.
 */
export async function checkDailyMessageQuota(
  input: {
    organizationId: string | null;
    instanceId: string;
    /** The calling key's override (VerifiedApiKey.maxMessagesPerDay), when sent through the API. */
    apiKey?: { maxMessagesPerDay: number | null } | null;
    count?: number;
    now?: Date;
  },
  tx: DbOrTx = db,
): Promise<DailyQuota> {
  const count = input.count ?? 1;
  const now = input.now ?? new Date();
  const day = now.toISOString().slice(0, 10);
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`livchat:quota:${input.instanceId}`}, 0))`);

  const [row] = await tx
    .select({ instanceLimit: instances.maxMessagesPerDay, organizationLimit: organizations.maxMessagesPerDay })
    .from(instances)
    .leftJoin(organizations, eq(organizations.id, instances.organizationId))
    .where(
      and(
        eq(instances.id, input.instanceId),
        input.organizationId ? eq(instances.organizationId, input.organizationId) : sql`${instances.organizationId} is null`,
      ),
    );
  if (!row) throw notFound("Instance");
  const limit = resolveLimit(input.apiKey?.maxMessagesPerDay, row.instanceLimit, row.organizationLimit, UNCLAIMED_LIMITS.maxMessagesPerDay);

  let used: number;
  if (input.organizationId) {
    const [sum] = await tx
      .select({ used: sql<string>`coalesce(sum(${usageDaily.count}), 0)` })
      .from(usageDaily)
      .where(
        and(
          eq(usageDaily.organizationId, input.organizationId),
          eq(usageDaily.day, day),
          eq(usageDaily.instanceId, input.instanceId),
          eq(usageDaily.metric, "messages_sent"),
        ),
      );
    used = Number(sum?.used ?? 0);
  } else {
    const since = new Date(`${day}T00:00:00.000Z`);
    const [sum] = await tx
      .select({ used: sql<string>`count(*)` })
      .from(messages)
      .where(and(eq(messages.instanceId, input.instanceId), eq(messages.direction, "outbound"), gte(messages.createdAt, since)));
    used = Number(sum?.used ?? 0);
  }

  const retryAfter = secondsUntilUtcMidnight(now);
  const quota = { limit, used, remaining: Math.max(0, limit - used), resetAt: Math.ceil(now.getTime() / 1000) + retryAfter };
  if (used + count > limit) {
    throw new AppError("quota_exceeded", `Daily message limit of ${limit} for this instance reached; it resets at 00:00 UTC`, undefined, {
      "retry-after": String(retryAfter),
    });
  }
  return quota;
}
