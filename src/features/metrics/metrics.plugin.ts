import { timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import { config } from "@/config";
import { httpRequestDuration, renderMetrics } from "./metrics";

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** The matched route pattern, written on the request by the route's own mapResponse (see below). */
const ROUTE = Symbol("livchat.metrics.route");
type Stamped = Request & { [ROUTE]?: string };

/** Observes one finished request; returns the response unchanged. */
function record(request: Stamped, response: Response, started: number): Response {
  // Anything but a Response (a handler that resolved to something else) is not a request outcome.
  if (response instanceof Response) {
    httpRequestDuration.observe(request.method, request[ROUTE] ?? "unmatched", response.status, (performance.now() - started) / 1000);
  }
  return response;
}

type Handle = (request: Request) => Response | Promise<Response>;
const timedHandles = new WeakMap<Handle, Handle>();

/**
 * Elysia's higher-order function (`.wrap`) gets each compiled route handler, and the general handler
 * for requests no native route matched, once per request and returns what answers it. One timed
 * wrapper per handler, made once: a request costs a WeakMap lookup, two clock reads and, for an
 * asynchronous handler, one `then` — no context property, no setImmediate (an onAfterResponse hook
 * costs a deferred async callback per request, the largest part of what request metrics cost).
 */
function timed(handle: Handle): Handle {
  let wrapper = timedHandles.get(handle);
  if (!wrapper) {
    wrapper = (request: Request) => {
      const started = performance.now();
      const result = handle(request);
      if (result instanceof Promise) return result.then((response) => record(request, response, started));
      return record(request, result, started);
    };
    timedHandles.set(handle, wrapper);
  }
  return wrapper;
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
 * Request timing for every route plus `GET /metrics`. The duration runs from the moment Elysia hands
 * the request to the app (before every onRequest hook) until the Response exists (for a stream: until
 * its head, not its end); the status is the Response's own. The route label is the matched pattern
 * (`/v1/messages/:id`), so ids never explode cardinality; the route's mapResponse writes it on the
 * request (mapResponse runs for every answer of a matched route, error answers included), and
 * requests that reach no route's lifecycle (no route matched, or refused by an onRequest hook) are
 * labelled "unmatched". It must be `.use()`d before the feature plugins: Elysia applies a global
 * hook only to routes registered after it.
 */
export const metricsPlugin = new Elysia({ name: "metrics" })
  .wrap((handle) => timed(handle as unknown as Handle))
  .mapResponse({ as: "global" }, ({ request, route }) => {
    (request as Stamped)[ROUTE] = route;
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
