import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { conversations, messages } from "@/db/schema";

/**
 * A message's text changed after it was filed (an edit, a delete for everyone): when it is still the
 * conversation's last message, the list's preview follows. "Last" is read from the conversation itself — its preview is
 * still the one this message wrote and no later message (private notes aside, they never move it)
 * exists — because messages stored by one inbound batch share their creation time.
 */
export async function refreshLastMessagePreview(
  message: { id: string; conversationId: string },
  previews: { before: string; after: string },
  tx: DbOrTx,
): Promise<boolean> {
  if (previews.before === previews.after) return false;
  const later = tx
    .select({ one: sql`1` })
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, message.conversationId),
        eq(messages.isPrivateNote, false),
        sql`${messages.id} <> ${message.id}`,
        // Compared in SQL: a Date would drop the microseconds the batch's shared creation time has.
        sql`${messages.createdAt} > (select e.created_at from messages e where e.id = ${message.id})`,
      ),
    );
  const updated = await tx
    .update(conversations)
    .set({ lastMessagePreview: previews.after, updatedAt: new Date() })
    .where(and(eq(conversations.id, message.conversationId), eq(conversations.lastMessagePreview, previews.before), sql`not exists (${later})`))
    .returning({ id: conversations.id });
  return updated.length > 0;
}
