import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timeOrderedId, tstz, updatedAt } from "./columns";
import { apiKeys, devices, instances, organizations, users } from "./tenancy";
import { workflows } from "./automation";
import { departments } from "./departments";

/**
 * `interactive`: a button, list row or template quick reply chosen (its id in `context.interactive`);
 * a round video note is a `video` whose media says `videoNote: true` (it plays like any video);
 * `unsupported`: a type LivChat does not understand yet, kept with `context.rawType`.
 */
export const MESSAGE_TYPES = [
  "text",
  "image",
  "audio",
  "video",
  "document",
  "sticker",
  "location",
  "contact",
  "reaction",
  "template",
  "interactive",
  "poll",
  "order",
  "system",
  "unsupported",
] as const;
export const MESSAGE_STATUSES = ["queued", "sent", "delivered", "read", "failed"] as const;
export const CONVERSATION_STATUSES = ["open", "pending", "resolved"] as const;
/** `phone`: the business wrote from the WhatsApp app itself and the provider echoed it (stored as outbound). */
export const SENT_BY = ["api", "user", "bot", "workflow", "campaign", "phone"] as const;

/** What an inbound message says beyond its body (interactive choice, referral, poll, order, forwarding, raw type). */
export type MessageContext = {
  interactive?: { kind: "button" | "list" | "template_button" | "flow"; id?: string; title?: string; data?: Record<string, unknown> };
  referral?: Record<string, unknown>;
  /** A poll as created, or a vote on one (`pollId`: the poll's provider id; `selected` when decoded, else `encrypted`). */
  poll?: { name?: string; options: string[]; selectableCount?: number; pollId?: string; selected?: string[]; encrypted?: boolean };
  order?: Record<string, unknown>;
  system?: Record<string, unknown>;
  contacts?: { name?: string; phones: string[]; vcard?: string }[];
  mentions?: string[];
  /** Outbound reply: who wrote the quoted message (`fromMe`, else `author`'s E.164), for providers that name them. */
  quote?: { fromMe: boolean; author?: string };
  /** The catalog product the contact asks about ("Message business" on a product). */
  product?: { catalogId?: string; productRetailerId?: string };
  forwarded?: boolean;
  live?: boolean;
  rawType?: string;
};
/** One reaction shown on its target: the latest emoji per reacting party (`by`: contact id, or "business"). */
export type MessageReaction = { emoji: string; by: string; at: string; providerMessageId?: string };

export const CONTACT_KINDS = ["person", "group"] as const;

export const contacts = pgTable(
  "contacts",
  {
    id: id(),
    /** Null while the contact belongs to an unclaimed device's sandbox (try before sign-up). */
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    /** Set only for unclaimed contacts: the visitor's device that owns them until sign-up claims them. */
    deviceId: uuid().references(() => devices.id, { onDelete: "cascade" }),
    /**
     * `person`, or `group`: a WhatsApp group is a party of its own (its id in contact_identities, its
     * subject as the name), so a group conversation is one conversation and replies go to the group.
     */
    kind: text({ enum: CONTACT_KINDS }).notNull().default("person"),
    /**
     * Canonical E.164 (lib/phone: one form per Brazilian mobile with or without the ninth digit), unique
     * per organization; null for a person known only by another identity (LID, business-scoped user id,
     * username) and for groups.
     */
    phone: text(),
    name: text(),
    /** The group's picture (or the person's profile picture) as the provider last reported it. */
    pictureUrl: text(),
    /** When the provider's group info (subject, picture) was last fetched; refreshed when older than a day. */
    profileFetchedAt: tstz(),
    tags: text().array().notNull().default(sql`'{}'::text[]`),
    blocked: boolean().notNull().default(false),
    /** Blocked on WhatsApp itself through the instance (the phone's block list), distinct from LivChat's own `blocked`. */
    whatsappBlocked: boolean().notNull().default(false),
    optedOut: boolean().notNull().default(false),
    metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** CPF (11) or CNPJ (14) as digits only, check digits validated (contacts feature); unique per organization. */
    document: text(),
    documentType: text({ enum: ["cpf", "cnpj"] }),
    email: text(),
    address: text(),
    city: text(),
    /** Brazilian UF (`SP`). */
    state: text(),
    /** CEP, 8 digits. */
    zipCode: text(),
    notes: text(),
    /** Values of the organization's contact_field_definitions, by key, validated by type. */
    customFields: jsonb().$type<Record<string, string | number | boolean>>().notNull().default({}),
    lastInteractionAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("contacts_org_phone_unique").on(t.organizationId, t.phone),
    uniqueIndex("contacts_org_document_unique").on(t.organizationId, t.document),
    index("contacts_org_city_idx").on(t.organizationId, t.city),
    uniqueIndex("contacts_unclaimed_device_phone_unique").on(t.deviceId, t.phone).where(sql`organization_id is null`),
    index("contacts_org_last_idx").on(t.organizationId, t.lastInteractionAt.desc()),
  ],
);

export const IDENTITY_KINDS = ["lid", "bsuid", "username", "group"] as const;

/**
 * The WhatsApp identities of a contact besides its phone (contacts.phone): a LID (`…@lid` user part), a
 * Cloud business-scoped user id, a username, or a group id. Each identity belongs to one contact of its
 * owner; inbound traffic showing two identities of one person merges their contacts (identity.service).
 */
export const contactIdentities = pgTable(
  "contact_identities",
  {
    id: id(),
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    /** Set only while the contact is unclaimed (try before sign-up), as on contacts. */
    deviceId: uuid().references(() => devices.id, { onDelete: "cascade" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    kind: text({ enum: IDENTITY_KINDS }).notNull(),
    /** LID and group ids without their server part; usernames lower-cased without "@". */
    value: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("contact_identities_org_unique").on(t.organizationId, t.kind, t.value),
    uniqueIndex("contact_identities_device_unique").on(t.deviceId, t.kind, t.value).where(sql`organization_id is null`),
    index("contact_identities_contact_idx").on(t.contactId),
  ],
);

export const conversations = pgTable(
  "conversations",
  {
    id: id(),
    /** Null while the instance is unclaimed (try before sign-up); claiming sets it. */
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    status: text({ enum: CONVERSATION_STATUSES }).notNull().default("open"),
    /** "human" stops every automation until the conversation is resolved. */
    handledBy: text({ enum: ["bot", "human"] })
      .notNull()
      .default("bot"),
    assignedUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    /** The department (queue) it is routed to; null = unrouted (agents of no department see it unless assigned elsewhere). */
    departmentId: uuid().references(() => departments.id, { onDelete: "set null" }),
    /** Set while the greeting menu waits for the contact's choice (automation stays silent); null otherwise. */
    menuSentAt: tstz(),
    /** Invalid answers to the greeting menu so far (bounded by greeting_menus.max_attempts). */
    menuAttempts: integer().notNull().default(0),
    /** Why it was last resolved (free text, or `auto_close`); cleared when it reopens. */
    resolutionReason: text(),
    /** When auto-close resolved it (null when a person or the API did). */
    autoClosedAt: tstz(),
    workflowId: uuid().references(() => workflows.id, { onDelete: "set null" }),
    lastMessageAt: tstz(),
    lastMessagePreview: text(),
    /** The click-to-WhatsApp ad or post that brought the contact here (first touch: never overwritten). */
    referral: jsonb().$type<Record<string, unknown>>(),
    unreadCount: integer().notNull().default(0),
    resolvedAt: tstz(),
    /** A supervisor checked this conversation (seed 002 verifiedAt/By): set and cleared from the monitor. */
    verifiedAt: tstz(),
    verifiedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    /** Hybrid mode (HITL): `draft` = the AI drafts replies for an agent, `auto` = it sends, `inherit` = the department's / workflow's. */
    aiReplyMode: text({ enum: ["inherit", "auto", "draft"] })
      .notNull()
      .default("inherit"),
    /** The latest sentiment classification of the contact's messages (null = never classified). */
    sentiment: text({ enum: ["positive", "neutral", "negative"] }),
    urgency: text({ enum: ["low", "medium", "high"] }),
    /** The classifier's short reason, shown on the badge. */
    sentimentReason: text(),
    sentimentAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("conversations_instance_contact_unique").on(t.instanceId, t.contactId),
    /** The inbox orders by (last_message_at desc, id desc): ascending so a backward scan serves it (see messages below). */
    index("conversations_org_last_idx").on(t.organizationId, t.lastMessageAt, t.id),
    index("conversations_org_department_idx").on(t.organizationId, t.departmentId),
  ],
);

export const messages = pgTable(
  "messages",
  {
    id: timeOrderedId().primaryKey(),
    /** Null while the instance is unclaimed (try before sign-up); claiming sets it. */
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    /**
     * In a group conversation (contactId is the group): the participant who wrote this inbound message.
     * No foreign key on purpose: a participant merged into another contact between identity resolution
     * and the inbound batch statement would fail the whole batch; merges re-point these ids, and an id
     * left by a deleted contact only loses the name shown.
     */
    senderContactId: uuid(),
    direction: text({ enum: ["inbound", "outbound"] }).notNull(),
    /** Unique per instance: the same inbound payload delivered twice stores one message. */
    providerMessageId: text(),
    type: text({ enum: MESSAGE_TYPES }).notNull(),
    body: text(),
    /** {url, caption, mimeType, fileName} for media; {latitude, longitude, name} for location, etc. */
    media: jsonb().$type<Record<string, unknown>>(),
    /** What a voice note or audio says, from the organization's transcription endpoint (automation reads it as the text). */
    transcript: text(),
    /** The provider id of the message this one quotes (kept even when we never stored that message). */
    quotedProviderMessageId: text(),
    /** Our id of the quoted message, when it was stored before this one arrived. */
    replyToMessageId: uuid(),
    context: jsonb().$type<MessageContext>(),
    /** Reactions to this message, one per reacting party; a removal takes the party's entry out. */
    reactions: jsonb().$type<MessageReaction[]>(),
    editedAt: tstz(),
    /** Bodies before each edit, oldest first: `{body, at}` (at = when that version was replaced). */
    previousVersions: jsonb().$type<{ body: string | null; at: string }[]>(),
    /** Deleted for everyone by its author; the body is kept or cleared per organizations.keep_deleted_messages. */
    deletedAt: tstz(),
    status: text({ enum: MESSAGE_STATUSES }).notNull().default("queued"),
    error: text(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: tstz(),
    leaseUntil: tstz(),
    sentBy: text({ enum: SENT_BY }),
    apiKeyId: uuid().references(() => apiKeys.id, { onDelete: "set null" }),
    userId: uuid().references(() => users.id, { onDelete: "set null" }),
    isPrivateNote: boolean().notNull().default(false),
    idempotencyKey: text(),
    /** SHA-256 of the validated request sent with idempotencyKey: the same key with another body is refused (422). */
    idempotencyFingerprint: text(),
    sentAt: tstz(),
    deliveredAt: tstz(),
    readAt: tstz(),
    failedAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("messages_instance_provider_id_unique").on(t.instanceId, t.providerMessageId),
    /** Partial: only API sends carry a key, so received messages (most rows) add no entry to it (issue 21). */
    uniqueIndex("messages_api_key_idempotency_unique").on(t.apiKeyId, t.idempotencyKey).where(sql`idempotency_key is not null`),
    /**
     * Pages order by (created_at desc, id desc). Ascending on purpose: a backward scan gives exactly that
     * order, while drizzle's `.desc()` means DESC NULLS LAST, which such an ORDER BY cannot use, so
     * Postgres sorted the whole conversation (bench: 233 ms p95 with 100k messages in it).
     */
    index("messages_conversation_created_idx").on(t.conversationId, t.createdAt, t.id),
    index("messages_outbox_due_idx").on(t.nextAttemptAt).where(sql`status = 'queued' and direction = 'outbound'`),
  ],
);
