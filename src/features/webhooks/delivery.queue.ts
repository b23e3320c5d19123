/**
 * Webhook delivery, the queue: settings, the retry schedule and clock, and claiming due deliveries
 * under a lease (released on shutdown). Sending is delivery.send.ts, the organization's log delivery.log.ts.
 */
import { sql, type SQL } from "drizzle-orm";
import { config } from "@/config";
import { db, rowsOf } from "@/db/client";
import { log } from "@/lib/logger";
import { type Backoff, claimDue, type JobQueue, releaseLeases } from "@/workers/jobs";
import type { EventRow, WebhookRow } from "./delivery.send";

// ---------------------------------------------------------------------------------------------
// Settings, schedule and clock
// ---------------------------------------------------------------------------------------------

/**
 * Channel the retry loop LISTENs on: a delivery row made due now (manual retry, recover, `webhook.test`).
 * New events wake the cursor loop on DELIVERIES_QUEUED_CHANNEL instead, so the two claims run apart.
 */
export const DELIVERY_RETRIES_CHANNEL = "livchat_delivery_retries";

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
/**
 * The retry policy (jobs.backoffDelayMs): the schedule, plus up to 10 % (at most 1 s) so the retries of
 * deliveries that failed together (a subscriber's outage) do not all fall due in the same instant.
 */
export const DELIVERY_BACKOFF: Backoff = { scheduleMs: RETRY_SCHEDULE_MS, jitter: 0.1, maxJitterMs: S, retryAfterCapMs: RETRY_AFTER_CAP_MS };
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
  webhook: Pick<WebhookRow, "id" | "kind" | "url" | "headersEnc" | "secretEnc" | "previousSecretEnc" | "previousSecretExpiresAt" | "configEnc" | "sinkOptions">;
  event: EventRow;
};

/**
 * Webhook deliveries as a job queue (src/workers/jobs.ts): due when pending or failed and their next
 * attempt time has come; served fairly across endpoints — oldest-waiting endpoint first, at most
 * `maxInFlightPerEndpoint` leased rows each cluster-wide, every endpoint's first delivery before any
 * endpoint's second. A claim moves `next_attempt_at` to the lease end, so a crashed worker's rows fall
 * due again exactly when its lease runs out (and the (webhook_id, next_attempt_at) index finds them),
 * and returns what the request needs (no second query per delivery). One statement, one round trip:
 * claims run after every finished request, so they are the hot path.
 */
export const deliveryQueue: JobQueue = {
  table: "webhook_deliveries",
  lease: "lease_until",
  due: (d, now) => sql`${d}.status in ('pending', 'failed') and ${d}.next_attempt_at <= ${now}`,
  order: (d) => [sql`${d}.next_attempt_at`],
  set: (_now, leaseEnd) => sql`next_attempt_at = ${leaseEnd}, updated_at = now()`,
  from: sql`webhooks w, events e`,
  join: sql`w.id = u.webhook_id and e.id = u.event_id`,
  returning: sql`u.id, u.webhook_id, u.event_id, u.organization_id, u.attempts, u.lease_until,
    w.kind, w.url, w.headers_enc, w.secret_enc, w.previous_secret_enc, w.previous_secret_expires_at, w.config_enc, w.sink_options,
    e.type as event_type, e.data as event_data, e.at as event_at, e.organization_id as event_organization_id,
    e.instance_id as event_instance_id, e.api_key_id as event_api_key_id, e.device_id as event_device_id,
    e.tx_id::text as event_tx_id, e.expires_on::text as event_expires_on`,
  perKey: {
    column: "webhook_id",
    keys: () => sql`
      select w.id as key,
        (select min(d.next_attempt_at) from webhook_deliveries d where d.webhook_id = w.id and d.status in ('pending', 'failed')) as oldest
      from webhooks w
      where w.active`,
    // A leased row's next attempt is its lease end (set by the claim): counted through the same index.
    holding: (x, now, leaseEnd) =>
      sql`${x}.status in ('pending', 'failed') and ${x}.next_attempt_at > ${now} and ${x}.next_attempt_at <= ${leaseEnd} and ${x}.lease_until > ${now}`,
    cap: () => deliverySettings.maxInFlightPerEndpoint,
  },
};

/**
 * Whether any delivery row is due on the delivery clock, whatever its endpoint or lease: one probe of
 * each partition's due index. The claim below is planned on every call and names `webhook_deliveries`
 * four times and `events` once: with a month of daily partitions that took 12–18 ms of planning for
 * 2–3 ms of work, once a second in every process, though nothing is due most of the time. This probe
 * plans in 1–2 ms and runs in 0.1–0.2 ms (measured on the bench's history database, 35 partitions).
 * A row that falls due just after it answers no is claimed by the next pass, as if the claim had run
 * a moment earlier.
 */
async function anyDeliveryDue(): Promise<boolean> {
  const [row] = rowsOf<{ due: boolean }>(
    await db.execute(sql`select exists (select 1 from webhook_deliveries d where ${deliveryQueue.due(sql`d`, clockSql())}) as due`),
  );
  return row?.due === true;
}

/** Whether this process's last claim took rows: more are likely due (a backlog of retries), so the next one skips the probe. */
let lastClaimTookRows = false;

/** Claims up to `budget` due deliveries for this process (see deliveryQueue), on the delivery clock. */
export async function claimDueDeliveries(budget = deliverySettings.maxInFlight): Promise<ClaimedDelivery[]> {
  if (!lastClaimTookRows && !(await anyDeliveryDue())) return [];
  const rows = await claimDue<ClaimRow>(deliveryQueue, { limit: budget, leaseMs: deliverySettings.leaseSeconds * 1000, now: clockSql() });
  lastClaimTookRows = rows.length > 0;
  return rows.map(toClaim);
}

type ClaimRow = {
  id: string;
  webhook_id: string;
  event_id: string;
  organization_id: string;
  attempts: number;
  lease_until: Date | string;
  kind: WebhookRow["kind"];
  url: string;
  config_enc: string | null;
  sink_options: WebhookRow["sinkOptions"];
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
  event_expires_on: string;
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
      kind: r.kind,
      url: r.url,
      configEnc: r.config_enc,
      sinkOptions: r.sink_options,
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
      expiresOn: r.event_expires_on,
    },
  };
}

/** Gives claimed rows back (shutdown, endpoint paused): due again now, lease cleared, no attempt counted; fenced by our lease. */
export async function releaseDeliveries(claims: ClaimedDelivery[]): Promise<void> {
  await releaseLeases(
    deliveryQueue,
    claims.map((c) => ({ id: c.id, leaseUntil: c.leaseUntil })),
    { set: sql`next_attempt_at = ${clockSql()}` },
  );
}
