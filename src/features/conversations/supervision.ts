import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { conversations } from "@/db/schema";
import { publishInbox } from "./conversation.service";

/**
 * The writes to conversations that supervision and satisfaction surveys need (conversations owns its
 * table: tests/architecture/table-owners.test.ts); the rules and the audit live with the callers.
 */

/** Marks the conversation verified by `userId` (seed 002 verifiedAt/By), or clears it with null. Returns whether it exists. */
export async function setConversationVerified(organizationId: string, conversationId: string, userId: string | null, tx: DbOrTx): Promise<boolean> {
  const rows = await tx
    .update(conversations)
    .set(userId ? { verifiedAt: sql`now()`, verifiedBy: userId } : { verifiedAt: null, verifiedBy: null })
    .where(and(eq(conversations.id, conversationId), eq(conversations.organizationId, organizationId)))
    .returning({ id: conversations.id });
  if (rows.length > 0) await publishInbox({ organizationId }, conversationId, tx);
  return rows.length > 0;
}

/**
 * A contact's answer to a satisfaction survey arrived on a resolved conversation: the inbound batch
 * reopened it as for any message, this puts it back as it was (resolved at `resolvedAt`, read, with the bot).
 */
export async function keepConversationResolved(organizationId: string, conversationId: string, resolvedAt: Date, tx: DbOrTx): Promise<void> {
  await tx
    .update(conversations)
    .set({ status: "resolved", resolvedAt, handledBy: "bot", unreadCount: 0 })
    .where(and(eq(conversations.id, conversationId), eq(conversations.organizationId, organizationId)));
  await publishInbox({ organizationId }, conversationId, tx);
}
