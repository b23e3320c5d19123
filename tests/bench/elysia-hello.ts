/**
 * Second and third baselines for the API figure, on the framework SPEC §1 fixes (Elysia) with no
 * plugins: `GET /` answers "hello"; `GET /contract` answers what `GET /v1/me` answers — the same JSON
 * body and the response headers SPEC §3 requires of every API response (X-Request-Id, X-RateLimit-*)
 * — with none of the work behind them. Together they split the gap between bare Bun.serve and the app
 * into what Elysia costs, what the API's response contract costs, and what LivChat's request path costs.
 */
import { Elysia } from "elysia";

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
  .get("/contract", ({ set }) => {
    set.headers["x-request-id"] = crypto.randomUUID();
    set.headers["x-ratelimit-limit"] = "2000000000";
    set.headers["x-ratelimit-remaining"] = "1999999999";
    set.headers["x-ratelimit-reset"] = "60";
    return me;
  })
  .listen({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
console.log(JSON.stringify({ port: app.server?.port }));
process.on("SIGTERM", () => process.exit(0));
