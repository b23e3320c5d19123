import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq, inArray, sql } from "drizzle-orm";
import { db, driver } from "@/db/client";
import { contacts, conversations, events, instances, messages, webhookDeliveries, webhooks } from "@/db/schema";
import { listEventDeliveries } from "@/features/events/event.service";
import { storeInboundMessages, type InboundMessage } from "@/features/inbound/message-store";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { encryptSecret } from "@/lib/crypto";
import type { Instance } from "@/db/schema";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

let organizationId: string;
let instance: Instance;
let hookId: string;

beforeAll(async () => {
  organizationId = (await createOwner()).organization.id;
  [instance] = (await db.insert(instances).values({ organizationId, name: "batch", provider: "wuzapi", status: "connected" }).returning()) as [Instance];
  const [hook] = await db
    .insert(webhooks)
    .values({ organizationId, name: "received", url: "https://example.test/hook", secretEnc: encryptSecret("whsec_x"), eventTypes: ["message.received"] })
    .returning();
  hookId = hook!.id;
});

const item = (id: string, phone: string, extra: Partial<InboundMessage["event"]> = {}): InboundMessage => ({
  instance,
  phone,
  event: { kind: "message", providerMessageId: id, from: phone, fromName: "Ana", type: "text", body: `text ${id}`, timestamp: new Date(), ...extra },
});

describe("storeInboundMessages: one statement for many messages", () => {
  test("mixed new and known senders, a repeat inside the batch and one already stored", async () => {
    await storeInboundMessages([item("B-0", "+5511911110001")]); // a known contact with an earlier message
    const batch = [
      item("B-1", "+5511911110001"),
      item("B-2", "+5511911110002", { fromName: "Bia" }),
      item("B-3", "+5511911110002", { type: "image", body: undefined, media: { mediaId: "9" } }),
      item("B-2", "+5511911110002"), // the provider repeated itself within the batch
      item("B-0", "+5511911110001"), // already stored
    ];
    const results = await storeInboundMessages(batch);
    expect(results.map((r) => r?.message.providerMessageId ?? null)).toEqual(["B-1", "B-2", "B-3", null, null]);
    // Both messages of one sender share the contact and conversation; the conversation saw both.
    expect(results[1]!.conversation.id).toBe(results[2]!.conversation.id);
    expect(results[2]!.conversation).toMatchObject({ unreadCount: 2, lastMessagePreview: "[image]" });
    expect(results[0]!.conversation.unreadCount).toBe(2);
    expect(results[1]!.contact).toMatchObject({ phone: "+5511911110002", name: "Bia" });
    expect(results[1]!.contact.lastInteractionAt).toBeInstanceOf(Date);

    const stored = await db
      .select()
      .from(messages)
      .where(and(eq(messages.instanceId, instance.id), inArray(messages.providerMessageId, ["B-0", "B-1", "B-2", "B-3"])));
    expect(stored.length).toBe(4);
    const created = await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, organizationId), eq(contacts.phone, "+5511911110002")));
    expect(created.length).toBe(1);

    // One message.received per stored message, each with its webhook delivery; creation events once.
    const received = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.received")));
    const ids = received.map((e) => (e.data as { message: { providerMessageId: string } }).message.providerMessageId).sort();
    expect(ids).toEqual(["B-0", "B-1", "B-2", "B-3"]);
    // The webhook delivers them from the event log: each is pending for it (no delivery row until attempted).
    expect(await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hookId))).toEqual([]);
    for (const e of received) {
      expect((await listEventDeliveries(organizationId, e.id)).map((d) => [d.webhookId, d.status])).toEqual([[hookId, "pending"]]);
    }
    const contactCreated = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "contact.created")));
    expect(contactCreated.length).toBe(2);
    const conversationCreated = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "conversation.created")));
    expect(conversationCreated.length).toBe(2);
  });

  test("a resolved conversation reopens for the bot when a batch brings a new message", async () => {
    const [first] = await storeInboundMessages([item("R-1", "+5511911110003")]);
    await db.update(conversations).set({ status: "resolved", handledBy: "human", resolvedAt: new Date() }).where(eq(conversations.id, first!.conversation.id));
    const [second] = await storeInboundMessages([item("R-2", "+5511911110003")]);
    expect(second!.conversation).toMatchObject({ status: "open", handledBy: "bot", resolvedAt: null });
  });

  test("a copy a concurrent writer commits first is stored once and not counted as unread twice", async () => {
    const [first] = await storeInboundMessages([item("Q-0", "+5511911110004")]);
    const conversationId = first!.conversation.id;
    if (driver.kind !== "postgres") throw new Error("needs Postgres");
    // Another writer holds an uncommitted copy of Q-1: the batch statement cannot see it, then waits on its key.
    const writer = await driver.client.reserve();
    try {
      await writer`begin`;
      await writer`insert into messages (organization_id, instance_id, conversation_id, contact_id, direction, provider_message_id, type, status)
        values (${organizationId}, ${instance.id}, ${conversationId}, ${first!.contact.id}, 'inbound', 'Q-1', 'text', 'delivered')`;
      const racing = storeInboundMessages([item("Q-1", "+5511911110004"), item("Q-2", "+5511911110004")]);
      await waitFor(
        async () => {
          const [{ n }] = (await db.execute(
            sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
          )) as unknown as [{ n: number }];
          return n > 0;
        },
        { what: "the batch to wait on the open transaction's row lock" },
      );
      await writer`commit`;
      const results = await racing;
      expect(results[0]).toBeNull();
      expect(results[1]!.message.providerMessageId).toBe("Q-2");
      // are this path's; the writer that won Q-1 counts its own.
      expect(results[1]!.conversation.unreadCount).toBe(2);
      const [conversation] = await db.select().from(conversations).where(eq(conversations.id, conversationId));
      expect(conversation!.unreadCount).toBe(2);
      const q1 = await db
        .select()
        .from(messages)
        .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, "Q-1")));
      expect(q1.length).toBe(1);
    } finally {
      await writer`rollback`.catch(() => {});
      writer.release();
    }
  });

  test("concurrent webhooks share transactions and each gets its own result", async () => {
    const phones = Array.from({ length: 40 }, (_, i) => `+55119222${String(i % 10).padStart(5, "0")}`);
    const results = await Promise.all(
      phones.map((from, i) =>
        ingestInbound(instance, { kind: "message", providerMessageId: `C-${i}`, from, type: "text", body: `hi ${i}`, timestamp: new Date() }),
      ),
    );
    results.forEach((r, i) => {
      expect(r).toMatchObject({ kind: "message", stored: true });
      if (r.kind === "message") expect(r.message!.providerMessageId).toBe(`C-${i}`);
    });
    const rows = await db
      .select({ txId: events.txId })
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.received"), sql`${events.data}->'message'->>'providerMessageId' like 'C-%'`));
    // 40 messages in fewer transactions than messages: group commit batched them.
    expect(rows.length).toBe(40);
    expect(new Set(rows.map((r) => String(r.txId))).size).toBeLessThan(40);
    const convs = await db.select().from(conversations).where(eq(conversations.instanceId, instance.id));
    const perPhone = convs.filter((v) => v.unreadCount === 4);
    expect(perPhone.length).toBe(10); // ten senders, four messages each
  });
});

describe("a contact's last interaction moves by the minute", () => {
  test("a message within a minute of the last leaves it (the row is updated in place, not re-indexed); a later one moves it", async () => {
    const phone = "+5511911119901";
    await storeInboundMessages([item("LI-0", phone)]);
    const contactRow = async () =>
      (
        await db
          .select()
          .from(contacts)
          .where(and(eq(contacts.organizationId, organizationId), eq(contacts.phone, phone)))
      )[0]!;
    const recent = new Date(Date.now() - 30_000);
    await db
      .update(contacts)
      .set({ lastInteractionAt: recent })
      .where(eq(contacts.id, (await contactRow()).id));
    const [within] = await storeInboundMessages([item("LI-1", phone)]);
    expect(within!.contact.lastInteractionAt!.toISOString()).toBe(recent.toISOString());
    expect((await contactRow()).lastInteractionAt!.toISOString()).toBe(recent.toISOString());

    const older = new Date(Date.now() - 61_000);
    await db
      .update(contacts)
      .set({ lastInteractionAt: older })
      .where(eq(contacts.id, (await contactRow()).id));
    const before = Date.now();
    const [later] = await storeInboundMessages([item("LI-2", phone)]);
    expect(later!.contact.lastInteractionAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect((await contactRow()).lastInteractionAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    // Never backwards: a message stamped before the recorded interaction leaves it.
    const future = new Date(Date.now() + 3_600_000);
    await db
      .update(contacts)
      .set({ lastInteractionAt: future })
      .where(eq(contacts.id, (await contactRow()).id));
    await storeInboundMessages([item("LI-3", phone)]);
    expect((await contactRow()).lastInteractionAt!.toISOString()).toBe(future.toISOString());
  });
});
