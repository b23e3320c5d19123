import { and, asc, eq, gte, lt, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { can } from "@/auth/roles";
import { db, type DbOrTx } from "@/db/client";
import { complaintNotes, complaints, contacts, users } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { contactOfRef } from "@/features/contacts/contact-ref";
import { assertMember, assigneeFilter } from "@/features/members/member.service";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden, validationFailed } from "@/lib/errors";
import { tText, zonedWallTimeToDate } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { keysetPage, type Page } from "@/lib/pager";
import { organizationOf } from "@/lib/tenant";
import type { ComplaintListQuery, CreateComplaintInput, UpdateComplaintInput } from "./complaint.schema";

export type Complaint = typeof complaints.$inferSelect;
export type ComplaintNote = typeof complaintNotes.$inferSelect;

/** A complaint with the names the list and the detail page show. */
export type ComplaintRow = Complaint & {
  contactName: string | null;
  contactPhone: string | null;
  assigneeName: string | null;
};

export type ComplaintDetail = ComplaintRow & { notes: (ComplaintNote & { authorName: string | null })[] };

export function complaintJson(c: ComplaintRow) {
  return {
    id: c.id,
    conversationId: c.conversationId,
    contact: { id: c.contactId, name: c.contactName, phone: c.contactPhone },
    type: c.type,
    severity: c.severity,
    status: c.status,
    subject: c.subject,
    description: c.description,
    assignedUserId: c.assignedUserId,
    assigneeName: c.assigneeName,
    createdByUserId: c.createdByUserId,
    /** Opened by the AI tool `open_complaint` (its thread), else by a member or the API. */
    openedByAi: c.threadId !== null,
    resolution: c.resolution,
    resolvedAt: c.resolvedAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function complaintNoteJson(n: ComplaintNote & { authorName: string | null }) {
  return { id: n.id, body: n.body, author: n.authorUserId ? { id: n.authorUserId, name: n.authorName } : null, createdAt: n.createdAt };
}

const notFound = () => new AppError("not_found", tText("complaints:errors.notFound"));
const assignee = alias(users, "assignee");
const author = alias(users, "author");

const rowColumns = {
  complaint: complaints,
  contactName: contacts.name,
  contactPhone: contacts.phone,
  assigneeName: assignee.name,
  assigneeEmail: assignee.email,
};
type RawRow = { complaint: Complaint; contactName: string | null; contactPhone: string | null; assigneeName: string | null; assigneeEmail: string | null };
const toRow = (r: RawRow): ComplaintRow => ({
  ...r.complaint,
  contactName: r.contactName,
  contactPhone: r.contactPhone,
  assigneeName: r.assigneeName ?? r.assigneeEmail,
});

/** The calendar day after `YYYY-MM-DD`. */
function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The organization's complaints, newest first (keyset pages), filtered by status, type, severity, assignee and period. */
export async function listComplaints(caller: Caller, query: ComplaintListQuery, tx: DbOrTx = db): Promise<Page<ComplaintRow>> {
  const where: SQL[] = [eq(complaints.organizationId, organizationOf(caller))];
  if (query.status) where.push(eq(complaints.status, query.status));
  if (query.type) where.push(eq(complaints.type, query.type));
  if (query.severity) where.push(eq(complaints.severity, query.severity));
  const byAssignee = assigneeFilter(complaints.assignedUserId, query.assignee, caller);
  if (byAssignee) where.push(byAssignee);
  if (query.contactId) where.push(eq(complaints.contactId, query.contactId));
  if (query.conversationId) where.push(eq(complaints.conversationId, query.conversationId));
  if (query.from) where.push(gte(complaints.createdAt, zonedWallTimeToDate(`${query.from}T00:00`)));
  if (query.to) where.push(lt(complaints.createdAt, zonedWallTimeToDate(`${nextDay(query.to)}T00:00`)));
  return keysetPage(
    { sortBy: complaints.createdAt, id: complaints.id },
    query,
    (q) =>
      tx
        .select({ ...rowColumns, sortKey: q.sortKey })
        .from(complaints)
        .innerJoin(contacts, eq(contacts.id, complaints.contactId))
        .leftJoin(assignee, eq(assignee.id, complaints.assignedUserId))
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => toRow(r),
    (r) => r.complaint.id,
  );
}

export async function getComplaint(caller: Caller, id: string, tx: DbOrTx = db): Promise<ComplaintRow> {
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select(rowColumns)
    .from(complaints)
    .innerJoin(contacts, eq(contacts.id, complaints.contactId))
    .leftJoin(assignee, eq(assignee.id, complaints.assignedUserId))
    .where(and(eq(complaints.id, id), eq(complaints.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return toRow(row);
}

/** A complaint with its notes, oldest first. */
export async function getComplaintDetail(caller: Caller, id: string, tx: DbOrTx = db): Promise<ComplaintDetail> {
  const complaint = await getComplaint(caller, id, tx);
  const notes = await tx
    .select({ note: complaintNotes, authorName: author.name, authorEmail: author.email })
    .from(complaintNotes)
    .leftJoin(author, eq(author.id, complaintNotes.authorUserId))
    .where(and(eq(complaintNotes.complaintId, complaint.id), eq(complaintNotes.organizationId, complaint.organizationId)))
    .orderBy(asc(complaintNotes.createdAt), asc(complaintNotes.id));
  return { ...complaint, notes: notes.map((n) => ({ ...n.note, authorName: n.authorName ?? n.authorEmail })) };
}

/** Opens a complaint by hand (a member, from a conversation or for a contact) or over the API. */
export async function createComplaint(caller: Caller, input: CreateComplaintInput, tx?: DbOrTx): Promise<ComplaintRow> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const who = await contactOfRef(caller, input, tx);
    await assertMember(organizationId, input.assignedUserId, tx);
    const [row] = await tx
      .insert(complaints)
      .values({
        organizationId,
        contactId: who.contactId,
        conversationId: who.conversationId,
        type: input.type,
        severity: input.severity,
        subject: input.subject,
        description: input.description,
        assignedUserId: input.assignedUserId ?? null,
        createdByUserId: caller.type === "user" ? caller.id : null,
      })
      .returning();
    await auditChange(
      tx,
      organizationId,
      caller,
      "complaint.opened",
      { type: "complaint", id: row!.id },
      { type: row!.type, severity: row!.severity, conversationId: row!.conversationId },
    );
    return getComplaint(caller, row!.id, tx);
  });
}

/**
 * Agents change only the complaints assigned to them, and may take an unassigned one for themselves;
 * supervisors and above change any. A key's scope was checked by its route.
 */
function assertMayChange(caller: Caller, current: Complaint, patch: UpdateComplaintInput): void {
  if (caller.type !== "user" || (caller.role && can.manageComplaints(caller.role))) return;
  const takingIt = current.assignedUserId === null && patch.assignedUserId === caller.id;
  if (current.assignedUserId === caller.id || takingIt) {
    // An agent may hand it back (unassign) but not give it to someone else.
    if (patch.assignedUserId !== undefined && patch.assignedUserId !== null && patch.assignedUserId !== caller.id) {
      throw forbidden(tText("complaints:errors.forbidden"));
    }
    return;
  }
  throw forbidden(tText("complaints:errors.forbidden"));
}

/**
 * Changes a complaint: status (resolving or closing needs a resolution and stamps `resolvedAt`;
 * reopening clears it), type, severity, assignee, resolution, texts. Each change is audited with what
 * it was and what it became.
 */
export async function updateComplaint(caller: Caller, id: string, patch: UpdateComplaintInput, tx?: DbOrTx): Promise<ComplaintRow> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getComplaint(caller, id, tx);
    assertMayChange(caller, current, patch);
    await assertMember(organizationId, patch.assignedUserId, tx);
    const changes: Partial<typeof complaints.$inferInsert> = {};
    const details: Record<string, { from: unknown; to: unknown }> = {};
    for (const key of ["type", "severity", "status", "subject", "description", "assignedUserId", "resolution"] as const) {
      const value = patch[key];
      if (value === undefined || value === current[key]) continue;
      Object.assign(changes, { [key]: value });
      details[key] = { from: current[key], to: value };
    }
    if (Object.keys(changes).length === 0) return current;
    const status = changes.status ?? current.status;
    const closing = status === "resolved" || status === "closed";
    const resolution = changes.resolution !== undefined ? changes.resolution : current.resolution;
    if (closing && !resolution) throw validationFailed([{ path: "resolution", message: tText("complaints:errors.resolutionRequired") }]);
    if (changes.status) changes.resolvedAt = closing ? (current.resolvedAt ?? new Date()) : null;
    await tx
      .update(complaints)
      .set(changes)
      .where(and(eq(complaints.id, current.id), eq(complaints.organizationId, organizationId)));
    await auditChange(
      tx,
      organizationId,
      caller,
      changes.status ? `complaint.${statusAction(status)}` : "complaint.updated",
      { type: "complaint", id },
      details,
    );
    return getComplaint(caller, id, tx);
  });
}

function statusAction(status: Complaint["status"]): string {
  return status === "open" ? "reopened" : status;
}

/** Appends a note (author and time recorded; notes are never edited or deleted). Any member may add one. */
export async function addComplaintNote(caller: Caller, id: string, body: string, tx?: DbOrTx): Promise<ComplaintNote> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const complaint = await getComplaint(caller, id, tx);
    const [note] = await tx
      .insert(complaintNotes)
      .values({ organizationId, complaintId: complaint.id, authorUserId: caller.type === "user" ? caller.id : null, body })
      .returning();
    await auditChange(tx, organizationId, caller, "complaint.noted", { type: "complaint", id: complaint.id }, { noteId: note!.id });
    return note!;
  });
}

// ——— The AI tool `open_complaint` and contact merges (the tools and contacts features call these) ———

type RecordRef = { organizationId: string; contactId: string; conversationId: string | null; threadId: string | null };

/** A complaint the AI opened for the contact it talks to (tool `open_complaint`); type `other` until a person sorts it. */
export async function openAiComplaint(ref: RecordRef, input: { subject: string; description: string; severity: Complaint["severity"] }) {
  const [row] = await db
    .insert(complaints)
    .values({ ...ref, ...input })
    .returning();
  return row!;
}

/** A merged contact's complaints follow it to the contact it was merged into. */
export async function moveContactComplaints(fromContactId: string, toContactId: string, tx: DbOrTx): Promise<void> {
  await tx.update(complaints).set({ contactId: toContactId }).where(eq(complaints.contactId, fromContactId));
}
