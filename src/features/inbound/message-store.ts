import { sql, type SQL } from "drizzle-orm";
import { db } from "@/db/client";
import { compiledSql } from "@/db/compiled";
import { withDeadlockRetry } from "@/db/lock-order";
import { rowReader } from "@/db/rows";
import { messages } from "@/db/schema";
import { knownContactUpdate, readContact, readConversation, type Contact, type Conversation } from "@/features/conversations/conversation.service";
import { DELIVERIES_QUEUED_CHANNEL, queueDeliveries } from "@/features/events/event.service";
import { eventsRecorded } from "@/features/metrics/metrics";
import { retentionExpiresOn } from "@/features/retention/retention.service";
import { groupCommit } from "@/lib/group-commit";
import { LIVE_CHANNEL } from "@/lib/live";
import { inboxTopic, orgEventsTopicSql } from "@/lib/live-topics";
import type { Instance } from "@/db/schema";
import type { MessageContext } from "@/db/schema/messaging";
import type { InboundEvent } from "@/providers/provider";

export type Message = typeof messages.$inferSelect;
/**
 * One inbound message to store. `contactId`, when set, is the contact already resolved by the caller
 * (identities other than a phone, several identities, groups: the identity service resolves those in its
 * own small transaction first): the statement then skips its phone upsert for that row and files the
 * message under that contact, which must belong to the instance's owner. Without it, `phone` (E.164)
 * finds or creates the contact inside the one statement — the common, measured path.
 */
export type InboundMessage = {
  instance: Instance;
  phone: string | null;
  contactId?: string;
  /** In a group (`contactId` is the group's contact): the participant who wrote, resolved by the identity service. */
  senderContactId?: string;
  event: Extract<InboundEvent, { kind: "message" }>;
};
export type StoredMessage = { message: Message; conversation: Conversation; contact: Contact };

const PREVIEW_MAX = 140;

/** One line for the inbox list: the text, or the caption/label of non-text messages. */
export function messagePreview(type: Message["type"], body: string | null | undefined): string {
  const text = (body ?? "").replace(/\s+/g, " ").trim();
  if (type === "text" || type === "template") return text.slice(0, PREVIEW_MAX);
  const label = `[${type}]`;
  return (text ? `${label} ${text}` : label).slice(0, PREVIEW_MAX);
}

/**
 * Stores inbound messages through group commit: concurrent webhooks share statements (up to 200
 * messages each, one at a time). Resolves to the stored rows, or null for a message whose provider id
 * this instance already has. The bench's ingestion scenario is what sized these numbers: with two
 * statements at once the batches held ~4 messages, with one ~8, for about 8 % less Postgres CPU per
 * event and a lower e2e p50 (every commit that NOTIFYs queues on one lock anyway, so a second
 * statement in flight mostly waited).
 */
export const storeInboundMessage = groupCommit<InboundMessage, StoredMessage | null>(storeInboundMessages, { maxBatch: 200, maxConcurrent: 1 });

const readMessage = rowReader(messages);

type MessageEvent = Extract<InboundEvent, { kind: "message" }>;

/** What the message says beyond body and media, as stored in `messages.context` (null when nothing). */
export function messageContext(event: MessageEvent): MessageContext | null {
  const context: MessageContext = {
    ...(event.interactive ? { interactive: event.interactive } : {}),
    ...(event.referral && Object.keys(event.referral).length ? { referral: { ...event.referral } } : {}),
    ...(event.poll ? { poll: event.poll } : {}),
    ...(event.order ? { order: event.order } : {}),
    ...(event.system ? { system: event.system } : {}),
    ...(event.contacts?.length ? { contacts: event.contacts } : {}),
    ...(event.mentions?.length ? { mentions: event.mentions } : {}),
    ...(event.product ? { product: event.product } : {}),
    ...(event.forwarded ? { forwarded: true } : {}),
    ...(event.live ? { live: true } : {}),
    ...(event.rawType ? { rawType: event.rawType } : {}),
  };
  return Object.keys(context).length ? context : null;
}

/**
 * `messages.media`: the adapter's media fields plus what WhatsApp declared of an attachment (mime type,
 * size, voice note, video note…) and where its bytes are — never inline base64 itself (the media
 * pipeline spools those bytes; only the source kind is kept here).
 */
export function storedMedia(event: MessageEvent): Record<string, unknown> | null {
  const a = event.attachment;
  if (!a) return event.media ?? null;
  const { source, ...declared } = a;
  const kept = source ? (source.kind === "base64" ? { kind: "base64" } : source) : undefined;
  return { ...(event.media ?? {}), ...declared, ...(kept ? { source: kept } : {}) };
}

/** One input row of the batch statement; `ord` is the item's index, to match rows back to callers. */
type BatchRow = {
  ord: number;
  organization_id: string | null;
  /** The owning visitor device while the instance is unclaimed (contacts and events), else null. */
  device_id: string | null;
  instance_id: string;
  phone: string | null;
  /** Pre-resolved contact (see InboundMessage.contactId); null → upsert by phone. */
  resolved_contact_id: string | null;
  sender_contact_id: string | null;
  name: string | null;
  /** `outbound` for the business's own messages echoed by the provider (fromMe): sent, not unread. */
  direction: "inbound" | "outbound";
  sent_by: Message["sentBy"];
  quoted_provider_message_id: string | null;
  context: MessageContext | null;
  /** The click-to-WhatsApp referral, kept first-touch on the conversation too. */
  referral: Record<string, unknown> | null;
  provider_message_id: string;
  type: Message["type"];
  body: string | null;
  media: Record<string, unknown> | null;
  /** The provider's timestamp, as the event payload shows it. */
  sent_at: string;
  at: string;
  preview: string;
  live_topic: string | null;
};

/** A placed message: stored, or (null) beaten by a concurrent copy of itself; jsonb rows as Postgres built them. */
type BatchResult = {
  ord: number | null;
  conversation_id: string;
  message: Record<string, unknown> | null;
  conversation: Record<string, unknown>;
  contact: Record<string, unknown>;
};

/**
 * Stores a batch in ONE statement, whatever its size, so a batch costs one round trip and no
 * BEGIN/COMMIT: under load every round trip waits its turn for the CPU (1–2 ms each in the bench), and
 * the same work as a multi-statement transaction took nine of them, most of the inbound latency. A
 * single statement is atomic on its own (the bench's e2e p50 went from 25 ms to 8 ms). Returns one
 * result per item, in order.
 */
export async function storeInboundMessages(items: InboundMessage[]): Promise<(StoredMessage | null)[]> {
  const at = new Date().toISOString();
  const input: BatchRow[] = items.map((it, ord) => {
    const body = it.event.body?.trim() ? it.event.body : null;
    const context = messageContext(it.event);
    return {
      ord,
      organization_id: it.instance.organizationId,
      device_id: it.instance.organizationId ? null : it.instance.createdByDeviceId,
      instance_id: it.instance.id,
      phone: it.phone,
      resolved_contact_id: it.contactId ?? null,
      sender_contact_id: it.senderContactId ?? null,
      // An echo's push name is the business's own, not the contact's.
      name: it.event.fromMe ? null : it.event.fromName?.trim() || it.event.sender?.name?.trim() || null,
      direction: it.event.fromMe ? "outbound" : "inbound",
      sent_by: it.event.fromMe ? "phone" : null,
      quoted_provider_message_id: it.event.quotedProviderMessageId ?? null,
      context,
      referral: context?.referral ?? null,
      provider_message_id: it.event.providerMessageId,
      type: it.event.type,
      body,
      media: storedMedia(it.event),
      sent_at: it.event.timestamp.toISOString(),
      at,
      preview: messagePreview(it.event.type, body),
      live_topic: inboxTopic(it.instance),
    };
  });
  const values = { input: JSON.stringify(input) };
  // One statement is atomic: a deadlock victim stored nothing, so running it again is safe.
  const rows = await withDeadlockRetry("inbound batch", () => runInboundBatch<BatchResult>(values));

  const results: (StoredMessage | null)[] = items.map(() => null);
  const beaten = new Map<string, number>();
  const created = { contacts: new Set<unknown>(), conversations: new Set<unknown>() };
  for (const row of rows) {
    if (row.ord === null) continue; // nothing was fresh: only the notification count came back
    if (row.contact.created) created.contacts.add(row.contact.id);
    if (row.conversation.created) created.conversations.add(row.conversation.id);
    if (!row.message) {
      // A blocked contact's copies were never counted (see the statement), so there is nothing to take back.
      if (!row.contact.blocked) beaten.set(row.conversation_id, (beaten.get(row.conversation_id) ?? 0) + 1);
      continue;
    }
    results[row.ord] = { message: readMessage(row.message), conversation: readConversation(row.conversation), contact: readContact(row.contact) };
  }
  const stored = results.filter((r) => r !== null);
  const echoes = stored.filter((r) => r.message.direction === "outbound").length;
  if (stored.length > echoes) eventsRecorded.inc({ type: "message.received" }, stored.length - echoes);
  if (echoes > 0) eventsRecorded.inc({ type: "message.sent" }, echoes);
  if (created.contacts.size > 0) eventsRecorded.inc({ type: "contact.created" }, created.contacts.size);
  if (created.conversations.size > 0) eventsRecorded.inc({ type: "conversation.created" }, created.conversations.size);
  if (beaten.size > 0) {
    await uncountBeatenMessages(beaten);
    for (const r of results) {
      const n = r && beaten.get(r.conversation.id);
      if (n) r.conversation.unreadCount = Math.max(r.conversation.unreadCount - n, 0);
    }
  }
  return results;
}

/** The batch statement, built once (src/db/compiled.ts): only its jsonb input changes from call to call. */
const runInboundBatch = compiledSql<{ input: string }>(() => inboundBatchSql(sql`${sql.placeholder("input")}::jsonb`));

/**
 * A message that looked new when the statement began but whose concurrent copy committed first (the
 * provider delivered it twice at once) was counted in its conversation's unread count; take it back.
 * A separate statement, since one statement cannot update a row twice: at worst, a crash in between
 * leaves a badge one too high, which opening the conversation resets.
 */
async function uncountBeatenMessages(beaten: Map<string, number>): Promise<void> {
  const rows = [...beaten].map(([id, n]) => ({ id, n }));
  const statement = sql`
    update conversations c set unread_count = greatest(c.unread_count - v.n, 0)
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id uuid, n int)
    where c.id = v.id`;
  await withDeadlockRetry("inbound unread correction", () => db.execute(statement));
}

/**
 * The inbound batch statement over its input (a jsonb array of `BatchRow`), fixed SQL otherwise, so
 * it is prepared once per connection. Exported for the bench, whose Postgres-only ceiling replays it.
 *
 * In order: drop provider ids the instance already has and repeats within the batch (redeliveries
 * must not touch contacts; an echo of a message we sent ourselves is such a repeat); upsert contacts by
 * phone — or, for rows with a pre-resolved contact, only touch that contact's last interaction —, then
 * conversations moved forward by their new messages (unread count of inbound ones, the last message's
 * preview, the first ad referral; a new inbound message reopens a resolved conversation, for the bot:
 * resolution ended any human hand-off — except a blocked contact's, which is stored but neither
 * counted nor reopens anything); insert the messages (echoes of the business's phone as sent
 * outbound ones; a quote linked to our id of the quoted message when stored); record
 * `contact.created`, `conversation.created` and `message.received` (`message.sent` for echoes) with
 * every matching webhook delivery; NOTIFY the delivery workers, the live event tail and the inbox. The statement follows the lock order of
 * src/db/lock-order.ts: the instances FOR KEY SHARE first, then contacts in (owner, phone) order,
 * conversations in (instance, contact) order, then messages (each step consumes the whole previous
 * one: aggregates and sorts), so it never waits for a row above one it holds.
 *
 * Returns one row per placed message (null `message` when a concurrent copy won), or a single row
 * with a null `ord` when nothing was fresh; the count subquery makes the NOTIFYs run either way.
 */
export function inboundBatchSql(input: SQL): SQL {
  return sql`
    with input as (
      select * from jsonb_to_recordset(${input}) as v(ord int, organization_id uuid, device_id uuid, instance_id uuid, phone text,
        resolved_contact_id uuid, sender_contact_id uuid, name text, direction text, sent_by text, quoted_provider_message_id text, context jsonb, referral jsonb,
        provider_message_id text, type text, body text, media jsonb, sent_at text, at timestamptz, preview text, live_topic text)
    ),
    locked_instances as materialized (
      select id from instances where id in (select distinct instance_id from input) order by id for key share
    ),
    fresh as (
      select distinct on (i.instance_id, i.provider_message_id) i.*
      from input i
      join locked_instances li on li.id = i.instance_id
      left join lateral (
        select true as known from messages m where m.instance_id = i.instance_id and m.provider_message_id = i.provider_message_id limit 1
      ) stored_before on true
      where stored_before.known is null
      order by i.instance_id, i.provider_message_id, i.ord
    ),
    org_contacts as (
      insert into contacts (organization_id, phone, name, last_interaction_at)
      select distinct on (f.organization_id, f.phone) f.organization_id, f.phone, f.name, f.at
      from fresh f where f.organization_id is not null and f.resolved_contact_id is null
      order by f.organization_id, f.phone, f.name is null, f.ord
      on conflict (organization_id, phone) do update set ${knownContactUpdate}
      returning *, (xmax = 0) as created
    ),
    device_contacts as (
      insert into contacts (device_id, phone, name, last_interaction_at)
      select distinct on (f.device_id, f.phone) f.device_id, f.phone, f.name, f.at
      from fresh f where f.organization_id is null and f.resolved_contact_id is null
      order by f.device_id, f.phone, f.name is null, f.ord
      on conflict (device_id, phone) where organization_id is null do update set ${knownContactUpdate}
      returning *, (xmax = 0) as created
    ),
    resolved_contacts as (
      /* A read, not an update: one contact may also be upserted by phone in this very statement (one of
         its messages on the phone path, another resolved by the identity service), and a row updated twice
         in one statement keeps one change and drops the other's RETURNING row, and with it the message.
         The identity service moves last_interaction_at when it resolves. */
      select c.*, false as created from contacts c
      where c.id in (select f.resolved_contact_id from fresh f where f.resolved_contact_id is not null)
    ),
    senders as (
      select f.*, c.id as contact_id, to_jsonb(c) as contact
      from fresh f
      join (select * from org_contacts union all select * from device_contacts) c on f.resolved_contact_id is null and c.phone = f.phone
        and c.organization_id is not distinct from f.organization_id
        and (f.organization_id is not null or c.device_id is not distinct from f.device_id)
      union all
      select f.*, c.id, to_jsonb(c)
      from fresh f
      join resolved_contacts c on c.id = f.resolved_contact_id and c.organization_id is not distinct from f.organization_id
        and (f.organization_id is not null or c.device_id is not distinct from f.device_id)
    ),
    conversation_rows as (
      insert into conversations (organization_id, instance_id, contact_id, last_message_at, last_message_preview, unread_count, updated_at, referral)
      select s.organization_id, s.instance_id, s.contact_id, max(s.at), (array_agg(s.preview order by s.ord desc))[1],
        count(*) filter (where not (s.contact->>'blocked')::boolean and s.direction = 'inbound'), max(s.at),
        (array_agg(s.referral order by s.ord) filter (where s.referral is not null))[1]
      from senders s
      group by s.organization_id, s.instance_id, s.contact_id
      order by s.instance_id, s.contact_id
      on conflict (instance_id, contact_id) do update set
        last_message_at = excluded.last_message_at,
        last_message_preview = excluded.last_message_preview,
        unread_count = conversations.unread_count + excluded.unread_count,
        /* excluded.unread_count > 0: the contact is not blocked (its messages are the ones counted). */
        status = case when conversations.status = 'resolved' and excluded.unread_count > 0 then 'open' else conversations.status end,
        handled_by = case when conversations.status = 'resolved' and excluded.unread_count > 0 then 'bot' else conversations.handled_by end,
        resolved_at = case when conversations.status = 'resolved' and excluded.unread_count > 0 then null else conversations.resolved_at end,
        /* First touch: the ad that brought the contact in stays, later referrals are on their messages. */
        referral = coalesce(conversations.referral, excluded.referral),
        updated_at = excluded.updated_at
      returning *, (xmax = 0) as created
    ),
    placed as (
      select s.*, v.id as conversation_id, to_jsonb(v) as conversation
      from senders s join conversation_rows v on v.instance_id = s.instance_id and v.contact_id = s.contact_id
    ),
    stored as (
      insert into messages (organization_id, instance_id, conversation_id, contact_id, direction, provider_message_id, type, body, media, status,
        sent_at, delivered_at, sent_by, quoted_provider_message_id, reply_to_message_id, context, sender_contact_id)
      select p.organization_id, p.instance_id, p.conversation_id, p.contact_id, p.direction, p.provider_message_id, p.type, p.body, p.media,
        case when p.direction = 'outbound' then 'sent' else 'delivered' end, p.sent_at::timestamptz,
        case when p.direction = 'inbound' then p.at end, p.sent_by, p.quoted_provider_message_id, q.id, p.context, p.sender_contact_id
      from placed p
      /* Only rows that quote something look the quoted message up (one index probe each). */
      left join lateral (
        select m.id from messages m
        where p.quoted_provider_message_id is not null and m.instance_id = p.instance_id and m.provider_message_id = p.quoted_provider_message_id
        limit 1
      ) q on true
      order by p.instance_id, p.provider_message_id
      on conflict (instance_id, provider_message_id) do nothing
      returning *
    ),
    received as (
      select p.*, m.id as message_id, to_jsonb(m) as message
      from placed p join stored m on m.instance_id = p.instance_id and m.provider_message_id = p.provider_message_id
    ),
    recorded as (
      insert into events (organization_id, instance_id, device_id, type, data, expires_on)
      (select distinct on (s.contact_id) s.organization_id, s.instance_id, null::uuid, 'contact.created',
        jsonb_build_object('contact', jsonb_build_object('id', s.contact_id, 'phone', s.phone, 'name', s.contact->'name')),
        ${retentionExpiresOn(sql`s.organization_id`, "events")}
      from senders s where (s.contact->>'created')::boolean
      order by s.contact_id, s.ord)
      union all
      select v.organization_id, v.instance_id, null, 'conversation.created',
        jsonb_build_object('conversation', jsonb_build_object('id', v.id, 'contactId', v.contact_id, 'instanceId', v.instance_id)),
        ${retentionExpiresOn(sql`v.organization_id`, "events")}
      from conversation_rows v where v.created
      union all
      select r.organization_id, r.instance_id, r.device_id,
        /* An echo of what the business wrote from the phone is a sent message, not a received one. */
        case when r.direction = 'outbound' then 'message.sent' else 'message.received' end,
        jsonb_build_object('message', jsonb_build_object(
        'id', r.message_id, 'providerMessageId', r.provider_message_id, 'conversationId', r.conversation_id, 'contactId', r.contact_id,
        'from', case when r.direction = 'inbound' then r.phone end, 'to', case when r.direction = 'outbound' then r.phone end,
        'fromName', case when r.direction = 'inbound' then r.contact->'name' end, 'direction', r.direction, 'sentBy', r.sent_by, 'senderContactId', r.sender_contact_id,
        'type', r.type, 'body', r.body, 'media', r.media, 'quotedProviderMessageId', r.quoted_provider_message_id,
        'replyToMessageId', r.message->'reply_to_message_id', 'context', r.context, 'referral', r.referral, 'timestamp', r.sent_at)),
        ${retentionExpiresOn(sql`r.organization_id`, "events")}
      from received r
      returning id, organization_id, instance_id, type
    ),
    queued as (${queueDeliveries(sql`recorded`)}),
    notified as (
      select pg_notify(n.channel, n.payload)
      from (
        select 1 as k, ${sql.raw(`'${DELIVERIES_QUEUED_CHANNEL}'`)} as channel, q.organization_id::text as payload from queued q
        union all
        select 2, ${sql.raw(`'${LIVE_CHANNEL}'`)}, json_build_object('topic', ${orgEventsTopicSql(sql`e.organization_id`)}, 'data', json_build_object('id', e.id, 'type', e.type))::text
        from recorded e where e.organization_id is not null
        union all
        select 3, ${sql.raw(`'${LIVE_CHANNEL}'`)}, json_build_object('topic', r.live_topic, 'data', json_build_object('conversationId', r.conversation_id, 'messageId', r.message_id))::text
        from received r where r.live_topic is not null
      ) n
      order by n.k
    )
    select p.ord, p.conversation_id, r.message, p.conversation, p.contact
    from (select count(*) from notified) as sent
    left join (placed p left join received r on r.ord = p.ord) on true`;
}
