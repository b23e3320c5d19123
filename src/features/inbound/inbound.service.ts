import { and, eq, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { instances, messages, type Instance } from "@/db/schema";
import type { Contact, Conversation } from "@/features/conversations/conversation.service";
import { recordEvent, type EventType } from "@/features/events/event.service";
import { touchInstanceActivity } from "@/features/instances/instance-activity";
import { applyConnectionState } from "@/features/instances/instance-state";
import { countInbound } from "@/features/metrics/metrics";
import { meterUsage } from "@/features/usage/usage.service";
import { acceptInboundMedia } from "@/features/media/media.service";
import { publishLive } from "@/lib/live";
import { log } from "@/lib/logger";
import { inboxTopic } from "@/lib/live-topics";
import { messageChanges } from "./message-changes";
import { withNumberedChoice } from "./numbered-choice";
import { storeInboundMessage, type Message, type StoredMessage } from "./message-store";
import { partiesVanished, resolveInboundParties, type InboundParties } from "@/features/contacts/identity.service";
import { payloadExcerpt, UNPARSED_EXCERPT_MAX, type ConnectionState, type InboundEvent, type ProviderInstance, type ProviderSink } from "@/providers/provider";
import type { MessageReaction } from "@/db/schema/messaging";
import { sleep } from "@/lib/sleep";

/** What the automation feature receives for every newly stored inbound message (after commit). */
export type InboundMessageContext = { instance: Instance; contact: Contact; conversation: Conversation; message: Message };
export type InboundMessageHook = (ctx: InboundMessageContext) => Promise<void> | void;

/**
 * Subscribers to new inbound messages (triggers, flows, workflows push themselves here at import).
 * They run after the transaction committed, never inside the provider's webhook response path, and
 * a failing hook is logged without affecting the others.
 */
export const onInboundMessage: InboundMessageHook[] = [];

/**
 * Run before `onInboundMessage`: a claim that returns true took the message as the answer to something
 * LivChat asked the contact (a satisfaction survey's score or comment), so no hook (automation, menus,
 * out-of-hours reply) sees it. A failing claim is logged and the message goes to the hooks.
 */
export const inboundClaims: ((ctx: InboundMessageContext) => Promise<boolean>)[] = [];

export type IngestResult =
  | { kind: "message"; stored: boolean; duplicate: boolean; message?: Message; conversation?: Conversation; contact?: Contact; hooks: Promise<void> }
  /** An edit or a delete-for-everyone: `applied` when the target message was found (and not deleted already). */
  | { kind: "edit" | "delete"; applied: boolean; duplicate?: boolean; message?: Message }
  /** Recorded in the event log only (an unparsed payload, an identity change nobody applied). */
  | { kind: "recorded"; reason: string }
  /** `pending`: the receipt's message is not stored yet; settles once it was applied late or dropped. */
  | { kind: "receipt"; updated: boolean; found: boolean; message?: Message; pending?: Promise<void> }
  | { kind: "connection"; changed: boolean; instance?: Instance };

/**
 * The single entry point of every provider's inbound traffic (webhooks, sandbox simulator): stores
 * messages (deduplicated on the provider message id), advances outbound message statuses, and moves
 * the instance's connection state — each with its events in the same transaction.
 */
export async function ingestInbound(instance: Instance, event: InboundEvent): Promise<IngestResult> {
  countInbound(instance.provider, event.kind === "message" ? event.type : event.kind);
  switch (event.kind) {
    case "message":
      return ingestMessage(instance, event);
    case "receipt":
      return ingestReceiptOrKeepPending(instance, event);
    case "connection": {
      const { kind: _, ...state } = event;
      return { kind: "connection", ...(await applyConnectionState(instance, state)) };
    }
    case "edit":
      return ingestEdit(instance, event);
    case "delete":
      return ingestDelete(instance, event);
    case "identity_change": {
      for (const handler of onIdentityChange) await handler(instance, event);
      if (onIdentityChange.length > 0) return { kind: "recorded", reason: "identity_change" };
      return recordUnparsed(instance, { kind: "unparsed", reason: "identity change with no identity service to apply it", excerpt: payloadExcerpt(event) });
    }
    case "unparsed":
      return recordUnparsed(instance, event);
    case "group_change": {
      for (const handler of onGroupChange) await handler(instance, event);
      if (onGroupChange.length > 0) return { kind: "recorded", reason: "group_change" };
      return recordUnparsed(instance, { kind: "unparsed", reason: "group change with no groups service to apply it", excerpt: payloadExcerpt(event) });
    }
  }
}

type IdentityChange = Extract<InboundEvent, { kind: "identity_change" }>;
/**
 * Who applies a provider's "this person now has another identity" (the contacts feature registers its
 * merge here, so inbound does not import it). With no handler the change is recorded as unparsed.
 */
export const onIdentityChange: ((instance: Instance, event: IdentityChange) => Promise<void>)[] = [];

/** Who records a provider's group change (the groups feature registers here, so inbound does not import it). */
export const onGroupChange: ((instance: Instance, event: Extract<InboundEvent, { kind: "group_change" }>) => Promise<void>)[] = [];

/**
 * A correctly signed payload (or a part of one) nobody could understand: acknowledged — providers retry
 * non-2xx for days — and kept in the event log with the reason and a size-capped excerpt, never dropped.
 */
export async function recordUnparsed(
  instance: { id: string | null; organizationId: string | null; createdByDeviceId: string | null; provider: string },
  event: Extract<InboundEvent, { kind: "unparsed" }>,
): Promise<IngestResult> {
  log.warn("inbound payload not understood", { instanceId: instance.id, reason: event.reason, rawType: event.rawType });
  await recordEvent({
    organizationId: instance.organizationId,
    instanceId: instance.id,
    deviceId: instance.organizationId ? null : instance.createdByDeviceId,
    type: "inbound.unparsed",
    data: {
      provider: instance.provider,
      reason: event.reason.slice(0, 500),
      ...(event.rawType ? { rawType: event.rawType.slice(0, 200) } : {}),
      excerpt: event.excerpt.slice(0, UNPARSED_EXCERPT_MAX + 1),
    },
  });
  return { kind: "recorded", reason: event.reason };
}

async function ingestMessage(instance: Instance, event: Extract<InboundEvent, { kind: "message" }>): Promise<IngestResult> {
  const skipped: IngestResult = { kind: "message", stored: false, duplicate: false, hooks: Promise.resolve() };
  if (!event.providerMessageId) {
    await recordUnparsed(instance, { kind: "unparsed", reason: "message without a provider id", rawType: event.rawType, excerpt: payloadExcerpt(event) });
    return skipped;
  }
  // A lone phone in a private chat stays on the one-statement path; LIDs, business-scoped ids, usernames
  // and groups are resolved (and merged) by the identity service first. No usable sender: recorded.
  const parties = await resolveInboundParties(instance, event);
  const phone = parties?.phone ?? null;
  const contactId = parties?.contactId;
  if (!phone && !contactId) {
    await recordUnparsed(instance, {
      kind: "unparsed",
      reason: "sender without a usable phone number or resolved identity",
      rawType: event.rawType ?? event.type,
      excerpt: payloadExcerpt(event),
    });
    return skipped;
  }
  // An attachment gets its pending media row here (inline bytes spooled, never in the jsonb); the media worker fetches the rest.
  const accepted = await acceptInboundMedia(instance, event);
  const file = (p: InboundParties) =>
    storeInboundMessage({
      instance,
      phone: p.phone,
      ...(p.contactId ? { contactId: p.contactId } : {}),
      ...(p.senderContactId ? { senderContactId: p.senderContactId } : {}),
      event: accepted,
    });
  let filed: InboundParties | null = {
    phone,
    ...(contactId ? { contactId } : {}),
    ...(parties?.senderContactId ? { senderContactId: parties.senderContactId } : {}),
  };
  let stored = await file(filed);
  // The contact resolved above was merged into another before the batch ran (a burst revealing one person
  // under several identities): resolved and filed again, a few times at most.
  for (let attempt = 0; !stored && filed && attempt < 5 && (await partiesVanished(filed)); attempt++) {
    filed = await resolveInboundParties(instance, event);
    if (filed) stored = await file(filed);
  }
  if (!stored) return { ...skipped, duplicate: true };
  if (event.type === "reaction" && event.reaction) await applyReaction(instance, stored, event.reaction);
  // The business's own message echoed from its phone: stored as sent; automation never answers it.
  if (stored.message.direction === "outbound") return { kind: "message", stored: true, duplicate: false, ...stored, hooks: Promise.resolve() };
  await touchInstanceActivity(instance.id);
  // Counted in the batched meter, not in the inbound write: every inbound message of an instance would
  // otherwise lock the same counter row until commit and serialize ingestion (the bench showed it).
  // Nothing reads this counter for enforcement; the event log keeps the exact record.
  meterUsage({ organizationId: instance.organizationId, instanceId: instance.id, metric: "messages_received" });
  // A number answering buttons or a list we sent as numbered text becomes that option's choice (a cheap check first).
  const chosen = await withNumberedChoice(instance, stored.message);
  if (chosen) stored = { ...stored, message: chosen };
  const hooks = runInboundHooks({ instance, ...stored });
  return { kind: "message", stored: true, duplicate: false, ...stored, hooks };
}

/**
 * A reaction is stored as its own message (the record) and shown on its target: the target's `reactions`
 * keep one entry per reacting party (the contact, or "business" for our own from the phone), an empty
 * emoji removes that party's entry. A second, small statement only when a batch carries reactions.
 */
async function applyReaction(instance: Instance, stored: StoredMessage, reaction: { targetProviderMessageId: string; emoji: string }): Promise<void> {
  const by = stored.message.direction === "outbound" ? "business" : stored.contact.id;
  const at = (stored.message.sentAt ?? stored.message.createdAt).toISOString();
  const entry: MessageReaction = {
    emoji: reaction.emoji,
    by,
    at,
    ...(stored.message.providerMessageId ? { providerMessageId: stored.message.providerMessageId } : {}),
  };
  await withDeadlockRetry("inbound reaction", () =>
    db.transaction(async (tx) => {
      const target = await messageChanges.react(
        { instanceId: instance.id, targetProviderMessageId: reaction.targetProviderMessageId, by, entry: reaction.emoji ? entry : null },
        tx,
      );
      await recordEvent(
        {
          organizationId: instance.organizationId,
          instanceId: instance.id,
          deviceId: instance.organizationId ? null : instance.createdByDeviceId,
          type: "message.reaction",
          data: {
            reaction: {
              messageId: stored.message.id,
              providerMessageId: stored.message.providerMessageId,
              conversationId: stored.message.conversationId,
              contactId: stored.contact.id,
              direction: stored.message.direction,
              emoji: reaction.emoji,
              removed: reaction.emoji === "",
              targetProviderMessageId: reaction.targetProviderMessageId,
              targetMessageId: target?.id ?? null,
              reactions: target?.reactions ?? null,
              timestamp: at,
            },
          },
        },
        tx,
      );
      const topic = inboxTopic(instance);
      if (topic && target) await publishLive(topic, { conversationId: target.conversationId, messageId: target.id }, tx);
    }),
  );
}

type EditEvent = Extract<InboundEvent, { kind: "edit" }>;
type DeleteEvent = Extract<InboundEvent, { kind: "delete" }>;

/** Summary of a changed message in `message.edited` / `message.deleted`. */
function changedMessageJson(message: Message) {
  return {
    id: message.id,
    providerMessageId: message.providerMessageId,
    conversationId: message.conversationId,
    contactId: message.contactId,
    direction: message.direction,
    type: message.type,
    body: message.body,
  };
}

/**
 * The author changed an earlier message: its body becomes the new text, the replaced one is appended to
 * `previous_versions` (oldest first); the same edit delivered again changes nothing (and adds no version).
 */
function ingestEdit(instance: Instance, event: EditEvent): Promise<IngestResult> {
  const at = event.timestamp;
  return applyMessageChange(
    instance,
    event,
    "message.edited",
    "edit of a message this instance never stored",
    (tx) => messageChanges.edit({ instanceId: instance.id, targetProviderMessageId: event.targetProviderMessageId, body: event.body ?? null, at }, tx),
    (edited) => ({ previousBody: edited.previousVersions?.at(-1)?.body ?? null, editedAt: at.toISOString() }),
  );
}

/**
 * Deleted for everyone: the message is marked deleted; its text and media stay for the audit trail unless
 * the organization turned `keep_deleted_messages` off, in which case they are cleared with its edit history.
 */
function ingestDelete(instance: Instance, event: DeleteEvent): Promise<IngestResult> {
  const at = event.timestamp;
  return applyMessageChange(
    instance,
    event,
    "message.deleted",
    "deletion of a message this instance never stored",
    (tx) => messageChanges.delete({ instanceId: instance.id, targetProviderMessageId: event.targetProviderMessageId, at }, tx),
    (deleted) => ({ contentKept: deleted.body !== null || deleted.media !== null, deletedAt: at.toISOString() }),
  );
}

/**
 * An edit or a delete: `change` applies it to the stored message in one transaction with its event
 * (`extra` adds to the event's message summary) and a live update. Nothing matched: a redelivery when
 * the message is stored, else recorded as unparsed (`missing` is the reason).
 */
async function applyMessageChange(
  instance: Instance,
  event: EditEvent | DeleteEvent,
  type: "message.edited" | "message.deleted",
  missing: string,
  change: (tx: DbOrTx) => Promise<Message | undefined>,
  extra: (message: Message) => Record<string, unknown>,
): Promise<IngestResult> {
  const message = await withDeadlockRetry(`inbound ${event.kind}`, () =>
    db.transaction(async (tx) => {
      const changed = await change(tx);
      if (!changed) return undefined;
      await recordEvent(
        {
          organizationId: changed.organizationId,
          instanceId: instance.id,
          deviceId: changed.organizationId ? null : instance.createdByDeviceId,
          type,
          data: { message: { ...changedMessageJson(changed), ...extra(changed) } },
        },
        tx,
      );
      const topic = inboxTopic(instance);
      if (topic) await publishLive(topic, { conversationId: changed.conversationId, messageId: changed.id }, tx);
      return changed;
    }),
  );
  if (message) return { kind: event.kind, applied: true, message };
  if (await isStored(instance, event.targetProviderMessageId)) return { kind: event.kind, applied: false, duplicate: true };
  await recordUnparsed(instance, { kind: "unparsed", reason: missing, rawType: event.kind, excerpt: payloadExcerpt(event) });
  return { kind: event.kind, applied: false };
}

/** Whether the instance has this provider message (an edit or delete that changed nothing was a redelivery, or came after a delete). */
async function isStored(instance: Instance, providerMessageId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, providerMessageId)))
    .limit(1);
  return !!row;
}

async function runInboundHooks(ctx: InboundMessageContext): Promise<void> {
  for (const claim of [...inboundClaims]) {
    try {
      if (await claim(ctx)) return;
    } catch (err) {
      log.error("inbound message claim failed", { messageId: ctx.message.id, err });
    }
  }
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
  // Reaching a later state implies the earlier ones happened (their first timestamps are kept).
  const change = {
    instanceId: instance.id,
    providerMessageId: event.providerMessageId,
    status: event.status,
    at,
    error: event.error,
    from: RECEIPT_FROM[event.status],
  };
  return withDeadlockRetry("inbound receipt", () =>
    db.transaction(async (tx) => {
      const advance = () => messageChanges.receipt(change, tx);
      let message = await advance();
      if (!message) {
        const [known] = await tx
          .select({ status: messages.status })
          .from(messages)
          .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, event.providerMessageId)))
          .limit(1);
        // Each statement sees its own snapshot: the outbound worker may have committed the provider id
        // between the two. A message that can still take this receipt gets it now, not never.
        if (known && RECEIPT_FROM[event.status].includes(known.status)) message = await advance();
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
  /** Provider ids of messages this delivery repeats: what they announced was applied the first time. */
  const repeated = new Set<string>();
  let current = instance;
  for (const event of events) {
    if (event.kind === "identity_change" && event.providerMessageId && repeated.has(event.providerMessageId)) {
      duplicates++;
      continue;
    }
    const result = await ingestInbound(current, event);
    if (result.kind === "message") {
      if (result.stored) stored++;
      else if (result.duplicate) {
        duplicates++;
        if (event.kind === "message") repeated.add(event.providerMessageId);
      }
    } else if (result.kind === "receipt") {
      if (result.updated) receipts++;
      if (result.pending) pending.push(result.pending);
    } else if (result.kind === "connection") {
      if (result.instance) current = result.instance;
    } else if (result.kind === "edit" || result.kind === "delete") {
      if (result.duplicate) duplicates++;
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
