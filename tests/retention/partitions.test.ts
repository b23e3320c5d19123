import { describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { db, rowsOf } from "@/db/client";
import { events, organizationRetention, usageDaily, webhookAttempts, webhookDeliveries, webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { retentionExpiresOn } from "@/features/retention/retention.service";
import { addDays, DAYS_AHEAD, databaseToday, listPartitions, maintainPartitions, partitionFor } from "@/features/retention/retention.partitions";
import { encryptSecret } from "@/lib/crypto";
import { createOwner } from "../helpers/factories";

/** The partition a row of `table` with this id sits in (tableoid). */
async function partitionOf(table: string, id: string): Promise<string | undefined> {
  const [row] = rowsOf<{ p: string }>(await db.execute(sql`select tableoid::regclass::text as p from ${sql.identifier(table)} where id = ${id}`));
  return row?.p;
}

/** An endpoint, one delivery of `eventId` and its attempt, with the organization's delivery retention (what the delivery path writes). */
async function deliveryWithAttempt(organizationId: string, eventId: string) {
  const [hook] = await db
    .insert(webhooks)
    .values({ organizationId, url: "https://example.test/hook", secretEnc: encryptSecret("whsec_x") })
    .returning();
  const [delivery] = await db
    .insert(webhookDeliveries)
    .values({ organizationId, webhookId: hook!.id, eventId, eventType: "message.sent", expiresOn: retentionExpiresOn(organizationId, "deliveries") })
    .returning();
  const [attempt] = await db
    .insert(webhookAttempts)
    .values({ deliveryId: delivery!.id, attempt: 1, statusCode: 200, expiresOn: delivery!.expiresOn })
    .returning();
  return { hook: hook!, delivery: delivery!, attempt: attempt! };
}

describe("partition maintenance", () => {
  test("creates the partitions rows will be written to next, a few days ahead, for every retention in use", async () => {
    const { organization } = await createOwner();
    await db.insert(organizationRetention).values({ organizationId: organization.id, eventsDays: 7, deliveriesDays: 14 });
    const today = await databaseToday();
    const report = await maintainPartitions();
    for (const table of ["events", "webhook_deliveries", "webhook_attempts"] as const) {
      const names = new Set((await listPartitions(table)).map((p) => p.name));
      expect(names.has(`${table}_default`)).toBe(true);
      for (const r of [7, 14, 30]) {
        for (let k = 0; k <= DAYS_AHEAD; k++) expect(names.has(partitionFor(table, addDays(today, r + k)).name)).toBe(true);
      }
    }
    const usage = new Set((await listPartitions("usage_daily")).map((p) => p.name));
    expect(usage.has(partitionFor("usage_daily", today).name)).toBe(true);
    expect(report.created.length).toBeGreaterThan(0);
    // A second pass finds nothing to do.
    expect(await maintainPartitions()).toEqual({ created: [], dropped: [] });

    // Rows land in the partition of their expiry: 7 days for this organization's events.
    await maintainPartitions();
    const event = await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} });
    expect(event.expiresOn).toBe(addDays(today, 7));
    expect(await partitionOf("events", event.id)).toBe(partitionFor("events", addDays(today, 7)).name);
  });

  test("two processes maintaining at once (two apps booting) neither deadlock nor create a partition twice", async () => {
    const { organization } = await createOwner();
    await db.insert(organizationRetention).values({ organizationId: organization.id, eventsDays: 11, deliveriesDays: 12 });
    const [a, b] = await Promise.all([maintainPartitions(), maintainPartitions()]);
    const created = [...a.created, ...b.created];
    expect(new Set(created).size).toBe(created.length);
    const today = await databaseToday();
    const names = new Set((await listPartitions("events")).map((p) => p.name));
    expect(names.has(partitionFor("events", addDays(today, 11)).name)).toBe(true);
  });

  test("the DEFAULT partition catches a row no partition covers, and maintenance moves it into its own", async () => {
    const { organization } = await createOwner();
    const [far] = await db.insert(events).values({ organizationId: organization.id, type: "instance.connected", expiresOn: "2099-03-04" }).returning();
    expect(await partitionOf("events", far!.id)).toBe("events_default");
    const [usage] = await db.insert(usageDaily).values({ organizationId: organization.id, day: "2098-07-09", metric: "api_calls", count: 3 }).returning();
    expect(await partitionOf("usage_daily", usage!.id)).toBe("usage_daily_default");

    await maintainPartitions();
    expect(await partitionOf("events", far!.id)).toBe("events_p20990304");
    expect(await partitionOf("usage_daily", usage!.id)).toBe("usage_daily_p209807");
    const [kept] = await db.select().from(usageDaily).where(eq(usageDaily.id, usage!.id));
    expect(kept?.count).toBe(3);
    const [left] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from events_default`));
    expect(left?.n).toBe(0);
  });

  test("dropping past retention takes exactly the expired organization's rows, whole partitions, and keeps the other's", async () => {
    const short = await createOwner();
    const long = await createOwner();
    await db.insert(organizationRetention).values({ organizationId: short.organization.id, eventsDays: 1, deliveriesDays: 2 });
    await maintainPartitions();
    const today = await databaseToday();

    const gone = await recordEvent({ organizationId: short.organization.id, type: "message.sent", data: { n: 1 } });
    const kept = await recordEvent({ organizationId: long.organization.id, type: "message.sent", data: { n: 2 } });
    const goneDelivery = await deliveryWithAttempt(short.organization.id, gone.id);
    const keptDelivery = await deliveryWithAttempt(long.organization.id, kept.id);
    expect(gone.expiresOn).toBe(addDays(today, 1));
    expect(kept.expiresOn).toBe(addDays(today, 30));
    expect(goneDelivery.delivery.expiresOn).toBe(addDays(today, 2));
    expect(goneDelivery.attempt.expiresOn).toBe(addDays(today, 2));

    // The day after the event's expiry day: its partition ended, the delivery's (a day longer) not yet.
    const first = await maintainPartitions({ today: addDays(today, 2) });
    expect(first.dropped).toContain(partitionFor("events", addDays(today, 1)).name);
    expect(await db.select().from(events).where(eq(events.id, gone.id))).toHaveLength(0);
    expect(await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, goneDelivery.delivery.id))).toHaveLength(1);

    const second = await maintainPartitions({ today: addDays(today, 3) });
    expect(second.dropped).toEqual(
      expect.arrayContaining([partitionFor("webhook_deliveries", addDays(today, 2)).name, partitionFor("webhook_attempts", addDays(today, 2)).name]),
    );
    expect(await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, goneDelivery.delivery.id))).toHaveLength(0);
    expect(await db.select().from(webhookAttempts).where(eq(webhookAttempts.id, goneDelivery.attempt.id))).toHaveLength(0);

    // The other organization's event, delivery and attempt are all still there.
    expect(await db.select().from(events).where(eq(events.id, kept.id))).toHaveLength(1);
    expect(await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, keptDelivery.delivery.id))).toHaveLength(1);
    expect(await db.select().from(webhookAttempts).where(eq(webhookAttempts.id, keptDelivery.attempt.id))).toHaveLength(1);
    // Dropped, never deleted by rows: the expired partitions no longer exist.
    const names = (await listPartitions("events")).map((p) => p.name);
    expect(names).not.toContain(partitionFor("events", addDays(today, 1)).name);
    expect(names).toContain(partitionFor("events", addDays(today, 30)).name);
  });

  test("usage partitions older than the usage retention are dropped, the current month's kept", async () => {
    const { organization } = await createOwner();
    const today = await databaseToday();
    const [old] = await db.insert(usageDaily).values({ organizationId: organization.id, day: "2020-01-05", metric: "api_calls", count: 1 }).returning();
    const [now] = await db.insert(usageDaily).values({ organizationId: organization.id, day: today, metric: "api_calls", count: 2 }).returning();
    const report = await maintainPartitions();
    expect(report.dropped).toContain("usage_daily_p202001");
    expect(await db.select().from(usageDaily).where(eq(usageDaily.id, old!.id))).toHaveLength(0);
    expect(await db.select().from(usageDaily).where(eq(usageDaily.id, now!.id))).toHaveLength(1);
  });

  test("deleting an endpoint deletes its attempts (no foreign key cascades into a partitioned table)", async () => {
    const { organization } = await createOwner();
    const event = await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} });
    const { hook, attempt } = await deliveryWithAttempt(organization.id, event.id);
    const { deleteWebhook } = await import("@/features/webhooks/webhook.service");
    const { user } = await createOwner();
    await deleteWebhook({ type: "user", id: user.id, organizationId: organization.id, role: "owner" }, hook.id);
    expect(await db.select().from(webhookAttempts).where(eq(webhookAttempts.id, attempt.id))).toHaveLength(0);
  });
});
