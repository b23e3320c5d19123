/**
 * Webhook delivery from the event log (issue 21): every endpoint — webhook or sink, one mechanism —
 * keeps a cursor (`webhook_cursors`) over the events in commit order, (tx_id, id) below the visibility
 * horizon, exactly as `GET /v1/events?after=` reads them, so an event whose transaction commits late is
 * never skipped. A worker claims a cursor under a lease (jobs.ts), reads the next batch of events after
 * it, sends the ones the endpoint subscribes to (at most `maxInFlightPerEndpoint` at a time, in order),
 * then writes the batch in ONE statement fenced by the lease: the cursor moves past the batch, every
 * attempt is logged (a `webhook_deliveries` row carrying the attempt in `first_attempt`: succeeded,
 * or failed with its next attempt due — the retry queue of delivery.queue.ts serves those from then on:
 * schedule, Retry-After, manual retry, recover-since and auto-disable as ever).
 *
 * Guarantees: at least once. A batch sent but not written (the process died, or its lease ran out) is
 * sent again by whoever claims the cursor next; nothing is skipped, since the cursor only moves in the
 * fenced write, past events that were attempted. Endpoints are claimed independently, so a slow one
 * only holds its own cursor.
 *
 * Paused or disabled endpoints are not claimed: the cursor stays where it stopped, and re-enabling
 * resumes from there (the events of the pause are delivered, oldest first), as far back as the event
 * log still reaches (events older than the organization's retention are gone with their partition).
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { compiledSql } from "@/db/compiled";
import { orgCached } from "@/db/org-cache";
import { type InlineAttempt, webhooks } from "@/db/schema";
import { countDeliveryAttempt } from "@/features/metrics/metrics";
import { endpointMatches, VISIBLE_HORIZON } from "@/features/events/event.service";
import { retentionExpiresOn } from "@/features/retention/retention.service";
import { meterUsage } from "@/features/usage/usage.service";
import { log } from "@/lib/logger";
import { claimDue, type JobKind, type JobQueue, releaseLeases } from "@/workers/jobs";
import { AUTO_DISABLE_AFTER_MS, type ClaimedDelivery, asDate, clockSql, deliveryClock, deliverySettings, msInterval } from "./delivery.queue";
import { type AttemptOutcome, type AttemptResult, attemptVerdict, disableWebhook, sendAttempt } from "./delivery.send";
import { DELIVERY_ERROR, DISABLED_REASON } from "./webhook.schema";
import { sleep } from "@/lib/sleep";

/** Events looked at per batch (matching the endpoint's filters or not): one index range read. */
export const CURSOR_SCAN_LIMIT = 500;

/**
 * Days an event after the cursor may expire before the last one delivered: an event-writing transaction
 * opened before that one and committed after it, across a UTC day (two days is far beyond any of ours).
 */
const FLOOR_SLACK_DAYS = 2;
/** Events written this long after a retention change all got the new retention (twice the slack). */
const SETTLED_AFTER = sql.raw(`interval '${2 * FLOOR_SLACK_DAYS} days'`);

/** Event `e` is not below the floor (null: no bound), as a predicate partition pruning can use. */
function aboveFloor(e: SQL, floor: SQL): SQL {
  return sql`${e}.expires_on >= coalesce(${floor}, '-infinity'::date)`;
}

/**
 * The floor of cursor `u` once it advanced to an event recorded at `lastAt`, expiring on `lastExpires`
 * (no event: unchanged). Events after it expire no earlier than `lastExpires` minus the slack — when
 * the event was written with today's retention, i.e. well after the last retention change the cursor
 * knows of; otherwise no bound. A retention change clears the floor in its own transaction (the
 * drizzle/0071 trigger); an advance racing it sees that row version, so it never raises a cleared
 * floor from an event of before the change.
 */
function cursorFloorSql(u: SQL, lastAt: SQL, lastExpires: SQL): SQL {
  return sql`case
    when ${lastAt} is null then ${u}.floor_expires_on
    when ${u}.retention_changed_at is not null and ${lastAt} <= ${u}.retention_changed_at + ${SETTLED_AFTER} then null
    else greatest(${u}.floor_expires_on, ${lastExpires} - ${sql.raw(String(FLOOR_SLACK_DAYS))})
  end`;
}

/** Events looked at when counting an endpoint's backlog for the stats (a count beyond it reads as at least this). */
export const BACKLOG_SCAN_LIMIT = 10000;

/**
 * SQL counting the events endpoint `w` (a webhooks row) still has to deliver: subscribed events after
 * its cursor recorded after `since` — the deliveries that have no row yet and are pending all the same.
 * A bounded walk of events (organization_id, tx_id, id) from the cursor, in commit order, the window
 * applied to what it read: with the time filter inside the walk, the planner read the organization's
 * day of events by `at` and sorted them instead (the delivery-log page took 250 ms at p50 with a month
 * of history seeded; 0.3 ms this way). A cursor more than BACKLOG_SCAN_LIMIT events behind counts the
 * window's events among the first of them: a floor, as the limit always made it.
 */
export function cursorBacklogSql(w: SQL, since: SQL): SQL {
  return sql`(select count(*) filter (where b.matches and b.at > ${since})::int
    from webhook_cursors c cross join lateral (
      select ${endpointMatches(w, sql`e`)} as matches, e.at
      from events e
      where e.organization_id = ${w}.organization_id and (e.tx_id, e.id) > (c.tx_id, c.event_id) and ${aboveFloor(sql`e`, sql`c.floor_expires_on`)}
      order by e.tx_id, e.id
      limit ${BACKLOG_SCAN_LIMIT}) b
    where c.webhook_id = ${w}.id)`;
}

/** A claimed cursor: the endpoint, what its requests need, where it stands and the lease that fences its writes. */
export type CursorClaim = {
  webhookId: string;
  organizationId: string;
  leaseUntil: Date;
  txId: string;
  eventId: string;
  /** The cursor's floor (see webhook_cursors.floor_expires_on): no event after it expires earlier; null = unknown. */
  floor: string | null;
  webhook: ClaimedDelivery["webhook"];
};

/**
 * Cursors as a job queue: due when the endpoint is active and an event of its organization sits after
 * the cursor below the horizon (one probe of events (organization_id, tx_id, id) per partition from the
 * cursor's floor on); the least recently served first. The claim returns what the requests need (no
 * second query).
 *
 * The probe is a scalar subquery with ORDER BY … LIMIT 1, not EXISTS: Postgres turns an EXISTS into a
 * semi join, and with a month of events it hashed every event of the organization on each claim (60 ms
 * a claim in the bench's history scenario, 1.7 s unprepared, for a poll that runs every second); the
 * subquery runs per cursor, down the index, with the partitions below the floor pruned at run time.
 */
export const cursorQueue: JobQueue = {
  table: "webhook_cursors",
  idColumn: "webhook_id",
  lease: "lease_until",
  due: (c) => sql`coalesce((
    select true from webhooks w cross join lateral (
      select 1 from events e
      where e.organization_id = w.organization_id and (e.tx_id, e.id) > (${c}.tx_id, ${c}.event_id)
        and ${aboveFloor(sql`e`, sql`${c}.floor_expires_on`)} and e.tx_id < ${VISIBLE_HORIZON}
      order by e.tx_id, e.id
      limit 1
    ) waiting
    where w.id = ${c}.webhook_id and w.active), false)`,
  order: (c) => [sql`${c}.updated_at`],
  from: sql`webhooks w`,
  join: sql`w.id = u.webhook_id and w.active`,
  returning: sql`u.webhook_id, u.lease_until, u.tx_id::text as tx_id, u.event_id, u.floor_expires_on::text as floor_expires_on, w.organization_id,
    w.kind, w.url, w.headers_enc, w.secret_enc, w.previous_secret_enc, w.previous_secret_expires_at, w.config_enc, w.sink_options`,
};

type CursorRow = {
  webhook_id: string;
  lease_until: Date | string;
  tx_id: string;
  event_id: string;
  floor_expires_on: string | null;
  organization_id: string;
  kind: ClaimedDelivery["webhook"]["kind"];
  url: string;
  headers_enc: Record<string, string> | null;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | string | null;
  config_enc: string | null;
  sink_options: ClaimedDelivery["webhook"]["sinkOptions"];
};

/**
 * The organization's active endpoints (their cursors' ids), cached per process and evicted on every
 * process when one is created, removed, paused or resumed (drizzle/0072).
 */
export const activeEndpointIds = orgCached<string[]>({
  tables: ["webhooks"],
  load: async (organizationId) =>
    (
      await db
        .select({ id: webhooks.id })
        .from(webhooks)
        .where(and(eq(webhooks.organizationId, organizationId), eq(webhooks.active, true)))
    ).map((r) => r.id),
});

/** Claims up to `limit` cursors with events waiting, on the delivery clock. */
export async function claimDueCursors(limit = deliverySettings.maxInFlight): Promise<CursorClaim[]> {
  const rows = await claimDue<CursorRow>(cursorQueue, { limit, leaseMs: deliverySettings.leaseSeconds * 1000, now: clockSql() });
  return rows.map((r) => ({
    webhookId: r.webhook_id,
    organizationId: r.organization_id,
    leaseUntil: asDate(r.lease_until),
    txId: r.tx_id,
    eventId: r.event_id,
    floor: r.floor_expires_on,
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
  }));
}

/** Gives cursors back (a stopping worker), fenced by our lease: a cursor someone else holds now is left alone. */
export async function releaseCursors(claims: CursorClaim[]): Promise<void> {
  await releaseLeases(
    cursorQueue,
    claims.map((c) => ({ id: c.webhookId, leaseUntil: c.leaseUntil })),
  );
}

type ScannedRow = {
  id: string;
  tx_id: string;
  type: string;
  at: Date | string;
  organization_id: string | null;
  instance_id: string | null;
  api_key_id: string | null;
  device_id: string | null;
  expires_on: string;
  matches: boolean;
  data: Record<string, unknown> | null;
};

/**
 * The next events after the cursor below the horizon, in commit order, while the endpoint is active
 * (paused: nothing, the cursor stays). Every scanned event comes back so the cursor can move past those
 * the endpoint does not subscribe to; only subscribed ones carry their payload.
 */
async function readBatch(claim: CursorClaim, position: { txId: string; eventId: string; floor: string | null }): Promise<ScannedRow[]> {
  return runReadBatch<ScannedRow>({
    webhookId: claim.webhookId,
    organizationId: claim.organizationId,
    txId: position.txId,
    eventId: position.eventId,
    floor: position.floor,
  });
}

/**
 * Run with its generic plan (planned once per connection): planned per call it took 0.8–1.3 ms for
 * 0.1–0.4 ms of work, on every batch of every endpoint. The organization is a parameter of its own so
 * that plan walks each partition's (organization_id, tx_id, id) index (through the endpoint, as a join,
 * it scanned whole partitions); partitions below the floor are pruned when it runs.
 */
const runReadBatch = compiledSql<{ webhookId: string; organizationId: string; txId: string; eventId: string; floor: string | null }>(
  () => sql`
    select e.id, e.tx_id::text as tx_id, e.type, e.at, e.organization_id, e.instance_id, e.api_key_id, e.device_id, e.expires_on::text as expires_on,
      m.matches, case when m.matches then e.data end as data
    from webhooks w
    join events e on e.organization_id = ${sql.placeholder("organizationId")}::uuid
    cross join lateral (select ${endpointMatches(sql`w`, sql`e`)} as matches) m
    where w.id = ${sql.placeholder("webhookId")}::uuid and w.organization_id = ${sql.placeholder("organizationId")}::uuid and w.active
      and (e.tx_id, e.id) > (${sql.placeholder("txId")}::xid8, ${sql.placeholder("eventId")}::uuid)
      and ${aboveFloor(sql`e`, sql`${sql.placeholder("floor")}::date`)} and e.tx_id < ${VISIBLE_HORIZON}
    order by e.tx_id, e.id
    limit ${sql.raw(String(CURSOR_SCAN_LIMIT))}`,
  { genericPlan: true },
);

/**
 * Events of one batch sent at most `maxInFlightPerEndpoint` at a time, started in log order. An event
 * not started because `stop` fired is null, like one the stop aborted.
 */
async function sendInOrder(claim: CursorClaim, events: ScannedRow[], stop: AbortSignal): Promise<(AttemptResult | null)[]> {
  const results: (AttemptResult | null)[] = new Array(events.length).fill(null);
  let next = 0;
  const lane = async () => {
    while (next < events.length && !stop.aborted) {
      const i = next++;
      const e = events[i]!;
      results[i] = await sendAttempt(
        {
          organizationId: claim.organizationId,
          webhook: claim.webhook,
          event: {
            id: e.id,
            type: e.type,
            data: e.data ?? {},
            at: asDate(e.at),
            organizationId: e.organization_id,
            instanceId: e.instance_id,
            apiKeyId: e.api_key_id,
            deviceId: e.device_id,
            txId: e.tx_id,
            expiresOn: e.expires_on,
          },
        },
        stop,
      );
    }
  };
  const lanes = Math.max(1, Math.min(deliverySettings.maxInFlightPerEndpoint, events.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return results;
}

/**
 * Events sent per batch at most: as many rounds of `maxInFlightPerEndpoint` requests as fit in the lease
 * with a request timeout to spare, so a live worker writes its batch before its lease can run out.
 */
function sendLimit(): number {
  const rounds = Math.floor((deliverySettings.leaseSeconds * 1000 - deliverySettings.timeoutMs) / deliverySettings.timeoutMs);
  return deliverySettings.maxInFlightPerEndpoint * Math.max(1, rounds);
}

type BatchWrite = {
  advanced: number;
  lease: Date | string | null;
  inserted: number;
  stale: boolean | null;
  failing_since: Date | string | null;
  failedIds: string[];
  /** The cursor's floor after the write. */
  floor: string | null;
};

/**
 * An endpoint disabled elsewhere while this batch was in flight (the retry queue's auto-disable) cancelled
 * the rows it could see; the batch's failed rows, written after, are cancelled here. The shared lock waits
 * for a disable still in progress, so one of the two always sees the other's rows.
 */
async function cancelIfDisabled(webhookId: string, failedIds: string[]): Promise<void> {
  if (failedIds.length === 0) return;
  await db.execute(sql`
    with h as (select webhooks.id from webhooks where webhooks.id = ${webhookId}::uuid and not webhooks.active for share)
    update webhook_deliveries set status = 'cancelled', next_attempt_at = null, lease_until = null,
      last_error = coalesce(last_error, ${DELIVERY_ERROR.endpointDisabled})
    where webhook_id = ${webhookId}::uuid and id = any(${`{${failedIds.join(",")}}`}::uuid[]) and status in ('pending', 'failed')
      and exists (select 1 from h)`);
}

/**
 * Wake-ups for cursors that caught up and keep their lease a moment (a running worker's linger, see
 * runCursor): the delivery worker hands every NOTIFY of DELIVERIES_QUEUED_CHANNEL here (payload: the
 * organization whose events were recorded; empty: any). A version per organization lets a cursor wait
 * only if nothing arrived since it last read, so a notification landing between its read and its wait
 * is never missed.
 */
export class NewEventSignals {
  private anyVersion = 0;
  private readonly versions = new Map<string, number>();
  private readonly waiters = new Set<{ organizationId: string; since: number; done: () => void }>();
  private open = false;

  /** A worker started: cursors may linger. */
  start(): void {
    this.open = true;
  }

  /** A worker stopping: every lingering cursor stops waiting (and gives its lease back at once). */
  stop(): void {
    this.open = false;
    for (const w of [...this.waiters]) w.done();
  }

  get lingering(): boolean {
    return this.open;
  }

  version(organizationId: string): number {
    return this.anyVersion + (this.versions.get(organizationId) ?? 0);
  }

  notify(organizationId: string): void {
    if (organizationId) this.versions.set(organizationId, (this.versions.get(organizationId) ?? 0) + 1);
    else this.anyVersion++;
    for (const w of [...this.waiters]) if (this.version(w.organizationId) !== w.since) w.done();
  }

  /** Resolves when the organization's version moved past `since`, after `ms`, on stop or on `abort`. */
  wait(organizationId: string, since: number, ms: number, abort: AbortSignal): Promise<void> {
    if (!this.open || abort.aborted || this.version(organizationId) !== since) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        organizationId,
        since,
        done: () => {
          clearTimeout(timer);
          abort.removeEventListener("abort", waiter.done);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, ms);
      abort.addEventListener("abort", waiter.done);
      this.waiters.add(waiter);
    });
  }
}

/** The process's new-event wake-ups (the delivery worker feeds and opens them). */
export const newEventSignals = new NewEventSignals();

/**
 * While a cursor that caught up lingers with no notification, it reads again after these waits (ms): an
 * event committed just before may still sit above the visibility horizon, behind a transaction that
 * notifies nobody when it ends.
 */
const LINGER_REREAD_MS = [5, 10, 20, 40, 80];

/**
 * Sends what the cursor has waiting, batch after batch, while batches come back full and the lease holds;
 * returns each attempt's outcome in log order. `stop` (a stopping worker) ends it after the events
 * already sent are written; events not sent stay after the cursor.
 *
 * In a running worker (`newEventSignals` started, `deliverySettings.lingerMs` > 0) a cursor that caught up
 * keeps its lease for `lingerMs` more and reads again as soon as its organization records events: under
 * steady traffic an endpoint is claimed once, each batch costs one read and one write, and what arrived
 * while a batch was being sent goes in the next one. Idle for `lingerMs`, it gives the lease back.
 */
export async function runCursor(claim: CursorClaim, stop: AbortSignal = new AbortController().signal): Promise<AttemptOutcome[]> {
  const outcomes: AttemptOutcome[] = [];
  const signals = newEventSignals;
  let lease = claim.leaseUntil;
  let position = { txId: claim.txId, eventId: claim.eventId, floor: claim.floor };
  let caughtUpAt = performance.now();
  let rereads = 0;
  // The claim's first read goes at once (an endpoint's first event after a quiet spell is not held back).
  let gather = false;
  for (;;) {
    // A lingering cursor reading again lets events gather first: one read and one write carry more of them.
    if (gather && deliverySettings.gatherMs > 0) await sleep(deliverySettings.gatherMs, stop);
    const seen = signals.version(claim.organizationId);
    let scanned = await readBatch(claim, position);
    // At most sendLimit() subscribed events per batch: the scan is cut after the last one that fits.
    let subscribed = 0;
    for (let i = 0; i < scanned.length; i++) {
      if (scanned[i]!.matches && ++subscribed > sendLimit()) {
        scanned = scanned.slice(0, i);
        break;
      }
    }
    const full = scanned.length === CURSOR_SCAN_LIMIT || subscribed > sendLimit();
    // After a full batch more is waiting already: the next read goes at once.
    gather = !full && signals.lingering;
    if (scanned.length === 0) {
      const left = deliverySettings.lingerMs - (performance.now() - caughtUpAt);
      if (!signals.lingering || left <= 0 || stop.aborted) {
        await releaseLeases(cursorQueue, [{ id: claim.webhookId, leaseUntil: lease }]);
        return outcomes;
      }
      await signals.wait(claim.organizationId, seen, Math.min(left, LINGER_REREAD_MS[rereads] ?? left), stop);
      rereads = signals.version(claim.organizationId) === seen ? rereads + 1 : 0;
      continue;
    }
    const toSend = scanned.filter((e) => e.matches);
    const results = await sendInOrder(claim, toSend, stop);
    // Only a prefix that was attempted moves the cursor: it stops before the first event not sent.
    const firstUnsent = results.indexOf(null);
    const sentCount = firstUnsent === -1 ? toSend.length : firstUnsent;
    const kept = firstUnsent === -1 ? scanned : scanned.slice(0, scanned.indexOf(toSend[firstUnsent]!));
    const attempts = toSend.slice(0, sentCount).map((event, i) => ({ event, result: results[i]! }));
    const more = firstUnsent === -1 && !stop.aborted && (full || (signals.lingering && deliverySettings.lingerMs > 0));
    const write = await writeBatch(claim, lease, kept.at(-1) ?? null, attempts, more);
    const verdicts = attempts.map((a) => attemptVerdict(a.result, 1));
    if (write.advanced > 0 && verdicts.some((v) => !v.ok)) await cancelIfDisabled(claim.webhookId, write.failedIds);
    if (write.advanced === 0) {
      // Our lease ran out and another worker holds the cursor: it sends these again (at least once).
      log.warn("delivery cursor lease lost", { webhookId: claim.webhookId, events: attempts.length });
      for (const _ of attempts) outcomes.push("lease_lost");
      return outcomes;
    }
    for (const [i, a] of attempts.entries()) {
      const v = verdicts[i]!;
      meterUsage(
        { organizationId: claim.organizationId, instanceId: a.event.instance_id, metric: v.ok ? "deliveries_succeeded" : "deliveries_failed" },
        deliveryClock.now(),
      );
      countDeliveryAttempt(claim.webhook.kind, v.status);
      outcomes.push(v.status);
    }
    for (let i = 0; i < toSend.length - sentCount; i++) outcomes.push("aborted");
    const last = verdicts.at(-1);
    let disabled = false;
    if (verdicts.some((v) => v.gone)) {
      disabled = await db.transaction((tx) => disableWebhook(tx, claim.webhookId, DISABLED_REASON.gone));
    } else if (last && !last.ok && write.stale) {
      const since = write.failing_since ? asDate(write.failing_since).toISOString() : "5 days ago";
      disabled = await db.transaction((tx) => disableWebhook(tx, claim.webhookId, `${DISABLED_REASON.failingSince}${since}`));
      // As in the retry queue: the attempt that tipped the endpoint over counts as cancelled.
      if (disabled) outcomes[outcomes.length - 1 - (toSend.length - sentCount)] = "cancelled";
    }
    if (!more || write.lease === null) return outcomes;
    lease = asDate(write.lease);
    if (disabled) {
      await releaseLeases(cursorQueue, [{ id: claim.webhookId, leaseUntil: lease }]);
      return outcomes;
    }
    position = { txId: kept.at(-1)!.tx_id, eventId: kept.at(-1)!.id, floor: write.floor };
    caughtUpAt = performance.now();
    rereads = 0;
  }
}

/**
 * Writes one batch in ONE statement, all of it only while our lease holds: the cursor moves to `last`
 * (and keeps the lease, renewed, when `keep`; else frees it), every attempt becomes a delivery row that
 * carries it (one multi-row insert; failed ones due again on the retry schedule), and the endpoint's
 * failure streak follows its latest attempt. `last` null (nothing attempted) only frees the lease.
 */
async function writeBatch(
  claim: CursorClaim,
  lease: Date,
  last: ScannedRow | null,
  attempts: { event: ScannedRow; result: AttemptResult }[],
  keep: boolean,
): Promise<BatchWrite> {
  const rows = attempts.map(({ event, result: r }) => {
    const v = attemptVerdict(r, 1);
    return {
      // Time-ordered, as the table's default (drizzle/0068).
      id: Bun.randomUUIDv7(),
      event_id: event.id,
      event_type: event.type,
      status: v.status,
      retry_in_ms: v.retryInMs,
      ok: v.ok,
      status_code: r.statusCode,
      last_error: v.lastError,
      duration_ms: r.durationMs,
      excerpt: r.excerpt,
      // Its `at` is the statement's clock (as delivered_at), added there.
      first_attempt: {
        id: Bun.randomUUIDv7(),
        statusCode: r.statusCode,
        error: r.error,
        durationMs: r.durationMs,
        requestHeaders: r.requestHeaders,
        requestBody: r.requestBody,
        responseExcerpt: r.excerpt,
      } satisfies Omit<InlineAttempt, "at">,
    };
  });
  const [row] = await runWriteBatch<BatchWrite>({
    webhookId: claim.webhookId,
    organizationId: claim.organizationId,
    lease: lease.toISOString(),
    txId: last?.tx_id ?? null,
    eventId: last?.id ?? null,
    lastAt: last ? asDate(last.at).toISOString() : null,
    lastExpiresOn: last?.expires_on ?? null,
    keep,
    leaseS: deliverySettings.leaseSeconds,
    clockOffsetS: deliveryClock.offsetMs / 1000,
    rows: JSON.stringify(rows),
    latestOk: rows.length > 0 ? rows.at(-1)!.ok : null,
  });
  return row!;
}

type WriteValues = {
  webhookId: string;
  organizationId: string;
  /** Our lease, the fence: nothing is written once another worker holds the cursor. */
  lease: string;
  /** The last event attempted (null: nothing was, the cursor stays). */
  txId: string | null;
  eventId: string | null;
  /** When the last event attempted was recorded, and its expiry: they raise the cursor's floor. */
  lastAt: string | null;
  lastExpiresOn: string | null;
  /** Keep the lease (renewed by `leaseS`) or free it. */
  keep: boolean;
  leaseS: number;
  /** The delivery clock's offset (tests move it), so due times follow it. */
  clockOffsetS: number;
  rows: string;
  latestOk: boolean | null;
};

/** writeBatch's statement, built once (src/db/compiled.ts). */
const runWriteBatch = compiledSql<WriteValues>(() => {
  const p = (name: keyof WriteValues) => sql.placeholder(name);
  const now = sql`(now() + make_interval(secs => ${p("clockOffsetS")}::float8))`;
  const leaseEnd = sql`case when ${p("keep")}::boolean then date_trunc('milliseconds', ${now} + make_interval(secs => ${p("leaseS")}::float8)) end`;
  const latestOk = sql`${p("latestOk")}::boolean`;
  return sql`
    with c as (
      update webhook_cursors u set tx_id = coalesce(${p("txId")}::xid8, u.tx_id), event_id = coalesce(${p("eventId")}::uuid, u.event_id),
        floor_expires_on = ${cursorFloorSql(sql`u`, sql`${p("lastAt")}::timestamptz`, sql`${p("lastExpiresOn")}::date`)},
        lease_until = ${leaseEnd}, updated_at = now()
      where u.webhook_id = ${p("webhookId")}::uuid and u.lease_until = ${p("lease")}::timestamptz
      returning u.webhook_id, u.lease_until, u.floor_expires_on
    ),
    v as (
      select * from jsonb_to_recordset(${p("rows")}::jsonb) as v(id uuid, event_id uuid, event_type text, status text, retry_in_ms bigint,
        ok boolean, status_code int, last_error text, duration_ms int, excerpt text, first_attempt jsonb)
    ),
    -- A row already there (an event replayed into a delivery row before the cursor reached it) keeps its
    -- own log. The attempt is kept on the row (first_attempt): no webhook_attempts row for it.
    d as (
      insert into webhook_deliveries (id, organization_id, webhook_id, event_id, event_type, status, attempts, next_attempt_at,
        last_status_code, last_error, last_duration_ms, last_response_excerpt, delivered_at, first_attempt, expires_on)
      select v.id, ${p("organizationId")}::uuid, ${p("webhookId")}::uuid, v.event_id, v.event_type, v.status, 1,
        case when v.status = 'failed' then ${now} + make_interval(secs => v.retry_in_ms / 1000.0) end,
        v.status_code, v.last_error, v.duration_ms, v.excerpt, case when v.ok then ${now} end,
        v.first_attempt || jsonb_build_object('at', ${now}), x.expires_on
      from v cross join (select ${retentionExpiresOn(sql`${p("organizationId")}::uuid`, "deliveries")} as expires_on) x
      where exists (select 1 from c)
      on conflict (webhook_id, event_id, expires_on) do nothing
      returning id
    ),
    w as (
      update webhooks set failing_since = case when ${latestOk} then null else coalesce(failing_since, ${now}) end
      where webhooks.id = ${p("webhookId")}::uuid and ${latestOk} is not null and exists (select 1 from c)
        and (not ${latestOk} or failing_since is not null)
      returning failing_since, failing_since <= ${now} - ${msInterval(AUTO_DISABLE_AFTER_MS)} as stale
    )
    select (select count(*) from c)::int as advanced, (select lease_until from c) as lease, (select floor_expires_on::text from c) as floor,
      (select count(*) from d)::int as inserted, w.stale, w.failing_since,
      array(select d.id::text from d join v on v.id = d.id where not v.ok) as "failedIds"
    from (select 1) one left join w on true`;
});

/**
 * Cursors as jobs (src/workers/jobs.ts): one job is one endpoint's waiting events, batch after batch.
 * A job stopped midway writes what it sent and frees the cursor itself; `release` covers jobs that
 * never started (fenced, so a cursor written since is left alone).
 */
export const cursorJobs: JobKind<CursorClaim, AttemptOutcome[]> = {
  name: "webhook-cursors",
  claim: claimDueCursors,
  run: runCursor,
  release: releaseCursors,
  idOf: (claim) => claim.webhookId,
};
