import type { OutboundAddress } from "./provider";

/**
 * Outbound message features beyond a plain send. Each adapter lists the ones it maps in
 * `WhatsAppProvider.features`; the send path refuses the others up front with 422
 * `unsupported_by_provider`, naming the provider and the feature.
 */
export const OUTBOUND_FEATURES = ["reply", "mentions", "edit", "delete", "typing", "recording", "poll", "forward"] as const;
export type OutboundFeature = (typeof OUTBOUND_FEATURES)[number];

/**
 * Kinds of send whose provider call carries no reply context nor mentions even where the provider maps
 * `reply` and `mentions` elsewhere (WuzAPI's SendPoll, SendButtons and SendList read no ContextInfo):
 * such a send asking for either is refused with 422 `unsupported_by_provider`, never sent without them.
 */
export const CONTEXTLESS_SENDS = ["poll", "nativeInteractive"] as const;
export type ContextlessSend = (typeof CONTEXTLESS_SENDS)[number];

/** A chat as the send path addresses it: `to` E.164 (or empty), `address` for a group, LID or BSUID. */
export type ChatRef = { to: string; address?: OutboundAddress };

/** What we show the chat: `typing`, `recording` (a voice note) or `paused` (stopped either). */
export type PresenceState = "typing" | "recording" | "paused";

/**
 * The message a send replies to: its provider id; `fromMe` when we wrote it; `author` the E.164 of who
 * wrote it when not us (a group member; in a private chat, the contact).
 */
export type QuotedMessage = { providerMessageId: string; fromMe: boolean; author?: string };

/** Presence needs, on Cloud, a received message to answer (Meta's typing indicator marks it read). */
export type PresenceContext = { lastInboundProviderMessageId?: string };

/** A poll to send: the question and 2–12 options; one choice (the only kind WuzAPI creates). */
export type PollPayload = { name: string; options: string[] };

/** Reply buttons or a list (WhatsApp's limits are checked when queued). */
export type InteractivePayload = {
  /** Set by the organization's interactive_mode: providers without official interactive messages send numbered text. */
  asText?: boolean;
  body: string;
  footer?: string;
  buttons?: { id: string; title: string }[];
  list?: { button: string; sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[] };
};

/** Buttons or a list as numbered text, for providers that cannot show them: the contact answers with the number. */
export function numberedText(interactive: InteractivePayload): string {
  const lines = [interactive.body, ""];
  let n = 0;
  for (const button of interactive.buttons ?? []) lines.push(`${++n}. ${button.title}`);
  for (const section of interactive.list?.sections ?? []) {
    if (section.title) lines.push(`*${section.title}*`);
    for (const row of section.rows) lines.push(`${++n}. ${row.title}${row.description ? ` — ${row.description}` : ""}`);
  }
  if (interactive.footer) lines.push("", interactive.footer);
  return lines.join("\n");
}

/** An answer like "2", " 2 ", "2." or "2)": the number of a numbered-text option (see numberedText). */
export const NUMBER_ANSWER = /^\s*(\d{1,2})\s*[.)]?\s*$/;

/**
 * The option a contact chose by answering numbered text with its number, numbered as numberedText does
 * (buttons, then the list's rows across sections); undefined when the text is not such a number.
 */
export function numberedChoice(interactive: InteractivePayload, answer: string): { kind: "button" | "list"; id: string; title: string } | undefined {
  const match = NUMBER_ANSWER.exec(answer);
  if (!match) return undefined;
  const n = Number(match[1]);
  const buttons = interactive.buttons ?? [];
  if (n >= 1 && n <= buttons.length) return { kind: "button", id: buttons[n - 1]!.id, title: buttons[n - 1]!.title };
  const rows = (interactive.list?.sections ?? []).flatMap((section) => section.rows);
  const row = rows[n - 1 - buttons.length];
  return n > buttons.length && row ? { kind: "list", id: row.id, title: row.title } : undefined;
}
