/**
 * A cursor's floor (webhook_cursors.floor_expires_on, drizzle/0071): the lower bound of the partition
 * key of the events after it, which lets a read skip a month of partitions. It must never skip an event:
 * it follows delivered events, a retention change clears it in the changing transaction, and it comes
 * back only from events written well after the change.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { webhookCursors, webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { claimDueCursors, runCursor } from "@/features/webhooks/delivery.cursor";
import { drainDueDeliveries } from "@/features/webhooks/delivery.send";
import { addDays } from "@/features/retention/retention.partitions";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { gate } from "../helpers/wait";
import { startSubscriber } from "./subscriber";

const app = createApp();
const sub = startSubscriber();

beforeAll(() => {
  config.allowPrivateWebhookTargets = true;
});
afterEach(async () => {
  await db.update(webhooks).set({ active: false });
  sub.received.length = 0;
});
afterAll(() => sub.stop());

async function orgWithEndpoint() {
  const org = await setupOrg(app);
  const res = await api(app, "POST", "/v1/webhooks", org.key, { url: sub.url, eventTypes: ["message.sent"] });
  expect(res.status).toBe(201);
  sub.secrets.push(res.body.secret);
  return { org, hookId: res.body.id as string };
}
const cursorOf = async (webhookId: string) => (await db.select().from(webhookCursors).where(eq(webhookCursors.webhookId, webhookId)))[0]!;
const sent = (organizationId: string, n: number) => recordEvent({ organizationId, type: "message.sent", data: { n } });

describe("a cursor's floor", () => {
  test("follows the delivered events; a shorter retention clears it and the events it shortens are still delivered", async () => {
    const { org, hookId } = await orgWithEndpoint();
    const organizationId = org.organization.id;
    const first = await sent(organizationId, 1);
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    // Two days of slack below the last delivered event's expiry (30 days, the default retention).
    expect((await cursorOf(hookId)).floorExpiresOn).toBe(addDays(first.expiresOn, -2));

    // 7 days: new events expire 23 days before the floor. The change clears it in its own transaction.
    expect((await api(app, "PATCH", "/v1/retention", org.key, { eventsDays: 7 })).status).toBe(200);
    const cleared = await cursorOf(hookId);
    expect(cleared.floorExpiresOn).toBeNull();
    expect(cleared.retentionChangedAt).not.toBeNull();
    const shortened = await sent(organizationId, 2);
    expect(shortened.expiresOn < first.expiresOn).toBe(true);
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    expect(sub.received.map((r) => r.id)).toEqual([first.id, shortened.id]);
    // Written within four days of the change: it may sit beside events written with the old retention.
    expect((await cursorOf(hookId)).floorExpiresOn).toBeNull();

    // Four days later (the change moved back in time), the floor follows the new retention.
    await db.execute(sql`update webhook_cursors set retention_changed_at = retention_changed_at - interval '5 days' where webhook_id = ${hookId}::uuid`);
    const later = await sent(organizationId, 3);
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    expect((await cursorOf(hookId)).floorExpiresOn).toBe(addDays(later.expiresOn, -2));
  });

  test("bounds what a read looks at: an event expiring below it is not read", async () => {
    const { org, hookId } = await orgWithEndpoint();
    await sent(org.organization.id, 1);
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    const before = await cursorOf(hookId);
    // A floor above the next event's expiry (which no real history can make) hides it from the cursor.
    await db.execute(sql`update webhook_cursors set floor_expires_on = floor_expires_on + 10 where webhook_id = ${hookId}::uuid`);
    await sent(org.organization.id, 2);
    expect(await drainDueDeliveries()).toEqual([]);
    expect((await cursorOf(hookId)).eventId).toBe(before.eventId);
    // Cleared (as a retention change does), the event is read and delivered.
    await db.execute(sql`update webhook_cursors set floor_expires_on = null where webhook_id = ${hookId}::uuid`);
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
  });

  test("a retention change committed while a batch is sent leaves the floor cleared", async () => {
    const { org, hookId } = await orgWithEndpoint();
    const organizationId = org.organization.id;
    await sent(organizationId, 1);
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    expect((await cursorOf(hookId)).floorExpiresOn).not.toBeNull();
    const pending = await sent(organizationId, 2);
    // The cursor is claimed (and reads with its floor) before the change...
    const [claim] = await claimDueCursors();
    expect(claim!.webhookId).toBe(hookId);
    expect(claim!.floor).not.toBeNull();

    // ...which holds the cursor row (its trigger cleared the floor) while the batch is sent and written.
    const changed = gate();
    const commit = gate();
    const change = db.transaction(async (tx) => {
      await tx.execute(sql`insert into organization_retention (organization_id, events_days) values (${organizationId}::uuid, 7)`);
      changed.open();
      await commit.wait;
    });
    await changed.wait;
    const running = runCursor(claim!);
    await Bun.sleep(100);
    commit.open();
    await change;
    // The write waited for the change and saw its row: the floor is not raised from an event of before it.
    expect(await running).toEqual(["succeeded"]);
    expect(sub.received.map((r) => r.id)).toContain(pending.id);
    const cursor = await cursorOf(hookId);
    expect(cursor.eventId).toBe(pending.id);
    expect(cursor.floorExpiresOn).toBeNull();
  });
});
