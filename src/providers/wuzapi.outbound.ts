import { toDigits } from "@/lib/phone";
import { type ChatRef, type InteractivePayload, numberedText, type PollPayload, type PresenceState } from "./features";
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

/**
 * Buttons or a list: numbered text unless the organization chose native ones (`asText` false), then
 * `/chat/send/buttons {Phone, Title, Buttons: [{ButtonId, ButtonText}]}` or `/chat/send/list {Phone,
 * Title, Description, ButtonText, FooterText, Sections: [{Title, Rows: [{RowId, Title, Description}]}]}`.
 */
export function wuzapiInteractiveRequest(phone: string, interactive: InteractivePayload) {
  if (interactive.asText !== false) return { path: "/chat/send/text", body: { Phone: phone, Body: numberedText(interactive) } };
  if (interactive.buttons) {
    const title = interactive.footer ? `${interactive.body}\n\n${interactive.footer}` : interactive.body;
    return {
      path: "/chat/send/buttons",
      body: { Phone: phone, Title: title, Buttons: interactive.buttons.map((b) => ({ ButtonId: b.id, ButtonText: b.title })) },
    };
  }
  const list = interactive.list!;
  return {
    path: "/chat/send/list",
    body: {
      Phone: phone,
      Title: list.sections[0]?.title || list.button,
      Description: interactive.body,
      ButtonText: list.button,
      FooterText: interactive.footer ?? "",
      Sections: list.sections.map((s) => ({
        Title: s.title ?? "",
        Rows: s.rows.map((r) => ({ RowId: r.id, Title: r.title, Description: r.description ?? "" })),
      })),
    },
  };
}
