import { and, eq, inArray, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { DbOrTx } from "@/db/client";
import { messages } from "@/db/schema";
import { refreshLastMessagePreview } from "@/features/conversations/conversation.previews";
import type { messageChanges } from "@/features/inbound/message-changes";
import { messagePreview } from "@/features/inbound/message-store";
import type { Message } from "./message.service";

/**
 * The writes behind what a provider reports about a stored message (src/features/inbound/message-changes.ts,
 * plugged in by src/routes.ts): the inbound service decides and records the events; the rows are
 * changed here, by their owner.
 */
type Changes = typeof messageChanges;

/** One entry per reacting party (the contact, or "business" for our own from the phone); no entry removes theirs. */
export const applyMessageReaction: Parameters<Changes["react"]["plug"]>[0] = async ({ instanceId, targetProviderMessageId, by, entry }, tx) => {
  const kept = sql`coalesce((select jsonb_agg(r) from jsonb_array_elements(coalesce(${messages.reactions}, '[]'::jsonb)) r where r->>'by' <> ${by}), '[]'::jsonb)`;
  const [target] = await tx
    .update(messages)
    .set({ reactions: entry ? sql`${kept} || ${JSON.stringify([entry])}::jsonb` : kept, updatedAt: new Date() })
    .where(and(eq(messages.instanceId, instanceId), eq(messages.providerMessageId, targetProviderMessageId)))
    .returning({ id: messages.id, conversationId: messages.conversationId, reactions: messages.reactions });
  return target;
};

/** The instance's message not deleted yet, as an edit or a delete finds it before changing it. */
async function undeleted(instanceId: string, providerMessageId: string, tx: DbOrTx) {
  const [current] = await tx
    .select({ id: messages.id, conversationId: messages.conversationId, type: messages.type, body: messages.body })
    .from(messages)
    .where(and(eq(messages.instanceId, instanceId), eq(messages.providerMessageId, providerMessageId), sql`${messages.deletedAt} is null`))
    .limit(1);
  return current;
}

/** The list preview of a conversation whose last message was deleted for everyone (the inbox names it in the reader's language). */
export const DELETED_PREVIEW = "[deleted]";

/**
 * A reaction of ours that failed to send comes off its target, unless a later one of ours replaced it
 * (the entry is named by the reaction message's creation time, see message.service reactAsBusiness).
 * Answers the target when it changed.
 */
export async function withdrawFailedReaction(
  reaction: Pick<Message, "instanceId" | "type" | "direction" | "media" | "createdAt">,
  tx: DbOrTx,
): Promise<Pick<Message, "id" | "conversationId"> | undefined> {
  const target = (reaction.media as { providerMessageId?: unknown } | null)?.providerMessageId;
  if (reaction.type !== "reaction" || reaction.direction !== "outbound" || typeof target !== "string") return undefined;
  const at = reaction.createdAt.toISOString();
  const [changed] = await tx
    .update(messages)
    .set({
      reactions: sql`coalesce((select jsonb_agg(r) from jsonb_array_elements(${messages.reactions}) r where not (r->>'by' = 'business' and r->>'at' = ${at})), '[]'::jsonb)`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(messages.instanceId, reaction.instanceId),
        eq(messages.providerMessageId, target),
        sql`${messages.reactions} @> ${JSON.stringify([{ by: "business", at }])}::jsonb`,
      ),
    )
    .returning({ id: messages.id, conversationId: messages.conversationId });
  return changed;
}

/**
 * The body becomes the new text; the replaced one is appended to `previous_versions` (oldest first).
 * When it was the conversation's last message, the conversation's preview shows the new text.
 */
export const applyMessageEdit: Parameters<Changes["edit"]["plug"]>[0] = async ({ instanceId, targetProviderMessageId, body, at }, tx) => {
  const current = await undeleted(instanceId, targetProviderMessageId, tx);
  if (!current) return undefined;
  // The conversation before the message (the lock order, src/db/lock-order.ts): its list preview shows the
  // new text when this is its last message. A redelivered edit writes the preview it already has.
  await refreshLastMessagePreview(current, { before: messagePreview(current.type, current.body), after: messagePreview(current.type, body) }, tx);
  const [edited] = await tx
    .update(messages)
    .set({
      previousVersions: sql`coalesce(${messages.previousVersions}, '[]'::jsonb) || jsonb_build_array(jsonb_build_object('body', ${messages.body}, 'at', ${at.toISOString()}::text))`,
      body,
      editedAt: at,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(messages.instanceId, instanceId),
        eq(messages.providerMessageId, targetProviderMessageId),
        sql`${messages.deletedAt} is null`,
        // The same edit delivered again changes nothing (and adds no version).
        sql`not (${messages.editedAt} is not distinct from ${at.toISOString()}::timestamptz and ${messages.body} is not distinct from ${body})`,
      ),
    )
    .returning();
  return edited;
};

/**
 * Marked deleted; text, media and edit history stay for the audit trail unless the organization turned
 * `keep_deleted_messages` off. The conversation's preview no longer shows it either way.
 */
export const applyMessageDelete: Parameters<Changes["delete"]["plug"]>[0] = async ({ instanceId, targetProviderMessageId, at }, tx) => {
  const current = await undeleted(instanceId, targetProviderMessageId, tx);
  if (!current) return undefined;
  // The conversation first (the lock order): as the last message, its text leaves the list's preview too.
  await refreshLastMessagePreview(current, { before: messagePreview(current.type, current.body), after: DELETED_PREVIEW }, tx);
  const keep = sql`coalesce((select o.keep_deleted_messages from organizations o where o.id = ${messages.organizationId}), true)`;
  const [deleted] = await tx
    .update(messages)
    .set({
      deletedAt: at,
      body: sql`case when ${keep} then ${messages.body} end`,
      media: sql`case when ${keep} then ${messages.media} end`,
      previousVersions: sql`case when ${keep} then ${messages.previousVersions} end`,
      updatedAt: new Date(),
    })
    .where(and(eq(messages.instanceId, instanceId), eq(messages.providerMessageId, targetProviderMessageId), sql`${messages.deletedAt} is null`))
    .returning();
  return deleted;
};

/** The option a numbered-text answer chose, merged into the message's context as a native reply's would be. */
export const applyMessageChoice: Parameters<Changes["choice"]["plug"]>[0] = async ({ messageId, interactive }, tx) => {
  const [changed] = await tx
    .update(messages)
    .set({ context: sql`coalesce(${messages.context}, '{}'::jsonb) || ${JSON.stringify({ interactive })}::jsonb`, updatedAt: new Date() })
    .where(eq(messages.id, messageId))
    .returning();
  return changed;
};

/** A receipt's status on an outbound message; reaching a later state keeps the first timestamps of the earlier ones. */
export const applyMessageReceipt: Parameters<Changes["receipt"]["plug"]>[0] = async ({ instanceId, providerMessageId, status, at, error, from }, tx) => {
  const set: PgUpdateSetSource<typeof messages> = { status, updatedAt: new Date() };
  const stamp = at.toISOString();
  if (status !== "failed") set.sentAt = sql`coalesce(${messages.sentAt}, ${stamp}::timestamptz)`;
  if (status === "delivered" || status === "read") set.deliveredAt = sql`coalesce(${messages.deliveredAt}, ${stamp}::timestamptz)`;
  if (status === "read") set.readAt = sql`coalesce(${messages.readAt}, ${stamp}::timestamptz)`;
  if (status === "failed") {
    set.failedAt = at;
    set.error = (error ?? "The provider reported a failure").slice(0, 1000);
    set.nextAttemptAt = null;
  }
  const [message] = await tx
    .update(messages)
    .set(set)
    .where(
      and(
        eq(messages.instanceId, instanceId),
        eq(messages.providerMessageId, providerMessageId),
        eq(messages.direction, "outbound"),
        inArray(messages.status, [...from]),
      ),
    )
    .returning();
  return message;
};

/** The messages feature's side of src/features/inbound/message-changes.ts, for src/routes.ts to plug in. */
export function plugMessageChanges(changes: Changes): void {
  changes.react.plug(applyMessageReaction);
  changes.edit.plug(applyMessageEdit);
  changes.delete.plug(applyMessageDelete);
  changes.receipt.plug(applyMessageReceipt);
  changes.choice.plug(applyMessageChoice);
}
