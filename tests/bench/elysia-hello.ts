/**
 * Second and third baselines for the API figure, on the framework SPEC §1 fixes (Elysia) with no
 * hooks: `GET /` answers "hello"; `GET /contract` answers what `GET /v1/me` answers — the same JSON
 * body and every response header the app sends with it (the security headers of every response,
 * X-Request-Id, X-RateLimit-*), taken from the app's own modules — with none of the work behind them.
 * Together they split the gap between bare Bun.serve and the app into what Elysia costs, what the
 * API's response costs to write, and what LivChat's request path costs.
 */
import { Elysia } from "elysia";
import { RESPONSE_HEADERS, requestSecurityHeaders } from "../../src/lib/security-headers";

const me = {
  apiKey: {
    id: "0190f6a4-7c1e-7d2a-9b3c-4d5e6f708192",
    organizationId: "0190f6a4-7c1e-7d2a-9b3c-4d5e6f708193",
    instanceId: "0190f6a4-7c1e-7d2a-9b3c-4d5e6f708194",
    deviceId: null,
    scopes: ["*"],
    expiresAt: null,
    requestsPerMinute: 2_000_000_000,
    maxMessagesPerDay: null,
  },
};

const app = new Elysia()
  .get("/", () => "hello")
  .get("/contract", ({ request, set }) => {
    // What the app's default headers amount to: Elysia copies them into each request's headers.
    Object.assign(set.headers, RESPONSE_HEADERS);
    requestSecurityHeaders(request.url, set.headers);
    set.headers["x-request-id"] = crypto.randomUUID();
    set.headers["x-ratelimit-limit"] = "2000000000";
    set.headers["x-ratelimit-remaining"] = "1999999999";
    set.headers["x-ratelimit-reset"] = "60";
    return me;
  })
  .listen({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
console.log(JSON.stringify({ port: app.server?.port }));
process.on("SIGTERM", () => process.exit(0));
