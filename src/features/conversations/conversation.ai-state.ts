import { and, eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { conversations } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import { getConversation, publishInbox, type Conversation, type ConversationRow } from "./conversation.service";

/**
 * What the AI features (hybrid mode, sentiment) write on a conversation; the conversations feature owns
 * the table, so these writes live here (tests/architecture/table-owners.test.ts).
 */

export type ReplyMode = Conversation["aiReplyMode"];
export type Sentiment = NonNullable<Conversation["sentiment"]>;
export type Urgency = NonNullable<Conversation["urgency"]>;

/** Sets a conversation's hybrid mode (the caller must see the conversation), audited and published live. */
export async function setConversationReplyMode(caller: Caller, id: string, mode: ReplyMode, tx?: DbOrTx): Promise<ConversationRow> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const row = await getConversation(caller, id, tx);
    const from = row.conversation.aiReplyMode;
    if (from === mode) return row;
    await tx
      .update(conversations)
      .set({ aiReplyMode: mode })
      .where(and(eq(conversations.id, row.conversation.id), eq(conversations.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "suggestion.reply_mode_changed", { type: "conversation", id: row.conversation.id }, { from, to: mode });
    await publishInbox({ organizationId }, row.conversation.id, tx);
    return { ...row, conversation: { ...row.conversation, aiReplyMode: mode } };
  });
}

/** Stores the latest sentiment classification on the conversation and tells open inboxes. */
export async function recordConversationSentiment(
  organizationId: string,
  conversationId: string,
  result: { sentiment: Sentiment; urgency: Urgency; reason: string },
  at: Date,
  tx: DbOrTx = db,
): Promise<void> {
  await tx
    .update(conversations)
    .set({ sentiment: result.sentiment, urgency: result.urgency, sentimentReason: result.reason, sentimentAt: at })
    .where(and(eq(conversations.id, conversationId), eq(conversations.organizationId, organizationId)));
  await publishInbox({ organizationId }, conversationId, tx);
}
