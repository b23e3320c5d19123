import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { events, webhookDeliveries, webhooks } from "@/db/schema";
import { listEventDeliveries, recordEvent } from "@/features/events/event.service";
import { encryptSecret } from "@/lib/crypto";
import { createOwner } from "../helpers/factories";

describe("recordEvent", () => {
  test("writes no delivery rows: each matching endpoint shows the event pending until its cursor reaches it; a rolled-back event never shows", async () => {
    const { organization } = await createOwner();
    const other = await createOwner();
    const base = { organizationId: organization.id, url: "https://example.test/hook", secretEnc: encryptSecret("whsec_x") };
    const [all] = await db
      .insert(webhooks)
      .values({ ...base, name: "all" })
      .returning();
    const [onlyReceived] = await db
      .insert(webhooks)
      .values({ ...base, name: "received", eventTypes: ["message.received"] })
      .returning();
    await db.insert(webhooks).values({ ...base, name: "inactive", active: false });
    await db.insert(webhooks).values({ ...base, organizationId: other.organization.id, name: "other org" });

    const event = await recordEvent({ organizationId: organization.id, type: "message.sent", data: { id: "m1" } });
    expect(await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event.id))).toEqual([]);
    // The paused endpoint resumes from its cursor, so the event is pending for it too; other filters and organizations do not see it.
    const pending = await listEventDeliveries(organization.id, event.id);
    expect(pending.map((d) => [d.webhookName, d.status, d.attempts, d.id])).toEqual([
      ["all", "pending", 0, null],
      ["inactive", "pending", 0, null],
    ]);
    expect(await listEventDeliveries(other.organization.id, event.id)).toEqual([]);

    const received = await recordEvent({ organizationId: organization.id, type: "message.received", data: {} });
    const pending2 = await listEventDeliveries(organization.id, received.id);
    expect(pending2.map((d) => d.webhookId).sort()).toContain(onlyReceived!.id);
    expect(pending2.map((d) => d.webhookId)).toContain(all!.id);

    await expect(
      db.transaction(async (tx) => {
        await recordEvent({ organizationId: organization.id, type: "message.sent", data: { rolledBack: true } }, tx);
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    expect((await db.select().from(events).where(eq(events.organizationId, organization.id))).length).toBe(2);
    expect(await db.select().from(webhookDeliveries)).toEqual([]);
  });

  test("an endpoint created after an event does not show it pending", async () => {
    const { organization } = await createOwner();
    const event = await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} });
    await db.insert(webhooks).values({ organizationId: organization.id, url: "https://example.test/late", secretEnc: encryptSecret("whsec_x") });
    expect(await listEventDeliveries(organization.id, event.id)).toEqual([]);
  });
});
