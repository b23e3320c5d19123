import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { eq, inArray } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { webhookCursors, webhookDeliveries, webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { gate } from "../helpers/wait";
import { sleep, startSubscriber, waitFor } from "./subscriber";

const ROOT = resolve(import.meta.dir, "../..");
const FIXTURE = resolve(import.meta.dir, "fixtures/delivery-process.ts");
const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
const children: Bun.Subprocess[] = [];
const subscribers: ReturnType<typeof startSubscriber>[] = [];

/** Spawns a separate `bun` process running the delivery worker on this test's database. */
async function spawnWorker(env: Record<string, string> = {}) {
  const child = Bun.spawn(["bun", FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_TARGETS: "true", LOG_LEVEL: "error", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  children.push(child);
  const reader = child.stdout.getReader();
  const lines: string[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  // Keep reading in the background so "drained" is seen too.
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value);
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      lines.push(...parts);
    }
  })();
  await waitFor(() => lines.includes("ready"), 15_000, "worker process ready");
  return { child, lines, pump };
}

async function endpoint(sub: ReturnType<typeof startSubscriber>, eventTypes: string[]) {
  const res = await api(app, "POST", "/v1/webhooks", org.key, { url: sub.url, eventTypes });
  expect(res.status).toBe(201);
  sub.secrets.push(res.body.secret);
  return res.body as { id: string };
}

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const s of subscribers) s.stop();
});

describe("deliveries across processes", () => {
  test("two processes sharing one database deliver N events exactly once between them", async () => {
    const sub = startSubscriber(async () => {
      // Simulated network latency (not a wait for a state): answers interleave between the two processes.
      await sleep(5 + Math.random() * 15);
      return new Response("ok");
    });
    subscribers.push(sub);
    const hook = await endpoint(sub, ["message.received"]);
    const a = await spawnWorker();
    const b = await spawnWorker();
    const N = 60;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const e = await recordEvent({ organizationId: org.organization.id, type: "message.received", data: { i } });
      ids.push(e.id);
    }
    await waitFor(
      async () => {
        const rows = await db.select({ status: webhookDeliveries.status }).from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id));
        return rows.length === N && rows.every((r) => r.status === "succeeded");
      },
      30_000,
      "all deliveries succeeded",
    );
    // Once both processes have drained and exited, no late duplicate can still arrive.
    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
    expect(await a.child.exited).toBe(0);
    expect(await b.child.exited).toBe(0);
    const counts = new Map<string, number>();
    for (const r of sub.received) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(sub.verified().length).toBe(N);
    await db.update(webhooks).set({ active: false }).where(eq(webhooks.id, hook.id));
  }, 60_000);

  test("a process killed with SIGKILL mid-delivery loses nothing: after its lease expires another process delivers", async () => {
    let calls = 0;
    const sub = startSubscriber(async () => {
      calls++;
      // The first request hangs, as a subscriber stuck on a slow database would.
      if (calls === 1) await new Promise(() => {});
      return new Response("ok");
    });
    subscribers.push(sub);
    const hook = await endpoint(sub, ["message.sent"]);
    const victim = await spawnWorker({ WEBHOOK_LEASE_SECONDS: "2" });
    const event = await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: { important: true } });
    await waitFor(() => sub.received.length === 1, 10_000, "first request in flight");
    victim.child.kill("SIGKILL");
    expect(await victim.child.exited).not.toBe(0);

    // Nothing was written: the event is still after the endpoint's cursor, which the dead process holds.
    expect(await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id))).toEqual([]);
    const [leased] = await db.select().from(webhookCursors).where(eq(webhookCursors.webhookId, hook.id));
    expect(leased!.leaseUntil).not.toBeNull();

    const survivor = await spawnWorker({ WEBHOOK_LEASE_SECONDS: "2" });
    await waitFor(
      async () => {
        const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id));
        return row?.status === "succeeded";
      },
      15_000,
      "delivery completed after restart",
    );
    // At-least-once: the subscriber saw the same webhook-id twice and can deduplicate on it.
    expect(sub.received.map((r) => r.id)).toEqual([event.id, event.id]);
    expect(sub.verified().length).toBe(2);
    survivor.child.kill("SIGTERM");
    expect(await survivor.child.exited).toBe(0);
    await db.update(webhooks).set({ active: false }).where(eq(webhooks.id, hook.id));
  }, 60_000);

  test("SIGTERM drains: the in-flight delivery completes and is recorded before the process exits", async () => {
    const answer = gate();
    const sub = startSubscriber(async () => {
      await answer.wait;
      return new Response("took a while");
    });
    subscribers.push(sub);
    const hook = await endpoint(sub, ["contact.created"]);
    const worker = await spawnWorker();
    await recordEvent({ organizationId: org.organization.id, type: "contact.created", data: {} });
    await waitFor(() => sub.received.length === 1, 10_000, "request in flight");
    worker.child.kill("SIGTERM");
    // The subscriber answers only after the process has begun shutting down.
    await waitFor(() => worker.lines.includes("stopping"), 10_000, "the process to begin draining");
    answer.open();
    expect(await worker.child.exited).toBe(0);
    await worker.pump;
    expect(worker.lines).toContain("drained");
    const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id));
    expect(row!.status).toBe("succeeded");
    expect(row!.attempts).toBe(1);
    expect(row!.lastResponseExcerpt).toBe("took a while");
    expect(row!.leaseUntil).toBeNull();
    await db.update(webhooks).set({ active: false }).where(eq(webhooks.id, hook.id));
  }, 30_000);

  test("SIGTERM past the drain timeout releases the lease so the next process delivers at once", async () => {
    let calls = 0;
    const sub = startSubscriber(async () => {
      calls++;
      if (calls === 1) await new Promise(() => {});
      return new Response("ok");
    });
    subscribers.push(sub);
    const hook = await endpoint(sub, ["conversation.resolved"]);
    const worker = await spawnWorker({ WEBHOOK_DRAIN_TIMEOUT_MS: "300" });
    await recordEvent({ organizationId: org.organization.id, type: "conversation.resolved", data: {} });
    await waitFor(() => sub.received.length === 1, 10_000, "request in flight");
    worker.child.kill("SIGTERM");
    expect(await worker.child.exited).toBe(0);
    // The aborted request is no attempt: nothing logged, the cursor still before the event and free.
    expect(await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id))).toEqual([]);
    const [released] = await db.select().from(webhookCursors).where(eq(webhookCursors.webhookId, hook.id));
    expect(released!.leaseUntil).toBeNull();
    // Default 60 s lease: only the release makes this quick.
    const next = await spawnWorker();
    await waitFor(
      async () => {
        const [row] = await db
          .select()
          .from(webhookDeliveries)
          .where(inArray(webhookDeliveries.webhookId, [hook.id]));
        return row?.status === "succeeded";
      },
      10_000,
      "delivered by the next process",
    );
    next.child.kill("SIGTERM");
    expect(await next.child.exited).toBe(0);
  }, 30_000);
});
