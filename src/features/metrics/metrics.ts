import { sql } from "drizzle-orm";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { db, rowsOf } from "@/db/client";
import { log } from "@/lib/logger";

/**
 * The process's Prometheus registry. Its own Registry (not prom-client's global one) so nothing a
 * dependency registers leaks into `/metrics`. Features import the metric objects from here; this
 * module has no HTTP code so services can use it.
 */
export const registry = new Registry();

collectDefaultMetrics({ register: registry, prefix: "livchat_" });
for (const name of registry.getMetricsAsArray().map((m) => m.name)) {
  // Bun's perf_hooks event-loop histogram reports NaN and sentinel values; those series would mislead.
  if (name.includes("eventloop_lag")) registry.removeSingleMetric(name);
  // prom-client's nodejs_active_{handles,requests,resources}[_total]: the _total ones are gauges named like
  // counters, which `promtool check metrics` rejects, and under Bun (no libuv handle list) every one of
  // them reads 0 or nothing whatever the process holds open — a series that would only mislead.
  if (name.startsWith("livchat_nodejs_active_")) registry.removeSingleMetric(name);
}

const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BUCKET_BOUNDS = Float64Array.from(REQUEST_BUCKETS);
type RequestSeries = { labels: { method: string; route: string; status: string }; buckets: Float64Array; sum: number; count: number };

/**
 * HTTP request durations as a Prometheus histogram (method, route pattern, status). Written by hand
 * on prom-client's custom-metric interface (`get()`), because prom-client's Histogram validates and
 * hashes the label set on every observe — several percent of the CPU of a cached /v1 request. Here a
 * request costs three Map lookups on values it already holds (the route pattern, the method, the
 * numeric status: no key string is built) and a bucket increment; the work moves to scrape time.
 */
class RequestDurationHistogram {
  readonly name = "livchat_http_request_duration_seconds";
  readonly help = "HTTP request duration by method, route pattern and status code";
  readonly type = "histogram";
  readonly aggregator = "sum";
  /** route → method → status → series, for recording. */
  private readonly byRoute = new Map<string, Map<string, Map<number, RequestSeries>>>();
  /** The same series in the order they first appeared, for the exposition. */
  private readonly series: RequestSeries[] = [];

  observe(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.byRoute.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (!byStatus) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let s = byStatus.get(status);
    if (!s) {
      s = { labels: { method, route, status: String(status) }, buckets: new Float64Array(BUCKET_BOUNDS.length), sum: 0, count: 0 };
      byStatus.set(status, s);
      this.series.push(s);
    }
    for (let i = 0; i < BUCKET_BOUNDS.length; i++) {
      if (seconds <= BUCKET_BOUNDS[i]!) {
        s.buckets[i]! += 1;
        break;
      }
    }
    s.sum += seconds;
    s.count += 1;
  }

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      REQUEST_BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i]!;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: "+Inf", ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.byRoute.clear();
    this.series.length = 0;
  }
}

export const httpRequestDuration = new RequestDurationHistogram();
registry.registerMetric(httpRequestDuration as never);

export const eventsRecorded = new Counter({
  name: "livchat_events_recorded_total",
  help: "Events written to the event log by this process, by type (counted when written, before the transaction commits)",
  labelNames: ["type"] as const,
  registers: [registry],
});

/**
 * Delivery attempts to organizations' endpoints — webhooks and event sinks (NATS, RabbitMQ) share one
 * delivery mechanism — by endpoint kind and how each ended (delivery.send's AttemptOutcome).
 */
export const deliveryAttempts = new Counter({
  name: "livchat_delivery_attempts_total",
  help: "Delivery attempts made by this process to webhook endpoints and event sinks, by endpoint kind and outcome (succeeded, failed = will retry, exhausted = gave up, cancelled, …)",
  labelNames: ["kind", "outcome"] as const,
  registers: [registry],
});
for (const outcome of ["succeeded", "failed", "exhausted", "cancelled"]) deliveryAttempts.inc({ kind: "webhook", outcome }, 0);

/** One delivery attempt to an endpoint of `kind` (webhook, nats, rabbitmq) ended with `outcome`. */
export function countDeliveryAttempt(kind: string, outcome: string): void {
  deliveryAttempts.inc({ kind, outcome });
}

export const providerCalls = new Counter({
  name: "livchat_provider_calls_total",
  help: "Calls to WhatsApp providers (sandbox, wuzapi, cloud) by provider and operation (send, connect, markRead, checkNumbers, downloadMedia…)",
  labelNames: ["provider", "operation"] as const,
  registers: [registry],
});

export const providerErrors = new Counter({
  name: "livchat_provider_errors_total",
  help: "Provider calls that failed (rejected, timed out, unreachable), by provider and operation; also counted in livchat_provider_calls_total",
  labelNames: ["provider", "operation"] as const,
  registers: [registry],
});

/** One provider call finished (the composition root hands this to the provider registry). */
export function countProviderCall(provider: string, operation: string, failed: boolean): void {
  providerCalls.inc({ provider, operation });
  if (failed) providerErrors.inc({ provider, operation });
}

export const inboundEvents = new Counter({
  name: "livchat_inbound_events_total",
  help: "Inbound provider events ingested, by provider and type (the message type — text, image… — or the event kind: receipt, connection, edit, delete, unparsed…)",
  labelNames: ["provider", "type"] as const,
  registers: [registry],
});

/** One inbound event from `provider` entered the inbound pipeline. */
export function countInbound(provider: string, type: string): void {
  inboundEvents.inc({ provider, type });
}

export const mediaDownloads = new Counter({
  name: "livchat_media_downloads_total",
  help: "Media fetched from providers or URLs into the media store, by provider and outcome (ok, failed, too_large, rejected…)",
  labelNames: ["provider", "outcome"] as const,
  registers: [registry],
});

/** One media download ended with `outcome` — the media feature calls this where it downloads. */
export function countMediaDownload(provider: string, outcome: string): void {
  mediaDownloads.inc({ provider, outcome });
}

/** Gauges read from Postgres at scrape time; a failed query keeps the previous value rather than failing the scrape. */
async function scrapeCount<T extends Record<string, unknown>>(what: string, query: ReturnType<typeof sql>): Promise<T[] | undefined> {
  try {
    return rowsOf<T>(await db.execute(query));
  } catch (err) {
    log.warn("metrics query failed", { what, err });
    return undefined;
  }
}

new Gauge({
  name: "livchat_outbound_queue_depth",
  help: "Outbound messages queued and not yet sent (all processes)",
  registers: [registry],
  async collect() {
    // Served by the partial index messages_outbox_due_idx.
    const rows = await scrapeCount<{ n: string }>(
      "outbound queue",
      sql`select count(*)::bigint as n from messages where status = 'queued' and direction = 'outbound'`,
    );
    if (rows) this.set(Number(rows[0]?.n ?? 0));
  },
});

new Gauge({
  name: "livchat_webhook_deliveries_pending",
  help: "Webhook deliveries waiting for a (re)try, by status (all processes)",
  labelNames: ["status"] as const,
  registers: [registry],
  async collect() {
    // Pending also counts the events each endpoint's cursor has not reached yet (no delivery row until
    // attempted: src/features/webhooks/delivery.cursor.ts, whose filters this repeats), up to 10000 each.
    const rows = await scrapeCount<{ status: string; n: string }>(
      "pending deliveries",
      sql`select status, count(*)::bigint as n from webhook_deliveries where status in ('pending', 'failed') group by status
        union all
        select 'pending', coalesce(sum(b.n), 0)::bigint from webhooks w join webhook_cursors c on c.webhook_id = w.id cross join lateral (
          select count(*) as n from (
            /* The cursor is the walk's parameter (an index range from it): joined instead, the planner
               read all of the organization's events and filtered them by the cursor. */
            select 1 from events e
            where e.organization_id = w.organization_id and (e.tx_id, e.id) > (c.tx_id, c.event_id)
              and e.expires_on >= coalesce(c.floor_expires_on, '-infinity'::date)
              and e.type <> 'webhook.test' and (w.event_types is null or e.type = any(w.event_types))
              and (e.instance_id is null or w.instance_ids is null or e.instance_id = any(w.instance_ids))
            limit 10000) x) b`,
    );
    if (!rows) return;
    this.reset();
    const totals: Record<string, number> = { pending: 0, failed: 0 };
    for (const r of rows) totals[r.status] = (totals[r.status] ?? 0) + Number(r.n);
    for (const [status, n] of Object.entries(totals)) this.set({ status }, n);
  },
});

/** The Prometheus text exposition of every metric. */
export async function renderMetrics(): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}
