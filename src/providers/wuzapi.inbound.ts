import { log } from "@/lib/logger";
import { toE164 } from "@/lib/phone";
import { arr, num, obj, str } from "./http";
import { mapWuzapiGroupEvent } from "./wuzapi.group-events";
import {
  payloadExcerpt,
  type InboundContactCard,
  type InboundEvent,
  type InboundMedia,
  type InboundReferral,
  type InboundSender,
  type MessageType,
} from "./provider";

/**
 * WuzAPI webhook payloads → normalized events. WuzAPI (github.com/asternic/wuzapi, wmiau.go) posts
 * `{type, event, …}` where `event` is whatsmeow's `events.Message` serialised by Go's encoding/json:
 * `Info` is `types.MessageInfo` with its embedded `MessageSource` flattened (Chat, Sender, IsFromMe,
 * IsGroup, AddressingMode, SenderAlt, RecipientAlt; JIDs as "user@server" strings), `Message` the
 * `waE2E.Message` protobuf under its JSON tags (`conversation`, `imageMessage`, `contextInfo.stanzaID`…;
 * enums as numbers, bytes as base64, a oneof as its Go field name: `Response.SelectedDisplayText`).
 * Downloaded media rides at the payload's root: `base64` + `mimeType` + `fileName`, or `s3.url`.
 */

type Json = Record<string, unknown>;
type MessageEvent = Extract<InboundEvent, { kind: "message" }>;

/** A JID split: "5511999990001:12@s.whatsapp.net" → user "5511999990001", server "s.whatsapp.net". */
function splitJid(jid: string | undefined): { user: string; server: string } | undefined {
  if (!jid?.includes("@")) return undefined;
  const [userPart, server] = jid.split("@") as [string, string];
  const user = userPart.split(":")[0]!.split(".")[0]!;
  return user ? { user, server } : undefined;
}

/** Every identity a set of JIDs reveals: phone from `@s.whatsapp.net`, LID from `@lid`. */
function identitiesOf(jids: (string | undefined)[], name?: string): InboundSender {
  const sender: InboundSender = {};
  for (const jid of jids) {
    const parts = splitJid(jid);
    if (!parts) continue;
    if (parts.server === "s.whatsapp.net" && !sender.phone) {
      const phone = toE164(parts.user);
      if (phone) sender.phone = phone;
    } else if (parts.server === "lid" && !sender.lid) {
      sender.lid = parts.user;
    }
  }
  if (name) sender.name = name;
  return sender;
}

function parseTime(value: unknown): Date {
  const n = num(value);
  const date = typeof value === "string" && !/^\d+$/.test(value) ? new Date(value) : n !== undefined ? new Date(n < 1e12 ? n * 1000 : n) : new Date(NaN);
  return Number.isNaN(date.getTime()) ? new Date() : date;
}

/** Wrappers whatsmeow may leave around the content (it unwraps most; older payloads or raw ones keep them). */
const WRAPPERS = [
  "ephemeralMessage",
  "viewOnceMessage",
  "viewOnceMessageV2",
  "viewOnceMessageV2Extension",
  "documentWithCaptionMessage",
  "editedMessage",
  "deviceSentMessage",
  "botInvokeMessage",
  "lottieStickerMessage",
];

function unwrap(message: Json): Json {
  let m = message;
  for (let depth = 0; depth < 5; depth++) {
    const wrapper = WRAPPERS.map((key) => obj(obj(m[key])?.message)).find(Boolean);
    if (!wrapper) break;
    m = wrapper;
  }
  return m;
}

/** Keys of `waE2E.Message` that carry no content of their own (key distribution, metadata). */
const NOT_CONTENT = new Set(["messageContextInfo", "senderKeyDistributionMessage", "fastRatchetKeySenderKeyDistributionMessage"]);

function contentKeys(m: Json): string[] {
  return Object.keys(m).filter((key) => !NOT_CONTENT.has(key) && m[key] !== null && m[key] !== undefined);
}

/** ProtocolMessage.Type: REVOKE = 0, EPHEMERAL_SETTING = 3, MESSAGE_EDIT = 14 (numbers from Go's encoding/json; names from other encoders). */
function protocolType(value: unknown): "revoke" | "edit" | "ephemeral" | undefined {
  if (value === 0 || value === "REVOKE" || value === undefined) return "revoke";
  if (value === 14 || value === "MESSAGE_EDIT") return "edit";
  if (value === 3 || value === "EPHEMERAL_SETTING") return "ephemeral";
  return undefined;
}

/** The text of a (possibly edited) message: plain, extended, or a media caption. */
function textOf(m: Json): string | undefined {
  return (
    str(m.conversation) ??
    str(obj(m.extendedTextMessage)?.text) ??
    str(obj(m.imageMessage)?.caption) ??
    str(obj(m.videoMessage)?.caption) ??
    str(obj(m.documentMessage)?.caption)
  );
}

/** The contextInfo of whichever sub-message carries one (quote, mentions, forwarding, ad referral). */
function contextInfoOf(m: Json): Json | undefined {
  for (const key of contentKeys(m)) {
    const info = obj(obj(m[key])?.contextInfo);
    if (info) return info;
  }
  return undefined;
}

function referralOf(context: Json | undefined): InboundReferral | undefined {
  const ad = obj(context?.externalAdReply);
  if (!ad) return undefined;
  const referral: InboundReferral = {
    sourceUrl: str(ad.sourceURL),
    sourceId: str(ad.sourceID),
    sourceType: str(ad.sourceType),
    headline: str(ad.title),
    body: str(ad.body),
    mediaType: ad.mediaType === 1 || ad.mediaType === "IMAGE" ? "image" : ad.mediaType === 2 || ad.mediaType === "VIDEO" ? "video" : str(ad.mediaType),
    mediaUrl: str(ad.mediaURL) ?? str(ad.thumbnailURL) ?? str(ad.originalImageURL),
    ctwaClid: str(ad.ctwaClid),
  };
  for (const key of Object.keys(referral) as (keyof InboundReferral)[]) if (referral[key] === undefined) delete referral[key];
  return Object.keys(referral).length ? referral : undefined;
}

/** Phone numbers of a vCard (`TEL;…waid=5511…:+55 11 …`), as E.164 where they parse. */
function vcardPhones(vcard: string | undefined): string[] {
  if (!vcard) return [];
  const phones: string[] = [];
  for (const line of vcard.split(/\r?\n/)) {
    if (!/^(item\d+\.)?TEL/i.test(line)) continue;
    const waid = /waid=(\d+)/i.exec(line)?.[1];
    const value = line.slice(line.indexOf(":") + 1).trim();
    const phone = (waid && toE164(waid)) || toE164(value) || value;
    if (phone) phones.push(phone);
  }
  return phones;
}

function card(contact: Json | undefined): InboundContactCard | undefined {
  if (!contact) return undefined;
  const vcard = str(contact.vcard);
  return { ...(str(contact.displayName) ? { name: str(contact.displayName) } : {}), phones: vcardPhones(vcard), ...(vcard ? { vcard } : {}) };
}

const MEDIA: { key: string; type: MessageType; videoNote?: boolean }[] = [
  { key: "imageMessage", type: "image" },
  { key: "videoMessage", type: "video" },
  { key: "ptvMessage", type: "video", videoNote: true },
  { key: "audioMessage", type: "audio" },
  { key: "documentMessage", type: "document" },
  { key: "stickerMessage", type: "sticker" },
];

/** What WhatsApp declares of an attachment, and where WuzAPI put its bytes (inline base64 or an S3 link). */
function attachmentOf(payload: Json, media: Json, videoNote: boolean): InboundMedia {
  const s3Url = str(obj(payload.s3)?.url);
  const base64 = str(payload.base64);
  const data = base64?.startsWith("data:") ? base64.slice(base64.indexOf(",") + 1) : base64;
  const attachment: InboundMedia = {
    ...(s3Url ? { source: { kind: "url", url: s3Url } } : data ? { source: { kind: "base64", data } } : {}),
    // WhatsApp's own field first: WuzAPI's root `mimeType` is its guess from the downloaded file.
    mimeType: str(media.mimetype) ?? str(payload.mimeType) ?? str(obj(payload.s3)?.mimeType),
    fileName: str(media.fileName) ?? str(media.title) ?? str(payload.fileName),
    caption: str(media.caption),
    sha256: str(media.fileSHA256),
    size: num(media.fileLength),
    seconds: num(media.seconds),
    width: num(media.width),
    height: num(media.height),
    ...(media.PTT === true || media.ptt === true ? { voice: true } : {}),
    ...(videoNote ? { videoNote: true } : {}),
    ...(media.isAnimated === true ? { animated: true } : {}),
  };
  for (const key of Object.keys(attachment) as (keyof InboundMedia)[]) if (attachment[key] === undefined) delete attachment[key];
  return attachment;
}

/** The legacy `media` column shape the inbox and API already read (url for media; coordinates for locations). */
function legacyMedia(attachment: InboundMedia): Record<string, unknown> {
  const source = attachment.source;
  const url = source?.kind === "url" ? source.url : undefined;
  return {
    ...(url ? { url } : {}),
    ...(attachment.mimeType ? { mimeType: attachment.mimeType } : {}),
    ...(attachment.fileName ? { fileName: attachment.fileName } : {}),
    ...(attachment.caption ? { caption: attachment.caption } : {}),
    ...(attachment.seconds ? { seconds: attachment.seconds } : {}),
  };
}

function pollOf(m: Json): MessageEvent["poll"] | undefined {
  const poll = [
    "pollCreationMessage",
    "pollCreationMessageV2",
    "pollCreationMessageV3",
    "pollCreationMessageV4",
    "pollCreationMessageV5",
    "pollCreationMessageV6",
  ]
    .map((key) => obj(m[key]))
    .find(Boolean);
  if (!poll) return undefined;
  return {
    ...(str(poll.name) ? { name: str(poll.name) } : {}),
    options: arr(poll.options)
      .map((o) => str(obj(o)?.optionName))
      .filter((o): o is string => !!o),
    ...(num(poll.selectableOptionsCount) !== undefined ? { selectableCount: num(poll.selectableOptionsCount) } : {}),
  };
}

/** One WuzAPI `Message` payload → events (a message, an edit, a delete, or an unparsed record). */
function mapMessage(payload: Json, event: Json): InboundEvent[] {
  const info = obj(event.Info) ?? {};
  const id = str(info.ID) ?? str(info.Id);
  if (!id) return [{ kind: "unparsed", reason: "WuzAPI message without Info.ID", rawType: "Message", excerpt: payloadExcerpt(payload) }];
  const chat = str(info.Chat);
  const chatJid = splitJid(chat);
  // Status updates and channel posts are not conversations with the business.
  if (chat === "status@broadcast" || chatJid?.server === "newsletter") {
    log.debug("wuzapi status/newsletter message ignored", { id });
    return [];
  }
  const fromMe = info.IsFromMe === true;
  const isGroup = info.IsGroup === true || chatJid?.server === "g.us";
  const pushName = fromMe ? undefined : str(info.PushName);
  // Who the conversation is with: in a DM the contact wrote (Sender/SenderAlt) or, for our own echo, was
  // written to (Chat/RecipientAlt); in a group, the participant who wrote.
  const sender =
    fromMe && !isGroup
      ? identitiesOf([chat, str(info.RecipientAlt)])
      : identitiesOf([str(info.Sender), str(info.SenderAlt), ...(isGroup ? [] : [chat, str(info.RecipientAlt)])], pushName);
  const timestamp = parseTime(info.Timestamp);
  const raw = obj(event.Message) ?? {};
  const m = unwrap(raw);
  const keys = contentKeys(m);
  const rawType = keys[0] ?? str(info.Type);

  // Edits and deletes change an earlier message instead of adding one.
  const protocol = obj(m.protocolMessage);
  if (protocol) {
    const target = str(obj(protocol.key)?.ID) ?? str(obj(protocol.key)?.id);
    const kind = protocolType(protocol.type);
    if (target && kind === "revoke") return [{ kind: "delete", providerMessageId: id, targetProviderMessageId: target, fromMe, timestamp }];
    if (target && kind === "edit") {
      const edited = unwrap(obj(protocol.editedMessage) ?? {});
      return [{ kind: "edit", providerMessageId: id, targetProviderMessageId: target, body: textOf(edited), fromMe, timestamp }];
    }
    if (kind !== "ephemeral") {
      // History sync notices, app-state keys, peer data requests: device plumbing, not conversation content.
      log.debug("wuzapi protocol message ignored", { id, type: protocol.type });
      return [];
    }
  }
  // Newer clients send edits encrypted under the original message's secret; WuzAPI does not decrypt them.
  const secret = obj(m.secretEncryptedMessage);
  if (secret) {
    return [
      {
        kind: "unparsed",
        reason: "encrypted edit (secretEncryptedMessage) that WuzAPI did not decrypt",
        rawType: "secretEncryptedMessage",
        excerpt: payloadExcerpt(payload),
      },
    ];
  }
  if (keys.length === 0) {
    // A bare key distribution (the first message of a group session) carries nothing to show.
    if (obj(raw.senderKeyDistributionMessage) || obj(m.senderKeyDistributionMessage)) return [];
    return [{ kind: "unparsed", reason: "WuzAPI message without content", rawType: str(info.Type), excerpt: payloadExcerpt(payload) }];
  }

  const context = contextInfoOf(m);
  const quoted = str(context?.stanzaID) ?? str(context?.stanzaId);
  const mentions = arr(context?.mentionedJID)
    .map((j) => splitJid(str(j))?.user)
    .filter((u): u is string => !!u);
  const referral = referralOf(context);
  const base: MessageEvent = {
    kind: "message",
    providerMessageId: id,
    from: sender.phone ?? "",
    ...(pushName ? { fromName: pushName } : {}),
    sender,
    ...(isGroup && chatJid ? { group: { id: chatJid.user } } : {}),
    ...(fromMe ? { fromMe: true } : {}),
    type: "text",
    ...(quoted ? { quotedProviderMessageId: quoted } : {}),
    ...(referral ? { referral } : {}),
    ...(mentions.length ? { mentions } : {}),
    ...(context?.isForwarded === true ? { forwarded: true } : {}),
    ...(rawType ? { rawType } : {}),
    timestamp,
  };

  if (protocol) {
    // EPHEMERAL_SETTING: disappearing messages turned on or off in this chat.
    const seconds = num(protocol.ephemeralExpiration) ?? 0;
    return [
      { ...base, type: "system", system: { kind: "ephemeral_setting", body: seconds ? `disappearing messages: ${seconds}s` : "disappearing messages off" } },
    ];
  }

  const text = str(m.conversation) ?? str(obj(m.extendedTextMessage)?.text);
  if (text !== undefined) return [{ ...base, type: "text", body: text }];

  for (const { key, type, videoNote } of MEDIA) {
    const media = obj(m[key]);
    if (!media) continue;
    const attachment = attachmentOf(payload, media, videoNote === true);
    return [{ ...base, type, body: attachment.caption, attachment, media: legacyMedia(attachment) }];
  }

  const location = obj(m.locationMessage) ?? obj(m.liveLocationMessage);
  if (location) {
    const live = !!obj(m.liveLocationMessage) || location.isLive === true;
    const name = str(location.name);
    const address = str(location.address);
    return [
      {
        ...base,
        type: "location",
        body: name ?? address ?? str(location.caption) ?? str(location.comment),
        media: {
          latitude: num(location.degreesLatitude),
          longitude: num(location.degreesLongitude),
          ...(name ? { name } : {}),
          ...(address ? { address } : {}),
          ...(str(location.URL) ? { url: str(location.URL) } : {}),
        },
        ...(live ? { live: true } : {}),
      },
    ];
  }

  const contactsArray = obj(m.contactsArrayMessage);
  const single = card(obj(m.contactMessage));
  if (single || contactsArray) {
    const cards = single ? [single] : arr(contactsArray?.contacts).flatMap((c) => card(obj(c)) ?? []);
    const first = cards[0];
    return [
      {
        ...base,
        type: "contact",
        body:
          str(contactsArray?.displayName) ??
          (cards
            .map((c) => c.name)
            .filter(Boolean)
            .join(", ") ||
            undefined),
        contacts: cards,
        media: first ? { name: first.name, phone: first.phones[0], vcard: first.vcard } : {},
      },
    ];
  }

  const reaction = obj(m.reactionMessage);
  if (reaction) {
    const target = str(obj(reaction.key)?.ID) ?? str(obj(reaction.key)?.id);
    if (!target) return [{ kind: "unparsed", reason: "reaction without the key of its message", rawType: "reactionMessage", excerpt: payloadExcerpt(payload) }];
    const emoji = str(reaction.text) ?? "";
    return [{ ...base, type: "reaction", body: emoji || undefined, reaction: { targetProviderMessageId: target, emoji }, media: { messageId: target, emoji } }];
  }

  const buttons = obj(m.buttonsResponseMessage);
  if (buttons) {
    // The chosen button's text is a protobuf oneof: Go's encoder writes it as `Response.SelectedDisplayText`.
    const title = str(obj(buttons.Response)?.SelectedDisplayText) ?? str(obj(buttons.response)?.selectedDisplayText) ?? str(buttons.selectedDisplayText);
    const buttonId = str(buttons.selectedButtonID) ?? str(buttons.selectedButtonId);
    return [
      {
        ...base,
        type: "interactive",
        body: title ?? buttonId,
        interactive: { kind: "button", ...(buttonId ? { id: buttonId } : {}), ...(title ? { title } : {}) },
      },
    ];
  }
  const list = obj(m.listResponseMessage);
  if (list) {
    const rowId = str(obj(list.singleSelectReply)?.selectedRowID) ?? str(obj(list.singleSelectReply)?.selectedRowId);
    const title = str(list.title);
    return [
      { ...base, type: "interactive", body: title ?? rowId, interactive: { kind: "list", ...(rowId ? { id: rowId } : {}), ...(title ? { title } : {}) } },
    ];
  }
  const templateButton = obj(m.templateButtonReplyMessage);
  if (templateButton) {
    const buttonId = str(templateButton.selectedID) ?? str(templateButton.selectedId);
    const title = str(templateButton.selectedDisplayText);
    return [
      {
        ...base,
        type: "interactive",
        body: title ?? buttonId,
        interactive: { kind: "template_button", ...(buttonId ? { id: buttonId } : {}), ...(title ? { title } : {}) },
      },
    ];
  }
  const nativeFlow = obj(m.interactiveResponseMessage);
  if (nativeFlow) {
    const response = obj(nativeFlow.nativeFlowResponseMessage);
    let params: Json | undefined;
    try {
      params = obj(JSON.parse(str(response?.paramsJSON) ?? "null"));
    } catch {
      params = undefined;
    }
    const title = str(obj(nativeFlow.body)?.text) ?? str(params?.title) ?? str(params?.display_text);
    // A submitted WhatsApp Flow (`galaxy_message`, or answers with a flow_token): its answers are kept whole.
    if (str(response?.name) === "galaxy_message" || params?.flow_token !== undefined) {
      const name = str(response?.name);
      return [
        {
          ...base,
          type: "interactive",
          body: title,
          interactive: { kind: "flow", ...(name ? { id: name } : {}), ...(title ? { title } : {}), ...(params ? { data: params } : {}) },
        },
      ];
    }
    // A native-flow quick reply button: its id in the params.
    const buttonId = str(params?.id) ?? str(response?.name);
    return [
      {
        ...base,
        type: "interactive",
        body: title ?? buttonId,
        interactive: { kind: "button", ...(buttonId ? { id: buttonId } : {}), ...(title ? { title } : {}) },
      },
    ];
  }

  const poll = pollOf(m);
  if (poll) return [{ ...base, type: "poll", body: poll.name, poll }];
  const pollUpdate = obj(m.pollUpdateMessage);
  if (pollUpdate) {
    // whatsmeow decrypts votes only when asked (DecryptPollVote); WuzAPI posts the encrypted vote.
    const pollId = str(obj(pollUpdate.pollCreationMessageKey)?.ID) ?? str(obj(pollUpdate.pollCreationMessageKey)?.id);
    const selected = arr(obj(pollUpdate.vote)?.selectedOptions ?? event.PollVote)
      .map((o) => str(o))
      .filter((o): o is string => !!o && !/^[A-Za-z0-9+/]{40,}={0,2}$/.test(o));
    return [
      {
        ...base,
        type: "poll",
        poll: { options: [], ...(pollId ? { pollId } : {}), ...(selected.length ? { selected } : { encrypted: true }) },
      },
    ];
  }

  const order = obj(m.orderMessage);
  if (order) {
    const { thumbnail: _thumbnail, contextInfo: _context, ...fields } = order;
    return [{ ...base, type: "order", body: str(order.message) ?? str(order.orderTitle), order: fields }];
  }

  // Anything else is kept as what it is, named by its raw type, so nothing vanishes.
  return [{ ...base, type: "unsupported", body: undefined }];
}

function mapReceipt(payload: Json, event: Json): InboundEvent[] {
  const state = str(payload.state);
  const status = state === "Read" ? "read" : state === "Delivered" ? "delivered" : undefined;
  if (!status) return []; // ReadSelf: we read on another device; nothing to advance
  const timestamp = parseTime(event.Timestamp);
  return arr(event.MessageIDs)
    .map((id) => str(id))
    .filter((id): id is string => !!id)
    .map((providerMessageId) => ({ kind: "receipt", providerMessageId, status, timestamp }));
}

/** A JID as stored on the instance (device suffix dropped), e.g. "5491155554444@s.whatsapp.net". */
function instanceJid(jid: string | undefined): string | undefined {
  const parts = splitJid(jid);
  return parts && /^\d{6,15}$/.test(parts.user) ? `${parts.user}@s.whatsapp.net` : undefined;
}

/**
 * Maps one WuzAPI webhook payload (`{type, event, …}`) to normalized events. Types that are not about
 * messages or the connection (presence, typing, history sync, calls…) map to none; a payload without a
 * type, or a message that cannot be read, maps to an `unparsed` event so it is recorded.
 */
export function mapWuzapiPayload(payload: Json): InboundEvent[] {
  const type = str(payload.type);
  const event = obj(payload.event) ?? {};
  switch (type) {
    case "Message":
      return mapMessage(payload, event);
    case "ReadReceipt":
      return mapReceipt(payload, event);
    case "Connected":
      return [{ kind: "connection", status: "connected" }];
    case "PairSuccess":
      return [{ kind: "connection", status: "connected", jid: instanceJid(str(event.ID)), name: str(event.BusinessName) }];
    case "QR": {
      const qrCode = str(payload.qrCodeBase64);
      return [{ kind: "connection", status: "qr", ...(qrCode ? { qrCode } : {}) }];
    }
    case "QRTimeout":
    case "Disconnected":
    case "ConnectFailure":
      return [{ kind: "connection", status: "disconnected" }];
    case "LoggedOut":
      return [{ kind: "connection", status: "logged_out" }];
    case "GroupInfo":
    case "JoinedGroup":
      return mapWuzapiGroupEvent(type, event);
    case undefined:
      return [{ kind: "unparsed", reason: "WuzAPI payload without a type", excerpt: payloadExcerpt(payload) }];
    default:
      log.debug("wuzapi event ignored", { type });
      return [];
  }
}

/**
 * The payload of a WuzAPI webhook body: JSON (`WEBHOOK_FORMAT=json`, `userID` at the root) or the
 * default form (`jsonData` = the event JSON, `userID` and `instanceName` as sibling fields).
 */
export function parseWuzapiBody(raw: string, contentType: string | null): { payload: Json; userID?: string } | null {
  try {
    if (contentType?.includes("application/x-www-form-urlencoded")) {
      const form = new URLSearchParams(raw);
      const payload = obj(JSON.parse(form.get("jsonData") ?? ""));
      if (!payload) return null;
      return { payload, userID: form.get("userID") ?? str(payload.userID) };
    }
    const payload = obj(JSON.parse(raw));
    if (!payload) return null;
    if (typeof payload.jsonData === "string") {
      const inner = obj(JSON.parse(payload.jsonData));
      if (inner) return { payload: inner, userID: str(payload.userID) ?? str(inner.userID) };
    }
    return { payload, userID: str(payload.userID) };
  } catch {
    return null;
  }
}

/** The user id of a WuzAPI body that did not parse as a whole, when the form still names it (to record it on the instance). */
export function wuzapiUserIdOf(raw: string, contentType: string | null): string | undefined {
  if (contentType?.includes("application/x-www-form-urlencoded")) return new URLSearchParams(raw).get("userID") ?? undefined;
  return /"userID"\s*:\s*"([^"]{1,200})"/.exec(raw)?.[1];
}
