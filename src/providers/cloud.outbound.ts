import { validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import type { InteractivePayload } from "./features";
import type { OutboundMessage } from "./provider";

/**
 * Cloud API translations of the outbound features Meta offers: a reply is the message's
 * `context: {message_id}`; the typing indicator is `{status: "read", message_id, typing_indicator:
 * {type: "text"}}` on a received message (it marks that message read, and lasts up to 25 s or until
 * we answer). Cloud offers no edit, no delete for everyone, no mentions and no recording indicator:
 * the adapter does not list those features, so they are refused before any call.
 */
export function withCloudContext(body: Record<string, unknown>, message: OutboundMessage): Record<string, unknown> {
  return message.quoted ? { ...body, context: { message_id: message.quoted.providerMessageId } } : body;
}

export function cloudTypingBody(inboundProviderMessageId: string): Record<string, unknown> {
  return { messaging_product: "whatsapp", status: "read", message_id: inboundProviderMessageId, typing_indicator: { type: "text" } };
}

/** No received message to answer: the user can fix it by waiting for the contact to write (a 422, not a provider failure). */
export function cloudTypingNeedsInbound() {
  const message = tText("messages:errors.presenceNoInbound");
  return validationFailed([{ path: "state", message }], message);
}

/** Graph's `interactive` object: `button` (reply buttons) or `list` (sections of rows). */
export function cloudInteractive(interactive: InteractivePayload): Record<string, unknown> {
  const common = { body: { text: interactive.body }, ...(interactive.footer ? { footer: { text: interactive.footer } } : {}) };
  if (interactive.buttons) {
    return { type: "button", ...common, action: { buttons: interactive.buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: b.title } })) } };
  }
  const list = interactive.list!;
  return { type: "list", ...common, action: { button: list.button, sections: list.sections } };
}
