import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { events, usageDaily, webhookAttempts, webhookCursors, webhookDeliveries, webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { flushUsage } from "@/features/usage/usage.service";
import { AUTO_DISABLE_AFTER_MS, deliveryClock, deliverySettings, MAX_ATTEMPTS, RETRY_SCHEDULE_MS } from "@/features/webhooks/delivery.queue";
import { drainDueDeliveries, parseRetryAfter, runDeliveriesOnce } from "@/features/webhooks/delivery.send";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startSubscriber, waitFor } from "./subscriber";
import { attemptsOf } from "@/features/webhooks/delivery.log";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
const subscribers: ReturnType<typeof startSubscriber>[] = [];

function subscriber(...args: Parameters<typeof startSubscriber>) {
  const s = startSubscriber(...args);
  subscribers.push(s);
  return s;
}

/** Creates an endpoint for `sub` through the API and teaches the subscriber its secret. */
async function endpoint(sub: ReturnType<typeof startSubscriber>, body: Record<string, unknown> = {}) {
  const res = await api(app, "POST", "/v1/webhooks", org.key, { url: sub.url, ...body });
  expect(res.status).toBe(201);
  sub.secrets.push(res.body.secret);
  return res.body as { id: string; secret: string };
}

async function deliveriesOf(webhookId: string) {
  return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));
}

/** Moves the delivery clock to the next scheduled attempt of every failed delivery. */
async function skipToNextAttempt(webhookId: string) {
  const [row] = await db
    .select({ next: sql<Date>`min(${webhookDeliveries.nextAttemptAt})` })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.status, "failed")));
  const next = new Date(row!.next);
  const gap = next.getTime() - deliveryClock.now().getTime();
  if (gap > 0) deliveryClock.advance(gap + 1000);
}

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
});
afterEach(async () => {
  // Keep tests independent: nothing stays due for the next one.
  await db.update(webhooks).set({ active: false });
  deliveryClock.reset();
});
afterAll(() => {
  for (const s of subscribers) s.stop();
});

describe("webhook delivery", () => {
  test("signs with Standard Webhooks and sends custom headers; the official library verifies", async () => {
    const sub = subscriber();
    const hook = await endpoint(sub, { headers: { Authorization: "Bearer subscriber-token", "X-Tenant": "acme" } });
    const event = await recordEvent({ organizationId: org.organization.id, type: "message.received", data: { text: "Olá" } });
    const { outcomes } = await runDeliveriesOnce();
    expect(outcomes).toEqual(["succeeded"]);
    expect(sub.received.length).toBe(1);
    const got = sub.received[0]!;
    expect(got.verifiedWith).toEqual([hook.secret]);
    expect(got.id).toBe(event.id);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers.authorization).toBe("Bearer subscriber-token");
    expect(got.headers["x-tenant"]).toBe("acme");
    expect(got.payload).toEqual({
      id: event.id,
      type: "message.received",
      timestamp: event.at.toISOString(),
      organizationId: org.organization.id,
      instanceId: null,
      data: { text: "Olá" },
    });
    const [delivery] = await deliveriesOf(hook.id);
    expect(delivery!.status).toBe("succeeded");
    expect(delivery!.lastStatusCode).toBe(204);
    expect(delivery!.leaseUntil).toBeNull();
    // The cursor's attempt is kept on its delivery row: one row per delivered event, nothing in webhook_attempts.
    expect(await db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, delivery!.id))).toHaveLength(0);
    const attempts = await attemptsOf(delivery!);
    expect(attempts.length).toBe(1);
    expect(attempts[0]).toMatchObject({ attempt: 1, statusCode: 204, deliveryId: delivery!.id });
    expect(attempts[0]!.requestHeaders["webhook-id"]).toBe(event.id);
    expect(attempts[0]!.requestBody).toBe(got.body);
    await flushUsage(); // delivery counts go through the batched meter
    const usage = await db
      .select()
      .from(usageDaily)
      .where(and(eq(usageDaily.organizationId, org.organization.id), eq(usageDaily.metric, "deliveries_succeeded")));
    expect(usage.reduce((n, u) => n + u.count, 0)).toBeGreaterThanOrEqual(1);
  });

  test("a failing subscriber that recovers gets each event once per success, with a stable webhook-id", async () => {
    let failing = true;
    const sub = subscriber(() => (failing ? new Response("down for maintenance", { status: 500 }) : new Response("ok")));
    const hook = await endpoint(sub);
    const e1 = await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: { n: 1 } });
    const e2 = await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: { n: 2 } });

    await drainDueDeliveries();
    let rows = await deliveriesOf(hook.id);
    expect(rows.map((r) => r.status)).toEqual(["failed", "failed"]);
    expect(rows[0]!.lastStatusCode).toBe(500);
    expect(rows[0]!.lastResponseExcerpt).toBe("down for maintenance");
    const [hookRow] = await db.select().from(webhooks).where(eq(webhooks.id, hook.id));
    expect(hookRow!.failingSince).not.toBeNull();

    // Nothing is due before the 5 s retry…
    expect((await runDeliveriesOnce()).claimed).toBe(0);
    // …fail once more at the 5 s slot, then recover before the 5 min one.
    await skipToNextAttempt(hook.id);
    await drainDueDeliveries();
    failing = false;
    await skipToNextAttempt(hook.id);
    await drainDueDeliveries();

    rows = await deliveriesOf(hook.id);
    expect(rows.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    expect(rows.map((r) => r.attempts)).toEqual([3, 3]);
    expect(
      sub.received
        .slice(-2)
        .map((r) => r.id)
        .sort(),
    ).toEqual([e1.id, e2.id].sort());
    // Every try of an event carried the same webhook-id, and every one verified.
    for (const id of [e1.id, e2.id]) expect(sub.received.filter((r) => r.id === id).length).toBe(3);
    expect(sub.verified().length).toBe(sub.received.length);
    const [after] = await db.select().from(webhooks).where(eq(webhooks.id, hook.id));
    expect(after!.failingSince).toBeNull();
    // Done means done: nothing is delivered again.
    deliveryClock.advance(RETRY_SCHEDULE_MS.at(-1)! * 2);
    expect((await runDeliveriesOnce()).claimed).toBe(0);
  });

  test("follows the retry schedule and ends exhausted after the last attempt", async () => {
    const sub = subscriber(() => new Response("nope", { status: 503 }));
    const hook = await endpoint(sub);
    await recordEvent({ organizationId: org.organization.id, type: "contact.created", data: {} });
    const gaps: number[] = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const before = deliveryClock.now().getTime();
      const { outcomes } = await runDeliveriesOnce();
      expect(outcomes.length).toBe(1);
      const [row] = await deliveriesOf(hook.id);
      if (i < MAX_ATTEMPTS - 1) {
        expect(row!.status).toBe("failed");
        gaps.push(Math.round((row!.nextAttemptAt!.getTime() - before) / 1000));
        await skipToNextAttempt(hook.id);
      } else {
        expect(row!.status).toBe("exhausted");
        expect(row!.nextAttemptAt).toBeNull();
      }
    }
    // 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h between attempts (±2 s of processing).
    const expected = RETRY_SCHEDULE_MS.slice(1).map((ms) => ms / 1000);
    gaps.forEach((g, i) => expect(Math.abs(g - expected[i]!)).toBeLessThanOrEqual(2));
    expect(sub.received.length).toBe(MAX_ATTEMPTS);
    expect(new Set(sub.received.map((r) => r.id)).size).toBe(1);
  });

  test("honours Retry-After in seconds and as an HTTP date", async () => {
    expect(parseRetryAfter("120")).toBe(120_000);
    expect(parseRetryAfter(new Date(Date.now() + 3_600_000).toUTCString())).toBeGreaterThan(3_590_000);
    expect(parseRetryAfter("999999")).toBe(10 * 3_600_000);
    expect(parseRetryAfter("soon")).toBeNull();

    const sub = subscriber(() => new Response("slow down", { status: 429, headers: { "retry-after": "600" } }));
    const hook = await endpoint(sub);
    await recordEvent({ organizationId: org.organization.id, type: "message.read", data: {} });
    const before = deliveryClock.now().getTime();
    await runDeliveriesOnce();
    const [row] = await deliveriesOf(hook.id);
    expect(row!.status).toBe("failed");
    // The schedule says 5 s; the subscriber asked for 10 min, and gets it.
    const wait = row!.nextAttemptAt!.getTime() - before;
    expect(wait).toBeGreaterThanOrEqual(598_000);
    expect(wait).toBeLessThan(605_000);
    deliveryClock.advance(300_000);
    expect((await runDeliveriesOnce()).claimed).toBe(0);
    sub.setHandler(() => new Response("ok"));
    deliveryClock.advance(301_000);
    expect((await runDeliveriesOnce()).outcomes).toEqual(["succeeded"]);
  });

  test("410 Gone disables the endpoint, cancels its pending deliveries and emits webhook.disabled", async () => {
    let status = 500;
    const gone = subscriber(() => new Response(status === 410 ? "unsubscribed" : "down", { status }));
    const watcher = subscriber();
    const goneHook = await endpoint(gone, { eventTypes: ["message.received"] });
    const watchHook = await endpoint(watcher, { eventTypes: ["webhook.disabled"] });
    // Paused until the 410 is handled: its cursor stays, and it delivers the notice once resumed. Active,
    // it could deliver the notice within the same pass (its cursor reading after the notice is recorded).
    expect((await api(app, "PATCH", `/v1/webhooks/${watchHook.id}`, org.key, { active: false })).status).toBe(200);
    // The first event fails and waits for its retry, so it is still pending when the 410 arrives.
    await recordEvent({ organizationId: org.organization.id, type: "message.received", data: { n: 1 } });
    expect((await runDeliveriesOnce()).outcomes).toEqual(["failed"]);
    status = 410;
    await recordEvent({ organizationId: org.organization.id, type: "message.received", data: { n: 2 } });
    expect((await runDeliveriesOnce()).outcomes).toEqual(["cancelled"]);
    expect((await api(app, "PATCH", `/v1/webhooks/${watchHook.id}`, org.key, { active: true })).status).toBe(200);

    const [hookRow] = await db.select().from(webhooks).where(eq(webhooks.id, goneHook.id));
    expect(hookRow!.active).toBe(false);
    expect(hookRow!.disabledReason).toContain("410");
    const rows = await deliveriesOf(goneHook.id);
    expect(rows.map((r) => r.status).sort()).toEqual(["cancelled", "cancelled"]);
    const disabledEvents = await db.select().from(events).where(eq(events.type, "webhook.disabled"));
    expect(disabledEvents.some((e) => e.data.webhookId === goneHook.id)).toBe(true);

    await drainDueDeliveries();
    const notice = watcher.verified().find((r) => r.payload.type === "webhook.disabled" && r.payload.data.webhookId === goneHook.id);
    expect(notice).toBeDefined();
    expect(notice!.payload.organizationId).toBe(org.organization.id);
    expect(watchHook.id).toBeDefined();
    // A disabled endpoint gets no new deliveries: its cursor stays where it stopped.
    const [cursorBefore] = await db.select().from(webhookCursors).where(eq(webhookCursors.webhookId, goneHook.id));
    await recordEvent({ organizationId: org.organization.id, type: "message.received", data: { n: 3 } });
    await drainDueDeliveries();
    expect((await deliveriesOf(goneHook.id)).length).toBe(2);
    expect(gone.received.length).toBe(2);
    const [cursorAfter] = await db.select().from(webhookCursors).where(eq(webhookCursors.webhookId, goneHook.id));
    expect(cursorAfter).toEqual(cursorBefore!);
  });

  test("an endpoint failing continuously for 5 days is disabled with webhook.disabled; a success resets the streak", async () => {
    let status = 500;
    const sub = subscriber(() => new Response("err", { status }));
    const watcher = subscriber();
    const hook = await endpoint(sub, { eventTypes: ["message.sent"] });
    await endpoint(watcher, { eventTypes: ["webhook.disabled"] });

    // A success in between resets failingSince.
    await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: {} });
    await runDeliveriesOnce();
    let [row] = await db.select().from(webhooks).where(eq(webhooks.id, hook.id));
    const firstFailure = row!.failingSince!;
    expect(firstFailure).not.toBeNull();
    status = 200;
    await skipToNextAttempt(hook.id);
    await runDeliveriesOnce();
    [row] = await db.select().from(webhooks).where(eq(webhooks.id, hook.id));
    expect(row!.failingSince).toBeNull();

    // Now fail for longer than 5 days.
    status = 500;
    const e = await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: { late: true } });
    await runDeliveriesOnce();
    deliveryClock.advance(AUTO_DISABLE_AFTER_MS - 3_600_000);
    await skipToNextAttempt(hook.id);
    await runDeliveriesOnce();
    [row] = await db.select().from(webhooks).where(eq(webhooks.id, hook.id));
    expect(row!.active).toBe(true);
    deliveryClock.advance(2 * 3_600_000);
    await skipToNextAttempt(hook.id);
    await runDeliveriesOnce();
    [row] = await db.select().from(webhooks).where(eq(webhooks.id, hook.id));
    expect(row!.active).toBe(false);
    expect(row!.disabledReason).toContain("Failing continuously since");
    const [delivery] = (await deliveriesOf(hook.id)).filter((d) => d.eventId === e.id);
    expect(delivery!.status).toBe("cancelled");

    await drainDueDeliveries();
    const notice = watcher.verified().find((r) => r.payload.type === "webhook.disabled");
    expect(notice?.payload.data.webhookId).toBe(hook.id);
    expect(notice?.payload.data.reason).toContain("Failing continuously");
  });

  test("secret rotation: both signatures verify during the 24 h grace window, then only the new one", async () => {
    const sub = subscriber();
    const hook = await endpoint(sub, { eventTypes: ["conversation.created"] });
    const oldSecret = hook.secret;
    const rotated = await api(app, "POST", `/v1/webhooks/${hook.id}/rotate-secret`, org.key);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(newSecret).not.toBe(oldSecret);
    sub.secrets.push(newSecret);

    await recordEvent({ organizationId: org.organization.id, type: "conversation.created", data: {} });
    await runDeliveriesOnce();
    const during = sub.received.at(-1)!;
    expect(during.headers["webhook-signature"]!.split(" ").length).toBe(2);
    expect(during.verifiedWith.sort()).toEqual([oldSecret, newSecret].sort());
    // A subscriber holding only the old secret still verifies with the official library.
    expect(() => new Webhook(oldSecret).verify(during.body, during.headers)).not.toThrow();

    deliveryClock.advance(24 * 3_600_000 + 60_000);
    await recordEvent({ organizationId: org.organization.id, type: "conversation.created", data: {} });
    await runDeliveriesOnce();
    const after = sub.received.at(-1)!;
    expect(after.headers["webhook-signature"]!.split(" ").length).toBe(1);
    expect(after.verifiedWith).toEqual([newSecret]);
    expect(() => new Webhook(oldSecret).verify(after.body, after.headers)).toThrow();
  });

  test("a subscriber slower than the timeout fails the attempt", async () => {
    const original = deliverySettings.timeoutMs;
    deliverySettings.timeoutMs = 300;
    try {
      // Answers only after the delivery has given up on it.
      const sub = subscriber(async (req) => {
        await new Promise((resolve) => req.signal.addEventListener("abort", resolve, { once: true }));
        return new Response("late");
      });
      const hook = await endpoint(sub, { eventTypes: ["thread.reply"] });
      await recordEvent({ organizationId: org.organization.id, type: "thread.reply", data: {} });
      await runDeliveriesOnce();
      const [row] = await deliveriesOf(hook.id);
      expect(row!.status).toBe("failed");
      expect(row!.lastError).toContain("Timed out");
      expect(row!.lastStatusCode).toBeNull();
    } finally {
      deliverySettings.timeoutMs = original;
    }
  });

  test("one slow endpoint cannot take more than its share: per-endpoint in-flight cap, others still served", async () => {
    const defaultCap = deliverySettings.maxInFlightPerEndpoint;
    deliverySettings.maxInFlightPerEndpoint = 4;
    try {
      await slowEndpointKeepsItsShare();
    } finally {
      deliverySettings.maxInFlightPerEndpoint = defaultCap;
    }
  });
});

/** The cap is set to 4 by the caller: small enough to see, below the 10 queued events. */
async function slowEndpointKeepsItsShare() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = subscriber(async () => {
    await gate;
    return new Response("ok");
  });
  const fast = subscriber();
  const slowHook = await endpoint(slow, { eventTypes: ["instance.qr"] });
  const fastHook = await endpoint(fast, { eventTypes: ["instance.connected"] });
  for (let i = 0; i < 10; i++) await recordEvent({ organizationId: org.organization.id, type: "instance.qr", data: { i } });
  const first = runDeliveriesOnce();
  await waitFor(() => slow.received.length === deliverySettings.maxInFlightPerEndpoint, 5000, "slow requests in flight");

  // While the slow endpoint's requests hang, another claim gets none of its rows but serves the fast endpoint.
  for (let i = 0; i < 3; i++) await recordEvent({ organizationId: org.organization.id, type: "instance.connected", data: { i } });
  const second = await runDeliveriesOnce();
  expect(second.outcomes).toEqual(["succeeded", "succeeded", "succeeded"]);
  // The slow endpoint's cursor is still held by the first pass, which has no more than its cap in flight.
  const [leased] = await db.select().from(webhookCursors).where(eq(webhookCursors.webhookId, slowHook.id));
  expect(leased!.leaseUntil).not.toBeNull();
  expect(slow.received.length).toBe(deliverySettings.maxInFlightPerEndpoint);
  expect((await deliveriesOf(fastHook.id)).every((r) => r.status === "succeeded")).toBe(true);
  expect(fast.received.length).toBe(3);
  release();
  await first;
  await drainDueDeliveries();
  const slowRows = await deliveriesOf(slowHook.id);
  expect(slowRows.every((r) => r.status === "succeeded")).toBe(true);
  expect(new Set(slow.received.map((r) => r.id)).size).toBe(10);
  expect(slow.received.length).toBe(10);
}

describe("attempts finishing together", () => {
  test("are recorded in shared statements, each with its own outcome, attempt row and the endpoint's streak", async () => {
    const ok = subscriber(() => new Response(null, { status: 204 }));
    const failing = subscriber(() => new Response("nope", { status: 503 }));
    const good = await endpoint(ok);
    const bad = await endpoint(failing);
    for (let i = 0; i < 25; i++) await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: { n: i } });
    const outcomes = await drainDueDeliveries();
    expect(outcomes.filter((o) => o === "succeeded").length).toBe(25);
    expect(outcomes.filter((o) => o === "failed").length).toBe(25);
    const goodRows = await deliveriesOf(good.id);
    const badRows = await deliveriesOf(bad.id);
    expect(goodRows.every((d) => d.status === "succeeded" && d.attempts === 1 && d.deliveredAt !== null && d.leaseUntil === null)).toBe(true);
    expect(
      badRows.every((d) => d.status === "failed" && d.attempts === 1 && d.lastStatusCode === 503 && d.lastError === "HTTP 503" && d.nextAttemptAt !== null),
    ).toBe(true);
    const logged = await Promise.all([...goodRows, ...badRows].map((d) => attemptsOf(d)));
    expect(logged.map((a) => a.length)).toEqual(Array(50).fill(1));
    expect(new Set(logged.map((a) => a[0]!.id)).size).toBe(50);
    const [goodHook] = await db.select().from(webhooks).where(eq(webhooks.id, good.id));
    const [badHook] = await db.select().from(webhooks).where(eq(webhooks.id, bad.id));
    expect(goodHook!.failingSince).toBeNull();
    expect(badHook!.failingSince).toBeInstanceOf(Date);
  });
});
