/**
 * Webhook delivery, one attempt: send a claimed delivery, record the outcome (batched through
 * groupCommit), schedule the retry or give up, and disable endpoints that keep failing.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { type events, webhookDeliveries, webhooks } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { countDeliveryAttempt } from "@/features/metrics/metrics";
import { meterUsage } from "@/features/usage/usage.service";
import { eventPayload, recordEvent } from "@/features/events/event.service";
import { decryptSecretCached } from "@/lib/crypto";
import { groupCommit } from "@/lib/group-commit";
import { log } from "@/lib/logger";
import { signatureHeaders, signingSecrets } from "./signing";
import { cursorJobs } from "./delivery.cursor";
import { DELIVERY_ERROR, DISABLED_REASON, isSinkKind, MASKED_HEADER_VALUE } from "./webhook.schema";
import { publishToSink } from "./sink.transport";
import { fetchCheckedTarget, TargetRefused } from "@/lib/outbound";
import { backoffDelayMs, type JobKind, runJobsOnce } from "@/workers/jobs";
import {
  AUTO_DISABLE_AFTER_MS,
  type ClaimedDelivery,
  DELIVERY_BACKOFF,
  MAX_ATTEMPTS,
  RESPONSE_EXCERPT_BYTES,
  RETRY_AFTER_CAP_MS,
  asDate,
  claimDueDeliveries,
  clockSql,
  deliveryClock,
  deliverySettings,
  msInterval,
  releaseDeliveries,
} from "./delivery.queue";

// ---------------------------------------------------------------------------------------------
// One attempt
// ---------------------------------------------------------------------------------------------

export type AttemptOutcome = "succeeded" | "failed" | "exhausted" | "cancelled" | "released" | "aborted" | "lease_lost" | "gone";

export type AttemptResult = {
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  durationMs: number;
  retryAfterMs: number | null;
  requestHeaders: Record<string, string>;
  requestBody: string;
  /** A sink's broker acknowledged the message (a sink answers no HTTP status). */
  delivered?: boolean;
};

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Reads at most `limit` bytes of a response body, then drops the rest of the stream. An uncompressed
 * body whose Content-Length says it fits (most subscribers answer a few bytes) is read in one native
 * call: the stream reader's promises cost several µs per delivery.
 */
async function readExcerpt(res: Response, limit = RESPONSE_EXCERPT_BYTES): Promise<string | null> {
  if (!res.body) return null;
  // Not for a compressed body: its declared length says nothing about what it inflates to.
  const declared = res.headers.get("content-length");
  const fits = declared !== null && /^\d{1,9}$/.test(declared) && Number(declared) <= limit && !res.headers.has("content-encoding");
  if (fits) return excerptOf(await res.bytes(), limit);
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
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return excerptOf(all, limit);
}

function excerptOf(bytes: Uint8Array, limit: number): string | null {
  if (bytes.byteLength === 0) return null;
  // Postgres text cannot hold NUL: one in a subscriber's body failed the whole batch of attempts
  // (22P05), and every delivery in it was sent again when its lease ran out, forever.
  return utf8.decode(bytes.subarray(0, limit)).replaceAll("\0", "\uFFFD");
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
function buildRequestHeaders(target: DeliveryTarget, body: string, result: AttemptResult): Record<string, string> {
  const { webhook, event } = target;
  const signed = signatureHeaders({ msgId: event.id, body, secrets: signingSecrets(webhook, deliveryClock.now()) });
  // A sink's message is no HTTP request: it carries no user-agent.
  const headers: Record<string, string> = isSinkKind(webhook.kind) ? {} : { "user-agent": "LivChat-Webhooks/1.0" };
  const logged: Record<string, string> = { ...headers };
  for (const [name, value] of Object.entries(webhook.headersEnc)) {
    headers[name.toLowerCase()] = decryptSecretCached(value);
    logged[name.toLowerCase()] = MASKED_HEADER_VALUE;
  }
  const fixed = { "content-type": "application/json", ...signed };
  result.requestHeaders = Object.assign(logged, fixed);
  return Object.assign(headers, fixed);
}

function describeError(err: unknown, timedOut: boolean, sink: boolean): string {
  if (err instanceof RequestNotPrepared) return err.message;
  if (timedOut) return `${DELIVERY_ERROR.timedOut}${deliverySettings.timeoutMs / 1000} s`;
  if (err instanceof TargetRefused) return `${DELIVERY_ERROR.refused}${err.message}`;
  const message = err instanceof Error ? err.message || err.name : String(err);
  return `${sink ? DELIVERY_ERROR.publishFailed : DELIVERY_ERROR.requestFailed}${message}`.slice(0, 500);
}

/** What one request needs: the endpoint, the event, and (for logs) the delivery row if there is one. */
export type DeliveryTarget = Pick<ClaimedDelivery, "webhook" | "event" | "organizationId"> & { id?: string };

/**
 * Sends one claimed delivery and records the attempt. `stop` aborts an in-flight request when the
 * worker shuts down; such an attempt is not recorded and the caller releases the lease.
 */
export async function processClaim(claim: ClaimedDelivery, stop?: AbortSignal): Promise<AttemptOutcome> {
  const result = await sendAttempt(claim, stop);
  if (result === null) return "aborted";
  const outcome = await recordAttempt({ claim, result });
  countDeliveryAttempt(claim.webhook.kind, outcome);
  return outcome;
}

/**
 * The send step of every delivery — a retry row's attempt or an event read from the log by a cursor
 * (delivery.cursor.ts) — and the only place that dispatches on the endpoint's kind. Returns what the
 * attempt log keeps, or null when `stop` aborted it (not an attempt: nothing is recorded).
 */
export async function sendAttempt(target: DeliveryTarget, stop?: AbortSignal): Promise<AttemptResult | null> {
  const { webhook, event } = target;
  const body = JSON.stringify(eventPayload(event));
  // One controller per request, its timer cleared as soon as the attempt ends: AbortSignal.timeout (and
  // AbortSignal.any over it) stay alive until their 15 s timer fires, ~1.3 KB each outside the JS heap —
  // ~35,000 of them at once under the inbound bench, a quarter of the app's memory peak.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("The operation timed out.", "TimeoutError"));
  }, deliverySettings.timeoutMs);
  const onStop = () => controller.abort(stop?.reason);
  if (stop?.aborted) onStop();
  else stop?.addEventListener("abort", onStop, { once: true });
  const signal = controller.signal;
  const started = performance.now();
  // The log keeps header names but never custom values (they can be credentials); filled in below.
  const result: AttemptResult = { statusCode: null, error: null, excerpt: null, durationMs: 0, retryAfterMs: null, requestHeaders: {}, requestBody: body };
  try {
    // Inside the try: a secret that cannot be decrypted (APP_SECRET changed) is a failed attempt that
    // follows the schedule and auto-disable, not an error that leaves the lease to expire forever.
    let requestHeaders: Record<string, string>;
    try {
      requestHeaders = buildRequestHeaders(target, body, result);
    } catch (err) {
      log.warn("webhook request not prepared", { webhookId: webhook.id, deliveryId: target.id, eventId: event.id, err });
      throw new RequestNotPrepared(err);
    }
    if (isSinkKind(webhook.kind)) {
      // A sink: the same body and signature headers as a message on the broker; delivered once the broker acknowledged it.
      const receipt = await publishToSink(
        { id: webhook.id, kind: webhook.kind, configEnc: webhook.configEnc, sinkOptions: webhook.sinkOptions },
        { organizationId: target.organizationId, eventId: event.id, eventType: event.type, body, headers: requestHeaders },
        signal,
      );
      result.requestHeaders = { ...receipt.destination, ...result.requestHeaders };
      result.excerpt = receipt.ack;
      result.delivered = true;
    } else {
      // Standard Webhooks treats a 3xx as a failure; the guard never follows it.
      const res = await fetchCheckedTarget(webhook.url, { method: "POST", headers: requestHeaders, body, signal });
      result.statusCode = res.status;
      result.retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      try {
        result.excerpt = await readExcerpt(res);
      } catch (err) {
        // The status arrived; a body cut short only matters when it is the 15 s deadline that cut it.
        if (timedOut || stop?.aborted) throw err;
      }
    }
  } catch (err) {
    if (stop?.aborted) return null;
    result.error = describeError(err, timedOut, isSinkKind(webhook.kind));
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener("abort", onStop);
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

export type WebhookRow = typeof webhooks.$inferSelect;
export type EventRow = typeof events.$inferSelect;

/**
 * Records attempts through group commit: the attempts that finish while one batch is written are
 * written together by the next (up to 200 per statement, one statement at a time).
 */
const recordAttempt = groupCommit<{ claim: ClaimedDelivery; result: AttemptResult }, AttemptOutcome>(recordAttempts, {
  maxBatch: 200,
  maxConcurrent: 1,
});

const isOk = (r: AttemptResult) => r.error === null && (r.delivered === true || (r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300));

/**
 * What attempt number `attempt` of a delivery comes to: its status, whether it succeeded, the error the
 * delivery row shows, and when a failure is tried again (ms from now; the schedule plus Retry-After).
 */
export function attemptVerdict(r: AttemptResult, attempt: number) {
  const ok = isOk(r);
  const gone = r.statusCode === 410;
  const status: "succeeded" | "cancelled" | "exhausted" | "failed" = ok ? "succeeded" : gone ? "cancelled" : attempt >= MAX_ATTEMPTS ? "exhausted" : "failed";
  const lastError = ok ? null : gone ? DELIVERY_ERROR.gone : (r.error ?? (r.statusCode !== null ? `HTTP ${r.statusCode}` : DELIVERY_ERROR.noResponse));
  const retryInMs = status === "failed" ? backoffDelayMs(DELIVERY_BACKOFF, attempt, { retryAfterMs: r.retryAfterMs }) : null;
  return { ok, gone, status, lastError, retryInMs };
}

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
    const { ok, status: outcome, lastError, retryInMs } = attemptVerdict(r, attempt);
    return {
      id: claim.id,
      lease: claim.leaseUntil.toISOString(),
      webhook_id: claim.webhookId,
      status: outcome as AttemptOutcome,
      attempt,
      retry_in_ms: retryInMs,
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
  // The deliveries are also matched through `id = any(ids)`: Postgres assumes jsonb_to_recordset yields
  // 100 rows, and joining on v alone made it hash-join over a sequential scan of webhook_deliveries,
  // twice per call; the array lets it fetch exactly these rows by primary key.
  const ids = `{${rows.map((r) => r.id).join(",")}}`;
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
      where u.id = any(${ids}::uuid[]) and u.id = v.id and u.lease_until = v.lease
      returning u.id, u.webhook_id
    ),
    a as (
      insert into webhook_attempts (delivery_id, attempt, request_headers, request_body, status_code, error, duration_ms, response_excerpt, at, expires_on)
      select v.id, v.attempt, v.request_headers, v.request_body, v.status_code, v.error, v.duration_ms, v.excerpt, ${now}, x.expires_on
      from v join webhook_deliveries x on x.id = v.id and x.id = any(${ids}::uuid[])
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
  const byId = new Map(
    rowsOf<{ id: string; updated: number; recorded: number; stale: boolean | null; failing_since: Date | string | null }>(result).map(
      (r) => [r.id, r] as const,
    ),
  );
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
    meterUsage(
      { organizationId: claim.organizationId, instanceId: claim.event.instanceId, metric: ok ? "deliveries_succeeded" : "deliveries_failed" },
      deliveryClock.now(),
    );
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
    .set({
      status: "cancelled",
      leaseUntil: null,
      nextAttemptAt: null,
      lastError: sql`coalesce(${webhookDeliveries.lastError}, ${DELIVERY_ERROR.endpointDisabled})`,
    })
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
    {
      organizationId: hook.organizationId,
      actor: { type: "system" },
      action: "webhook.disabled",
      target: { type: "webhook", id: hook.id },
      details: { reason },
    },
    tx,
  );
  log.warn("webhook disabled", { webhookId: hook.id, reason });
  return true;
}

/**
 * Webhook deliveries as jobs (src/workers/jobs.ts): the delivery worker's loop and the passes below
 * claim, send and release through it. A delivery aborted by a stopping worker is not recorded; the
 * loop releases it.
 */
export const deliveryJobs: JobKind<ClaimedDelivery, AttemptOutcome> = {
  name: "webhook-deliveries",
  claim: claimDueDeliveries,
  run: processClaim,
  release: releaseDeliveries,
  idOf: (claim) => claim.id,
};

/**
 * One pass of both delivery paths: the retry rows due now (delivery.queue.ts) and every endpoint cursor
 * with events waiting (delivery.cursor.ts), sent and written; waits for the results. `claimed` counts
 * the deliveries attempted (a cursor that only moved past events its endpoint does not subscribe to
 * counts none). The worker loops do the same continuously; tests call this to drive deliveries
 * deterministically.
 */
export async function runDeliveriesOnce(budget = deliverySettings.maxInFlight): Promise<{ claimed: number; outcomes: AttemptOutcome[] }> {
  const [retries, cursors] = await Promise.all([runJobsOnce(deliveryJobs, budget), runJobsOnce(cursorJobs, budget)]);
  // An unexpected error was logged by the pass; the lease runs out and the delivery is tried again.
  const outcomes = [...retries.results.map((outcome) => outcome ?? "released"), ...cursors.results.flatMap((o) => o ?? [])];
  return { claimed: retries.jobs.length + cursors.results.reduce((n, o) => n + (o?.length ?? 0), 0), outcomes };
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
