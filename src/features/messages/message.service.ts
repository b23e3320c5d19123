import { and, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import { db, notify, type DbOrTx } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { contacts, instances, messages, organizations } from "@/db/schema";
import { clearUnread, ensureContactAndConversation, ensureConversationWith, noteOutboundMessage } from "@/features/conversations/conversation.service";
import { isUuid } from "@/lib/ids";
import { messagePreview } from "@/features/inbound/message-store";
import { inboxTopic } from "@/lib/live-topics";
import { checkDailyMessageQuota } from "@/features/limits/limits.service";
import { callProvider } from "@/features/instances/instance.service";
import type { Caller } from "@/lib/caller";
import { AppError, pgCode, validationFailed, zodDetails } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { publishLive } from "@/lib/live";
import { mediaUrlRefusal } from "@/lib/outbound";
import { signedMediaUrl } from "@/lib/media-url";
import { createUpload, mediaForSend, type Media } from "@/features/media/media.service";
import { callerTenant, instanceAccess, instanceOfTenant, tenantFilter } from "@/lib/tenant";
import { providerFor } from "@/providers";
import type { Instance } from "@/db/schema";
import { ProviderError, type OutboundMessage, type TemplateComponent } from "@/providers/provider";
import { applyMessageReaction } from "./message.changes";
import { addressablesOf, recipientFor } from "./message.recipient";
import { replyTarget, requireContextFor, requireFeature } from "./message.features";
import { holdIdempotencyKey, idempotencyClaim, previousSendFor } from "./message.idempotency";
import { renderTemplate } from "@/features/templates/template.render";
import { checkProviderTemplateSend } from "@/features/templates/provider-template.service";
import { assertCustomerWindow } from "./message.window";
import { testMessageSchema, type MessageJson, type SendMessageInput } from "./message.schema";

export type Message = typeof messages.$inferSelect;

/** Channel the outbound workers LISTEN on, so a queued message is sent at once instead of on the next poll. */
export const OUTBOUND_QUEUED_CHANNEL = "livchat_outbound_queued";

/**
 * How a message is sent, beside who sends it (the Caller: its tenant, bound instance, and the key or
 * user stored on the message): the sender kind shown in the inbox, the key's own daily limit, and the
 * request's Idempotency-Key.
 */
export type SendOptions = {
  sentBy: NonNullable<Message["sentBy"]>;
  /** The key's own daily message limit, which overrides the instance's and the plan's. */
  keyMaxMessagesPerDay?: number | null;
  idempotencyKey?: string | null;
  /** A copy of another message (POST /v1/messages/:id/forward): WhatsApp labels it forwarded. */
  forwarded?: boolean;
  /** Inside the caller's transaction (a campaign send, atomic with its idempotency row): the send is a savepoint of it. */
  tx?: DbOrTx;
};

export type SendResult = { message: Message; replayed: boolean };

// ——— Message JSON ———

/** A stored file of the media store gets a fresh signed link (`url`, valid MEDIA_URL_TTL_SECONDS) in every answer. */
function withSignedMediaUrl(media: Message["media"]): Message["media"] {
  if (typeof media?.mediaId !== "string" || media.status !== "stored") return media;
  const { url, expiresAt } = signedMediaUrl(media.mediaId);
  return { ...media, url, urlExpiresAt: expiresAt.toISOString() };
}

export function messageJson(message: Message, contactPhone: string | null): MessageJson {
  const outbound = message.direction === "outbound";
  return {
    id: message.id,
    organizationId: message.organizationId,
    instanceId: message.instanceId,
    conversationId: message.conversationId,
    contactId: message.contactId,
    direction: message.direction,
    type: message.type,
    to: outbound ? contactPhone : null,
    from: outbound ? null : contactPhone,
    body: message.body,
    media: withSignedMediaUrl(message.media),
    transcript: message.transcript,
    quotedProviderMessageId: message.quotedProviderMessageId,
    replyToMessageId: message.replyToMessageId,
    context: message.context,
    reactions: message.reactions ?? [],
    editedAt: message.editedAt?.toISOString() ?? null,
    previousVersions: message.previousVersions ?? [],
    deletedAt: message.deletedAt?.toISOString() ?? null,
    status: message.status,
    error: message.error,
    attempts: message.attempts,
    providerMessageId: message.providerMessageId,
    sentBy: message.sentBy,
    idempotencyKey: message.idempotencyKey,
    createdAt: message.createdAt.toISOString(),
    sentAt: message.sentAt?.toISOString() ?? null,
    deliveredAt: message.deliveredAt?.toISOString() ?? null,
    readAt: message.readAt?.toISOString() ?? null,
    failedAt: message.failedAt?.toISOString() ?? null,
  };
}

// ——— Choosing the instance ———

/**
 * The instance a message goes out through: the one named, else the key's own instance, else the
 * tenant's only connected instance. FOR KEY SHARE, first, as the lock order (src/db/lock-order.ts)
 * wants: it keeps the row from being deleted under the send and blocks nobody else; the daily quota
 * serializes senders on its own advisory lock. (FOR UPDATE here blocked the foreign-key checks of
 * inbound messages while they held the contact: a deadlock.)
 */
async function sendingInstance(tx: DbOrTx, caller: Caller, instanceId: string | undefined): Promise<Instance> {
  const id = instanceId ?? caller.boundInstanceId ?? undefined;
  if (id) return instanceOfTenant(instanceAccess(caller), id, { tx, lock: "key share" });
  const filters = [tenantFilter(callerTenant(caller), instances.organizationId, instances.createdByDeviceId)];
  if (caller.boundInstanceId) filters.push(eq(instances.id, caller.boundInstanceId));
  const connected = await tx
    .select({ id: instances.id })
    .from(instances)
    .where(and(eq(instances.status, "connected"), ...filters))
    .limit(2);
  if (connected.length !== 1) {
    throw validationFailed([
      {
        path: "instanceId",
        message: connected.length === 0 ? tText("messages:errors.noConnectedInstance") : tText("messages:errors.severalConnected"),
      },
    ]);
  }
  const [row] = await tx.select().from(instances).where(eq(instances.id, connected[0]!.id)).for("key share");
  return row!;
}

// ——— Daily quota: one implementation, shared with every sender, in limits.service ———

export { secondsUntilUtcMidnight } from "@/features/limits/limits.service";

/** Effective limit = key override ?? instance override ?? organization plan (SPEC §6). */
async function assertDailyQuota(tx: DbOrTx, instance: Instance, keyLimit: number | null | undefined, now: Date) {
  await checkDailyMessageQuota({ instance, apiKey: { maxMessagesPerDay: keyLimit }, now }, tx);
}

// ——— Building the stored message ———

type StoredContent = {
  type: Message["type"];
  body: string | null;
  media: Record<string, unknown> | null;
  poll?: { name: string; options: string[]; selectableCount: number };
};

async function resolveReactionTarget(tx: DbOrTx, instance: Instance, messageId: string) {
  if (isUuid(messageId)) {
    const [target] = await tx
      .select({ id: messages.id, providerMessageId: messages.providerMessageId, direction: messages.direction })
      .from(messages)
      .where(and(eq(messages.id, messageId), eq(messages.instanceId, instance.id)))
      .limit(1);
    if (!target) throw validationFailed([{ path: "reaction.messageId", message: tText("messages:errors.reactionUnknown") }]);
    if (!target.providerMessageId) {
      throw validationFailed([{ path: "reaction.messageId", message: tText("messages:errors.reactionNotSent") }]);
    }
    return { messageId: target.id, providerMessageId: target.providerMessageId, fromMe: target.direction === "outbound" };
  }
  // A provider message id (e.g. from a webhook payload): ours when we know it, passed through otherwise.
  const [known] = await tx
    .select({ id: messages.id, direction: messages.direction })
    .from(messages)
    .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, messageId)))
    .limit(1);
  return { messageId: known?.id ?? null, providerMessageId: messageId, fromMe: known?.direction === "outbound" };
}

/**
 * A reaction we send shows on its target like a contact's: one entry for our side ("business", as our
 * own reactions from the phone are keyed), replaced by the next one, removed by an empty emoji. Its
 * `at` is the reaction message's creation, which names the entry should that send fail (withdrawFailedReaction).
 */
async function reactAsBusiness(instance: Instance, content: StoredContent, queuedAt: Date, topic: string | null, tx: DbOrTx): Promise<void> {
  const target = content.media as { providerMessageId: string; emoji: string };
  const entry = target.emoji ? { emoji: target.emoji, by: "business", at: queuedAt.toISOString() } : null;
  const reacted = await applyMessageReaction({ instanceId: instance.id, targetProviderMessageId: target.providerMessageId, by: "business", entry }, tx);
  if (reacted && topic) await publishLive(topic, { conversationId: reacted.conversationId, messageId: reacted.id }, tx);
}

async function storedContent(tx: DbOrTx, instance: Instance, input: SendMessageInput, upload: Media | null = null): Promise<StoredContent> {
  switch (input.type) {
    case "text":
      return { type: "text", body: input.text, media: null };
    case "image":
    case "video":
    case "audio":
    case "document":
    case "sticker": {
      const { id: _id, ...given } = input.media;
      // An upload (POST /v1/media) is referenced by its id; the worker sends its bytes (media.service readMedia).
      const media = upload
        ? {
            ...given,
            mediaId: upload.id,
            status: upload.status,
            mimeType: given.mimeType ?? upload.mimeType,
            fileName: given.fileName ?? upload.fileName ?? undefined,
          }
        : given;
      return { type: input.type, body: "caption" in media && media.caption ? media.caption : null, media };
    }
    case "location": {
      const l = input.location;
      return { type: "location", body: l.name ?? l.address ?? `${l.latitude},${l.longitude}`, media: { ...l } };
    }
    case "contact":
      return { type: "contact", body: input.contact.name, media: { ...input.contact } };
    case "interactive": {
      const { body, ...choices } = input.interactive;
      // Decided when queued, by the organization's setting (Settings → Buttons and lists), and kept on the message.
      const [org] = instance.organizationId
        ? await tx.select({ mode: organizations.interactiveMode }).from(organizations).where(eq(organizations.id, instance.organizationId))
        : [];
      return { type: "interactive", body, media: { interactive: { ...choices, asText: org?.mode !== "native" } } };
    }
    case "poll":
      // Kept where an inbound poll is (context.poll), so votes coming back link to it the same way.
      return { type: "poll", body: input.poll.name, media: null, poll: { ...input.poll, selectableCount: 1 } };
    case "reaction": {
      const target = await resolveReactionTarget(tx, instance, input.reaction.messageId);
      return { type: "reaction", body: input.reaction.emoji, media: { ...target, emoji: input.reaction.emoji } };
    }
    case "template": {
      const ref = input.template;
      if (ref.name) {
        // A provider template (Cloud, approved at Meta): sent by name with its components.
        const language = ref.language ?? "";
        const { body } = await checkProviderTemplateSend(instance, { name: ref.name, language, components: ref.components }, tx);
        return { type: "template", body, media: { template: { name: ref.name, language, components: ref.components ?? [] } } };
      }
      const { template, body } = await renderTemplate(instance.organizationId, { key: ref.key ?? "", variables: ref.variables }, tx);
      return {
        type: "template",
        body,
        media: {
          template: { key: template.key, language: input.template.language ?? template.locale ?? null, variables: input.template.variables },
        },
      };
    }
  }
}

/** The provider-facing form of a stored outbound message (the worker sends this). */
export function outboundMessageOf(
  message: Pick<Message, "type" | "body" | "media"> & Partial<Pick<Message, "quotedProviderMessageId" | "context">>,
  to: string,
): OutboundMessage {
  const sent: OutboundMessage = message.type === "poll" ? { to, type: "poll" } : contentOf(message, to);
  // A reply names the quoted message and its author; mentions name group members (both per provider, see features.ts).
  const quote = message.context?.quote;
  if (message.quotedProviderMessageId)
    sent.quoted = { providerMessageId: message.quotedProviderMessageId, fromMe: quote?.fromMe ?? false, ...(quote?.author ? { author: quote.author } : {}) };
  if (message.context?.mentions?.length) sent.mentions = message.context.mentions;
  if (message.context?.forwarded) sent.forwarded = true;
  const poll = message.context?.poll;
  if (message.type === "poll" && poll?.name) return { ...sent, poll: { name: poll.name, options: poll.options } };
  return sent;
}

function contentOf(message: Pick<Message, "type" | "body" | "media">, to: string): OutboundMessage {
  // The stored media column of each type holds what its request schema accepted (message.schema).
  // biome-ignore lint/suspicious/noExplicitAny: one untyped read of a jsonb column shaped per message type.
  const m = (message.media ?? {}) as Record<string, any>;
  switch (message.type) {
    case "text":
      return { to, type: "text", text: message.body ?? "" };
    case "image":
    case "video":
    case "audio":
    case "document":
    case "sticker":
      // An upload has no URL of its own: a signed link to it, for providers that fetch links (the worker adds the bytes).
      return {
        to,
        type: message.type,
        media: {
          url: m.url ?? (typeof m.mediaId === "string" ? signedMediaUrl(m.mediaId).url : ""),
          caption: m.caption,
          mimeType: m.mimeType,
          fileName: m.fileName,
          ...(message.type === "audio" && m.voice === true ? { voice: true } : {}),
        },
      };
    case "location":
      return { to, type: "location", location: { latitude: m.latitude, longitude: m.longitude, name: m.name, address: m.address } };
    case "contact":
      return { to, type: "contact", contact: { name: m.name, phone: m.phone } };
    case "reaction":
      return { to, type: "reaction", reaction: { messageId: m.providerMessageId, emoji: m.emoji ?? "", fromMe: m.fromMe === true } };
    case "template": {
      const t = (m.template ?? {}) as {
        key?: string;
        name?: string;
        language?: string | null;
        variables?: Record<string, string>;
        components?: TemplateComponent[];
      };
      return {
        to,
        type: "template",
        // Providers without native templates send the rendered body as text; Cloud sends the template by name.
        text: message.body ?? "",
        template: {
          name: t.name ?? t.key ?? "",
          language: t.language ?? undefined,
          variables: t.variables ?? {},
          body: message.body ?? "",
          ...(t.name ? { components: t.components ?? [] } : {}),
        },
      };
    }
    // Inbound-only types (stored from providers, echoes included); nothing queues them for sending.
    case "poll":
      throw new ProviderError("A poll is sent from its stored question and options", false, 400);
    case "interactive":
      return { to, type: "interactive", interactive: { body: message.body ?? "", ...(m.interactive ?? {}) } };
    case "order":
    case "system":
    case "unsupported":
      throw new ProviderError(`A ${message.type} message cannot be sent`, false, 400);
  }
}

// ——— Sending ———

/** WhatsApp shows only WebP as a sticker: an upload's sniffed type, or the URL's declared type or extension, must say so. */
function assertWebpSticker(media: { url?: string; mimeType?: string }, upload: Media | null): void {
  const webp = (type: string | null | undefined) => type?.toLowerCase() === "image/webp";
  const ok = upload ? webp(upload.mimeType) : media.mimeType ? webp(media.mimeType) : /\.webp(\?|#|$)/i.test(media.url ?? "");
  if (!ok) throw validationFailed([{ path: "media", message: tText("messages:schema.stickerWebp") }]);
}

/** WhatsApp plays only Ogg/Opus as a voice note: an upload's sniffed type, or the URL's declared type or extension, must say so. */
function assertVoiceNote(media: { url?: string; mimeType?: string }, upload: Media | null): void {
  const ogg = (type: string | null | undefined) => !!type && /^audio\/(ogg|opus)\b/i.test(type);
  const ok = upload ? ogg(upload.mimeType) : media.mimeType ? ogg(media.mimeType) : /\.(ogg|opus|oga)(\?|#|$)/i.test(media.url ?? "");
  if (!ok) throw validationFailed([{ path: "media.voice", message: tText("messages:schema.voiceOgg") }]);
}

/** The admin's "send a test message" (instance page): a text to one number, sent as the user. */
export async function queueTestMessage(caller: Caller<"user">, instanceId: string, values: Record<string, unknown>): Promise<{ to: string }> {
  const parsed = testMessageSchema.safeParse(values);
  if (!parsed.success) throw validationFailed(zodDetails(parsed.error.issues));
  await queueOutboundMessage(caller, { type: "text", instanceId, to: parsed.data.to, text: parsed.data.text }, { sentBy: "user" });
  return { to: parsed.data.to };
}

/**
 * Queues an outbound message: resolves the instance, checks it is connected, the contact is neither
 * blocked nor opted out and the daily quota allows it, then stores contact, conversation (preview) and
 * the queued message in one transaction and wakes the outbound workers. With an `Idempotency-Key`
 * the first message stored for that key is returned again (`replayed`) instead of sending twice
 * (the rules, Stripe's, are in message.idempotency.ts).
 * Used by the API, the admin's test message, and automation.
 */
export async function queueOutboundMessage(caller: Caller, input: SendMessageInput, send: SendOptions): Promise<SendResult> {
  const apiKeyId = caller.type === "api_key" ? caller.id : null;
  const idempotent = idempotencyClaim(apiKeyId, send.idempotencyKey, input);
  if (idempotent) {
    const previous = await previousSendFor(idempotent);
    if (previous) return { message: previous, replayed: true };
  }
  // The provider fetches media URLs from its own network: private targets are refused (outbound guard).
  if ("media" in input && !input.media.url === !input.media.id) throw validationFailed([{ path: "media.url", message: tText("media:errors.urlOrId") }]);
  const mediaRefused = "media" in input && input.media.url ? await mediaUrlRefusal(input.media.url) : null;
  if (mediaRefused) throw validationFailed([{ path: "media.url", message: mediaRefused }]);
  const upload = "media" in input && input.media.id ? await mediaForSend(instanceAccess(caller), input.media.id) : null;
  if (input.type === "audio" && input.media.voice) assertVoiceNote(input.media, upload);
  if (input.type === "sticker") assertWebpSticker(input.media, upload);
  const now = new Date();
  try {
    return await withDeadlockRetry("queue outbound message", () =>
      (send.tx ?? db).transaction(async (tx): Promise<SendResult> => {
        if (idempotent) {
          // First, before any row lock: 409 while another request holds the key, else replay what it stored.
          await holdIdempotencyKey(tx, idempotent);
          const previous = await previousSendFor(idempotent, tx);
          if (previous) return { message: previous, replayed: true };
        }
        const instance = await sendingInstance(tx, caller, input.instanceId);
        if (instance.status !== "connected") {
          throw new AppError("conflict", tText("messages:errors.instanceNotConnected", { name: instance.name, status: instance.status }));
        }
        await assertDailyQuota(tx, instance, send.keyMaxMessagesPerDay, now);
        // What the provider cannot do is refused first, before anything else is looked up or stored.
        const provider = providerFor(instance);
        if (input.mentions?.length) requireFeature(provider, "mentions", "mentions");
        if (input.replyTo) requireFeature(provider, "reply", "replyTo");
        if (input.type === "poll") requireFeature(provider, "poll", "poll");
        if (send.forwarded) requireFeature(provider, "forward", "id");
        const content = await storedContent(tx, instance, input, upload);
        const nativeInteractive = content.type === "interactive" && (content.media as { interactive?: { asText?: boolean } }).interactive?.asText === false;
        requireContextFor(provider, content.type === "poll" ? "poll" : nativeInteractive ? "nativeInteractive" : null, {
          replyTo: !!input.replyTo,
          mentions: !!input.mentions?.length,
        });
        const { contact, conversation } = input.contactId
          ? await ensureConversationWith(tx, instance, input.contactId)
          : await ensureContactAndConversation(tx, instance, input.to!);
        const path = input.contactId ? "contactId" : "to";
        if (contact.blocked) throw validationFailed([{ path, message: tText("messages:errors.blocked") }]);
        if (contact.optedOut) throw validationFailed([{ path, message: tText("messages:errors.optedOut") }]);
        // A group, or a person without a phone: refused now (422, naming why) when this provider cannot reach it.
        if (contact.kind === "group" || !contact.phone) {
          const recipient = recipientFor((await addressablesOf([contact.id], tx)).get(contact.id)!, providerFor(instance));
          if (!recipient.ok) throw validationFailed([{ path, message: recipient.reason }], recipient.reason);
        }
        // Cloud: free-form only within 24 h of the contact's last message (422 naming the approved templates).
        await assertCustomerWindow(tx, instance, conversation.id, input.type, now);
        const reply = input.replyTo ? await replyTarget(tx, instance, conversation.id, input.replyTo) : null;
        const context = {
          ...(send.forwarded ? { forwarded: true } : {}),
          ...(content.poll ? { poll: content.poll } : {}),
          ...(reply ? { quote: { fromMe: reply.fromMe, ...(reply.author ? { author: reply.author } : {}) } } : {}),
          ...(input.mentions?.length ? { mentions: input.mentions } : {}),
        };
        const [row] = await tx
          .insert(messages)
          .values({
            organizationId: instance.organizationId,
            instanceId: instance.id,
            conversationId: conversation.id,
            contactId: contact.id,
            direction: "outbound",
            type: content.type,
            body: content.body,
            media: content.media,
            quotedProviderMessageId: reply?.providerMessageId ?? null,
            replyToMessageId: reply?.id ?? null,
            context: Object.keys(context).length ? context : null,
            status: "queued",
            attempts: 0,
            nextAttemptAt: now,
            sentBy: send.sentBy,
            apiKeyId,
            userId: caller.type === "user" ? caller.id : null,
            idempotencyKey: idempotent ? idempotent.key : null,
            idempotencyFingerprint: idempotent ? idempotent.fingerprint : null,
          })
          .returning();
        await noteOutboundMessage(conversation.id, contact.id, messagePreview(content.type, content.body), now, tx);
        await notify(OUTBOUND_QUEUED_CHANNEL, "", tx);
        const topic = inboxTopic(instance);
        if (topic) await publishLive(topic, { conversationId: conversation.id, messageId: row!.id, status: "queued" }, tx);
        if (content.type === "reaction") await reactAsBusiness(instance, content, row!.createdAt, topic, tx);
        return { message: row!, replayed: false };
      }),
    );
  } catch (err) {
    // The key's unique index is the last line of defence should two requests ever pass the lock.
    if (idempotent && pgCode(err) === "23505") {
      const winner = await previousSendFor(idempotent);
      if (winner) return { message: winner, replayed: true };
    }
    throw err;
  }
}

/**
 * The inbox's reply: a text, or an attachment stored in the media store (an upload) and sent by its id,
 * the text as its caption (after it, as a text, for audio, which has none). Its type follows the
 * stored file's (sniffed) type.
 */
export async function queueInboxReply(
  caller: Caller<"user">,
  reply: { instanceId: string; contactId: string; text: string; attachment?: Blob | null },
): Promise<void> {
  const { attachment, ...rest } = reply;
  const asUser = { sentBy: "user" } as const;
  if (!attachment) {
    await queueOutboundMessage(caller, { ...rest, type: "text" }, asUser);
    return;
  }
  const upload = await createUpload(instanceAccess(caller), attachment);
  const mime = upload.mimeType ?? "";
  const type = mime.startsWith("image/") ? "image" : mime.startsWith("video/") ? "video" : mime.startsWith("audio/") ? "audio" : "document";
  const caption = rest.text.trim();
  const to = { instanceId: rest.instanceId, contactId: rest.contactId };
  if (type === "audio") {
    await queueOutboundMessage(caller, { ...to, type, media: { id: upload.id } }, asUser);
    if (caption) await queueOutboundMessage(caller, { ...to, type: "text", text: caption }, asUser);
    return;
  }
  await queueOutboundMessage(caller, { ...to, type, media: { id: upload.id, ...(caption ? { caption } : {}) } }, asUser);
}

// ——— Reading and marking read ———

function messageScopeFilter(caller: Caller) {
  const filters = [tenantFilter(callerTenant(caller), instances.organizationId, instances.createdByDeviceId)];
  if (caller.boundInstanceId) filters.push(eq(messages.instanceId, caller.boundInstanceId));
  return and(...filters)!;
}

/** A message the caller may see (through its instance's tenant), with the contact's phone; 404 otherwise. */
export async function getMessage(caller: Caller, id: string, tx: DbOrTx = db): Promise<{ message: Message; phone: string | null; instance: Instance }> {
  if (!isUuid(id)) throw new AppError("not_found", tText("messages:errors.notFound"));
  const [row] = await tx
    .select({ message: messages, phone: contacts.phone, instance: instances })
    .from(messages)
    .innerJoin(instances, eq(instances.id, messages.instanceId))
    .innerJoin(contacts, eq(contacts.id, messages.contactId))
    .where(and(eq(messages.id, id), messageScopeFilter(caller)))
    .limit(1);
  if (!row) throw new AppError("not_found", tText("messages:errors.notFound"));
  return row;
}

/**
 * Marks an inbound message — and the earlier unread ones of its conversation — read at the provider
 * (blue ticks for the contact) and locally, and resets the conversation's unread count.
 */
export async function markMessageRead(caller: Caller, id: string): Promise<Message> {
  const { message, phone, instance } = await getMessage(caller, id);
  if (message.direction !== "inbound") {
    throw validationFailed([{ path: "id", message: tText("messages:errors.onlyInboundRead") }], tText("messages:errors.onlyInboundRead"));
  }
  const unread = await db
    .select({ id: messages.id, providerMessageId: messages.providerMessageId })
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, message.conversationId),
        eq(messages.direction, "inbound"),
        isNull(messages.readAt),
        lte(messages.createdAt, message.createdAt),
      ),
    );
  const providerIds = [...new Set([message.providerMessageId, ...unread.map((u) => u.providerMessageId)])].filter((p): p is string => !!p);
  // Read receipts go to a private chat's phone; a group or a phoneless contact is marked read here only.
  if (providerIds.length > 0 && phone) {
    await callProvider(tText("messages:errors.markingRead"), () => providerFor(instance).markRead(instance, phone, providerIds));
  }
  const now = new Date();
  return withDeadlockRetry("mark message read", () =>
    db.transaction(async (tx) => {
      const ids = [...new Set([message.id, ...unread.map((u) => u.id)])];
      // The conversation before its messages: the lock order of src/db/lock-order.ts.
      await clearUnread(message.conversationId, now, tx);
      await tx
        .update(messages)
        .set({ status: "read", readAt: sql`coalesce(${messages.readAt}, ${now.toISOString()}::timestamptz)`, updatedAt: now })
        .where(and(inArray(messages.id, ids), eq(messages.direction, "inbound")));
      const topic = inboxTopic(instance);
      if (topic) await publishLive(topic, { conversationId: message.conversationId, messageId: message.id, status: "read" }, tx);
      const [updated] = await tx.select().from(messages).where(eq(messages.id, message.id));
      return updated!;
    }),
  );
}

/**
 * The media worker's outcome on an inbound message's media jsonb (`status`: stored/failed/expired, the
 * stored type and size), matched by provider id and media id; the inbox is told. Null when no message
 * carries that media (its batch failed).
 */
export async function noteMessageMedia(
  instance: Instance,
  note: { providerMessageId: string; mediaId: string; patch: Record<string, unknown> },
): Promise<{ messageId: string } | null> {
  const [row] = await db
    .update(messages)
    .set({ media: sql`coalesce(${messages.media}, '{}'::jsonb) || ${JSON.stringify(note.patch)}::jsonb` })
    .where(
      and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, note.providerMessageId), sql`${messages.media}->>'mediaId' = ${note.mediaId}`),
    )
    .returning({ id: messages.id, conversationId: messages.conversationId });
  if (!row) return null;
  const topic = inboxTopic(instance);
  // A status of its own: the inbox caches a rendered bubble per (message, status) for a moment.
  if (topic) await publishLive(topic, { conversationId: row.conversationId, messageId: row.id, status: `media_${String(note.patch.status ?? "")}` });
  return { messageId: row.id };
}

/** Sign-up claims the messages of a visitor's (just claimed) instances for the new organization. */
export async function claimInstanceMessages(instanceIds: string[], organizationId: string, tx: DbOrTx): Promise<void> {
  if (instanceIds.length === 0) return;
  await tx
    .update(messages)
    .set({ organizationId })
    .where(and(inArray(messages.instanceId, instanceIds), isNull(messages.organizationId)));
}

/** A visitor contact merged into the organization's contact (or two contacts found to be one person): its messages follow. */
export async function moveContactMessages(fromContactId: string, toContactId: string, tx: DbOrTx): Promise<void> {
  await tx.update(messages).set({ contactId: toContactId }).where(eq(messages.contactId, fromContactId));
  await tx.update(messages).set({ senderContactId: toContactId }).where(eq(messages.senderContactId, fromContactId));
}

/** A conversation folded into another of the same instance (contacts merged): its messages move there. */
export async function moveConversationMessages(fromConversationId: string, toConversationId: string, toContactId: string, tx: DbOrTx): Promise<void> {
  await tx.update(messages).set({ conversationId: toConversationId, contactId: toContactId }).where(eq(messages.conversationId, fromConversationId));
}
