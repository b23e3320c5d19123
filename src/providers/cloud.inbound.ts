import { log } from "@/lib/logger";
import { toE164 } from "@/lib/phone";
import { arr, num, obj, str } from "./http";
import { payloadExcerpt, type InboundContactCard, type InboundEvent, type InboundMedia, type InboundReferral, type InboundSender } from "./provider";

/**
 * Cloud API webhook notifications → normalized events, after Meta's "messages" webhook reference
 * (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/…):
 * `{object, entry[].changes[] {field, value}}`; `value.contacts[]` names the senders (`wa_id`, `user_id`
 * — the business-scoped user id —, `profile.name`, `profile.username`), `value.messages[]` the messages
 * (`from` is withheld for users with a username: `from_user_id` then identifies them), `value.statuses[]`
 * the receipts. `smb_message_echoes` (`value.message_echoes[]`) are what a coexistence business wrote from
 * the WhatsApp Business app.
 */

type Json = Record<string, unknown>;
type MessageEvent = Extract<InboundEvent, { kind: "message" }>;

function unixTime(value: unknown): Date {
  const n = num(value);
  return n ? new Date(n * 1000) : new Date();
}

const MEDIA_TYPES = new Set(["image", "video", "audio", "document", "sticker"]);

/** The people a change's `contacts[]` describes, by wa_id and by user id. */
type Directory = { byWaId: Map<string, Json>; byUserId: Map<string, Json> };

function directoryOf(value: Json): Directory {
  const byWaId = new Map<string, Json>();
  const byUserId = new Map<string, Json>();
  for (const c of arr(value.contacts)) {
    const contact = obj(c);
    if (!contact) continue;
    const waId = str(contact.wa_id);
    const userId = str(contact.user_id);
    if (waId) byWaId.set(waId, contact);
    if (userId) byUserId.set(userId, contact);
  }
  return { byWaId, byUserId };
}

/** Every identity of one person: the phone (`from`/`wa_id`), the business-scoped id, the username, the name. */
function senderOf(phoneDigits: string | undefined, userId: string | undefined, directory: Directory): InboundSender {
  const contact = (phoneDigits && directory.byWaId.get(phoneDigits)) || (userId && directory.byUserId.get(userId)) || undefined;
  const profile = obj(contact?.profile);
  const phone = toE164(phoneDigits ?? str(contact?.wa_id) ?? "") ?? undefined;
  const bsuid = userId ?? str(contact?.user_id);
  const username = str(profile?.username)?.replace(/^@/, "");
  const name = str(profile?.name);
  return { ...(phone ? { phone } : {}), ...(bsuid ? { bsuid } : {}), ...(username ? { username } : {}), ...(name ? { name } : {}) };
}

function referralOf(m: Json): InboundReferral | undefined {
  const r = obj(m.referral);
  if (!r) return undefined;
  const referral: InboundReferral = {
    sourceUrl: str(r.source_url),
    sourceId: str(r.source_id),
    sourceType: str(r.source_type),
    headline: str(r.headline),
    body: str(r.body),
    mediaType: str(r.media_type),
    mediaUrl: str(r.image_url) ?? str(r.video_url) ?? str(r.thumbnail_url),
    ctwaClid: str(r.ctwa_clid),
  };
  for (const key of Object.keys(referral) as (keyof InboundReferral)[]) if (referral[key] === undefined) delete referral[key];
  return Object.keys(referral).length ? referral : undefined;
}

function attachmentOf(type: string, media: Json): InboundMedia {
  const id = str(media.id);
  const url = str(media.url);
  const attachment: InboundMedia = {
    // A webhook `url` (newer API versions) is fetched directly with the token; the id always works.
    ...(url ? { source: { kind: "url", url } } : id ? { source: { kind: "cloud_media", id } } : {}),
    mimeType: str(media.mime_type),
    fileName: str(media.filename),
    caption: str(media.caption),
    sha256: str(media.sha256),
    size: num(media.file_size),
    ...(type === "audio" && media.voice === true ? { voice: true } : {}),
    ...(type === "sticker" && media.animated === true ? { animated: true } : {}),
  };
  for (const key of Object.keys(attachment) as (keyof InboundMedia)[]) if (attachment[key] === undefined) delete attachment[key];
  return attachment;
}

function contactCards(m: Json): InboundContactCard[] {
  return arr(m.contacts).map((c) => {
    const contact = obj(c) ?? {};
    const name = str(obj(contact.name)?.formatted_name) ?? [str(obj(contact.name)?.first_name), str(obj(contact.name)?.last_name)].filter(Boolean).join(" ");
    const phones = arr(contact.phones)
      .map((p) => {
        const phone = obj(p);
        return toE164(str(phone?.wa_id) ?? "") ?? toE164(str(phone?.phone) ?? "") ?? str(phone?.phone);
      })
      .filter((p): p is string => !!p);
    return { ...(name ? { name } : {}), phones };
  });
}

/** The body and message-specific fields of one Cloud message object (shared by messages, echoes and edits). */
function contentOf(m: Json, type: string): Partial<MessageEvent> & Pick<MessageEvent, "type"> {
  if (type === "text") return { type: "text", body: str(obj(m.text)?.body) };
  if (MEDIA_TYPES.has(type)) {
    const media = obj(m[type]) ?? {};
    const attachment = attachmentOf(type, media);
    return {
      type: type as "image",
      body: attachment.caption,
      attachment,
      // The bytes are fetched by the media pipeline from `attachment.source` (a media id or url).
      media: {
        ...(attachment.mimeType ? { mimeType: attachment.mimeType } : {}),
        ...(attachment.sha256 ? { sha256: attachment.sha256 } : {}),
        ...(attachment.caption ? { caption: attachment.caption } : {}),
        ...(attachment.fileName ? { fileName: attachment.fileName } : {}),
      },
    };
  }
  if (type === "location") {
    const loc = obj(m.location) ?? {};
    return {
      type: "location",
      body: str(loc.name) ?? str(loc.address),
      media: {
        latitude: num(loc.latitude),
        longitude: num(loc.longitude),
        ...(str(loc.name) ? { name: str(loc.name) } : {}),
        ...(str(loc.address) ? { address: str(loc.address) } : {}),
        ...(str(loc.url) ? { url: str(loc.url) } : {}),
      },
    };
  }
  if (type === "contacts") {
    const cards = contactCards(m);
    const first = cards[0];
    return {
      type: "contact",
      body:
        cards
          .map((c) => c.name)
          .filter(Boolean)
          .join(", ") || undefined,
      contacts: cards,
      media: first ? { name: first.name, phone: first.phones[0], contacts: cards } : { contacts: cards },
    };
  }
  if (type === "reaction") {
    const reaction = obj(m.reaction) ?? {};
    const target = str(reaction.message_id) ?? "";
    const emoji = str(reaction.emoji) ?? "";
    return { type: "reaction", body: emoji || undefined, reaction: { targetProviderMessageId: target, emoji }, media: { messageId: target, emoji } };
  }
  if (type === "button") {
    // A template's quick-reply button: `payload` is the id the template defined, `text` what the user saw.
    const button = obj(m.button) ?? {};
    const id = str(button.payload);
    const title = str(button.text);
    return { type: "interactive", body: title ?? id, interactive: { kind: "template_button", ...(id ? { id } : {}), ...(title ? { title } : {}) } };
  }
  if (type === "interactive") {
    const interactive = obj(m.interactive) ?? {};
    const list = obj(interactive.list_reply);
    const reply = obj(interactive.button_reply) ?? list;
    if (reply) {
      const id = str(reply.id);
      const title = str(reply.title);
      return { type: "interactive", body: title ?? id, interactive: { kind: list ? "list" : "button", ...(id ? { id } : {}), ...(title ? { title } : {}) } };
    }
    const flow = obj(interactive.nfm_reply);
    if (flow) {
      // A WhatsApp Flow submitted: its answers arrive as a JSON string (`response_json`), kept whole.
      const title = str(flow.body) ?? str(flow.name);
      let data: Record<string, unknown> | undefined;
      try {
        data = obj(JSON.parse(str(flow.response_json) ?? "null"));
      } catch {
        data = { response_json: str(flow.response_json) };
      }
      return {
        type: "interactive",
        body: title,
        interactive: { kind: "flow", ...(str(flow.name) ? { id: str(flow.name) } : {}), ...(title ? { title } : {}), ...(data ? { data } : {}) },
      };
    }
    return { type: "unsupported", rawType: `interactive.${str(interactive.type) ?? "unknown"}` };
  }
  if (type === "order") {
    const order = obj(m.order) ?? {};
    return { type: "order", body: str(order.text), order };
  }
  if (type === "system") {
    const system = obj(m.system) ?? {};
    return {
      type: "system",
      body: str(system.body),
      system: { ...(str(system.type) ? { kind: str(system.type) } : {}), ...(str(system.body) ? { body: str(system.body) } : {}) },
    };
  }
  // `unsupported`/`unknown` (Meta could not render it; newer versions name what it was in `unsupported.type`:
  // a poll, a view-once…), `request_welcome`, anything new: kept under its most precise raw name.
  return { type: "unsupported", rawType: str(obj(m.unsupported)?.type) ?? type };
}

/** One `messages[]` entry → its events (a message; an edit; a delete; a number change and its notice). */
function mapCloudMessage(m: Json, directory: Directory, fromMe: boolean): InboundEvent[] {
  const id = str(m.id);
  const type = str(m.type);
  if (!id || !type) return [{ kind: "unparsed", reason: "Cloud message without id or type", rawType: type, excerpt: payloadExcerpt(m) }];
  const timestamp = unixTime(m.timestamp);
  // Echoes go from the business (`from`) to the person (`to`, `to_user_id`).
  const phoneDigits = fromMe ? str(m.to) : str(m.from);
  // A business-scoped id change names the person only by the id they had (`system.previous_user_id`).
  const userId = fromMe ? str(m.to_user_id) : (str(m.from_user_id) ?? str(obj(m.system)?.previous_user_id));
  const sender = senderOf(phoneDigits, userId, directory);

  if (type === "revoke") {
    const target = str(obj(m.revoke)?.original_message_id);
    if (!target) return [{ kind: "unparsed", reason: "revoke without original_message_id", rawType: type, excerpt: payloadExcerpt(m) }];
    return [{ kind: "delete", providerMessageId: id, targetProviderMessageId: target, fromMe, timestamp }];
  }
  if (type === "edit") {
    const edit = obj(m.edit) ?? {};
    const target = str(edit.original_message_id);
    if (!target) return [{ kind: "unparsed", reason: "edit without original_message_id", rawType: type, excerpt: payloadExcerpt(m) }];
    const message = obj(edit.message) ?? {};
    const content = contentOf(message, str(message.type) ?? "text");
    return [{ kind: "edit", providerMessageId: id, targetProviderMessageId: target, body: content.body, fromMe, timestamp }];
  }

  const context = obj(m.context);
  const referral = referralOf(m);
  const groupId = str(m.group_id);
  const content = contentOf(m, type);
  const message: MessageEvent = {
    kind: "message",
    providerMessageId: id,
    from: sender.phone ?? "",
    ...(!fromMe && sender.name ? { fromName: sender.name } : {}),
    sender: fromMe ? { ...sender, name: undefined } : sender,
    ...(groupId ? { group: { id: groupId } } : {}),
    ...(fromMe ? { fromMe: true } : {}),
    ...(str(context?.id) ? { quotedProviderMessageId: str(context?.id) } : {}),
    ...(context?.forwarded === true || context?.frequently_forwarded === true ? { forwarded: true } : {}),
    ...(obj(context?.referred_product)
      ? { product: { catalogId: str(obj(context?.referred_product)?.catalog_id), productRetailerId: str(obj(context?.referred_product)?.product_retailer_id) } }
      : {}),
    ...(referral ? { referral } : {}),
    rawType: type,
    timestamp,
    ...content,
  };
  if (message.sender?.name === undefined) delete message.sender?.name;
  if (message.type === "reaction" && !message.reaction?.targetProviderMessageId) {
    return [{ kind: "unparsed", reason: "reaction without message_id", rawType: type, excerpt: payloadExcerpt(m) }];
  }
  const out: InboundEvent[] = [message];
  // A number change: the person behind the old number now writes from the new one (helper: identities merge).
  const system = obj(m.system);
  const kind = str(system?.type);
  // The same for a new business-scoped id (`user_changed_user_id`: `previous_user_id` → `user_id`).
  if (type === "system" && (kind === "user_changed_number" || kind === "customer_changed_number" || kind === "user_changed_user_id")) {
    const next = toE164(str(system?.new_wa_id) ?? str(system?.wa_id) ?? "");
    const newUserId = str(system?.new_user_id) ?? str(system?.user_id);
    if (next || newUserId) {
      // After its notice: the notice is filed under the old identity, and a redelivered notice changes nothing again.
      out.push({
        kind: "identity_change",
        from: sender,
        to: { ...(next ? { phone: next } : {}), ...(newUserId ? { bsuid: newUserId } : {}) },
        providerMessageId: id,
        timestamp,
      });
    }
  }
  return out;
}

function mapCloudStatus(s: Json): InboundEvent | null {
  const id = str(s.id);
  const status = str(s.status);
  if (!id || (status !== "sent" && status !== "delivered" && status !== "read" && status !== "failed")) return null;
  const firstError = obj(arr(s.errors)[0]);
  const error = firstError
    ? [
        str(firstError.title) ?? str(firstError.message),
        str(obj(firstError.error_data)?.details),
        num(firstError.code) ? `code ${num(firstError.code)}` : undefined,
      ]
        .filter(Boolean)
        .join(" — ")
    : undefined;
  return { kind: "receipt", providerMessageId: id, status, timestamp: unixTime(s.timestamp), ...(error ? { error } : {}) };
}

/** Fields of the WhatsApp Business Account webhook that carry messages (the rest: templates, quality, account updates). */
const MESSAGE_FIELDS = new Set(["messages", "smb_message_echoes"]);

/**
 * Maps a Cloud API webhook notification (`{object, entry[].changes[].value}`) to normalized events.
 * Changes for another phone number id than `phoneNumberId` are skipped: one Meta app may serve several.
 * A body that is not such a notification maps to one `unparsed` event.
 */
export function mapCloudPayload(payload: unknown, phoneNumberId: string): InboundEvent[] {
  const root = obj(payload);
  if (!root || !Array.isArray(root.entry))
    return [{ kind: "unparsed", reason: "not a WhatsApp Business Account notification (no entry[])", excerpt: payloadExcerpt(payload) }];
  const out: InboundEvent[] = [];
  for (const entry of arr(root.entry)) {
    for (const change of arr(obj(entry)?.changes)) {
      const c = obj(change);
      const field = str(c?.field);
      if (!field || !MESSAGE_FIELDS.has(field)) {
        log.debug("cloud webhook field ignored", { field });
        continue;
      }
      const value = obj(c?.value) ?? {};
      const target = str(obj(value.metadata)?.phone_number_id);
      if (target && target !== phoneNumberId) {
        log.warn("cloud webhook for another phone number id skipped", { expected: phoneNumberId, got: target });
        continue;
      }
      const directory = directoryOf(value);
      for (const m of arr(value.messages)) {
        const message = obj(m);
        out.push(
          ...(message
            ? mapCloudMessage(message, directory, false)
            : [{ kind: "unparsed" as const, reason: "messages[] entry is not an object", excerpt: payloadExcerpt(m) }]),
        );
      }
      for (const m of arr(value.message_echoes)) {
        const message = obj(m);
        if (message) out.push(...mapCloudMessage(message, directory, true));
      }
      for (const s of arr(value.statuses)) {
        const mapped = obj(s) && mapCloudStatus(obj(s)!);
        if (mapped) out.push(mapped);
      }
      for (const e of arr(value.errors)) {
        out.push({
          kind: "unparsed",
          reason: `Cloud API error: ${str(obj(e)?.title) ?? str(obj(e)?.message) ?? "unknown"}`,
          rawType: "errors",
          excerpt: payloadExcerpt(e),
        });
      }
    }
  }
  return out;
}
