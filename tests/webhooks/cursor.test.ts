/**
 * Delivery from the event log (src/features/webhooks/delivery.cursor.ts): commit order and the
 * visibility horizon, pause and resume, deletion, filters, and the one write per batch.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db, listen } from "@/db/client";
import { webhookCursors, webhookDeliveries, webhooks } from "@/db/schema";
import { DELIVERIES_QUEUED_CHANNEL, listEventDeliveries, recordEvent } from "@/features/events/event.service";
import { claimDueCursors, newEventSignals, runCursor } from "@/features/webhooks/delivery.cursor";
import { deliveryClock, deliverySettings } from "@/features/webhooks/delivery.queue";
import { drainDueDeliveries, runDeliveriesOnce } from "@/features/webhooks/delivery.send";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { gate } from "../helpers/wait";
import { startSubscriber, waitFor } from "./subscriber";
import { attemptsOf } from "@/features/webhooks/delivery.log";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
const sub = startSubscriber();

async function endpoint(body: Record<string, unknown> = {}) {
  const res = await api(app, "POST", "/v1/webhooks", org.key, { url: sub.url, ...body });
  expect(res.status).toBe(201);
  sub.secrets.push(res.body.secret);
  return res.body as { id: string };
}
const cursorOf = async (webhookId: string) => (await db.select().from(webhookCursors).where(eq(webhookCursors.webhookId, webhookId)))[0];
const deliveriesOf = (webhookId: string) => db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
});
afterEach(async () => {
  await db.update(webhooks).set({ active: false });
  deliveryClock.reset();
  sub.received.length = 0;
});
afterAll(() => sub.stop());

describe("delivery from the event log", () => {
  test("an event whose transaction commits late is delivered, not skipped: nothing after it is read until it commits", async () => {
    const hook = await endpoint({ eventTypes: ["message.sent"] });
    const hold = gate();
    const recorded = gate();
    let early = "";
    // Starts first (lower transaction id), commits last.
    const slow = db.transaction(async (tx) => {
      early = (await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: { n: "early" } }, tx)).id;
      recorded.open();
      await hold.wait;
    });
    await recorded.wait;
    const late = await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: { n: "late" } });
    // The later event is committed, but an older transaction is still running: the cursor waits for it.
    expect((await runDeliveriesOnce()).claimed).toBe(0);
    expect((await listEventDeliveries(org.organization.id, late.id)).map((d) => d.status)).toEqual(["pending"]);
    hold.open();
    await slow;
    expect((await drainDueDeliveries()).sort()).toEqual(["succeeded", "succeeded"]);
    expect(sub.received.map((r) => r.id).sort()).toEqual([early, late.id].sort());
    // The log's order is the transaction id's: the cursor ends at the later transaction's event.
    expect((await cursorOf(hook.id))!.eventId).toBe(late.id);
    const rows = await deliveriesOf(hook.id);
    expect(rows.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    // Every delivery has its attempt, written with it.
    for (const row of rows) expect((await attemptsOf(row)).length).toBe(1);
    expect((await listEventDeliveries(org.organization.id, late.id)).map((d) => [d.status, d.attempts])).toEqual([["succeeded", 1]]);
  });

  test("a paused endpoint's cursor stays; resuming delivers what was recorded meanwhile, oldest first", async () => {
    const hook = await endpoint({ eventTypes: ["contact.created"] });
    expect((await api(app, "PATCH", `/v1/webhooks/${hook.id}`, org.key, { active: false })).status).toBe(200);
    const before = await cursorOf(hook.id);
    const a = await recordEvent({ organizationId: org.organization.id, type: "contact.created", data: { n: 1 } });
    const b = await recordEvent({ organizationId: org.organization.id, type: "contact.created", data: { n: 2 } });
    expect((await runDeliveriesOnce()).claimed).toBe(0);
    expect(await cursorOf(hook.id)).toEqual(before);
    expect(sub.received).toEqual([]);
    // Shown as pending: the endpoint will deliver them when resumed.
    expect((await listEventDeliveries(org.organization.id, a.id)).map((d) => [d.webhookId, d.status])).toEqual([[hook.id, "pending"]]);
    expect((await api(app, "PATCH", `/v1/webhooks/${hook.id}`, org.key, { active: true })).status).toBe(200);
    expect(await drainDueDeliveries()).toEqual(["succeeded", "succeeded"]);
    expect(sub.received.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    const after = await cursorOf(hook.id);
    expect(after!.eventId).toBe(b.id);
    expect(after!.leaseUntil).toBeNull();
  });

  test("a new endpoint starts at the head; events it does not subscribe to move its cursor without a delivery", async () => {
    await recordEvent({ organizationId: org.organization.id, type: "message.read", data: { before: true } });
    const hook = await endpoint({ eventTypes: ["message.read"] });
    expect((await runDeliveriesOnce()).claimed).toBe(0);
    const other = await recordEvent({ organizationId: org.organization.id, type: "message.delivered", data: {} });
    expect(await runDeliveriesOnce()).toEqual({ claimed: 0, outcomes: [] });
    expect((await cursorOf(hook.id))!.eventId).toBe(other.id);
    const mine = await recordEvent({ organizationId: org.organization.id, type: "message.read", data: { after: true } });
    expect((await runDeliveriesOnce()).outcomes).toEqual(["succeeded"]);
    expect(sub.received.map((r) => r.id)).toEqual([mine.id]);
    expect((await deliveriesOf(hook.id)).length).toBe(1);
  });

  test("deleting an endpoint deletes its cursor", async () => {
    const hook = await endpoint();
    expect(await cursorOf(hook.id)).toBeDefined();
    expect((await api(app, "DELETE", `/v1/webhooks/${hook.id}`, org.key)).status).toBe(204);
    expect(await cursorOf(hook.id)).toBeUndefined();
  });

  test("a backlog larger than one batch is delivered completely, each event once", async () => {
    const hook = await endpoint({ eventTypes: ["conversation.assigned"] });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await recordEvent({ organizationId: org.organization.id, type: "conversation.assigned", data: { i } })).id);
    await drainDueDeliveries();
    await waitFor(() => sub.received.length === 40, 5000, "all 40 delivered");
    expect(sub.received.map((r) => r.id)).toEqual(expect.arrayContaining(ids));
    expect(new Set(sub.received.map((r) => r.id)).size).toBe(40);
    expect((await deliveriesOf(hook.id)).every((d) => d.status === "succeeded")).toBe(true);
  });
});

describe("a cursor that caught up lingers in a running worker", () => {
  const lingerMs = deliverySettings.lingerMs;
  let unlisten: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    // As the delivery worker wires it: the NOTIFY recordEvent sends on commit names the organization.
    unlisten = await listen(DELIVERIES_QUEUED_CHANNEL, (payload) => newEventSignals.notify(payload));
  });
  const gatherMs = deliverySettings.gatherMs;
  afterEach(() => {
    newEventSignals.stop();
    deliverySettings.lingerMs = lingerMs;
    deliverySettings.gatherMs = gatherMs;
  });
  afterAll(async () => {
    await unlisten?.();
  });

  test("it keeps its lease, delivers what its organization records next without another claim, then gives the lease back", async () => {
    const hook = await endpoint({ eventTypes: ["conversation.assigned"] });
    newEventSignals.start();
    deliverySettings.lingerMs = 2_000;
    const first = await recordEvent({ organizationId: org.organization.id, type: "conversation.assigned", data: { n: 1 } });
    const [claim] = await claimDueCursors(10);
    expect(claim!.webhookId).toBe(hook.id);
    const started = performance.now();
    const run = runCursor(claim!);
    await waitFor(() => sub.received.length === 1, 5000, "the first event");
    // Caught up and still holding the cursor: nobody else can claim it.
    expect((await cursorOf(hook.id))!.leaseUntil).not.toBeNull();
    expect(await claimDueCursors(10)).toEqual([]);
    const second = await recordEvent({ organizationId: org.organization.id, type: "conversation.assigned", data: { n: 2 } });
    await waitFor(() => sub.received.length === 2, 5000, "the second event, sent by the same run");
    expect(sub.received.map((r) => r.id)).toEqual([first.id, second.id]);
    expect(await run).toEqual(["succeeded", "succeeded"]);
    // It gave the lease back once idle for the linger, not before.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_000);
    const cursor = (await cursorOf(hook.id))!;
    expect(cursor.leaseUntil).toBeNull();
    expect(cursor.eventId).toBe(second.id);
    expect((await deliveriesOf(hook.id)).map((d) => d.status)).toEqual(["succeeded", "succeeded"]);
  });

  test("another organization's events do not wake it; a stopping worker ends the linger at once and frees the cursor", async () => {
    const hook = await endpoint({ eventTypes: ["conversation.assigned"] });
    newEventSignals.start();
    deliverySettings.lingerMs = 60_000;
    await recordEvent({ organizationId: org.organization.id, type: "conversation.assigned", data: { n: 1 } });
    const [claim] = await claimDueCursors(10);
    const run = runCursor(claim!);
    await waitFor(() => sub.received.length === 1, 5000, "the first event");
    const before = newEventSignals.version(org.organization.id);
    newEventSignals.notify("00000000-0000-4000-8000-000000000001");
    expect(newEventSignals.version(org.organization.id)).toBe(before);
    const stopAt = performance.now();
    newEventSignals.stop();
    expect(await run).toEqual(["succeeded"]);
    expect(performance.now() - stopAt).toBeLessThan(5_000);
    expect((await cursorOf(hook.id))!.leaseUntil).toBeNull();
  });

  test("events recorded while it gathers go out in one batch: one write for all of them", async () => {
    const hook = await endpoint({ eventTypes: ["conversation.assigned"] });
    newEventSignals.start();
    deliverySettings.lingerMs = 2_000;
    deliverySettings.gatherMs = 300;
    const first = await recordEvent({ organizationId: org.organization.id, type: "conversation.assigned", data: { n: 0 } });
    const [claim] = await claimDueCursors(10);
    const run = runCursor(claim!);
    // The claim's first read goes at once; then the cursor waits, caught up.
    await waitFor(() => sub.received.length === 1, 5000, "the first event");
    await waitFor(async () => (await cursorOf(hook.id))!.eventId === first.id, 5000, "the first batch written");
    await Bun.sleep(50);
    // Three events 40 ms apart, all within the gathering that the first one's notification starts.
    const later: Awaited<ReturnType<typeof recordEvent>>[] = [];
    for (let n = 1; n <= 3; n++) {
      later.push(await recordEvent({ organizationId: org.organization.id, type: "conversation.assigned", data: { n } }));
      await Bun.sleep(40);
    }
    await waitFor(() => sub.received.length === 4, 5000, "the gathered events");
    newEventSignals.stop();
    expect(await run).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    // One statement wrote the three: their deliveries share its clock.
    const rows = (await deliveriesOf(hook.id)).filter((d) => later.some((e) => e.id === d.eventId));
    expect(rows.length).toBe(3);
    expect(new Set(rows.map((d) => d.deliveredAt!.getTime())).size).toBe(1);
  });

  test("outside a running worker (tests, a drain) a cursor that caught up gives its lease back at once", async () => {
    const hook = await endpoint({ eventTypes: ["conversation.assigned"] });
    deliverySettings.lingerMs = 60_000;
    await recordEvent({ organizationId: org.organization.id, type: "conversation.assigned", data: {} });
    expect((await runDeliveriesOnce()).outcomes).toEqual(["succeeded"]);
    expect((await cursorOf(hook.id))!.leaseUntil).toBeNull();
  });
});
