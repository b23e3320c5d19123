/**
 * Issue 21 item 4: "the bench seeds a month of history and shows ingest and page latency unaffected".
 * Measures inbound ingestion and the events page, seeds a month of events and their deliveries (each
 * carrying its attempt, as the endpoint cursors write them) spread over the daily partitions they expire
 * in (at + 30 days, as the default retention writes them), measures both again, then times the
 * retention drop of one day's partitions. Used by run.ts (`--only=history`).
 */
import type postgres from "postgres";
import { moveCursorsPastThisTransaction, percentile, round, settleBulkLoad } from "./lib";
import type { BenchRow } from "./rows";

export type HistoryContext = {
  sql: postgres.Sql;
  base: string;
  cookie: string;
  organizationId: string;
  instanceId: string;
  webhookId: string;
  /** Events seeded over the last `days` days (one delivery and one attempt each). */
  events: number;
  /** 30 (a month) in full mode; a few in quick mode, so the smoke run stays short. */
  days: number;
  pageRequests: number;
  /** Runs the bench's inbound load for a while; events/s stored. */
  ingest: (tag: string) => Promise<number>;
  /** Names the step under way, so the app's memory peak is reported per step. */
  mark?: (step: string) => void;
};

async function pageP95(ctx: HistoryContext, path: string): Promise<{ p95: number; p50: number }> {
  const samples: number[] = [];
  for (let i = 0; i < ctx.pageRequests + 3; i++) {
    const t0 = performance.now();
    // After minutes of seeding the pooled keep-alive connection may have been closed by the server
    // (ECONNRESET on reuse): a warm-up request is retried once on a fresh one.
    const res = await fetch(`${ctx.base}${path}`, { headers: { cookie: ctx.cookie } }).catch((err) => {
      if (i >= 3) throw err;
      return fetch(`${ctx.base}${path}`, { headers: { cookie: ctx.cookie, connection: "close" } });
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    if (i >= 3) samples.push(performance.now() - t0);
  }
  return { p95: percentile(samples, 0.95), p50: percentile(samples, 0.5) };
}

export async function historyRows(ctx: HistoryContext): Promise<BenchRow[]> {
  const { addDays, databaseToday, ensurePartition, listPartitions, maintainPartitions } = await import("../../src/features/retention/retention.partitions");
  const { sql } = ctx;
  const eventsPage = "/events";
  const logPage = `/webhooks/${ctx.webhookId}`;

  ctx.mark?.("history: ingestion before");
  const ingestBefore = await ctx.ingest("HB");
  ctx.mark?.("history: pages before");
  const eventsBefore = await pageP95(ctx, eventsPage);
  const logBefore = await pageP95(ctx, logPage);

  // A month of history, each row in the partition of the day it expires (the product's own maintenance creates them).
  // Types the bench's endpoints do not subscribe to (they take message.received): the history is already
  // delivered, its delivery rows are seeded below, and the cursors must not send it again.
  ctx.mark?.("history: seeding");
  const today = await databaseToday();
  for (const table of ["events", "webhook_deliveries", "webhook_attempts"] as const) {
    for (let d = 30 - ctx.days; d <= 31; d++) await ensurePartition(table, addDays(today, d));
  }
  const seedStart = performance.now();
  const n = ctx.events;
  // One transaction that also moves the endpoints' cursors past it: the history was delivered, it is not a backlog.
  await sql.begin(async (tx) => {
    await tx`
      insert into events (organization_id, instance_id, type, data, at, expires_on)
      select ${ctx.organizationId}, ${ctx.instanceId}, (array['message.sent', 'message.status', 'conversation.updated'])[1 + g % 3],
        jsonb_build_object('history', g, 'message', jsonb_build_object('body', 'History message number ' || g)), t.at, (t.at at time zone 'utc')::date + 30
      from generate_series(1, ${n}::int) g, lateral (select now() - (g * (make_interval(days => ${ctx.days}::int) / ${n}::float8)) as at) t`;
    await tx`
      insert into webhook_deliveries (organization_id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_duration_ms, delivered_at, first_attempt, created_at, updated_at, expires_on)
      select ${ctx.organizationId}, ${ctx.webhookId}, e.id, e.type, 'succeeded', 1, null, 204, 3, e.at,
        jsonb_build_object('id', uuid_v7(), 'at', e.at, 'statusCode', 204, 'error', null, 'durationMs', 3,
          'requestHeaders', '{"content-type": "application/json"}'::jsonb, 'requestBody', repeat('x', 600), 'responseExcerpt', null),
        e.at, e.at, e.expires_on
      from events e where e.organization_id = ${ctx.organizationId} and e.data ? 'history'`;
    await moveCursorsPastThisTransaction(tx, ctx.organizationId);
  });
  await settleBulkLoad(sql, ["events", "webhook_deliveries"]);
  const seedS = (performance.now() - seedStart) / 1000;
  const partitions = (await listPartitions("events")).length;
  const [inDefault] = await sql`select count(*)::int as n from events_default`;

  ctx.mark?.("history: ingestion after");
  const ingestAfter = await ctx.ingest("HA");
  ctx.mark?.("history: pages after");
  const eventsAfter = await pageP95(ctx, eventsPage);
  const logAfter = await pageP95(ctx, logPage);

  // The day after: one day of each table expires and goes by DROP, however many rows it holds.
  ctx.mark?.("history: retention pass");
  const [expiring] = await sql`select count(*)::int as n from events where expires_on = ${today}::date`;
  const dropStart = performance.now();
  const dropped = await maintainPartitions({ today: addDays(today, 1) });
  const dropMs = performance.now() - dropStart;

  const note = `${n.toLocaleString("en")} events + ${n.toLocaleString("en")} deliveries (each with its attempt) over ${ctx.days} days seeded in ${seedS.toFixed(0)} s into ${partitions} events partitions (${inDefault!.n} rows in the default)`;
  const dropNote = `next day's retention pass dropped ${dropped.dropped.length} partitions (${expiring!.n.toLocaleString("en")} events and their deliveries) in ${Math.round(dropMs)} ms`;
  const ingestRatio = ingestAfter / ingestBefore;
  return [
    {
      scenario: "history.ingest_rate",
      figure: round(ingestAfter, 1),
      baseline: round(ingestBefore, 1),
      ratio: round(ingestRatio, 3),
      unit: "events/s",
      baselineLabel: "inbound ingestion events/s in the same run before the history was seeded (each rate the better of two runs started from a checkpoint)",
      target: "ratio ≥ 0.80",
      pass: ingestRatio >= 0.8,
      detail: `${note}; ${dropNote}`,
    },
    {
      scenario: "history.events_page_p95",
      figure: round(eventsAfter.p95, 1),
      baseline: round(eventsBefore.p95, 1),
      ratio: round(eventsAfter.p95 / eventsBefore.p95, 3),
      unit: "ms",
      baselineLabel: "GET /events p95 ms before the history was seeded",
      target: "< 50 ms",
      pass: eventsAfter.p95 < 50,
      detail: `GET /events p50 ${round(eventsAfter.p50, 1)} ms (before ${round(eventsBefore.p50, 1)}); delivery log GET /webhooks/:id p95 ${round(logAfter.p95, 1)} ms (before ${round(logBefore.p95, 1)}); ${ctx.pageRequests} sequential requests; ${note}`,
    },
  ];
}
