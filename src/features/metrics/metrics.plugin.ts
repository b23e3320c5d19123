import { timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import { config } from "@/config";
import { httpRequestDuration, renderMetrics } from "./metrics";

/** The request context carries its own start time (cheaper than a WeakMap keyed by the request). */
type Timed = { requestStartedAt?: number };
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

function statusOf(ctx: { responseValue?: unknown; code?: unknown; set: { status?: number | string } }): number {
  if (ctx.responseValue instanceof Response) return ctx.responseValue.status;
  if (ctx.code === "NOT_FOUND") return 404;
  return typeof ctx.set.status === "number" ? ctx.set.status : Number(ctx.set.status) || 200;
}

function tokenMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may scrape: with METRICS_TOKEN set, whoever presents it as a bearer token; without it only a
 * direct loopback client (a request that came through a proxy carries X-Forwarded-For and is refused,
 * since behind a local reverse proxy every visitor would otherwise look like 127.0.0.1). In-process
 * calls without a socket (tests, `app.handle`) count as local.
 */
function scrapeRefusal(request: Request, ip: string | undefined): Response | null {
  if (config.metricsToken) {
    const auth = request.headers.get("authorization") ?? "";
    const presented = auth.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : "";
    if (presented && tokenMatches(presented, config.metricsToken)) return null;
    return new Response("unauthorized: send Authorization: Bearer <METRICS_TOKEN>\n", {
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="metrics"', "content-type": "text/plain; charset=utf-8" },
    });
  }
  const proxied = request.headers.has("x-forwarded-for") || request.headers.has("forwarded");
  if (!proxied && (ip === undefined || LOOPBACK.test(ip))) return null;
  return new Response("forbidden: /metrics is served to loopback only unless METRICS_TOKEN is set\n", {
    status: 403,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Request timing for every route plus `GET /metrics`. It must be `.use()`d before the feature
 * plugins: Elysia applies a global onAfterResponse only to routes registered after it.
 * The route label is the matched pattern (`/v1/messages/:id`), so ids never explode cardinality;
 * requests that match no route are labelled "unmatched".
 */
export const metricsPlugin = new Elysia({ name: "metrics" })
  .onRequest((ctx) => {
    (ctx as Timed).requestStartedAt = performance.now();
  })
  .onAfterResponse({ as: "global" }, (ctx) => {
    const start = (ctx as Timed).requestStartedAt;
    if (start === undefined) return;
    const c = ctx as unknown as { route?: string; responseValue?: unknown; code?: unknown; set: { status?: number | string } };
    httpRequestDuration.observe(ctx.request.method, c.route || "unmatched", String(statusOf(c)), (performance.now() - start) / 1000);
  })
  .get(
    "/metrics",
    async ({ request, server }) => {
      const refusal = scrapeRefusal(request, server?.requestIP(request)?.address);
      if (refusal) return refusal;
      const { body, contentType } = await renderMetrics();
      return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
    },
    { detail: { hide: true } },
  );
