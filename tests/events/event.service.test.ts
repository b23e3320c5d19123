import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { webhookDeliveries, webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { encryptSecret } from "@/lib/crypto";
import { createOwner } from "../helpers/factories";

describe("recordEvent", () => {
  test("queues one delivery per matching active webhook, in the caller's transaction", async () => {
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
    const rows = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event.id));
    expect(rows.map((r) => r.webhookId)).toEqual([all!.id]);
    expect(rows[0]!.status).toBe("pending");

    const received = await recordEvent({ organizationId: organization.id, type: "message.received", data: {} });
    const rows2 = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, received.id));
    expect(rows2.map((r) => r.webhookId).sort()).toEqual([all!.id, onlyReceived!.id].sort());

    await expect(
      db.transaction(async (tx) => {
        await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} }, tx);
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    const total = await db.select().from(webhookDeliveries);
    expect(total.length).toBe(3);
  });
});
