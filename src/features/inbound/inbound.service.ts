import { and, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { instances, messages, type Instance } from "@/db/schema";
import type { Contact, Conversation } from "@/features/conversations/conversation.service";
import { recordEvent, type EventType } from "@/features/events/event.service";
import { touchInstanceActivity } from "@/features/instances/instance-activity";
import { applyConnectionState } from "@/features/instances/instance-state";
import { meterUsage } from "@/features/usage/usage.service";
import { publishLive } from "@/lib/live";
import { log } from "@/lib/logger";
import { inboxTopic } from "@/lib/live-topics";
import { storeInboundMessage, type Message } from "./message-store";
import { toE164 } from "@/lib/phone";
import type { ConnectionState, InboundEvent, ProviderInstance, ProviderSink } from "@/providers/provider";

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
  /** `pending`: the receipt's message is not stored yet; settles once it was applied late or dropped. */
  | { kind: "receipt"; updated: boolean; found: boolean; message?: Message; pending?: Promise<void> }
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
      return ingestReceiptOrKeepPending(instance, event);
    case "connection": {
      const { kind: _, ...state } = event;
      return { kind: "connection", ...(await applyConnectionState(instance, state)) };
    }
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

  return withDeadlockRetry("inbound receipt", () =>
    db.transaction(async (tx) => {
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
    }),
  );
}

type Receipt = Extract<InboundEvent, { kind: "receipt" }>;

/**
 * The one policy for a receipt that arrives before its message: a provider may report "sent" before the
 * outbound worker has committed the provider message id it was handed (the sandbox always races it,
 * WuzAPI and Meta sometimes). Such a receipt is kept pending and tried again on this schedule (ms
 * between tries, about 4 s in all), then dropped. Receipts of one message stay in arrival order: a
 * later one waits behind the pending one instead of overtaking it.
 */
export const pendingReceipts = { retryDelaysMs: [100, 250, 500, 1000, 2000] };

const waitingByMessage = new Map<string, Promise<void>>();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    (timer as { unref?: () => void }).unref?.();
  });
}

async function ingestReceiptOrKeepPending(instance: Instance, event: Receipt): Promise<IngestResult> {
  const key = `${instance.id}:${event.providerMessageId}`;
  if (!waitingByMessage.has(key)) {
    const result = await ingestReceipt(instance, event);
    if (result.kind !== "receipt" || result.found) return result;
  }
  const previous = waitingByMessage.get(key) ?? Promise.resolve();
  const pending = previous.then(() => retryPendingReceipt(instance, event));
  waitingByMessage.set(key, pending);
  void pending.finally(() => {
    if (waitingByMessage.get(key) === pending) waitingByMessage.delete(key);
  });
  return { kind: "receipt", updated: false, found: false, pending };
}

async function retryPendingReceipt(instance: Instance, event: Receipt): Promise<void> {
  try {
    for (let attempt = 0; ; attempt++) {
      const result = await ingestReceipt(instance, event);
      if (result.kind !== "receipt" || result.found) return;
      const delay = pendingReceipts.retryDelaysMs[attempt];
      if (delay === undefined) break;
      await sleep(delay);
    }
    log.debug("receipt for an unknown message dropped", { instanceId: instance.id, providerMessageId: event.providerMessageId });
  } catch (err) {
    log.warn("pending receipt failed", { instanceId: instance.id, providerMessageId: event.providerMessageId, err });
  }
}

/** Resolves when no receipt is pending any more (tests, shutdown). */
export async function pendingReceiptsSettled(): Promise<void> {
  while (waitingByMessage.size > 0) await Promise.allSettled([...waitingByMessage.values()]);
}

/** How many messages have receipts waiting for them (tests wait on it rather than on the clock). */
export function pendingReceiptCount(): number {
  return waitingByMessage.size;
}

/**
 * Applies one delivery's events in order (a webhook body, a batch from the sandbox) and counts them.
 * `pending` settles when receipts kept for late messages are done; webhooks answer without waiting.
 */
export async function ingestEvents(instance: Instance, events: InboundEvent[]) {
  let stored = 0;
  let duplicates = 0;
  let receipts = 0;
  const pending: Promise<void>[] = [];
  let current = instance;
  for (const event of events) {
    const result = await ingestInbound(current, event);
    if (result.kind === "message") {
      if (result.stored) stored++;
      else if (result.duplicate) duplicates++;
    } else if (result.kind === "receipt") {
      if (result.updated) receipts++;
      if (result.pending) pending.push(result.pending);
    } else if (result.instance) {
      current = result.instance;
    }
  }
  return { counts: { events: events.length, stored, duplicates, receipts }, pending: Promise.all(pending).then(() => undefined) };
}

const instanceById = db
  .select()
  .from(instances)
  .where(eq(instances.id, sql.placeholder("id")))
  .limit(1)
  .prepare("inbound_instance_by_id");

/** Adapters are handed stored rows; a bare ProviderInstance (a test calling an adapter) is looked up. */
async function storedInstance(instance: ProviderInstance): Promise<Instance | undefined> {
  if ("organizationId" in instance) return instance as Instance;
  const [row] = await instanceById.execute({ id: instance.id });
  return row;
}

/** What the composition root hands to provider adapters for events they report unasked (the sandbox's phone). */
export const inboundSink: ProviderSink = {
  async inbound(instance: ProviderInstance, events: InboundEvent[]) {
    const stored = await storedInstance(instance);
    if (!stored) return;
    const { pending } = await ingestEvents(stored, events);
    await pending;
  },
  async status(instance: ProviderInstance, state: ConnectionState) {
    await applyConnectionState(instance, state);
  },
};
