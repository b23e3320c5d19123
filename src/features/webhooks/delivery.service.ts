import { and, desc, eq, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import { config } from "@/config";
import { db, rowsOf, notify, type DbOrTx } from "@/db/client";
import { events, webhookAttempts, webhookDeliveries, webhooks } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { meterUsage } from "@/features/usage/usage.service";
import { DELIVERIES_QUEUED_CHANNEL, eventPayload, recordEvent } from "@/features/events/event.service";
import { decryptSecret } from "@/lib/crypto";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { groupCommit } from "@/lib/group-commit";
import { isUuid } from "@/lib/ids";
import { keysetPage, type Page } from "@/lib/pager";
import { log } from "@/lib/logger";
import { signatureHeaders, signingSecrets } from "./signing";
import { DELIVERY_ERROR, DISABLED_REASON, MASKED_HEADER_VALUE } from "./webhook.schema";
import { pinnedRequest, resolveTarget, TargetRefused } from "@/lib/outbound";

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
function msInterval(ms: number): SQL {
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
const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

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

// ---------------------------------------------------------------------------------------------
// One attempt
// ---------------------------------------------------------------------------------------------

export type AttemptOutcome = "succeeded" | "failed" | "exhausted" | "cancelled" | "released" | "aborted" | "lease_lost" | "gone";

type AttemptResult = {
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  durationMs: number;
  retryAfterMs: number | null;
  requestHeaders: Record<string, string>;
  requestBody: string;
};

/** Reads at most `limit` bytes of a response body, then drops the rest of the stream. */
async function readExcerpt(res: Response, limit = RESPONSE_EXCERPT_BYTES): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  if (size === 0) return null;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  // Postgres text cannot hold NUL: one in a subscriber's body failed the whole batch of attempts
  // (22P05), and every delivery in it was sent again when its lease ran out, forever.
  return new TextDecoder("utf-8", { fatal: false }).decode(all.subarray(0, limit)).replaceAll("\0", "\uFFFD");
}

/** `Retry-After` as milliseconds from now (delta-seconds or an HTTP date), capped; null when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), RETRY_AFTER_CAP_MS);
}

/** The request could not be built (an undecryptable secret or header); the message is ours, not the cipher's. */
class RequestNotPrepared extends Error {
  constructor(cause: unknown) {
    super(DELIVERY_ERROR.notPrepared, { cause });
  }
}

/**
 * The request's headers, and (into `result`) the same headers as the attempt log keeps them. Custom
 * names are lower-cased so one replaces a default of any spelling (User-Agent) but can never replace
 * content-type or the signature headers (the schema refuses those names anyway).
 */
function buildRequestHeaders(claim: ClaimedDelivery, body: string, result: AttemptResult): Record<string, string> {
  const { webhook, event } = claim;
  const signed = signatureHeaders({ msgId: event.id, body, secrets: signingSecrets(webhook, deliveryClock.now()) });
  const headers: Record<string, string> = { "user-agent": "LivChat-Webhooks/1.0" };
  const logged: Record<string, string> = { ...headers };
  for (const [name, value] of Object.entries(webhook.headersEnc)) {
    headers[name.toLowerCase()] = decryptSecret(value);
    logged[name.toLowerCase()] = MASKED_HEADER_VALUE;
  }
  const fixed = { "content-type": "application/json", ...signed };
  result.requestHeaders = Object.assign(logged, fixed);
  return Object.assign(headers, fixed);
}

function describeError(err: unknown, timedOut: boolean): string {
  if (err instanceof RequestNotPrepared) return err.message;
  if (timedOut) return `${DELIVERY_ERROR.timedOut}${deliverySettings.timeoutMs / 1000} s`;
  if (err instanceof TargetRefused) return `${DELIVERY_ERROR.refused}${err.message}`;
  const message = err instanceof Error ? err.message : String(err);
  return `${DELIVERY_ERROR.requestFailed}${message}`.slice(0, 500);
}

/**
 * Sends one claimed delivery and records the attempt. `stop` aborts an in-flight request when the
 * worker shuts down; such an attempt is not recorded and the caller releases the lease.
 */
export async function processClaim(claim: ClaimedDelivery, stop?: AbortSignal): Promise<AttemptOutcome> {
  const { webhook, event } = claim;
  const body = JSON.stringify(eventPayload(event));
  const timeout = AbortSignal.timeout(deliverySettings.timeoutMs);
  const signal = stop ? AbortSignal.any([timeout, stop]) : timeout;
  const started = performance.now();
  // The log keeps header names but never custom values (they can be credentials); filled in below.
  const result: AttemptResult = { statusCode: null, error: null, excerpt: null, durationMs: 0, retryAfterMs: null, requestHeaders: {}, requestBody: body };
  try {
    // Inside the try: a secret that cannot be decrypted (APP_SECRET changed) is a failed attempt that
    // follows the schedule and auto-disable, not an error that leaves the lease to expire forever.
    let requestHeaders: Record<string, string>;
    try {
      requestHeaders = buildRequestHeaders(claim, body, result);
    } catch (err) {
      log.warn("webhook request not prepared", { webhookId: webhook.id, deliveryId: claim.id, err });
      throw new RequestNotPrepared(err);
    }
    const send = (target: { url: string; host?: string; tls?: Record<string, unknown> }) =>
      fetch(target.url, {
        method: "POST",
        headers: target.host ? { ...requestHeaders, host: target.host } : requestHeaders,
        body,
        // Redirects are not followed: the new location would bypass the SSRF check, and Standard Webhooks treats 3xx as failure.
        redirect: "manual",
        signal,
        ...(target.tls ? { tls: target.tls } : {}),
      } as RequestInit);
    let res: Response | undefined;
    if (config.allowPrivateWebhookTargets) {
      res = await send({ url: webhook.url });
    } else {
      // Resolve and check every address now, then connect to a checked one (no DNS rebinding); when an
      // address cannot be reached (say IPv6 without a route), try the next, IPv4 first.
      const resolved = await resolveTarget(webhook.url);
      let lastError: unknown;
      for (let i = 0; i < Math.min(resolved.addresses.length, 3) && !res; i++) {
        try {
          res = await send(pinnedRequest(resolved, i));
        } catch (err) {
          if (signal.aborted) throw err;
          lastError = err;
        }
      }
      if (!res) throw lastError;
    }
    result.statusCode = res.status;
    result.retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    try {
      result.excerpt = await readExcerpt(res);
    } catch (err) {
      // The status arrived; a body cut short only matters when it is the 15 s deadline that cut it.
      if (timeout.aborted || stop?.aborted) throw err;
    }
  } catch (err) {
    if (stop?.aborted) return "aborted";
    result.error = describeError(err, timeout.aborted);
  }
  result.durationMs = Math.round(performance.now() - started);
  return recordAttempt({ claim, result });
}

type WebhookRow = typeof webhooks.$inferSelect;
type EventRow = typeof events.$inferSelect;

/**
 * Records attempts through group commit: the attempts that finish while one batch is written are
 * written together by the next (up to 200 per statement, one statement at a time).
 */
const recordAttempt = groupCommit<{ claim: ClaimedDelivery; result: AttemptResult }, AttemptOutcome>(recordAttempts, {
  maxBatch: 200,
  maxConcurrent: 1,
});

const isOk = (r: AttemptResult) => r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300 && r.error === null;

/**
 * Records finished attempts in ONE statement (no explicit transaction, so row locks are held for a
 * single round trip): summarises each on its delivery row if our lease still holds, appends every
 * attempt (even with a lost lease: the request was sent, so it belongs in the log) and moves each
 * endpoint's failure streak by its latest attempt; the usage counters go through the batched meter.
 * Disabling an endpoint (410, or failing for 5 days) follows in its own transaction.
 */
async function recordAttempts(batch: { claim: ClaimedDelivery; result: AttemptResult }[]): Promise<AttemptOutcome[]> {
  const now = clockSql();
  const rows = batch.map(({ claim, result: r }) => {
    const attempt = claim.attempts + 1;
    const ok = isOk(r);
    const gone = r.statusCode === 410;
    const outcome: AttemptOutcome = ok ? "succeeded" : gone ? "cancelled" : attempt >= MAX_ATTEMPTS ? "exhausted" : "failed";
    const lastError = ok ? null : gone ? DELIVERY_ERROR.gone : (r.error ?? (r.statusCode !== null ? `HTTP ${r.statusCode}` : DELIVERY_ERROR.noResponse));
    return {
      id: claim.id,
      lease: claim.leaseUntil.toISOString(),
      webhook_id: claim.webhookId,
      status: outcome,
      attempt,
      retry_in_ms: outcome === "failed" ? Math.max(RETRY_SCHEDULE_MS[attempt]!, r.retryAfterMs ?? 0) : null,
      ok,
      status_code: r.statusCode,
      error: r.error,
      last_error: lastError,
      duration_ms: r.durationMs,
      excerpt: r.excerpt,
      request_headers: r.requestHeaders,
      request_body: r.requestBody,
    };
  });
  // The streak follows each endpoint's latest attempt in the batch.
  const latest = new Map(rows.map((r) => [r.webhook_id, r.ok] as const));
  const endpoints = [...latest.entries()].map(([id, ok]) => ({ id, ok }));
  const result = await db.execute(sql`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id uuid, lease timestamptz, webhook_id uuid, status text,
        attempt int, retry_in_ms bigint, ok boolean, status_code int, error text, last_error text, duration_ms int, excerpt text,
        request_headers jsonb, request_body text)
    ),
    d as (
      update webhook_deliveries u set
        status = v.status,
        attempts = v.attempt,
        lease_until = null,
        next_attempt_at = case when v.status = 'failed' then ${now} + make_interval(secs => v.retry_in_ms / 1000.0) end,
        last_status_code = v.status_code,
        last_error = v.last_error,
        last_duration_ms = v.duration_ms,
        last_response_excerpt = v.excerpt,
        delivered_at = case when v.ok then ${now} else u.delivered_at end,
        updated_at = now()
      from v
      where u.id = v.id and u.lease_until = v.lease
      returning u.id, u.webhook_id
    ),
    a as (
      insert into webhook_attempts (delivery_id, attempt, request_headers, request_body, status_code, error, duration_ms, response_excerpt, at)
      select v.id, v.attempt, v.request_headers, v.request_body, v.status_code, v.error, v.duration_ms, v.excerpt, ${now}
      from v join webhook_deliveries x on x.id = v.id
      returning delivery_id
    ),
    w as (
      update webhooks set failing_since = case when e.ok then null else coalesce(failing_since, ${now}) end
      from jsonb_to_recordset(${JSON.stringify(endpoints)}::jsonb) as e(id uuid, ok boolean)
      where webhooks.id = e.id and exists (select 1 from d where d.webhook_id = e.id) and (not e.ok or failing_since is not null)
      returning webhooks.id, failing_since, failing_since <= ${now} - ${msInterval(AUTO_DISABLE_AFTER_MS)} as stale
    )
    select v.id, (select count(*) from d where d.id = v.id)::int as updated, (select count(*) from a where a.delivery_id = v.id)::int as recorded,
      w.stale, w.failing_since
    from v left join w on w.id = v.webhook_id
  `);
  const byId = new Map(rowsOf<{ id: string; updated: number; recorded: number; stale: boolean | null; failing_since: Date | string | null }>(result).map((r) => [r.id, r] as const));
  const outcomes: AttemptOutcome[] = [];
  const disabled = new Set<string>();
  for (const [i, { claim, result: r }] of batch.entries()) {
    const row = byId.get(claim.id);
    const ok = rows[i]!.ok;
    if (!row || row.updated === 0) {
      outcomes.push(row && row.recorded > 0 ? "lease_lost" : "gone");
      continue;
    }
    // Counted in the batched meter: every finished attempt of an organization would otherwise queue on
    // one usage_daily row lock until its commit, which serialised deliveries in the bench.
    meterUsage({ organizationId: claim.organizationId, instanceId: claim.event.instanceId, metric: ok ? "deliveries_succeeded" : "deliveries_failed" }, deliveryClock.now());
    if (r.statusCode === 410) {
      if (!disabled.has(claim.webhookId)) await db.transaction((tx) => disableWebhook(tx, claim.webhookId, DISABLED_REASON.gone));
      disabled.add(claim.webhookId);
    } else if (!ok && row.stale && latest.get(claim.webhookId) === false) {
      const since = row.failing_since ? asDate(row.failing_since).toISOString() : "5 days ago";
      if (!disabled.has(claim.webhookId)) await db.transaction((tx) => disableWebhook(tx, claim.webhookId, `${DISABLED_REASON.failingSince}${since}`));
      disabled.add(claim.webhookId);
      outcomes.push("cancelled");
      continue;
    }
    outcomes.push(rows[i]!.status);
  }
  return outcomes;
}

/**
 * Disables an endpoint automatically (410 Gone, or failing for 5 days): cancels its pending and
 * retrying deliveries (a worker still holding one loses its lease and cannot resurrect it) and emits
 * `webhook.disabled` to the organization's other endpoints, all in the caller's transaction.
 */
export async function disableWebhook(tx: DbOrTx, webhookId: string, reason: string): Promise<boolean> {
  const [hook] = await tx
    .update(webhooks)
    .set({ active: false, disabledAt: sql`${clockSql()}`, disabledReason: reason })
    .where(and(eq(webhooks.id, webhookId), eq(webhooks.active, true)))
    .returning();
  if (!hook) return false;
  await tx
    .update(webhookDeliveries)
    .set({ status: "cancelled", leaseUntil: null, nextAttemptAt: null, lastError: sql`coalesce(${webhookDeliveries.lastError}, ${DELIVERY_ERROR.endpointDisabled})` })
    .where(and(eq(webhookDeliveries.webhookId, webhookId), inArray(webhookDeliveries.status, ["pending", "failed"])));
  await recordEvent(
    {
      organizationId: hook.organizationId,
      type: "webhook.disabled",
      data: { webhookId: hook.id, name: hook.name, reason, failingSince: hook.failingSince?.toISOString() ?? null },
    },
    tx,
  );
  await recordAudit(
    { organizationId: hook.organizationId, actor: { type: "system" }, action: "webhook.disabled", target: { type: "webhook", id: hook.id }, details: { reason } },
    tx,
  );
  log.warn("webhook disabled", { webhookId: hook.id, reason });
  return true;
}

/**
 * Claims one batch of due deliveries, sends them all and waits for the results. The worker loop
 * does the same continuously; tests call this to drive deliveries deterministically.
 */
export async function runDeliveriesOnce(budget = deliverySettings.maxInFlight): Promise<{ claimed: number; outcomes: AttemptOutcome[] }> {
  const claims = await claimDueDeliveries(budget);
  const outcomes = await Promise.all(
    claims.map((c) =>
      processClaim(c).catch((err) => {
        log.error("delivery failed unexpectedly", { deliveryId: c.id, err });
        return "released" as const;
      }),
    ),
  );
  return { claimed: claims.length, outcomes };
}

/** Runs batches until nothing is due (retries scheduled later are left for later). */
export async function drainDueDeliveries(maxRounds = 100): Promise<AttemptOutcome[]> {
  const all: AttemptOutcome[] = [];
  for (let i = 0; i < maxRounds; i++) {
    const { claimed, outcomes } = await runDeliveriesOnce();
    all.push(...outcomes);
    if (claimed === 0) break;
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// Delivery log, retry, recover (organization-scoped)
// ---------------------------------------------------------------------------------------------

export type Delivery = typeof webhookDeliveries.$inferSelect;
export type Attempt = typeof webhookAttempts.$inferSelect;


export function publicDelivery(d: Delivery) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === "pending" || d.status === "failed" ? d.nextAttemptAt : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastDurationMs: d.lastDurationMs,
    lastResponseExcerpt: d.lastResponseExcerpt,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function publicAttempt(a: Attempt) {
  return {
    id: a.id,
    attempt: a.attempt,
    at: a.at,
    statusCode: a.statusCode,
    error: a.error,
    durationMs: a.durationMs,
    requestHeaders: a.requestHeaders,
    requestBody: a.requestBody,
    responseExcerpt: a.responseExcerpt,
  };
}

/** Newest first, keyset-paged on (created_at, id). */
export async function listDeliveriesForWebhook(
  organizationId: string,
  webhookId: string,
  query: { status?: Delivery["status"]; eventType?: string; limit: number; cursor?: string },
  tx: DbOrTx = db,
): Promise<Page<Delivery>> {
  const conditions: SQL[] = [eq(webhookDeliveries.organizationId, organizationId), eq(webhookDeliveries.webhookId, webhookId)];
  if (query.status) conditions.push(eq(webhookDeliveries.status, query.status));
  if (query.eventType) conditions.push(eq(webhookDeliveries.eventType, query.eventType));
  return keysetPage(
    { sortBy: webhookDeliveries.createdAt, id: webhookDeliveries.id },
    query,
    (q) => tx.select({ delivery: webhookDeliveries, sortKey: q.sortKey }).from(webhookDeliveries).where(and(...conditions, q.after)).orderBy(...q.orderBy).limit(q.limit),
    (r) => r.delivery,
    (r) => r.delivery.id,
  );
}

/** A delivery of the organization with its attempts (newest first), or 404. */
export async function getDelivery(organizationId: string, deliveryId: string, tx: DbOrTx = db): Promise<{ delivery: Delivery; attempts: Attempt[] }> {
  if (!isUuid(deliveryId)) throw new AppError("not_found", tText("webhooks:errors.deliveryNotFound"));
  const [delivery] = await tx
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.organizationId, organizationId)));
  if (!delivery) throw new AppError("not_found", tText("webhooks:errors.deliveryNotFound"));
  const attempts = await tx.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, deliveryId)).orderBy(desc(webhookAttempts.attempt), desc(webhookAttempts.at));
  return { delivery, attempts };
}

async function activeWebhookOf(tx: DbOrTx, organizationId: string, webhookId: string): Promise<WebhookRow> {
  const [hook] = await tx.select().from(webhooks).where(and(eq(webhooks.id, webhookId), eq(webhooks.organizationId, organizationId)));
  if (!hook) throw new AppError("not_found", tText("webhooks:errors.notFound"));
  if (!hook.active) throw new AppError("conflict", tText("webhooks:errors.disabledRetry"));
  return hook;
}

/**
 * Manual retry: one more attempt right away, whatever the delivery's state (a redelivery of a
 * succeeded one keeps the same webhook-id, so idempotent subscribers ignore it). If it fails, the
 * delivery continues on the schedule where it was, or ends exhausted.
 */
export async function retryDelivery(organizationId: string, deliveryId: string): Promise<Delivery> {
  const updated = await db.transaction(async (tx) => {
    const { delivery } = await getDelivery(organizationId, deliveryId, tx);
    await activeWebhookOf(tx, organizationId, delivery.webhookId);
    const [row] = await tx
      .update(webhookDeliveries)
      .set({ status: "pending", nextAttemptAt: sql`${clockSql()}`, leaseUntil: null })
      .where(
        and(
          eq(webhookDeliveries.id, deliveryId),
          or(sql`${webhookDeliveries.leaseUntil} is null`, lt(webhookDeliveries.leaseUntil, sql`${clockSql()}`)),
        ),
      )
      .returning();
    if (!row) throw new AppError("conflict", tText("webhooks:errors.attemptInProgress"));
    await notify(DELIVERIES_QUEUED_CHANNEL, "", tx);
    return row;
  });
  return updated;
}

/**
 * "Recover everything failed since T": every failed, exhausted or cancelled delivery of the endpoint
 * created at or after `since` is due again now (one more attempt each, as for a manual retry).
 */
export async function recoverDeliveries(organizationId: string, webhookId: string, since: Date): Promise<number> {
  return db.transaction(async (tx) => {
    await activeWebhookOf(tx, organizationId, webhookId);
    const rows = await tx
      .update(webhookDeliveries)
      .set({ status: "pending", nextAttemptAt: sql`${clockSql()}`, leaseUntil: null })
      .where(
        and(
          eq(webhookDeliveries.organizationId, organizationId),
          eq(webhookDeliveries.webhookId, webhookId),
          inArray(webhookDeliveries.status, ["failed", "exhausted", "cancelled"]),
          sql`${webhookDeliveries.createdAt} >= ${since.toISOString()}`,
          or(sql`${webhookDeliveries.leaseUntil} is null`, lt(webhookDeliveries.leaseUntil, sql`${clockSql()}`)),
        ),
      )
      .returning({ id: webhookDeliveries.id });
    if (rows.length > 0) await notify(DELIVERIES_QUEUED_CHANNEL, "", tx);
    return rows.length;
  });
}
