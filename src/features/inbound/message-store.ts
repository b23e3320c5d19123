import { sql } from "drizzle-orm";
import { db, rowsOf, type Tx } from "@/db/client";
import { rowReader } from "@/db/rows";
import { conversations, messages } from "@/db/schema";
import { ensureContactsAndConversations, type Contact, type Conversation } from "@/features/conversations/conversation.service";
import { recordEvents, type NewEvent } from "@/features/events/event.service";
import { groupCommit } from "@/lib/group-commit";
import type { LiveUpdate } from "@/lib/live";
import type { InboundEvent, Instance } from "@/providers/provider";

export type Message = typeof messages.$inferSelect;
export type InboundMessage = { instance: Instance; phone: string; event: Extract<InboundEvent, { kind: "message" }> };
export type StoredMessage = { message: Message; conversation: Conversation; contact: Contact };

const PREVIEW_MAX = 140;

/** One line for the inbox list: the text, or the caption/label of non-text messages. */
export function messagePreview(type: Message["type"], body: string | null | undefined): string {
  const text = (body ?? "").replace(/\s+/g, " ").trim();
  if (type === "text" || type === "template") return text.slice(0, PREVIEW_MAX);
  const label = `[${type}]`;
  return (text ? `${label} ${text}` : label).slice(0, PREVIEW_MAX);
}

/** The live topic of an instance's inbox: the organization's, or the visitor device's while unclaimed. */
export function inboxTopic(instance: Pick<Instance, "organizationId" | "createdByDeviceId">): string | null {
  if (instance.organizationId) return `org:${instance.organizationId}:inbox`;
  if (instance.createdByDeviceId) return `device:${instance.createdByDeviceId}:inbox`;
  return null;
}

/**
 * Stores inbound messages through group commit: concurrent webhooks share transactions (up to 200
 * messages each, 2 transactions at a time). Resolves to the stored rows, or null for a message whose
 * provider id this instance already has. The bench's ingestion scenario is what sized these numbers.
 */
export const storeInboundMessage = groupCommit<InboundMessage, StoredMessage | null>(storeInboundMessages, { maxBatch: 200, maxConcurrent: 2 });

const readMessage = rowReader(messages);
const readConversation = rowReader(conversations);
const messageKey = (instanceId: string, providerMessageId: string | null) => `${instanceId}|${providerMessageId}`;

/**
 * Stores a batch in ONE transaction with set-based statements, whatever its size: contacts and
 * conversations upserted (with their `contact.created` / `conversation.created` events), messages
 * inserted (deduplicated on the provider id), conversations moved forward, the `message.received`
 * events with all their webhook deliveries, and the inbox live updates. Every statement is fixed SQL
 * over one jsonb parameter (prepared once, nothing built per call). The upserts lock contacts, then
 * conversations, in key order, and later statements only touch rows already locked or new, so two
 * concurrent batches always lock in the same order (no deadlock).
 */
export async function storeInboundMessages(items: InboundMessage[]): Promise<(StoredMessage | null)[]> {
  // Redeliveries are common and must not touch contacts: drop provider ids already stored (cheap
  // indexed read before any lock) and repeats within the batch.
  const keys = items.map((it) => ({ instance_id: it.instance.id, provider_message_id: it.event.providerMessageId }));
  const existing = rowsOf<{ instance_id: string; provider_message_id: string }>(
    await db.execute(sql`
      select m.instance_id, m.provider_message_id
      from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as v(instance_id uuid, provider_message_id text)
      join messages m on m.instance_id = v.instance_id and m.provider_message_id = v.provider_message_id`),
  );
  const seen = new Set(existing.map((m) => messageKey(m.instance_id, m.provider_message_id)));
  const fresh: number[] = [];
  items.forEach((it, i) => {
    const key = messageKey(it.instance.id, it.event.providerMessageId);
    if (seen.has(key)) return;
    seen.add(key);
    fresh.push(i);
  });
  const results: (StoredMessage | null)[] = items.map(() => null);
  if (fresh.length === 0) return results;
  const stored = await db.transaction((tx) => writeBatch(tx, fresh.map((i) => items[i]!)));
  fresh.forEach((itemIndex, i) => (results[itemIndex] = stored[i]!));
  return results;
}

async function writeBatch(tx: Tx, items: InboundMessage[]): Promise<(StoredMessage | null)[]> {
  const now = new Date();
  const newEvents: NewEvent[] = [];

  // 1–2. Contacts (their last interaction moved to now) and conversations, with their creation events.
  const ensured = await ensureContactsAndConversations(
    tx,
    items.map((it) => ({ instance: it.instance, phone: it.phone, name: it.event.fromName })),
    { interactionAt: now },
  );
  newEvents.push(...ensured.events);
  const contactOf = (i: number) => ensured.rows[i]!.contact;
  const conversationOf = (i: number) => ensured.rows[i]!.conversation;

  // 3. Messages. Inbound messages are delivered to us by definition; marking them read moves them to "read".
  const messageRows = items.map((it, i) => ({
    organization_id: it.instance.organizationId,
    instance_id: it.instance.id,
    conversation_id: conversationOf(i).id,
    contact_id: contactOf(i).id,
    provider_message_id: it.event.providerMessageId,
    type: it.event.type,
    body: it.event.body?.trim() ? it.event.body : null,
    media: it.event.media ?? null,
    sent_at: it.event.timestamp.toISOString(),
    delivered_at: now.toISOString(),
  }));
  const inserted = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      insert into messages (organization_id, instance_id, conversation_id, contact_id, direction, provider_message_id, type, body, media, status, sent_at, delivered_at)
      select v.organization_id, v.instance_id, v.conversation_id, v.contact_id, 'inbound', v.provider_message_id, v.type, v.body, v.media, 'delivered', v.sent_at, v.delivered_at
      from jsonb_to_recordset(${JSON.stringify(messageRows)}::jsonb) as v(organization_id uuid, instance_id uuid, conversation_id uuid,
        contact_id uuid, provider_message_id text, type text, body text, media jsonb, sent_at timestamptz, delivered_at timestamptz)
      order by v.instance_id, v.provider_message_id
      -- A concurrent delivery of the same payload that won the race leaves its item without a row.
      on conflict (instance_id, provider_message_id) do nothing
      returning *`),
  ).map(readMessage);
  const messageByKey = new Map(inserted.map((m) => [messageKey(m.instanceId, m.providerMessageId), m] as const));
  const storedItems = items.map((it) => messageByKey.get(messageKey(it.instance.id, it.event.providerMessageId)));
  if (inserted.length === 0) {
    await recordEvents(newEvents, tx);
    return items.map(() => null);
  }

  // 4. Conversations move forward: unread count, preview of the batch's last message. A new message
  // reopens a resolved conversation; resolution also ended any human hand-off.
  const perConversation = new Map<string, { id: string; n: number; preview: string; at: string }>();
  items.forEach((_, i) => {
    const message = storedItems[i];
    if (!message) return;
    const id = conversationOf(i).id;
    perConversation.set(id, { id, n: (perConversation.get(id)?.n ?? 0) + 1, preview: messagePreview(message.type, message.body), at: now.toISOString() });
  });
  const updatedConversations = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      update conversations c set
        last_message_at = v.at,
        last_message_preview = v.preview,
        unread_count = c.unread_count + v.n,
        status = case when c.status = 'resolved' then 'open' else c.status end,
        handled_by = case when c.status = 'resolved' then 'bot' else c.handled_by end,
        resolved_at = case when c.status = 'resolved' then null else c.resolved_at end,
        updated_at = v.at
      from jsonb_to_recordset(${JSON.stringify([...perConversation.values()])}::jsonb) as v(id uuid, n int, preview text, at timestamptz)
      where c.id = v.id
      returning c.*`),
  ).map(readConversation);
  const updatedConversation = new Map(updatedConversations.map((v) => [v.id, v] as const));

  // 5. Events with their deliveries, and the inbox live updates, all committed with the messages.
  const live: LiveUpdate[] = [];
  const results = items.map((it, i): StoredMessage | null => {
    const message = storedItems[i];
    if (!message) return null;
    const contact = contactOf(i);
    const conversation = updatedConversation.get(conversationOf(i).id) ?? conversationOf(i);
    newEvents.push({
      organizationId: it.instance.organizationId,
      instanceId: it.instance.id,
      deviceId: it.instance.organizationId ? null : it.instance.createdByDeviceId,
      type: "message.received",
      data: {
        message: {
          id: message.id,
          providerMessageId: message.providerMessageId,
          conversationId: conversation.id,
          contactId: contact.id,
          from: it.phone,
          fromName: contact.name,
          type: message.type,
          body: message.body,
          media: message.media,
          timestamp: it.event.timestamp.toISOString(),
        },
      },
    });
    const topic = inboxTopic(it.instance);
    if (topic) live.push({ topic, data: { conversationId: conversation.id, messageId: message.id } });
    return { message, conversation, contact };
  });
  await recordEvents(newEvents, tx, { live });
  return results;
}
