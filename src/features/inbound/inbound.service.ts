import { and, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { instances, messages } from "@/db/schema";
import type { Contact, Conversation } from "@/features/conversations/conversation.service";
import { recordEvent, type EventType } from "@/features/events/event.service";
import { touchInstanceActivity } from "@/features/instances/instance-activity";
import { meterUsage } from "@/features/usage/usage.service";
import { publishLive } from "@/lib/live";
import { log } from "@/lib/logger";
import { inboxTopic } from "@/lib/live-topics";
import { storeInboundMessage, type Message } from "./message-store";
import { toE164 } from "@/lib/phone";
import type { InboundEvent, Instance, InstanceStatus } from "@/providers/provider";

/** What the automation feature receives for every newly stored inbound message (after commit). */
export type InboundMessageContext = { instance: Instance; contact: Contact; conversation: Conversation; message: Message };
export type InboundMessageHook = (ctx: InboundMessageContext) => Promise<void> | void;

/**
 * Subscribers to new inbound messages (triggers, flows, workflows push themselves here at import).
 * They run after the transaction committed, never inside the provider's webhook response path, and
 * a failing hook is logged without affecting the others.
 */
export const onInboundMessage: InboundMessageHook[] = [];

export type IngestResult =
  | { kind: "message"; stored: boolean; duplicate: boolean; message?: Message; conversation?: Conversation; contact?: Contact; hooks: Promise<void> }
  | { kind: "receipt"; updated: boolean; found: boolean; message?: Message }
  | { kind: "connection"; changed: boolean; instance?: Instance };

/**
 * The single entry point of every provider's inbound traffic (webhooks, sandbox simulator): stores
 * messages (deduplicated on the provider message id), advances outbound message statuses, and moves
 * the instance's connection state — each with its events in the same transaction.
 */
export async function ingestInbound(instance: Instance, event: InboundEvent): Promise<IngestResult> {
  switch (event.kind) {
    case "message":
      return ingestMessage(instance, event);
    case "receipt":
      return ingestReceipt(instance, event);
    case "connection":
      return ingestConnection(instance, event);
  }
}

async function ingestMessage(instance: Instance, event: Extract<InboundEvent, { kind: "message" }>): Promise<IngestResult> {
  const skipped: IngestResult = { kind: "message", stored: false, duplicate: false, hooks: Promise.resolve() };
  const phone = toE164(event.from);
  if (!phone) {
    log.warn("inbound message with an unusable sender ignored", { instanceId: instance.id, from: event.from });
    return skipped;
  }
  if (!event.providerMessageId) return skipped;
  const stored = await storeInboundMessage({ instance, phone, event });
  if (!stored) return { ...skipped, duplicate: true };
  await touchInstanceActivity(instance.id);
  // Counted in the batched meter, not in the inbound write: every inbound message of an instance would
  // otherwise lock the same counter row until commit and serialize ingestion (the bench showed it).
  // Nothing reads this counter for enforcement; the event log keeps the exact record.
  meterUsage({ organizationId: instance.organizationId, instanceId: instance.id, metric: "messages_received" });
  const hooks = runInboundHooks({ instance, ...stored });
  return { kind: "message", stored: true, duplicate: false, ...stored, hooks };
}

async function runInboundHooks(ctx: InboundMessageContext): Promise<void> {
  for (const hook of [...onInboundMessage]) {
    try {
      await hook(ctx);
    } catch (err) {
      log.error("inbound message hook failed", { messageId: ctx.message.id, err });
    }
  }
}

/** Statuses a receipt may advance from: sent < delivered < read; failed only before delivery; failed is terminal. */
const RECEIPT_FROM: Record<Extract<InboundEvent, { kind: "receipt" }>["status"], Message["status"][]> = {
  sent: ["queued"],
  delivered: ["queued", "sent"],
  read: ["queued", "sent", "delivered"],
  failed: ["queued", "sent"],
};

async function ingestReceipt(instance: Instance, event: Extract<InboundEvent, { kind: "receipt" }>): Promise<IngestResult> {
  const at = event.timestamp;
  const set: Record<string, unknown> = { status: event.status, updatedAt: new Date() };
  // Reaching a later state implies the earlier ones happened; keep their first timestamps.
  if (event.status !== "failed") set.sentAt = sql`coalesce(${messages.sentAt}, ${at.toISOString()}::timestamptz)`;
  if (event.status === "delivered" || event.status === "read") set.deliveredAt = sql`coalesce(${messages.deliveredAt}, ${at.toISOString()}::timestamptz)`;
  if (event.status === "read") set.readAt = sql`coalesce(${messages.readAt}, ${at.toISOString()}::timestamptz)`;
  if (event.status === "failed") {
    set.failedAt = at;
    set.error = (event.error ?? "The provider reported a failure").slice(0, 1000);
    set.nextAttemptAt = null;
  }

  return withDeadlockRetry("inbound receipt", () => db.transaction(async (tx) => {
    const advance = () =>
      tx
        .update(messages)
        .set(set as Partial<typeof messages.$inferInsert>)
        .where(
          and(
            eq(messages.instanceId, instance.id),
            eq(messages.providerMessageId, event.providerMessageId),
            eq(messages.direction, "outbound"),
            inArray(messages.status, RECEIPT_FROM[event.status]),
          ),
        )
        .returning();
    let [message] = await advance();
    if (!message) {
      const [known] = await tx
        .select({ status: messages.status })
        .from(messages)
        .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, event.providerMessageId)))
        .limit(1);
      // Each statement sees its own snapshot: the outbound worker may have committed the provider id
      // between the two. A message that can still take this receipt gets it now, not never.
      if (known && RECEIPT_FROM[event.status].includes(known.status)) [message] = await advance();
      if (!message) return { kind: "receipt", updated: false, found: !!known } as const;
    }
    await recordEvent(
      {
        organizationId: message.organizationId,
        instanceId: instance.id,
        apiKeyId: message.apiKeyId,
        deviceId: message.organizationId ? null : instance.createdByDeviceId,
        type: `message.${event.status}` as EventType,
        data: {
          message: {
            id: message.id,
            providerMessageId: message.providerMessageId,
            conversationId: message.conversationId,
            contactId: message.contactId,
            status: message.status,
            ...(event.status === "failed" ? { error: message.error } : {}),
            timestamp: at.toISOString(),
          },
        },
      },
      tx,
    );
    const topic = inboxTopic(instance);
    if (topic) await publishLive(topic, { conversationId: message.conversationId, messageId: message.id, status: message.status }, tx);
    return { kind: "receipt", updated: true, found: true, message } as const;
  }));
}

const CONNECTION_EVENTS: Partial<Record<InstanceStatus, EventType>> = {
  qr: "instance.qr",
  connected: "instance.connected",
  disconnected: "instance.disconnected",
  logged_out: "instance.logged_out",
};

async function ingestConnection(instance: Instance, event: Extract<InboundEvent, { kind: "connection" }>): Promise<IngestResult> {
  return withDeadlockRetry("inbound connection", () => db.transaction(async (tx) => {
    // NO KEY UPDATE, not UPDATE: inbound messages of this instance pass their foreign-key checks meanwhile.
    const [current] = await tx.select().from(instances).where(eq(instances.id, instance.id)).for("no key update");
    if (!current) return { kind: "connection", changed: false } as const;
    const now = new Date();
    const patch: Partial<typeof instances.$inferInsert> = { status: event.status, updatedAt: now };
    if (event.jid) patch.waJid = event.jid;
    if (event.name) patch.waName = event.name;
    if (event.status === "connected" && current.status !== "connected") patch.lastConnectedAt = now;
    const [updated] = await tx.update(instances).set(patch).where(eq(instances.id, instance.id)).returning();
    // Providers repeat state (WuzAPI sends Connected on every push-name change); only transitions are
    // events — except QR codes, which rotate and are worth re-sending while the status stays "qr".
    const changed = current.status !== event.status || (event.status === "qr" && !!event.qrCode);
    const type = CONNECTION_EVENTS[event.status];
    if (changed && type && updated) {
      await recordEvent(
        {
          organizationId: updated.organizationId,
          instanceId: updated.id,
          deviceId: updated.organizationId ? null : updated.createdByDeviceId,
          type,
          data: {
            instance: { id: updated.id, name: updated.name, provider: updated.provider, status: updated.status, waJid: updated.waJid, waName: updated.waName },
            ...(event.status === "qr" && event.qrCode ? { qrCode: event.qrCode } : {}),
          },
        },
        tx,
      );
    }
    if (current.status !== event.status) await publishLive(`instance:${instance.id}`, { status: event.status }, tx);
    else if (event.status === "qr" && event.qrCode) await publishLive(`instance:${instance.id}`, { status: event.status, qr: true }, tx);
    return { kind: "connection", changed, instance: updated } as const;
  }));
}

