import { and, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import { db, type Tx } from "@/db/client";
import { contacts, conversations, messages } from "@/db/schema";
import { ensureContactsAndConversations, type Contact, type Conversation } from "@/features/conversations/conversation.service";
import { recordEvents, type NewEvent } from "@/features/events/event.service";
import { groupCommit } from "@/lib/group-commit";
import { publishLiveMany } from "@/lib/live";
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

const byKey = <T>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * Stores a batch in ONE transaction with set-based statements, whatever its size: contacts and
 * conversations upserted (with their `contact.created` / `conversation.created` events), messages
 * inserted (deduplicated on the provider id), conversations and contacts moved forward, the
 * `message.received` events with all their webhook deliveries, and the inbox live updates. Rows are
 * written in key order so two concurrent batches always lock in the same order (no deadlock).
 */
export async function storeInboundMessages(items: InboundMessage[]): Promise<(StoredMessage | null)[]> {
  // Redeliveries are common and must not touch contacts: drop provider ids already stored (cheap
  // indexed read before any lock) and repeats within the batch.
  const existing = await db
    .select({ instanceId: messages.instanceId, providerMessageId: messages.providerMessageId })
    .from(messages)
    .where(
      or(
        ...items.map((it) => and(eq(messages.instanceId, it.instance.id), eq(messages.providerMessageId, it.event.providerMessageId))),
      ),
    );
  const seen = new Set(existing.map((m) => `${m.instanceId}|${m.providerMessageId}`));
  const fresh: number[] = [];
  items.forEach((it, i) => {
    const key = `${it.instance.id}|${it.event.providerMessageId}`;
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

  // 1–2. Contacts and conversations, with their creation events (recorded below with the others).
  const ensured = await ensureContactsAndConversations(
    tx,
    items.map((it) => ({ instance: it.instance, phone: it.phone, name: it.event.fromName })),
  );
  newEvents.push(...ensured.events);
  const ensuredOf = new Map(items.map((it, i) => [it, ensured.rows[i]!] as const));
  const contactOf = (it: InboundMessage) => ensuredOf.get(it)!.contact;
  const conversationOf = (it: InboundMessage) => ensuredOf.get(it)!.conversation;

  // 3. Messages. Inbound messages are delivered to us by definition; marking them read moves them to "read".
  const order = items.map((it, i) => [`${it.instance.id}|${it.event.providerMessageId}`, i] as [string, number]).sort(byKey);
  const insertedMessages = await tx
    .insert(messages)
    .values(
      order.map(([, i]) => {
        const it = items[i]!;
        return {
          organizationId: it.instance.organizationId,
          instanceId: it.instance.id,
          conversationId: conversationOf(it).id,
          contactId: contactOf(it).id,
          direction: "inbound" as const,
          providerMessageId: it.event.providerMessageId,
          type: it.event.type,
          body: it.event.body?.trim() ? it.event.body : null,
          media: it.event.media ?? null,
          status: "delivered" as const,
          sentAt: it.event.timestamp,
          deliveredAt: now,
        };
      }),
    )
    // A concurrent delivery of the same payload that won the race leaves its item without a row.
    .onConflictDoNothing({ target: [messages.instanceId, messages.providerMessageId] })
    .returning();
  const messageByKey = new Map(insertedMessages.map((m) => [`${m.instanceId}|${m.providerMessageId}`, m] as const));
  const storedItems = items.map((it) => messageByKey.get(`${it.instance.id}|${it.event.providerMessageId}`));
  if (insertedMessages.length === 0) {
    await recordEvents(newEvents, tx);
    return items.map(() => null);
  }

  // 4. Conversations move forward: unread count, preview of the batch's last message. A new message
  // reopens a resolved conversation; resolution also ended any human hand-off.
  const perConversation = new Map<string, { n: number; preview: string }>();
  items.forEach((it, i) => {
    const message = storedItems[i];
    if (!message) return;
    const id = conversationOf(it).id;
    perConversation.set(id, { n: (perConversation.get(id)?.n ?? 0) + 1, preview: messagePreview(message.type, message.body) });
  });
  const conversationIds = [...perConversation.keys()].sort();
  const caseOf = (values: (id: string) => SQL) =>
    sql`case ${conversations.id} ${sql.join(conversationIds.map((id) => sql`when ${id}::uuid then ${values(id)}`), sql` `)} end`;
  const updatedConversations = await tx
    .update(conversations)
    .set({
      lastMessageAt: now,
      lastMessagePreview: caseOf((id) => sql`${perConversation.get(id)!.preview}::text`),
      unreadCount: sql`${conversations.unreadCount} + ${caseOf((id) => sql`${perConversation.get(id)!.n}::int`)}`,
      status: sql`case when ${conversations.status} = 'resolved' then 'open' else ${conversations.status} end`,
      handledBy: sql`case when ${conversations.status} = 'resolved' then 'bot' else ${conversations.handledBy} end`,
      resolvedAt: sql`case when ${conversations.status} = 'resolved' then null else ${conversations.resolvedAt} end`,
      updatedAt: now,
    })
    .where(inArray(conversations.id, conversationIds))
    .returning();
  const updatedConversation = new Map(updatedConversations.map((v) => [v.id, v] as const));
  const contactIds = [...new Set(items.filter((_, i) => storedItems[i]).map((it) => contactOf(it).id))].sort();
  const updatedContacts = await tx
    .update(contacts)
    .set({ lastInteractionAt: now, updatedAt: now })
    .where(inArray(contacts.id, contactIds))
    .returning();
  const updatedContact = new Map(updatedContacts.map((c) => [c.id, c] as const));

  // 5. Events with their deliveries, and the inbox live updates, all committed with the messages.
  const results = items.map((it, i): StoredMessage | null => {
    const message = storedItems[i];
    if (!message) return null;
    const contact = updatedContact.get(contactOf(it).id) ?? contactOf(it);
    const conversation = updatedConversation.get(conversationOf(it).id) ?? conversationOf(it);
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
    return { message, conversation, contact };
  });
  await recordEvents(newEvents, tx);
  const live = items.flatMap((it, i) => {
    const topic = inboxTopic(it.instance);
    const stored = results[i];
    return topic && stored ? [{ topic, data: { conversationId: stored.conversation.id, messageId: stored.message.id } }] : [];
  });
  await publishLiveMany(live, tx);
  return results;
}
