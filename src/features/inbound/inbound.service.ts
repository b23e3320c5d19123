import { and, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { contacts, conversations, instances, messages } from "@/db/schema";
import { ensureContactAndConversation, type Contact, type Conversation } from "@/features/conversations/conversation.service";
import { recordEvent, type EventType } from "@/features/events/event.service";
import { meterUsage } from "@/features/usage/usage.service";
import { publishLive } from "@/lib/live";
import { log } from "@/lib/logger";
import { toE164 } from "@/lib/phone";
import type { InboundEvent, Instance, InstanceStatus } from "@/providers/provider";

export type Message = typeof messages.$inferSelect;

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

/** The live topic of an instance's inbox: the organization's, or the visitor device's while unclaimed. */
export function inboxTopic(instance: Pick<Instance, "organizationId" | "createdByDeviceId">): string | null {
  if (instance.organizationId) return `org:${instance.organizationId}:inbox`;
  if (instance.createdByDeviceId) return `device:${instance.createdByDeviceId}:inbox`;
  return null;
}

const PREVIEW_MAX = 140;

/** One line for the inbox list: the text, or the caption/label of non-text messages. */
export function messagePreview(type: Message["type"], body: string | null | undefined): string {
  const text = (body ?? "").replace(/\s+/g, " ").trim();
  if (type === "text" || type === "template") return text.slice(0, PREVIEW_MAX);
  const label = `[${type}]`;
  return (text ? `${label} ${text}` : label).slice(0, PREVIEW_MAX);
}

const findByProviderId = db
  .select({ id: messages.id })
  .from(messages)
  .where(and(eq(messages.instanceId, sql.placeholder("instanceId")), eq(messages.providerMessageId, sql.placeholder("providerMessageId"))))
  .limit(1)
  .prepare("inbound_find_by_provider_id");

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
  // Cheap pre-check: providers redeliver often, and a redelivery should not touch contacts at all.
  const [existing] = await findByProviderId.execute({ instanceId: instance.id, providerMessageId: event.providerMessageId });
  if (existing) return { ...skipped, duplicate: true };

  const body = event.body?.trim() ? event.body : null;
  const stored = await db.transaction(async (tx) => {
    const { contact, conversation } = await ensureContactAndConversation(tx, instance, phone, event.fromName?.trim() || null);
    const now = new Date();
    const [message] = await tx
      .insert(messages)
      .values({
        organizationId: instance.organizationId,
        instanceId: instance.id,
        conversationId: conversation.id,
        contactId: contact.id,
        direction: "inbound",
        providerMessageId: event.providerMessageId,
        type: event.type,
        body,
        media: event.media ?? null,
        // Inbound messages are delivered to us by definition; marking them read moves them to "read".
        status: "delivered",
        sentAt: event.timestamp,
        deliveredAt: now,
      })
      .onConflictDoNothing({ target: [messages.instanceId, messages.providerMessageId] })
      .returning();
    if (!message) return null; // a concurrent delivery of the same payload won the race

    // A new message reopens a resolved conversation; resolution also ended any human hand-off.
    const [updatedConversation] = await tx
      .update(conversations)
      .set({
        lastMessageAt: now,
        lastMessagePreview: messagePreview(event.type, body),
        unreadCount: sql`${conversations.unreadCount} + 1`,
        status: sql`case when ${conversations.status} = 'resolved' then 'open' else ${conversations.status} end`,
        handledBy: sql`case when ${conversations.status} = 'resolved' then 'bot' else ${conversations.handledBy} end`,
        resolvedAt: sql`case when ${conversations.status} = 'resolved' then null else ${conversations.resolvedAt} end`,
        updatedAt: now,
      })
      .where(eq(conversations.id, conversation.id))
      .returning();
    const [updatedContact] = await tx
      .update(contacts)
      .set({ lastInteractionAt: now, updatedAt: now })
      .where(eq(contacts.id, contact.id))
      .returning();

    await recordEvent(
      {
        organizationId: instance.organizationId,
        instanceId: instance.id,
        deviceId: instance.organizationId ? null : instance.createdByDeviceId,
        type: "message.received",
        data: {
          message: {
            id: message.id,
            providerMessageId: message.providerMessageId,
            conversationId: conversation.id,
            contactId: contact.id,
            from: phone,
            fromName: updatedContact?.name ?? contact.name,
            type: message.type,
            body: message.body,
            media: message.media,
            timestamp: event.timestamp.toISOString(),
          },
        },
      },
      tx,
    );
    const topic = inboxTopic(instance);
    if (topic) await publishLive(topic, { conversationId: conversation.id, messageId: message.id }, tx);
    return { message, conversation: updatedConversation ?? conversation, contact: updatedContact ?? contact };
  });

  if (!stored) return { ...skipped, duplicate: true };
  await touchInstanceActivity(instance.id);
  // Counted in the batched meter, not in the transaction: every inbound message of an instance would
  // otherwise lock the same counter row until commit and serialize ingestion (the bench showed it).
  // Nothing reads this counter for enforcement; the event log keeps the exact record.
  meterUsage({ organizationId: instance.organizationId, instanceId: instance.id, metric: "messages_received" });
  const hooks = runInboundHooks({ instance, ...stored });
  return { kind: "message", stored: true, duplicate: false, ...stored, hooks };
}

const ACTIVITY_RESOLUTION_MS = 15_000;
const activityWrittenAt = new Map<string, number>();

/**
 * Moves the instance's `lastActivityAt` at most every 15 s per process, after the message committed:
 * inside the inbound transaction every message of a busy instance queued on this one row lock until
 * the writer's commit (the bench showed the convoy).
 */
async function touchInstanceActivity(instanceId: string): Promise<void> {
  const now = Date.now();
  if (now - (activityWrittenAt.get(instanceId) ?? 0) < ACTIVITY_RESOLUTION_MS) return;
  activityWrittenAt.set(instanceId, now);
  await db
    .update(instances)
    .set({ lastActivityAt: new Date(now) })
    .where(and(eq(instances.id, instanceId), sql`(${instances.lastActivityAt} is null or ${instances.lastActivityAt} < now() - interval '15 seconds')`));
}

async function runInboundHooks(ctx: InboundMessageContext): Promise<void> {
  for (const hook of [...onInboundMessage]) {
    try {
      await hook(ctx);
    } catch (err) {
      log.error("inbound message hook failed", { messageId: ctx.message.id, err: err instanceof Error ? err.message : String(err) });
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

  return db.transaction(async (tx) => {
    const [message] = await tx
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
    if (!message) {
      const [known] = await tx
        .select({ id: messages.id })
        .from(messages)
        .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, event.providerMessageId)))
        .limit(1);
      return { kind: "receipt", updated: false, found: !!known } as const;
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
  });
}

const CONNECTION_EVENTS: Partial<Record<InstanceStatus, EventType>> = {
  qr: "instance.qr",
  connected: "instance.connected",
  disconnected: "instance.disconnected",
  logged_out: "instance.logged_out",
};

async function ingestConnection(instance: Instance, event: Extract<InboundEvent, { kind: "connection" }>): Promise<IngestResult> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(instances).where(eq(instances.id, instance.id)).for("update");
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
  });
}

