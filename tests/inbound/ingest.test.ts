import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { conversations, events, instances, messages } from "@/db/schema";
import { ingestEvents, ingestInbound, pendingReceipts, pendingReceiptsSettled } from "@/features/inbound/inbound.service";
import { messageChanges } from "@/features/inbound/message-changes";
import { messagePreview } from "@/features/inbound/message-store";
import { plugMessageChanges } from "@/features/messages/message.changes";
import { subscribeLive } from "@/lib/live";
import type { Instance } from "@/db/schema";
import type { InboundEvent } from "@/providers/provider";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

let organizationId: string;
let instance: Instance;

beforeAll(async () => {
  // No app here: the messages feature's writes behind receipts are plugged in as src/routes.ts does.
  plugMessageChanges(messageChanges);
  organizationId = (await createOwner()).organization.id;
  [instance] = (await db.insert(instances).values({ organizationId, name: "ingest", provider: "wuzapi", status: "connected" }).returning()) as [Instance];
});

const countEvents = async (type: string) =>
  (
    await db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, type)))
  ).length;

const inbound = (id: string, extra: Partial<Extract<InboundEvent, { kind: "message" }>> = {}): InboundEvent => ({
  kind: "message",
  providerMessageId: id,
  from: "5511944443333@s.whatsapp.net",
  fromName: "João",
  type: "text",
  body: "bom dia",
  timestamp: new Date("2026-01-02T03:04:05Z"),
  ...extra,
});

async function outbound(providerMessageId: string) {
  const first = await ingestInbound(instance, inbound(`seed-${providerMessageId}`));
  if (first.kind !== "message") throw new Error("unexpected");
  const [row] = await db
    .insert(messages)
    .values({
      organizationId,
      instanceId: instance.id,
      conversationId: first.conversation!.id,
      contactId: first.contact!.id,
      direction: "outbound",
      providerMessageId,
      type: "text",
      body: "hello",
      status: "queued",
    })
    .returning();
  return row!;
}

describe("ingestInbound: messages", () => {
  test("the same payload twice stores one message and emits one message.received", async () => {
    const first = await ingestInbound(instance, inbound("DUP-1"));
    const second = await ingestInbound(instance, inbound("DUP-1"));
    expect(first).toMatchObject({ kind: "message", stored: true, duplicate: false });
    expect(second).toMatchObject({ kind: "message", stored: false, duplicate: true });
    const rows = await db
      .select()
      .from(messages)
      .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, "DUP-1")));
    expect(rows.length).toBe(1);
    expect(rows[0]!.sentAt!.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    const received = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.received")));
    expect(received.filter((e) => (e.data as { message: { providerMessageId: string } }).message.providerMessageId === "DUP-1").length).toBe(1);
  });

  test("concurrent deliveries of one payload still store a single message", async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => ingestInbound(instance, inbound("RACE-1", { from: "+5511900000001" }))));
    expect(results.filter((r) => r.kind === "message" && r.stored).length).toBe(1);
    expect((await db.select().from(messages).where(eq(messages.providerMessageId, "RACE-1"))).length).toBe(1);
  });

  test("an unusable sender is ignored; previews label non-text messages", async () => {
    expect(await ingestInbound(instance, inbound("BAD-1", { from: "status@broadcast" }))).toMatchObject({ stored: false, duplicate: false });
    expect(messagePreview("image", "a cat")).toBe("[image] a cat");
    expect(messagePreview("audio", null)).toBe("[audio]");
    expect(messagePreview("text", "x".repeat(500)).length).toBe(140);
  });
});

describe("ingestInbound: receipts", () => {
  test("statuses only move forward, with timestamps, one event each", async () => {
    const message = await outbound("OUT-1");
    const at = (s: string) => new Date(`2026-01-02T03:04:0${s}Z`);
    expect(await ingestInbound(instance, { kind: "receipt", providerMessageId: "OUT-1", status: "sent", timestamp: at("1") })).toMatchObject({ updated: true });
    expect(await ingestInbound(instance, { kind: "receipt", providerMessageId: "OUT-1", status: "read", timestamp: at("3") })).toMatchObject({ updated: true });
    // A late "delivered" after "read" and a repeated "read" change nothing.
    expect(await ingestInbound(instance, { kind: "receipt", providerMessageId: "OUT-1", status: "delivered", timestamp: at("2") })).toMatchObject({
      updated: false,
      found: true,
    });
    expect(await ingestInbound(instance, { kind: "receipt", providerMessageId: "OUT-1", status: "read", timestamp: at("4") })).toMatchObject({
      updated: false,
    });
    expect(await ingestInbound(instance, { kind: "receipt", providerMessageId: "OUT-1", status: "failed", timestamp: at("5") })).toMatchObject({
      updated: false,
    });
    const [row] = await db.select().from(messages).where(eq(messages.id, message.id));
    expect(row!.status).toBe("read");
    expect(row!.sentAt!.toISOString()).toBe(at("1").toISOString());
    expect(row!.deliveredAt!.toISOString()).toBe(at("3").toISOString());
    expect(row!.readAt!.toISOString()).toBe(at("3").toISOString());
    expect(await countEvents("message.sent")).toBe(1);
    expect(await countEvents("message.read")).toBe(1);
    expect(await countEvents("message.delivered")).toBe(0);
    expect(await countEvents("message.failed")).toBe(0);
  });

  test("failed is terminal and carries the error; unknown ids are reported as not found", async () => {
    const message = await outbound("OUT-2");
    await ingestInbound(instance, { kind: "receipt", providerMessageId: "OUT-2", status: "sent", timestamp: new Date() });
    const failed = await ingestInbound(instance, {
      kind: "receipt",
      providerMessageId: "OUT-2",
      status: "failed",
      error: "Message undeliverable — code 131026",
      timestamp: new Date(),
    });
    expect(failed).toMatchObject({ updated: true });
    expect(await ingestInbound(instance, { kind: "receipt", providerMessageId: "OUT-2", status: "delivered", timestamp: new Date() })).toMatchObject({
      updated: false,
    });
    const [row] = await db.select().from(messages).where(eq(messages.id, message.id));
    expect(row).toMatchObject({ status: "failed", error: "Message undeliverable — code 131026" });
    expect(row!.failedAt).toBeInstanceOf(Date);
    const [event] = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.failed")));
    expect(event!.data).toMatchObject({ message: { id: message.id, status: "failed", error: "Message undeliverable — code 131026" } });
    const unknown = await ingestInbound(instance, { kind: "receipt", providerMessageId: "NOPE", status: "read", timestamp: new Date() });
    expect(unknown).toMatchObject({ kind: "receipt", updated: false, found: false });
    expect(unknown.kind === "receipt" && unknown.pending).toBeInstanceOf(Promise);
    // Receipts never touch inbound messages.
    expect(await ingestInbound(instance, { kind: "receipt", providerMessageId: "DUP-1", status: "read", timestamp: new Date() })).toMatchObject({
      updated: false,
      found: true,
    });
  });
});

describe("receipts before their message: one policy", () => {
  test("a receipt for a provider id not stored yet is kept and applied when it appears; later receipts of that message wait behind it", async () => {
    const saved = pendingReceipts.retryDelaysMs;
    pendingReceipts.retryDelaysMs = [50, 50, 50, 50, 50, 50, 50, 50];
    try {
      const message = await outbound("LATE-SEED");
      const sent = await ingestEvents(instance, [
        { kind: "receipt", providerMessageId: "LATE-1", status: "sent", timestamp: new Date("2026-01-02T03:04:01Z") },
      ]);
      expect(sent.counts).toMatchObject({ events: 1, receipts: 0 });
      // The outbound worker commits the provider id it was handed after the provider already answered.
      await db.update(messages).set({ providerMessageId: "LATE-1" }).where(eq(messages.id, message.id));
      // "delivered" finds the message at once, but must not overtake the pending "sent".
      await ingestEvents(instance, [{ kind: "receipt", providerMessageId: "LATE-1", status: "delivered", timestamp: new Date("2026-01-02T03:04:02Z") }]);
      await pendingReceiptsSettled();
      const [row] = await db.select().from(messages).where(eq(messages.id, message.id));
      expect(row!.status).toBe("delivered");
      expect(row!.sentAt!.toISOString()).toBe("2026-01-02T03:04:01.000Z");
      const types = (await db.select().from(events).where(eq(events.instanceId, instance.id)).orderBy(events.at))
        .map((e) => [e.type, (e.data as { message?: { providerMessageId?: string } }).message?.providerMessageId])
        .filter(([, id]) => id === "LATE-1")
        .map(([type]) => type);
      expect(types).toEqual(["message.sent", "message.delivered"]);
    } finally {
      pendingReceipts.retryDelaysMs = saved;
    }
  });

  test("a receipt whose message never appears is dropped after the bounded retries", async () => {
    const saved = pendingReceipts.retryDelaysMs;
    pendingReceipts.retryDelaysMs = [10, 10];
    try {
      const { pending } = await ingestEvents(instance, [{ kind: "receipt", providerMessageId: "NEVER-1", status: "read", timestamp: new Date() }]);
      await pending;
      await pendingReceiptsSettled();
    } finally {
      pendingReceipts.retryDelaysMs = saved;
    }
  });
});

describe("ingestInbound: connection", () => {
  test("transitions update the instance and emit one event each; repeats are silent except new QR codes", async () => {
    const [fresh] = await db.insert(instances).values({ organizationId, name: "conn", provider: "wuzapi" }).returning();
    const live: Record<string, unknown>[] = [];
    const unsubscribe = await subscribeLive(`instance:${fresh!.id}`, (data) => live.push(data));
    await ingestInbound(fresh!, { kind: "connection", status: "qr", qrCode: "data:image/png;base64,AAA" });
    await ingestInbound(fresh!, { kind: "connection", status: "qr", qrCode: "data:image/png;base64,BBB" });
    await ingestInbound(fresh!, { kind: "connection", status: "connected", jid: "5511912345678@s.whatsapp.net", name: "Loja" });
    await ingestInbound(fresh!, { kind: "connection", status: "connected" });
    await ingestInbound(fresh!, { kind: "connection", status: "disconnected" });
    await ingestInbound(fresh!, { kind: "connection", status: "logged_out" });
    const types = (await db.select().from(events).where(eq(events.instanceId, fresh!.id)).orderBy(events.at)).map((e) => e.type);
    expect(types).toEqual(["instance.qr", "instance.qr", "instance.connected", "instance.disconnected", "instance.logged_out"]);
    const [row] = await db.select().from(instances).where(eq(instances.id, fresh!.id));
    expect(row).toMatchObject({ status: "logged_out", waJid: "5511912345678@s.whatsapp.net", waName: "Loja" });
    expect(row!.lastConnectedAt).toBeInstanceOf(Date);
    await waitFor(() => live.length >= 5, { what: "five live status notifications" });
    unsubscribe();
    expect(live.map((l) => l.status)).toEqual(["qr", "qr", "connected", "disconnected", "logged_out"]);
    const [qrEvent] = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, fresh!.id), eq(events.type, "instance.qr")));
    expect(qrEvent!.data).toMatchObject({ qrCode: "data:image/png;base64,AAA", instance: { id: fresh!.id, status: "qr" } });
  });

  test("the conversation keeps its unread count per message", async () => {
    const r = await ingestInbound(instance, inbound("UNREAD-1", { from: "+5511900000099" }));
    await ingestInbound(instance, inbound("UNREAD-2", { from: "+5511900000099", type: "image", body: undefined, media: { mediaId: "1" } }));
    const [conversation] = await db
      .select()
      .from(conversations)
      .where(eq(conversations.id, (r as { conversation: { id: string } }).conversation.id));
    expect(conversation).toMatchObject({ unreadCount: 2, lastMessagePreview: "[image]" });
  });
});
