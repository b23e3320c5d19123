import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { createApp } from "@/app";
import { config } from "@/config";
import { countMediaDownload } from "@/features/metrics/metrics";
import { runDeliveriesOnce } from "@/features/webhooks/delivery.send";
import { runOutboundOnce } from "@/workers/outbound.worker";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { connectedSandbox } from "../messages/helpers";

config.allowPrivateWebhookTargets = true;
const app = createApp();

// A webhook subscriber that takes the first delivery and refuses the second (a retryable failure).
let answered = 0;
const subscriber = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => new Response(answered++ === 0 ? "ok" : "down", { status: answered === 1 ? 200 : 503 }),
});
afterAll(() => subscriber.stop(true));

const PROMTOOL = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find((path) => existsSync(path));

/** Every sample of `name` as `{labels, value}`. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const found: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

const value = (text: string, name: string, labels: Record<string, string>) =>
  samples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

test("the counters and gauges a Prometheus user reads: provider calls, inbound, delivery attempts, media; promtool finds nothing wrong", async () => {
  const { key } = await setupOrg(app);
  // Provider calls: create, connect and pair a sandbox number (provision, connect, scan…), then send through it.
  const instanceId = await connectedSandbox(app, key);
  expect((await api(app, "POST", "/v1/messages", key, { instanceId, to: "+5511999990001", type: "text", text: "Olá" })).status).toBe(202);
  // The queue depth gauge reads the database at scrape time: one message waits for the worker, then none.
  const queued = await (await app.handle(new Request("http://localhost/metrics"))).text();
  expect(value(queued, "livchat_outbound_queue_depth", {})).toBe(1);
  expect(await runOutboundOnce()).toBe(1);
  // A contact writes twice (inbound through the sandbox's provider adapter).
  for (const text of ["oi", "tudo bem?"]) {
    expect((await api(app, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, key, { from: "+5511999990002", text })).status).toBe(201);
  }
  // Webhook attempts: one delivered, one refused (retry later).
  const hook = await api(app, "POST", "/v1/webhooks", key, { url: `http://127.0.0.1:${subscriber.port}/hook`, eventTypes: ["message.received"] });
  expect(hook.status).toBe(201);
  expect((await api(app, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, key, { from: "+5511999990003", text: "um" })).status).toBe(201);
  expect((await api(app, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, key, { from: "+5511999990003", text: "dois" })).status).toBe(201);
  const due = await (await app.handle(new Request("http://localhost/metrics"))).text();
  expect(value(due, "livchat_webhook_deliveries_pending", { status: "pending" })).toBe(2);
  const outcomes = [...(await runDeliveriesOnce()).outcomes].sort();
  expect(outcomes).toEqual(["failed", "succeeded"]);
  // The media feature reports each download through this helper.
  countMediaDownload("wuzapi", "ok");

  const res = await app.handle(new Request("http://localhost/metrics"));
  expect(res.status).toBe(200);
  const text = await res.text();

  expect(value(text, "livchat_provider_calls_total", { provider: "sandbox", operation: "connect" })).toBe(1);
  expect(value(text, "livchat_provider_calls_total", { provider: "sandbox", operation: "send" })).toBe(1);
  expect(value(text, "livchat_provider_errors_total", { provider: "sandbox", operation: "send" })).toBeUndefined();
  expect(value(text, "livchat_inbound_events_total", { provider: "sandbox", type: "text" })).toBe(4);
  expect(value(text, "livchat_delivery_attempts_total", { kind: "webhook", outcome: "succeeded" })).toBe(1);
  expect(value(text, "livchat_delivery_attempts_total", { kind: "webhook", outcome: "failed" })).toBe(1);
  expect(value(text, "livchat_delivery_attempts_total", { kind: "webhook", outcome: "exhausted" })).toBe(0);
  expect(value(text, "livchat_media_downloads_total", { provider: "wuzapi", outcome: "ok" })).toBe(1);
  // The failed delivery waits for its retry; the sent message left the outbound queue.
  expect(value(text, "livchat_webhook_deliveries_pending", { status: "failed" })).toBe(1);
  expect(value(text, "livchat_outbound_queue_depth", {})).toBe(0);
  // No gauge named like a counter (promtool's complaint about prom-client's nodejs_active_*_total), and none
  // of the nodejs_active_* series Bun cannot fill; the rest of the default process metrics stay.
  expect(text).not.toMatch(/^# TYPE \S+_total gauge$/m);
  expect(text).not.toContain("nodejs_active_");
  expect(value(text, "livchat_process_resident_memory_bytes", {})).toBeGreaterThan(0);

  if (!PROMTOOL) {
    // CI installs Debian's prometheus package; without promtool the exposition is still checked above.
    console.warn("promtool not installed: skipping `promtool check metrics`");
    return;
  }
  const check = Bun.spawnSync([PROMTOOL, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  const problems = `${check.stdout.toString()}${check.stderr.toString()}`.trim();
  expect(problems).toBe("");
  expect(check.exitCode).toBe(0);
}, 30_000);
