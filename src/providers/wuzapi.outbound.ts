import { toDigits } from "@/lib/phone";
import type { ChatRef, PollPayload, PresenceState } from "./features";
import type { OutboundMessage } from "./provider";

/**
 * WuzAPI (github.com/asternic/wuzapi, handlers.go) translations of the outbound features: replies and
 * mentions ride in a send's `ContextInfo` (whatsmeow's, `StanzaID` + `Participant` + `MentionedJID`),
 * edit is `POST /chat/send/edit {Phone, Body, Id}`, delete for everyone `POST /chat/delete {Phone, Id}`,
 * presence `POST /chat/presence {Phone, State: composing|paused, Media: audio}`.
 */

const userJid = (phone: string) => `${toDigits(phone)}@s.whatsapp.net`;

/** WuzAPI's `Phone`: digits, or the whole JID of a group (`…@g.us`) or LID (`…@lid`). */
export function wuzapiChat(chat: ChatRef): string {
  if (chat.address?.kind === "group") return `${chat.address.id}@g.us`;
  if (chat.address?.kind === "lid") return `${chat.address.id}@lid`;
  return toDigits(chat.to);
}

/**
 * The `ContextInfo` of a send that replies or mentions; undefined when it does neither. WuzAPI reads
 * `Participant` whenever `StanzaID` is set: the author of the quoted message (our own JID for ours).
 */
export function wuzapiContextInfo(message: OutboundMessage, ownJid: string | null): Record<string, unknown> | undefined {
  const info: Record<string, unknown> = {};
  if (message.quoted) {
    const q = message.quoted;
    const author = q.fromMe ? (ownJid ?? "") : q.author ? userJid(q.author) : message.to ? userJid(message.to) : "";
    info.StanzaID = q.providerMessageId;
    info.Participant = author;
  }
  if (message.mentions?.length) info.MentionedJID = message.mentions.map(userJid);
  if (message.forwarded) info.IsForwarded = true;
  return Object.keys(info).length ? info : undefined;
}

export function wuzapiEditRequest(chat: ChatRef, providerMessageId: string, text: string) {
  return { path: "/chat/send/edit", body: { Phone: wuzapiChat(chat), Body: text, Id: providerMessageId } };
}

export function wuzapiDeleteRequest(chat: ChatRef, providerMessageId: string) {
  return { path: "/chat/delete", body: { Phone: wuzapiChat(chat), Id: providerMessageId } };
}

/** whatsmeow's ChatPresence: `composing` (with Media `audio` while recording) or `paused`. */
export function wuzapiPresenceRequest(chat: ChatRef, state: PresenceState) {
  const body: Record<string, unknown> = { Phone: wuzapiChat(chat), State: state === "paused" ? "paused" : "composing" };
  if (state === "recording") body.Media = "audio";
  return { path: "/chat/presence", body };
}

/** `POST /chat/send/poll {group, header, options}`: WuzAPI parses `group` as any JID (a group or a person), one choice. */
export function wuzapiPollRequest(phone: string, poll: PollPayload) {
  return { path: "/chat/send/poll", body: { group: phone, header: poll.name, options: poll.options } };
}
