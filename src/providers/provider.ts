/**
 * Adding a provider
 * -----------------
 * An adapter translates between LivChat and one WhatsApp API, and nothing more: it imports no feature,
 * no database module and no worker (tests/architecture/providers.test.ts enforces it), so it can be read
 * and tested against the provider's documented HTTP protocol alone.
 *
 * 1. Copy `cloud.ts` (the smallest stateless adapter) to `<name>.ts`; add the name to PROVIDERS in
 *    src/db/schema/tenancy.ts and to `ProviderName` below, and register the adapter in `index.ts`.
 * 2. Calls answer values: `connect`, `getQr`, `pairingCode` and `logout` return the new
 *    `ConnectionState`; the instance service stores it (status, QR, number) in one write with its events.
 * 3. Webhooks: export pure `parse…`/`map…` functions from payload to `InboundEvent[]` in `<name>.inbound.ts`;
 *    the route in src/features/inbound verifies the signature, calls them and hands the events to the
 *    inbound service. Every type becomes an event (unknown ones `unsupported` with `rawType`); input that
 *    cannot be read becomes an `unparsed` event, which is recorded — nothing is dropped silently.
 * 4. Events nobody asked for that do not arrive as webhooks (timers, a socket) go to the `ProviderSink`
 *    the composition root passes to the adapter's factory — never to a feature directly.
 * 5. Failures are `ProviderError`s (`retryable` drives the outbound worker's backoff); bad input the user
 *    can fix is an `AppError("validation_failed")`.
 */

import type { ChatRef, ContextlessSend, InteractivePayload, OutboundFeature, PollPayload, PresenceContext, PresenceState, QuotedMessage } from "./features";

export type ProviderName = "sandbox" | "wuzapi" | "cloud";
export type InstanceStatus = "disconnected" | "connecting" | "qr" | "connected" | "logged_out";
/**
 * Inbound-only types: `interactive` (a button, list row or template quick reply chosen; see the event's
 * `interactive`), `poll`, `order`, `system` and `unsupported` (kept with `rawType`). A round video note is a
 * `video` with `attachment.videoNote` (it plays like any video; the flag keeps the difference).
 */
export type MessageType =
  | "text"
  | "image"
  | "audio"
  | "video"
  | "document"
  | "sticker"
  | "location"
  | "contact"
  | "reaction"
  | "template"
  | "interactive"
  | "poll"
  | "order"
  | "system"
  | "unsupported";

/** What an adapter sees of an instance (the stored row satisfies it). */
export type ProviderInstance = {
  id: string;
  provider: ProviderName;
  status: InstanceStatus;
  /** The provider's own id of this number (e.g. the WuzAPI user id). */
  providerInstanceId: string | null;
  /** Encrypted provider token (lib/crypto). */
  providerTokenEnc: string | null;
  providerConfig: Record<string, unknown>;
  waJid: string | null;
  waName: string | null;
};

/** The connection state a provider reports; the instance service applies it (status, QR, number, name). */
export type ConnectionState = { status: InstanceStatus; qrCode?: string; jid?: string; name?: string };

/**
 * Where an adapter reports what happens without being asked (the sandbox's simulated phone; a future
 * socket-based provider). Built by the composition root from the inbound service.
 */
export interface ProviderSink {
  /** Messages and receipts, in order; resolves once they are applied (pending receipts included). */
  inbound(instance: ProviderInstance, events: InboundEvent[]): Promise<void>;
  /** A change of connection state. */
  status(instance: ProviderInstance, state: ConnectionState): Promise<void>;
}

/**
 * Media to send: a public `url` the provider fetches, or the bytes of an upload (`POST /v1/media`) in
 * `file`, which adapters send inline (WuzAPI data URI) or upload first (Cloud `/{phone-number-id}/media`).
 */
/** `voice`: an audio sent as a voice note (push-to-talk; Ogg/Opus, checked when queued). */
export type MediaPayload = { url: string; caption?: string; mimeType?: string; fileName?: string; file?: MediaFile; voice?: boolean };
export type MediaFile = { bytes: Uint8Array; mimeType: string; fileName?: string };

/** Inbound media bytes as a provider hands them over; the media service caps, hashes and sniffs the body. */
export type DownloadedMedia = { body: Response; mimeType?: string; sha256?: string; size?: number };
export type LocationPayload = { latitude: number; longitude: number; name?: string; address?: string };
export type ContactCardPayload = { name: string; phone: string };
/** `fromMe`: the message reacted to is one we sent (WuzAPI addresses those differently). */
export type ReactionPayload = { messageId: string; emoji: string; fromMe?: boolean };
/**
 * A provider-native template send (Cloud): header, body and button parameters in the provider's shape
 * (`{type, sub_type?, index?, parameters}`). Without `components`, `variables` fill the body in order.
 */
export type TemplateComponent = {
  type: "header" | "body" | "button";
  sub_type?: string;
  index?: number;
  parameters: (Record<string, unknown> & { type: string })[];
};
export type TemplatePayload = { name: string; language?: string; variables?: Record<string, string>; body?: string; components?: TemplateComponent[] };
/** A message template the provider holds (Cloud: the WhatsApp Business Account's), as listed. */
export type ProviderTemplate = {
  providerTemplateId?: string;
  name: string;
  language: string;
  category?: string;
  status: string;
  components: Record<string, unknown>[];
};

/** The types LivChat sends (the rest of MessageType only arrives). */
/** The types LivChat sends (the rest of MessageType only arrives); `poll` goes where the provider lists the `poll` feature. */
export type OutboundMessageType = Exclude<MessageType, "order" | "system" | "unsupported">;

/**
 * Where a message goes when not to a phone: a group (WuzAPI `…@g.us` user part, Cloud group id), or a
 * person known only by a WhatsApp LID or a Cloud business-scoped user id. Each adapter lists the kinds
 * it can address in `WhatsAppProvider.addresses`; the send path refuses the others up front (422).
 */
export type OutboundAddress = { kind: "group" | "lid" | "bsuid"; id: string };

/**
 * One outbound message, already validated; `to` is E.164 (+5511999990001), or empty when `address` is
 * set and the contact has no phone. `address`, when set, is where the message goes (a group, a LID…).
 */
export type OutboundMessage = {
  to: string;
  address?: OutboundAddress;
  type: OutboundMessageType;
  text?: string;
  media?: MediaPayload;
  location?: LocationPayload;
  contact?: ContactCardPayload;
  /** `messageId` here is the provider message id of the message reacted to. */
  reaction?: ReactionPayload;
  template?: TemplatePayload;
  /** The message this one replies to (quotes). */
  quoted?: QuotedMessage;
  /** E.164 phones of the group members this message mentions. */
  mentions?: string[];
  /** A copy of another message: WhatsApp shows it labelled forwarded. */
  forwarded?: boolean;
  /** For `interactive`: reply buttons or a list to choose from. */
  interactive?: InteractivePayload;
  /** For `poll`: the question and its options (one choice). */
  poll?: PollPayload;
};

/**
 * Who a message is from (or, for `fromMe` echoes, who it was sent to), as every identity the payload
 * reveals. The inbound service resolves these to one contact and merges contacts when a payload shows
 * two identities belong to one person (a LID with its phone, a Cloud `wa_id` with its `user_id`).
 */
export type InboundSender = {
  /** E.164 (+5511999990001), when the payload carries a phone number. */
  phone?: string;
  /** WhatsApp LID user part without the server ("123456789012345" of "123456789012345@lid"). */
  lid?: string;
  /** Cloud API business-scoped user id (`user_id` / `from_user_id`). */
  bsuid?: string;
  /** WhatsApp username (Cloud `username`), without a leading @. */
  username?: string;
  /** The profile (push) name. */
  name?: string;
};

/**
 * Where inbound media bytes are; the media worker fetches them after the webhook was answered.
 * `base64` is WuzAPI's inline default, `url` WuzAPI's S3 link or a Cloud webhook `url`, `cloud_media`
 * a Cloud media id fetched from the Graph media endpoint with the instance's token.
 */
export type InboundMediaSource = { kind: "base64"; data: string } | { kind: "url"; url: string } | { kind: "cloud_media"; id: string };

export type InboundMedia = {
  source?: InboundMediaSource;
  /** WhatsApp's own declared type first (the sniffed type is compared with it when stored). */
  mimeType?: string;
  fileName?: string;
  caption?: string;
  /** Hex or base64 sha256 as the provider declares it, when it does. */
  sha256?: string;
  size?: number;
  seconds?: number;
  width?: number;
  height?: number;
  /** A push-to-talk voice note (WuzAPI `audioMessage.PTT`, Cloud `audio.voice`). */
  voice?: boolean;
  /** A round video note (WuzAPI `ptvMessage`). */
  videoNote?: boolean;
  /** Sticker animated flag. */
  animated?: boolean;
  /** The bytes were refused before any download (a WuzAPI body over the webhook limit): recorded on the message. */
  refused?: { reason: "too_large"; size: number };
};

/** Click-to-WhatsApp ad / post referral (Cloud `referral`, WuzAPI `contextInfo.externalAdReply`). */
export type InboundReferral = {
  sourceUrl?: string;
  sourceId?: string;
  sourceType?: string;
  headline?: string;
  body?: string;
  mediaType?: string;
  mediaUrl?: string;
  ctwaClid?: string;
};

/** A poll as created, or (WuzAPI `pollUpdateMessage`) a vote on one: `pollId` is the poll's provider id. */
export type InboundPoll = {
  name?: string;
  options: string[];
  selectableCount?: number;
  /** Set on a vote: the provider id of the poll voted on. */
  pollId?: string;
  /** Chosen options, when the provider decoded the vote. */
  selected?: string[];
  /** The vote arrived encrypted and the provider did not decode it. */
  encrypted?: boolean;
};

/** One shared contact card (a contact message may carry several). */
export type InboundContactCard = { name?: string; phones: string[]; vcard?: string };

/** Every provider's inbound traffic, normalized. */
export type InboundEvent =
  | {
      kind: "message";
      providerMessageId: string;
      /** E.164 of the contact who wrote (kept while callers move to `sender`). */
      from: string;
      fromName?: string;
      /** Every identity of the person (see InboundSender); the source of truth once set. */
      sender?: InboundSender;
      /** Set when the message was written in a group: the group's id (WuzAPI `…@g.us` user part, Cloud `group_id`). */
      group?: { id: string; subject?: string };
      /** The business's own message echoed by the provider (sent from the phone app): stored as outbound. */
      fromMe?: boolean;
      type: MessageType;
      body?: string;
      media?: Record<string, unknown>;
      /** For media types: where the bytes are and what WhatsApp says of them. */
      attachment?: InboundMedia;
      /** The provider id of the message this one quotes/replies to. */
      quotedProviderMessageId?: string;
      /**
       * A button, list row or template quick-reply chosen: its payload / row id and visible title; a
       * WhatsApp Flow submitted (`flow`): the flow's name as id and the answers it returned in `data`.
       */
      interactive?: { kind: "button" | "list" | "template_button" | "flow"; id?: string; title?: string; data?: Record<string, unknown> };
      referral?: InboundReferral;
      /** Provider's raw type name for `unsupported` (and kept for diagnosis on any type). */
      rawType?: string;
      /** For `reaction`: the message reacted to; an empty emoji removes the sender's reaction. */
      reaction?: { targetProviderMessageId: string; emoji: string };
      poll?: InboundPoll;
      contacts?: InboundContactCard[];
      /** For `order`: the provider's order object as sent (catalog, items, prices). */
      order?: Record<string, unknown>;
      /** For `system`: what happened (`kind` as the provider names it) and its human text. */
      system?: { kind?: string; body?: string };
      /** A live location share (the message is a `location`). */
      live?: boolean;
      /** The catalog product the contact asks about (Cloud `context.referred_product`). */
      product?: { catalogId?: string; productRetailerId?: string };
      forwarded?: boolean;
      /** Identities mentioned in the text (JID users / wa ids). */
      mentions?: string[];
      timestamp: Date;
    }
  /** The author changed the text of an earlier message (`targetProviderMessageId`). */
  | {
      kind: "edit";
      /** The provider id of the edit itself, when it has one. */
      providerMessageId?: string;
      targetProviderMessageId: string;
      body?: string;
      fromMe?: boolean;
      timestamp: Date;
    }
  /** The author deleted an earlier message for everyone. */
  | { kind: "delete"; providerMessageId?: string; targetProviderMessageId: string; fromMe?: boolean; timestamp: Date }
  /** The provider says one person now has another identity (Cloud `system` number change): contacts follow. */
  | {
      kind: "identity_change";
      from: InboundSender;
      to: InboundSender;
      /** The provider message that announced it (a redelivery of that message applies nothing again). */
      providerMessageId?: string;
      timestamp: Date;
    }
  /**
   * A correctly signed payload (or part of one) the adapter could not understand: acknowledged, never
   * dropped — the inbound service records it with `reason` and a size-capped excerpt in the event log.
   */
  | { kind: "unparsed"; reason: string; rawType?: string; excerpt: string }
  | {
      kind: "receipt";
      providerMessageId: string;
      status: "sent" | "delivered" | "read" | "failed";
      error?: string;
      timestamp: Date;
    }
  | { kind: "connection"; status: InstanceStatus; jid?: string; name?: string; qrCode?: string }
  /**
   * A group changed on WhatsApp (WuzAPI `GroupInfo`, `JoinedGroup`): `updated` (subject, description),
   * `participants_changed` (`action` promote/demote), `joined` / `left` (`participants` who did; `self`
   * when it is this number). The groups feature records it as a `group.*` event and keeps the contact.
   */
  | {
      kind: "group_change";
      groupId: string;
      change: "updated" | "participants_changed" | "joined" | "left";
      subject?: string;
      description?: string;
      action?: "promote" | "demote";
      participants?: { phone?: string; lid?: string }[];
      self?: boolean;
      timestamp: Date;
    };

/** A provider failure; `retryable` tells the outbound worker whether to try again with backoff. */
export class ProviderError extends Error {
  constructor(
    message: string,
    public readonly retryable: boolean,
    public readonly httpStatus?: number,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/** The one interface every WhatsApp provider adapter implements (SPEC §4). */
/** A group as the provider describes it (subject, picture), kept current on the group's contact. */
export type GroupInfo = { id: string; subject?: string; description?: string; pictureUrl?: string; participants?: number };

/** A person's profile as WhatsApp shows it: `pictureUrl` null when they have none (or hide it from us); `name` a verified business name. */
export type ContactProfile = { name?: string; pictureUrl: string | null };

export interface WhatsAppProvider {
  readonly name: ProviderName;
  /** The kinds of OutboundAddress this adapter can send to besides a phone (none when absent). */
  readonly addresses?: readonly OutboundAddress["kind"][];
  /** The outbound features this adapter maps (src/providers/features.ts); the send path refuses the rest with 422. */
  readonly features?: readonly OutboundFeature[];
  /** Sends whose call cannot carry `reply` nor `mentions` (src/providers/features.ts CONTEXTLESS_SENDS); none when absent. */
  readonly contextless?: readonly ContextlessSend[];
  /** Sends buttons and lists as numbered text when the message says so (`asText`): the contact answers with a number. */
  readonly numberedInteractive?: boolean;
  /** Replaces the text of a message we sent (the caller checks WhatsApp's edit window). */
  editMessage?(instance: ProviderInstance, chat: ChatRef, providerMessageId: string, text: string): Promise<void>;
  /** Deletes a message we sent for everyone in the chat. */
  deleteMessage?(instance: ProviderInstance, chat: ChatRef, providerMessageId: string): Promise<void>;
  /** Shows the chat that we are typing or recording, or stopped. */
  presence?(instance: ProviderInstance, chat: ChatRef, state: PresenceState, context: PresenceContext): Promise<void>;
  /** A group's subject and picture; absent when the provider offers no such call. */
  groupInfo?(instance: ProviderInstance, groupId: string): Promise<GroupInfo>;
  /** Group administration (list, create, subject, participants, invite link, leave); absent when the provider offers none. */
  readonly groups?: import("./groups").GroupOperations;
  /** The message templates the provider holds for this number (Cloud: its WABA's); absent when it has none. */
  listTemplates?(instance: ProviderInstance): Promise<ProviderTemplate[]>;
  /** A person's WhatsApp profile by E.164 phone (picture, verified name); absent when the provider offers no such call (Cloud: names arrive in webhooks only). */
  contactProfile?(instance: ProviderInstance, phone: string): Promise<ContactProfile>;
  /** Blocks or unblocks an E.164 phone on WhatsApp's side (the number's own block list); absent when unsupported. */
  setWhatsAppBlocked?(instance: ProviderInstance, phone: string, blocked: boolean): Promise<void>;
  /** Routes the instance's WhatsApp connection through a proxy (`null` removes it); absent when unsupported. */
  setProxy?(instance: ProviderInstance, proxyUrl: string | null): Promise<void>;
  /** Prepares the provider side for a new instance (e.g. a WuzAPI user); returns fields to store. */
  provision?(
    instance: ProviderInstance,
  ): Promise<{ providerInstanceId?: string | null; providerTokenEnc?: string | null; providerConfig?: Record<string, unknown> }>;
  /** Removes the provider side of a deleted instance. */
  deprovision?(instance: ProviderInstance): Promise<void>;
  connect(instance: ProviderInstance): Promise<ConnectionState>;
  getQr(instance: ProviderInstance): Promise<ConnectionState>;
  /** The code to type on the phone, and the state the instance moves to meanwhile. */
  pairingCode(instance: ProviderInstance, phone: string): Promise<ConnectionState & { code: string }>;
  status(instance: ProviderInstance): Promise<ConnectionState>;
  logout(instance: ProviderInstance): Promise<ConnectionState>;
  send(instance: ProviderInstance, message: OutboundMessage): Promise<{ providerMessageId: string }>;
  markRead(instance: ProviderInstance, chatPhone: string, providerMessageIds: string[]): Promise<void>;
  checkNumbers(instance: ProviderInstance, phones: string[]): Promise<{ phone: string; exists: boolean; jid?: string }[]>;
  /**
   * Fetches inbound media the provider holds (a Cloud media id, a link that needs the instance's
   * token). Without it, `url` sources are fetched through the outbound guard and `cloud_media` cannot be.
   */
  downloadMedia?(instance: ProviderInstance, source: Exclude<InboundMediaSource, { kind: "base64" }>): Promise<DownloadedMedia>;
}

/** How much of a payload an `unparsed` event keeps (the event log is not a blob store). */
export const UNPARSED_EXCERPT_MAX = 4000;

/** A payload as JSON text cut to UNPARSED_EXCERPT_MAX characters, inline base64 blobs elided. */
export function payloadExcerpt(value: unknown): string {
  let text: string;
  try {
    text =
      typeof value === "string"
        ? value
        : JSON.stringify(value, (_key, v) => (typeof v === "string" && v.length > 512 ? `${v.slice(0, 64)}…(${v.length} chars)` : v));
  } catch {
    text = String(value);
  }
  return text.length > UNPARSED_EXCERPT_MAX ? `${text.slice(0, UNPARSED_EXCERPT_MAX)}…` : text;
}
