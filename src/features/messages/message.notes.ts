import { db } from "@/db/client";
import { messages } from "@/db/schema";
import { getConversation, publishInbox } from "@/features/conversations/conversation.service";
import type { Caller } from "@/lib/caller";
import { callerTenant } from "@/lib/tenant";
import type { Message } from "./message.service";

/**
 * A private note: an internal message for the team, written by a member into a conversation of their
 * organization (another's reads as 404) but never sent to WhatsApp — it is created with status `sent`
 * and no due time so the outbound worker never claims it, and it does not move the conversation's
 * last message. The inbox reaches it through conversations' port (inbox.outbound.ts).
 */
export async function addPrivateNote(author: Caller<"user">, conversationId: string, body: string): Promise<Message> {
  const tenant = callerTenant(author);
  return db.transaction(async (tx) => {
    const { conversation } = await getConversation(author, conversationId, tx);
    const [note] = await tx
      .insert(messages)
      .values({
        organizationId: conversation.organizationId,
        instanceId: conversation.instanceId,
        conversationId: conversation.id,
        contactId: conversation.contactId,
        direction: "outbound",
        type: "text",
        body,
        status: "sent",
        sentBy: "user",
        userId: author.id,
        isPrivateNote: true,
      })
      .returning();
    await publishInbox(tenant, conversation.id, tx, note!.id);
    return note!;
  });
}
