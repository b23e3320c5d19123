import { and, asc, eq, ilike, isNull, or, type SQL } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { cannedReplies, contacts, departments } from "@/db/schema";
import { can } from "@/auth/roles";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden, pgCode, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { signedMediaPath } from "@/lib/media-url";
import { organizationOf } from "@/lib/tenant";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { getConversation } from "@/features/conversations/conversation.service";
import { getMedia } from "@/features/media/media.service";
import { fillTemplate } from "@/features/templates/template.render";
import { CANNED_REPLY_LIMITS, type CreateCannedReplyInput, type UpdateCannedReplyInput } from "./canned-reply.schema";

export type CannedReply = typeof cannedReplies.$inferSelect;

export function cannedReplyJson(r: CannedReply) {
  return {
    id: r.id,
    shortcut: r.shortcut,
    title: r.title,
    body: r.body,
    departmentId: r.departmentId,
    mediaId: r.mediaId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

const notFound = () => new AppError("not_found", tText("canned-replies:errors.notFound"));

/** Supervisors and above manage canned replies (agents only use them); a `/v1` key's scope was checked by its route. */
function assertManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.manageCannedReplies(caller.role))) throw forbidden(tText("canned-replies:errors.forbidden"));
}

/** `%` and `_` typed by the agent are literal characters, not patterns. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The organization's canned replies by shortcut; `q` matches the start of the shortcut or any part of
 * the title; `departmentId` (a conversation's) keeps the organization-wide ones and that department's.
 */
export async function listCannedReplies(
  caller: Caller,
  opts: { q?: string; departmentId?: string | null; limit?: number } = {},
  tx: DbOrTx = db,
): Promise<CannedReply[]> {
  const where: SQL[] = [eq(cannedReplies.organizationId, organizationOf(caller))];
  if (opts.q) {
    const q = likeEscape(opts.q.toLowerCase());
    where.push(or(ilike(cannedReplies.shortcut, `${q}%`), ilike(cannedReplies.title, `%${q}%`))!);
  }
  if (opts.departmentId !== undefined) {
    where.push(
      opts.departmentId === null
        ? isNull(cannedReplies.departmentId)
        : or(isNull(cannedReplies.departmentId), eq(cannedReplies.departmentId, opts.departmentId))!,
    );
  }
  const query = tx
    .select()
    .from(cannedReplies)
    .where(and(...where))
    .orderBy(asc(cannedReplies.shortcut));
  return opts.limit ? query.limit(opts.limit) : query;
}

export async function getCannedReply(caller: Caller, id: string, tx: DbOrTx = db): Promise<CannedReply> {
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select()
    .from(cannedReplies)
    .where(and(eq(cannedReplies.id, id), eq(cannedReplies.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return row;
}

/** The media must be an upload of the caller's organization; anything else is a 422 on `mediaId`. */
async function checkMedia(caller: Caller, mediaId: string | null | undefined): Promise<void> {
  if (!mediaId) return;
  const invalid = () => validationFailed([{ path: "mediaId", message: tText("canned-replies:errors.mediaInvalid") }]);
  try {
    const row = await getMedia({ tenant: { organizationId: organizationOf(caller) } }, mediaId);
    if (row.direction !== "upload") throw invalid();
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") throw invalid();
    throw err;
  }
}

/** The organization's departments a reply can be limited to, by name (the form's choices and the list's names). */
export async function departmentChoices(caller: Caller, tx: DbOrTx = db): Promise<{ id: string; name: string }[]> {
  return tx
    .select({ id: departments.id, name: departments.name })
    .from(departments)
    .where(eq(departments.organizationId, organizationOf(caller)))
    .orderBy(asc(departments.name));
}

/** The department must be one of the caller's organization; anything else is a 422 on `departmentId`. */
async function checkDepartment(caller: Caller, departmentId: string | null | undefined, tx: DbOrTx): Promise<void> {
  if (!departmentId) return;
  const [row] = await tx
    .select({ id: departments.id })
    .from(departments)
    .where(and(eq(departments.id, departmentId), eq(departments.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw validationFailed([{ path: "departmentId", message: tText("canned-replies:errors.departmentInvalid") }]);
}

/** A taken shortcut is a 422 on the shortcut field, in the reader's language. */
async function uniqueShortcut<T>(write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (pgCode(err) === "23505") throw validationFailed([{ path: "shortcut", message: tText("canned-replies:errors.shortcutTaken") }]);
    throw err;
  }
}

export async function createCannedReply(caller: Caller, input: CreateCannedReplyInput, tx?: DbOrTx): Promise<CannedReply> {
  assertManager(caller);
  await checkMedia(caller, input.mediaId);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    await checkDepartment(caller, input.departmentId, tx);
    const [row] = await uniqueShortcut(
      tx
        .insert(cannedReplies)
        .values({ organizationId, ...input, departmentId: input.departmentId ?? null, mediaId: input.mediaId ?? null })
        .returning(),
    );
    await auditChange(tx, organizationId, caller, "canned_reply.created", { type: "canned_reply", id: row!.id }, { shortcut: row!.shortcut });
    return row!;
  });
}

export async function updateCannedReply(caller: Caller, id: string, patch: UpdateCannedReplyInput, tx?: DbOrTx): Promise<CannedReply> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getCannedReply(caller, id, tx);
    if (Object.keys(patch).length === 0) return current;
    await checkMedia(caller, patch.mediaId);
    await checkDepartment(caller, patch.departmentId, tx);
    const [row] = await uniqueShortcut(
      tx
        .update(cannedReplies)
        .set(patch)
        .where(and(eq(cannedReplies.id, id), eq(cannedReplies.organizationId, organizationId)))
        .returning(),
    );
    await auditChange(
      tx,
      organizationId,
      caller,
      "canned_reply.updated",
      { type: "canned_reply", id },
      { shortcut: row!.shortcut, fields: Object.keys(patch) },
    );
    return row!;
  });
}

export async function deleteCannedReply(caller: Caller, id: string, tx?: DbOrTx): Promise<void> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    const row = await getCannedReply(caller, id, tx);
    await tx.delete(cannedReplies).where(and(eq(cannedReplies.id, id), eq(cannedReplies.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "canned_reply.deleted", { type: "canned_reply", id }, { shortcut: row.shortcut });
  });
}

/** The replies the reply box offers for `/q` in a conversation (its department's and the organization-wide ones). */
export async function suggestCannedReplies(caller: Caller, conversationId: string, q: string): Promise<CannedReply[]> {
  const row = await getConversation(caller, conversationId);
  return listCannedReplies(caller, { q, departmentId: row.conversation.departmentId, limit: CANNED_REPLY_LIMITS.suggestions });
}

/**
 * The variables a canned reply can use in a conversation: `contact.name`, `contact.phone`, every string or
 * number in the contact's metadata as `contact.<field>`, and `agent.name` (the agent inserting it).
 */
function cannedReplyVariables(
  contact: { name: string | null; phone: string | null; metadata: Record<string, unknown> },
  agent: { name: string | null; email?: string | null },
): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(contact.metadata)) if (typeof v === "string" || typeof v === "number") vars[`contact.${k}`] = String(v);
  vars["contact.name"] = contact.name ?? "";
  vars["contact.first_name"] = (contact.name ?? "").split(/\s+/)[0] ?? "";
  vars["contact.phone"] = contact.phone ?? "";
  vars["agent.name"] = agent.name ?? agent.email ?? "";
  return vars;
}

/** The reply's upload as the reply box attaches it (a short-lived signed path), or null when it has none or its bytes are gone. */
async function attachmentOf(caller: Caller, mediaId: string | null): Promise<{ path: string; fileName: string; mimeType: string } | null> {
  if (!mediaId) return null;
  try {
    const row = await getMedia({ tenant: { organizationId: organizationOf(caller) } }, mediaId);
    if (row.status !== "stored") return null;
    return { path: signedMediaPath(row.id).path, fileName: row.fileName ?? "file", mimeType: row.mimeType ?? "application/octet-stream" };
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") return null;
    throw err;
  }
}

/** A canned reply's body filled for this conversation's contact and this agent (unknown variables become empty), with its media. */
export async function renderCannedReply(
  caller: Caller,
  conversationId: string,
  replyId: string,
  agent: { name: string | null; email?: string | null },
): Promise<{ reply: CannedReply; text: string; media: Awaited<ReturnType<typeof attachmentOf>> }> {
  const row = await getConversation(caller, conversationId);
  const reply = await getCannedReply(caller, replyId);
  if (reply.departmentId !== null && reply.departmentId !== row.conversation.departmentId) throw notFound();
  const [contact] = await db
    .select({ name: contacts.name, phone: contacts.phone, metadata: contacts.metadata })
    .from(contacts)
    .where(eq(contacts.id, row.contact.id))
    .limit(1);
  const vars = cannedReplyVariables(contact ?? { name: row.contact.name, phone: row.contact.phone, metadata: {} }, agent);
  return { reply, text: fillTemplate(reply.body, vars), media: await attachmentOf(caller, reply.mediaId) };
}
