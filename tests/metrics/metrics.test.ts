import { afterAll, describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { encryptSecret } from "@/lib/crypto";
import { api } from "../helpers/client";
import { startServer } from "../helpers/browser";
import { setupOrg } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const app = createApp();
const server = startServer();

afterAll(() => {
  config.metricsToken = undefined;
  server.stop();
});

const scrape = (headers: Record<string, string> = {}) => app.handle(new Request("http://localhost/metrics", { headers }));

/** The value of one sample line, e.g. `livchat_outbound_queue_depth 0`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

describe("GET /metrics", () => {
  test("Prometheus text: request histogram by route pattern and status, queue depth, pending deliveries, events", async () => {
    const { organization, key } = await setupOrg(app);
    await db.insert(webhooks).values({ organizationId: organization.id, url: "https://example.test/hook", secretEnc: encryptSecret("whsec_x") });
    await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} });
    await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} });
    await api(app, "GET", "/v1/events", key);
    await api(app, "GET", `/v1/events/${crypto.randomUUID()}`, key);
    await api(app, "GET", "/v1/nothing-here", key);
    // Refused by the route's key check (transform), and an admin page rendered as HTML.
    await app.handle(new Request("http://localhost/v1/events"));
    const page = await app.handle(new Request("http://localhost/login"));
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");

    // Timings are observed in onAfterResponse, which Elysia runs after the response has been handed over:
    // scrape until the last request above (the /login page) is counted.
    const { res, text } = await waitFor(
      async () => {
        const res = await scrape();
        const text = await res.text();
        return sample(text, "livchat_http_request_duration_seconds_count", { method: "GET", route: "/login", status: "200" }) === 1 && { res, text };
      },
      { what: "the /login request in the metrics" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(res.headers.get("content-type")).toContain("version=0.0.4");
    expect(text).toContain("# TYPE livchat_http_request_duration_seconds histogram");
    expect(sample(text, "livchat_http_request_duration_seconds_count", { method: "GET", route: "/v1/events/", status: "200" })).toBe(1);
    // Ids never become label values: the route label is the pattern.
    expect(sample(text, "livchat_http_request_duration_seconds_count", { route: "/v1/events/:id", status: "404" })).toBe(1);
    expect(sample(text, "livchat_http_request_duration_seconds_count", { route: "unmatched", status: "404" })).toBe(1);
    expect(sample(text, "livchat_http_request_duration_seconds_count", { route: "/v1/events/", status: "401" })).toBe(1);
    expect(sample(text, "livchat_http_request_duration_seconds_count", { method: "GET", route: "/login", status: "200" })).toBe(1);
    expect(text).toMatch(/livchat_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\/events\/",status="200"\} \d/);
    expect(sample(text, "livchat_outbound_queue_depth")).toBe(0);
    expect(sample(text, "livchat_webhook_deliveries_pending", { status: "pending" })).toBe(2);
    expect(sample(text, "livchat_webhook_deliveries_pending", { status: "failed" })).toBe(0);
    expect(sample(text, "livchat_events_recorded_total", { type: "message.sent" })).toBe(2);
    expect(text).toContain("livchat_process_resident_memory_bytes");
    expect(text).not.toContain("NaN");
    expect(text).not.toMatch(/\bNan\b/);
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+$|^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (\+Inf|-Inf)$/);
    }
  });

  test("over a real socket (Bun's native routes) a request is counted by the time its response arrives, by pattern and real status", async () => {
    const count = async (labels: Record<string, string>) => sample(await (await scrape()).text(), "livchat_http_request_duration_seconds_count", labels) ?? 0;
    const health = { method: "GET", route: "/health", status: "200" };
    const refused = { method: "GET", route: "/v1/events/", status: "401" };
    const unmatched = { method: "GET", route: "unmatched", status: "404" };
    const scraped = { method: "GET", route: "/metrics", status: "200" };
    const before = { health: await count(health), refused: await count(refused), unmatched: await count(unmatched), scraped: await count(scraped) };
    for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/v1/events`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/no-such-route-${crypto.randomUUID()}`)).status).toBe(404);
    // No waiting: the observation is made before the response is handed back, not in a deferred callback.
    expect(await count(health)).toBe(before.health + 3);
    expect(await count(refused)).toBe(before.refused + 1);
    expect(await count(unmatched)).toBe(before.unmatched + 1);
    // A route answering with a Response object of its own: the scrape, four of them since `before.scraped` was read.
    expect(await count(scraped)).toBe(before.scraped + 4);
  });

  test("without METRICS_TOKEN only direct loopback clients may scrape", async () => {
    config.metricsToken = undefined;
    const direct = await fetch(`${server.url}/metrics`);
    expect(direct.status).toBe(200);
    await direct.text();
    const proxied = await fetch(`${server.url}/metrics`, { headers: { "x-forwarded-for": "203.0.113.9" } });
    expect(proxied.status).toBe(403);
  });

  test("with METRICS_TOKEN the bearer token is required, from anywhere", async () => {
    config.metricsToken = "s3cret-metrics-token";
    const none = await scrape();
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await scrape({ authorization: "Bearer wrong" })).status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer s3cret-metrics-token", "x-forwarded-for": "203.0.113.9" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("livchat_http_request_duration_seconds");
    config.metricsToken = undefined;
  });
});
