/**
 * Webhook delivery, the queue: settings, the retry schedule and clock, and claiming due deliveries
 * under a lease (released on shutdown). Sending is delivery.send.ts, the organization's log delivery.log.ts.
 */
import { and, eq, sql, type SQL } from "drizzle-orm";
import { config } from "@/config";
import { db, rowsOf } from "@/db/client";
import { webhookDeliveries } from "@/db/schema";
import { log } from "@/lib/logger";
import type { EventRow, WebhookRow } from "./delivery.send";

// ---------------------------------------------------------------------------------------------
// Settings, schedule and clock
// ---------------------------------------------------------------------------------------------

/** Worker tuning (the WEBHOOK_* settings of config.ts) and the request timeout. Tests mutate this object. */
export const deliverySettings = {
  ...config.webhookDelivery,
  /** A 2xx answer within this time is a success (SPEC §5). */
  timeoutMs: 15_000,
};
if (deliverySettings.leaseSeconds * 1000 < deliverySettings.timeoutMs + 5000) {
  log.warn("WEBHOOK_LEASE_SECONDS is shorter than the request timeout; slow subscribers may receive duplicates", {
    leaseSeconds: deliverySettings.leaseSeconds,
  });
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;
/** Delay before attempt n+1 (index n = attempts made so far): immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const RETRY_SCHEDULE_MS = [0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length;
/** An endpoint that has failed without a single success for this long is disabled. */
export const AUTO_DISABLE_AFTER_MS = 5 * 24 * H;
/** A subscriber's Retry-After is honoured up to the longest gap of the schedule. */
export const RETRY_AFTER_CAP_MS = 10 * H;
export const RESPONSE_EXCERPT_BYTES = 1024;

/**
 * The delivery clock: database `now()` shifted by an offset. Production keeps the offset at 0, so
 * every process schedules on the database's clock (no skew between app servers); tests advance it to
 * skip the retry schedule's waits instead of sleeping.
 */
let clockOffsetMs = 0;
export const deliveryClock = {
  now: () => new Date(Date.now() + clockOffsetMs),
  advance(ms: number) {
    clockOffsetMs += ms;
  },
  reset() {
    clockOffsetMs = 0;
  },
  get offsetMs() {
    return clockOffsetMs;
  },
};
/** `now()` on the delivery clock, as SQL. */
export function clockSql(): SQL {
  return sql`(now() + make_interval(secs => ${clockOffsetMs / 1000}::float8))`;
}
export function msInterval(ms: number): SQL {
  return sql`make_interval(secs => ${Math.round(ms) / 1000}::float8)`;
}

// ---------------------------------------------------------------------------------------------
// Claiming
// ---------------------------------------------------------------------------------------------

export type ClaimedDelivery = {
  id: string;
  webhookId: string;
  eventId: string;
  organizationId: string;
  attempts: number;
  /** Our lease, also the fencing token: every later write requires the row to still carry it. */
  leaseUntil: Date;
  /** What the request needs, fetched by the claim itself (no second query per delivery). */
  webhook: Pick<WebhookRow, "id" | "url" | "headersEnc" | "secretEnc" | "previousSecretEnc" | "previousSecretExpiresAt">;
  event: EventRow;
};

/**
 * Claims up to `budget` due deliveries for this process, fairly across endpoints: endpoints are
 * served oldest-waiting first, each gets at most `maxInFlightPerEndpoint` leased rows cluster-wide,
 * and the first delivery of every endpoint ranks before the second of any. Rows are locked with
 * FOR UPDATE SKIP LOCKED and leased in the same UPDATE … RETURNING. `next_attempt_at` moves to the
 * lease end, so a crashed worker's rows fall due again exactly when the lease runs out.
 *
 * One statement, one round trip: claims run after every finished request, so they are the hot path.
 * The per-endpoint cap is counted in the statement's snapshot; two processes claiming at the same
 * instant can briefly exceed it (bounded by processes × cap), which keeps fairness and avoids
 * serialising every claim in the cluster behind a lock.
 */
export async function claimDueDeliveries(budget = deliverySettings.maxInFlight): Promise<ClaimedDelivery[]> {
  if (budget <= 0) return [];
  const now = clockSql();
  const perEndpoint = deliverySettings.maxInFlightPerEndpoint;
  const lease = msInterval(deliverySettings.leaseSeconds * 1000);
  const due = (alias: string) => {
    const d = sql.raw(alias);
    return sql`${d}.status in ('pending', 'failed') and ${d}.next_attempt_at <= ${now} and (${d}.lease_until is null or ${d}.lease_until < ${now})`;
  };
  const result = await db.execute(sql`
      with hooks as (
        select w.id,
          (select min(d.next_attempt_at) from webhook_deliveries d
            where d.webhook_id = w.id and d.status in ('pending', 'failed')) as oldest
        from webhooks w
        where w.active
      ),
      due_hooks as (
        select h.id, h.oldest,
          ${perEndpoint}::int - (select count(*) from webhook_deliveries x
            where x.webhook_id = h.id and x.status in ('pending', 'failed')
              and x.next_attempt_at > ${now} and x.next_attempt_at <= ${now} + ${lease}
              and x.lease_until > ${now})::int as free
        from hooks h
        where h.oldest <= ${now}
        order by h.oldest
        limit 200
      ),
      -- Lock each endpoint's oldest due rows through its (webhook_id, next_attempt_at) index...
      locked as (
        select c.id, c.webhook_id, c.next_attempt_at, h.oldest from due_hooks h
        cross join lateral (
          select d.id, d.webhook_id, d.next_attempt_at
          from webhook_deliveries d
          where d.webhook_id = h.id and ${due("d")}
          order by d.next_attempt_at
          limit greatest(h.free, 0)
          for update skip locked
        ) c
      ),
      -- ...then take them round-robin (every endpoint's first before anyone's second) up to the budget.
      -- Rows locked beyond the budget are simply not updated; their locks end with the statement.
      picked as (
        select id from (
          select l.id, l.oldest, row_number() over (partition by l.webhook_id order by l.next_attempt_at) as rn
          from locked l
        ) ranked
        order by rn, oldest
        limit ${budget}
      )
      update webhook_deliveries u
      set lease_until = date_trunc('milliseconds', ${now} + ${lease}),
          next_attempt_at = date_trunc('milliseconds', ${now} + ${lease}),
          updated_at = now()
      from picked, webhooks w, events e
      where u.id = picked.id and w.id = u.webhook_id and e.id = u.event_id
      returning u.id, u.webhook_id, u.event_id, u.organization_id, u.attempts, u.lease_until,
        w.url, w.headers_enc, w.secret_enc, w.previous_secret_enc, w.previous_secret_expires_at,
        e.type as event_type, e.data as event_data, e.at as event_at, e.organization_id as event_organization_id,
        e.instance_id as event_instance_id, e.api_key_id as event_api_key_id, e.device_id as event_device_id,
        e.tx_id::text as event_tx_id
    `);
  return rowsOf<ClaimRow>(result).map(toClaim);
}

type ClaimRow = {
  id: string;
  webhook_id: string;
  event_id: string;
  organization_id: string;
  attempts: number;
  lease_until: Date | string;
  url: string;
  headers_enc: Record<string, string> | null;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | string | null;
  event_type: string;
  event_data: Record<string, unknown>;
  event_at: Date | string;
  event_organization_id: string | null;
  event_instance_id: string | null;
  event_api_key_id: string | null;
  event_device_id: string | null;
  event_tx_id: string;
};

/** Raw rows carry timestamps as text (postgres.js) or Date (PGlite). */
export const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

function toClaim(r: ClaimRow): ClaimedDelivery {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    eventId: r.event_id,
    organizationId: r.organization_id,
    attempts: r.attempts,
    leaseUntil: asDate(r.lease_until),
    webhook: {
      id: r.webhook_id,
      url: r.url,
      headersEnc: r.headers_enc ?? {},
      secretEnc: r.secret_enc,
      previousSecretEnc: r.previous_secret_enc,
      previousSecretExpiresAt: r.previous_secret_expires_at ? asDate(r.previous_secret_expires_at) : null,
    },
    event: {
      id: r.event_id,
      type: r.event_type,
      data: r.event_data,
      at: asDate(r.event_at),
      organizationId: r.event_organization_id,
      instanceId: r.event_instance_id,
      apiKeyId: r.event_api_key_id,
      deviceId: r.event_device_id,
      txId: r.event_tx_id,
    },
  };
}

/** Gives a claimed row back (shutdown, endpoint paused): due again now, lease cleared, no attempt counted. */
export async function releaseLease(claim: ClaimedDelivery): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ leaseUntil: null, nextAttemptAt: sql`${clockSql()}` })
    .where(and(eq(webhookDeliveries.id, claim.id), eq(webhookDeliveries.leaseUntil, claim.leaseUntil)));
}
