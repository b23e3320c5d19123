import { and, desc, eq, isNotNull } from "drizzle-orm";
import { db } from "@/db/client";
import { conversations, instances, messages, type Instance } from "@/db/schema";
import { recordEvent, type NewEvent } from "@/features/events/event.service";
import { callProvider } from "@/features/instances/instance.service";
import type { Caller } from "@/lib/caller";
import { AppError, validationFailed } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { tText } from "@/lib/i18n";
import { publishLive } from "@/lib/live";
import { inboxTopic } from "@/lib/live-topics";
import { callerTenant, tenantFilter } from "@/lib/tenant";
import { providerFor } from "@/providers";
import type { ChatRef, PresenceState } from "@/providers/features";
import { applyMessageDelete, applyMessageEdit } from "./message.changes";
import { requireFeature } from "./message.features";
import { addressablesOf, recipientFor } from "./message.recipient";
import { MESSAGE_LIMITS } from "./message.schema";
import type { SendMessageInput } from "./message.schema";
import { getMessage, queueOutboundMessage, type Message, type SendOptions, type SendResult } from "./message.service";

/**
 * What is done to a message already sent (edit, delete for everyone) and to a chat (presence): each
 * checked against WhatsApp's rules and the provider's features first, then asked of the provider, then
 * applied here as the provider's own report of it would be (message.changes), the inbox told live.
 */

function assertConnected(instance: Instance): void {
  if (instance.status !== "connected") {
    throw new AppError("conflict", tText("messages:errors.instanceNotConnected", { name: instance.name, status: instance.status }));
  }
}

/** The chat of a contact as the instance's provider addresses it (a phone, a group, a LID…); 422 when it cannot. */
async function chatOf(instance: Instance, contactId: string): Promise<ChatRef> {
  const recipient = recipientFor((await addressablesOf([contactId])).get(contactId)!, providerFor(instance));
  if (!recipient.ok) throw validationFailed([{ path: "id", message: recipient.reason }], recipient.reason);
  return { to: recipient.to, ...(recipient.address ? { address: recipient.address } : {}) };
}

/** `message.edited` / `message.deleted` as the inbound pipeline records them for the contact's own changes. */
function changeEvent(instance: Instance, message: Message, type: "message.edited" | "message.deleted", extra: Record<string, unknown>): NewEvent {
  const { id, providerMessageId, conversationId, contactId, direction, type: messageType, body } = message;
  return {
    organizationId: message.organizationId,
    instanceId: instance.id,
    deviceId: message.organizationId ? null : instance.createdByDeviceId,
    type,
    data: { message: { id, providerMessageId, conversationId, contactId, direction, type: messageType, body, ...extra } },
  };
}

/** A message we sent that WhatsApp has, not deleted: what edit and delete both need. */
function sentByUs(message: Message): string {
  const refuse = (key: "messages:errors.onlyOwn" | "messages:errors.alreadyDeleted" | "messages:errors.notSentYet") => {
    throw validationFailed([{ path: "id", message: tText(key) }], tText(key));
  };
  if (message.direction !== "outbound" || message.isPrivateNote) refuse("messages:errors.onlyOwn");
  if (message.deletedAt) refuse("messages:errors.alreadyDeleted");
  if (!message.providerMessageId) refuse("messages:errors.notSentYet");
  return message.providerMessageId!;
}

async function applied(instance: Instance, change: Message | undefined, fallbackId: string): Promise<Message> {
  if (change) {
    const topic = inboxTopic(instance);
    if (topic) await publishLive(topic, { conversationId: change.conversationId, messageId: change.id });
    return change;
  }
  // Already applied (the provider's echo of it arrived first): answer the message as it is now.
  const [row] = await db.select().from(messages).where(eq(messages.id, fallbackId));
  return row!;
}

/** `PATCH /v1/messages/:id`: a text we sent gets a new text, within WhatsApp's edit window (15 minutes). */
export async function editMessage(caller: Caller, id: string, text: string, now = new Date()): Promise<{ message: Message; phone: string | null }> {
  const { message, phone, instance } = await getMessage(caller, id);
  const providerMessageId = sentByUs(message);
  if (message.type !== "text") throw validationFailed([{ path: "id", message: tText("messages:errors.onlyTextEdit") }], tText("messages:errors.onlyTextEdit"));
  const sentAt = message.sentAt ?? message.createdAt;
  if (now.getTime() - sentAt.getTime() > MESSAGE_LIMITS.editWindowMinutes * 60_000) {
    const reason = tText("messages:errors.editWindow", { minutes: MESSAGE_LIMITS.editWindowMinutes });
    throw validationFailed([{ path: "id", message: reason }], reason);
  }
  const provider = providerFor(instance);
  requireFeature(provider, "edit", "text");
  assertConnected(instance);
  const chat = await chatOf(instance, message.contactId);
  await callProvider(tText("messages:errors.editing"), () => provider.editMessage!(instance, chat, providerMessageId, text));
  const edited = await db.transaction(async (tx) => {
    const changed = await applyMessageEdit({ instanceId: instance.id, targetProviderMessageId: providerMessageId, body: text, at: now }, tx);
    // The same event a provider-reported edit records (src/features/inbound), so webhooks and streams see ours too.
    if (changed) {
      const previousBody = changed.previousVersions?.at(-1)?.body ?? null;
      await recordEvent(changeEvent(instance, changed, "message.edited", { previousBody, editedAt: now.toISOString() }), tx);
    }
    return changed;
  });
  return { message: await applied(instance, edited, message.id), phone };
}

/** `DELETE /v1/messages/:id`: a message we sent is deleted for everyone in the chat, within WhatsApp's window (60 hours). */
export async function deleteMessage(caller: Caller, id: string, now = new Date()): Promise<{ message: Message; phone: string | null }> {
  const { message, phone, instance } = await getMessage(caller, id);
  const providerMessageId = sentByUs(message);
  const sentAt = message.sentAt ?? message.createdAt;
  if (now.getTime() - sentAt.getTime() > MESSAGE_LIMITS.deleteWindowHours * 3_600_000) {
    const reason = tText("messages:errors.deleteWindow", { hours: MESSAGE_LIMITS.deleteWindowHours });
    throw validationFailed([{ path: "id", message: reason }], reason);
  }
  const provider = providerFor(instance);
  requireFeature(provider, "delete", "id");
  assertConnected(instance);
  const chat = await chatOf(instance, message.contactId);
  await callProvider(tText("messages:errors.deleting"), () => provider.deleteMessage!(instance, chat, providerMessageId));
  const deleted = await db.transaction(async (tx) => {
    const changed = await applyMessageDelete({ instanceId: instance.id, targetProviderMessageId: providerMessageId, at: now }, tx);
    if (changed) {
      const contentKept = changed.body !== null || changed.media !== null;
      await recordEvent(changeEvent(instance, changed, "message.deleted", { contentKept, deletedAt: now.toISOString() }), tx);
    }
    return changed;
  });
  return { message: await applied(instance, deleted, message.id), phone };
}

/**
 * `POST /v1/conversations/:id/presence`: shows the contact we are typing or recording a voice note, or
 * that we stopped. Another tenant's conversation reads as 404.
 */
export async function sendPresence(caller: Caller, conversationId: string, state: PresenceState): Promise<void> {
  const notFound = () => new AppError("not_found", tText("inbox:errors.notFound"));
  if (!isUuid(conversationId)) throw notFound();
  const filters = [eq(conversations.id, conversationId), tenantFilter(callerTenant(caller), instances.organizationId, instances.createdByDeviceId)];
  if (caller.boundInstanceId) filters.push(eq(conversations.instanceId, caller.boundInstanceId));
  const [row] = await db
    .select({ conversation: conversations, instance: instances })
    .from(conversations)
    .innerJoin(instances, eq(instances.id, conversations.instanceId))
    .where(and(...filters))
    .limit(1);
  if (!row) throw notFound();
  const { conversation, instance } = row;
  const provider = providerFor(instance);
  requireFeature(provider, state === "recording" ? "recording" : "typing", "state");
  assertConnected(instance);
  const chat = await chatOf(instance, conversation.contactId);
  const [last] = await db
    .select({ providerMessageId: messages.providerMessageId })
    .from(messages)
    .where(and(eq(messages.conversationId, conversation.id), eq(messages.direction, "inbound"), isNotNull(messages.providerMessageId)))
    .orderBy(desc(messages.createdAt))
    .limit(1);
  const context = last?.providerMessageId ? { lastInboundProviderMessageId: last.providerMessageId } : {};
  await callProvider(tText("messages:errors.sendingPresence"), () => provider.presence!(instance, chat, state, context));
}

/** The send request that copies a stored message (its text, file, place or card); null for what cannot be forwarded. */
function copyOf(message: Message): SendMessageInput | null {
  // biome-ignore lint/suspicious/noExplicitAny: one untyped read of a jsonb column shaped per message type.
  const m = (message.media ?? {}) as Record<string, any>;
  const target = { to: undefined, contactId: undefined } as const;
  switch (message.type) {
    case "text":
      return message.body ? { ...target, type: "text", text: message.body } : null;
    case "image":
    case "video":
    case "audio":
    case "document":
    case "sticker": {
      // A file in our media store goes again by its id; a URL sent earlier, by its URL.
      const source =
        typeof m.mediaId === "string" && m.status === "stored"
          ? { id: m.mediaId }
          : typeof m.url === "string" && /^https?:/i.test(m.url)
            ? { url: m.url }
            : null;
      if (!source) return null;
      const caption = message.type !== "audio" && message.type !== "sticker" && typeof m.caption === "string" ? { caption: m.caption } : {};
      const fileName = typeof m.fileName === "string" ? { fileName: m.fileName } : {};
      return { ...target, type: message.type, media: { ...source, ...caption, ...fileName } } as SendMessageInput;
    }
    case "location":
      return typeof m.latitude === "number"
        ? { ...target, type: "location", location: { latitude: m.latitude, longitude: m.longitude, name: m.name, address: m.address } }
        : null;
    case "contact":
      return typeof m.phone === "string" ? { ...target, type: "contact", contact: { name: m.name ?? message.body ?? m.phone, phone: m.phone } } : null;
    default:
      return null;
  }
}

/**
 * `POST /v1/messages/:id/forward`: a copy of a message (sent or received) queued to another chat,
 * labelled forwarded where the provider can (`forward` feature; else 422 unsupported_by_provider).
 */
export async function forwardMessage(
  caller: Caller,
  id: string,
  to: { instanceId?: string; to?: string; contactId?: string },
  send: Omit<SendOptions, "forwarded">,
): Promise<SendResult> {
  const { message } = await getMessage(caller, id);
  const copy = message.deletedAt || message.isPrivateNote ? null : copyOf(message);
  if (!copy) throw validationFailed([{ path: "id", message: tText("messages:errors.cannotForward") }], tText("messages:errors.cannotForward"));
  return queueOutboundMessage(
    caller,
    { ...copy, instanceId: to.instanceId ?? message.instanceId, to: to.to, contactId: to.contactId },
    { ...send, forwarded: true },
  );
}
