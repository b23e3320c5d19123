import type { Caller } from "@/lib/caller";
import { port } from "@/lib/port";

/**
 * An inbox reply is an outbound message sent by a user through the conversation's instance. Sending
 * belongs to the messages feature, which files messages into conversations (so it sits above them):
 * src/routes.ts plugs messages' queueing in here.
 */
export const sendInboxReply =
  port<
    (
      sender: Caller<"user">,
      /** `attachment`: a file chosen in the reply box, sent as media with the text as its caption. */
      reply: { instanceId: string; contactId: string; text: string; attachment?: Blob | null },
    ) => Promise<unknown>
  >("conversations: send an inbox reply");

/** A private note of a member in a conversation: a message the team sees and WhatsApp never gets (the messages feature stores it). */
export const addInboxNote = port<(author: Caller<"user">, conversationId: string, body: string) => Promise<unknown>>("conversations: add a private note");
