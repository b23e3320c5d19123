import type { DbOrTx } from "@/db/client";
import type { MessageReaction } from "@/db/schema/messaging";
import { port } from "@/lib/port";
import type { Message } from "./message-store";

/**
 * What a provider reports about a message already stored — a reaction to it, an edit or a delete by its
 * author, a receipt of ours — changes a row of the messages feature, which sits above inbound (it
 * sends through the inbound store's previews): src/routes.ts plugs messages' message.changes.ts in.
 * Each runs inside the caller's transaction and answers undefined when no message matched.
 */
export const messageChanges = {
  /** Sets (`entry`) or removes (null) one party's reaction on the instance's message `targetProviderMessageId`. */
  react:
    port<
      (
        change: { instanceId: string; targetProviderMessageId: string; by: string; entry: MessageReaction | null },
        tx: DbOrTx,
      ) => Promise<Pick<Message, "id" | "conversationId" | "reactions"> | undefined>
    >("inbound: a message's reaction"),
  /** The new body of a message not deleted; the replaced one is kept in its versions. A redelivered edit matches nothing. */
  edit: port<(change: { instanceId: string; targetProviderMessageId: string; body: string | null; at: Date }, tx: DbOrTx) => Promise<Message | undefined>>(
    "inbound: a message's edit",
  ),
  /** Deleted for everyone, its content cleared unless the organization keeps deleted messages. */
  delete:
    port<(change: { instanceId: string; targetProviderMessageId: string; at: Date }, tx: DbOrTx) => Promise<Message | undefined>>(
      "inbound: a message's deletion",
    ),
  /** A number answering buttons or a list we sent as numbered text: the option chosen, in the message's `context.interactive`. */
  choice:
    port<(change: { messageId: string; interactive: { kind: "button" | "list"; id: string; title: string } }, tx: DbOrTx) => Promise<Message | undefined>>(
      "inbound: a numbered-text choice",
    ),
  /** A receipt advances an outbound message whose status is one of `from` (never backwards). */
  receipt:
    port<
      (
        change: {
          instanceId: string;
          providerMessageId: string;
          status: "sent" | "delivered" | "read" | "failed";
          at: Date;
          error?: string;
          from: readonly Message["status"][];
        },
        tx: DbOrTx,
      ) => Promise<Message | undefined>
    >("inbound: a receipt's status"),
};
