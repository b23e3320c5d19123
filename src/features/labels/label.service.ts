import { and, asc, count, eq } from "drizzle-orm";
import { can } from "@/auth/roles";
import { db, type DbOrTx } from "@/db/client";
import { conversationLabels, labels } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { getConversation, publishInbox } from "@/features/conversations/conversation.service";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden, pgCode, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { callerTenant, organizationOf } from "@/lib/tenant";
import { LABEL_LIMITS, type CreateLabelInput, type UpdateLabelInput } from "./label.schema";

export type Label = typeof labels.$inferSelect;

export function labelJson(l: Label) {
  return { id: l.id, name: l.name, color: l.color, createdAt: l.createdAt, updatedAt: l.updatedAt };
}

const notFound = () => new AppError("not_found", tText("labels:errors.notFound"));

/** Supervisors and above define labels; every member applies them. A `/v1` key's scope was checked by its route. */
function assertManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.manageLabels(caller.role))) throw forbidden(tText("labels:errors.forbidden"));
}

export async function listLabels(caller: Caller, tx: DbOrTx = db): Promise<Label[]> {
  return tx
    .select()
    .from(labels)
    .where(eq(labels.organizationId, organizationOf(caller)))
    .orderBy(asc(labels.name));
}

export async function getLabel(caller: Caller, id: string, tx: DbOrTx = db): Promise<Label> {
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select()
    .from(labels)
    .where(and(eq(labels.id, id), eq(labels.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return row;
}

/** A taken name is a 422 on the name field. */
async function uniqueName<T>(write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (pgCode(err) === "23505") throw validationFailed([{ path: "name", message: tText("labels:errors.nameTaken") }]);
    throw err;
  }
}

export async function createLabel(caller: Caller, input: CreateLabelInput, tx?: DbOrTx): Promise<Label> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(labels).where(eq(labels.organizationId, organizationId));
    if (n >= LABEL_LIMITS.perOrganization)
      throw validationFailed([{ path: "name", message: tText("labels:errors.tooMany", { count: LABEL_LIMITS.perOrganization }) }]);
    const [row] = await uniqueName(tx.insert(labels).values({ organizationId, name: input.name, color: input.color }).returning());
    await auditChange(tx, organizationId, caller, "label.created", { type: "label", id: row!.id }, { name: row!.name, color: row!.color });
    return row!;
  });
}

export async function updateLabel(caller: Caller, id: string, patch: UpdateLabelInput, tx?: DbOrTx): Promise<Label> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getLabel(caller, id, tx);
    if (Object.keys(patch).length === 0) return current;
    const [row] = await uniqueName(
      tx
        .update(labels)
        .set(patch)
        .where(and(eq(labels.id, id), eq(labels.organizationId, organizationId)))
        .returning(),
    );
    await auditChange(tx, organizationId, caller, "label.updated", { type: "label", id }, { name: row!.name, fields: Object.keys(patch) });
    return row!;
  });
}

/** Deleting a label takes it off every conversation (the link rows cascade). */
export async function deleteLabel(caller: Caller, id: string, tx?: DbOrTx): Promise<void> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    const row = await getLabel(caller, id, tx);
    await tx.delete(labels).where(and(eq(labels.id, id), eq(labels.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "label.deleted", { type: "label", id }, { name: row.name });
  });
}

/**
 * Puts a label on a conversation or takes it off. The conversation must be one the caller sees (404
 * otherwise, departments included); the label must be the organization's (422 on `labelId`). Adding
 * twice or removing an absent label changes nothing and records nothing. Open inboxes update live.
 */
export async function changeConversationLabel(caller: Caller, conversationId: string, labelId: string, change: "add" | "remove"): Promise<void> {
  const organizationId = organizationOf(caller);
  await db.transaction(async (tx) => {
    const { conversation } = await getConversation(caller, conversationId, tx);
    let label: Label;
    try {
      label = await getLabel(caller, labelId, tx);
    } catch (err) {
      if (err instanceof AppError && err.code === "not_found") throw validationFailed([{ path: "labelId", message: tText("labels:errors.notFound") }]);
      throw err;
    }
    const changed =
      change === "add"
        ? await tx.insert(conversationLabels).values({ conversationId: conversation.id, labelId: label.id, organizationId }).onConflictDoNothing().returning()
        : await tx
            .delete(conversationLabels)
            .where(and(eq(conversationLabels.conversationId, conversation.id), eq(conversationLabels.labelId, label.id)))
            .returning();
    if (changed.length === 0) return;
    await auditChange(
      tx,
      organizationId,
      caller,
      change === "add" ? "conversation.labeled" : "conversation.unlabeled",
      { type: "conversation", id: conversation.id },
      { labelId: label.id, label: label.name },
    );
    await publishInbox(callerTenant(caller), conversation.id, tx);
  });
}
