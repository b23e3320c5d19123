import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { contacts, messages, type Instance } from "@/db/schema";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import type { ContextlessSend, OutboundFeature } from "@/providers/features";
import type { WhatsAppProvider } from "@/providers/provider";

/**
 * The outbound features each provider maps (`WhatsAppProvider.features`) are checked here, before
 * anything is stored or sent: a provider that cannot do one answers 422 `unsupported_by_provider`
 * naming the provider and the feature, on the request field that asked for it.
 */
export function requireFeature(provider: Pick<WhatsAppProvider, "name" | "features">, feature: OutboundFeature, path: string): void {
  if (provider.features?.includes(feature)) return;
  const message = tText("messages:errors.unsupportedByProvider", { provider: provider.name, feature: tText(`messages:features.${feature}`) });
  throw new AppError("unsupported_by_provider", message, [{ path, message }]);
}

/**
 * A reply or mentions on a kind of send whose provider call cannot carry them (a WuzAPI poll, native
 * buttons or list): 422 `unsupported_by_provider` naming the provider, the feature and the kind.
 */
export function requireContextFor(
  provider: Pick<WhatsAppProvider, "name" | "contextless">,
  kind: ContextlessSend | null,
  asked: { replyTo?: boolean; mentions?: boolean },
): void {
  if (!kind || !provider.contextless?.includes(kind)) return;
  const refuse = (feature: OutboundFeature, path: string) => {
    const message = tText("messages:errors.unsupportedInKind", {
      provider: provider.name,
      feature: tText(`messages:features.${feature}`),
      kind: tText(`messages:contextless.${kind}`),
    });
    throw new AppError("unsupported_by_provider", message, [{ path, message }]);
  };
  if (asked.replyTo) refuse("reply", "replyTo");
  if (asked.mentions) refuse("mentions", "mentions");
}

/** The message a send replies to: stored in the same conversation and already sent to (or received from) WhatsApp. */
export type ReplyTarget = { id: string; providerMessageId: string; fromMe: boolean; author?: string };

/**
 * `replyTo` (our id) → the quoted message's provider id and author: ours (`fromMe`), or the person who
 * wrote it (a group member, else the conversation's contact), by phone. Anything else is a 422 on `replyTo`.
 */
export async function replyTarget(tx: DbOrTx, instance: Instance, conversationId: string, replyTo: string): Promise<ReplyTarget> {
  const [row] = await tx
    .select({ id: messages.id, providerMessageId: messages.providerMessageId, direction: messages.direction, author: contacts.phone })
    .from(messages)
    .leftJoin(contacts, eq(contacts.id, sql`coalesce(${messages.senderContactId}, ${messages.contactId})`))
    .where(and(eq(messages.id, replyTo), eq(messages.instanceId, instance.id), eq(messages.conversationId, conversationId)))
    .limit(1);
  if (!row) throw validationFailed([{ path: "replyTo", message: tText("messages:errors.replyUnknown") }]);
  if (!row.providerMessageId) throw validationFailed([{ path: "replyTo", message: tText("messages:errors.replyNotSent") }]);
  const fromMe = row.direction === "outbound";
  return { id: row.id, providerMessageId: row.providerMessageId, fromMe, ...(!fromMe && row.author ? { author: row.author } : {}) };
}
