import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { aiTools, complaints, contacts, followUpTasks, paymentPromises, salesLeads, type HttpToolHeader } from "@/db/schema";
import { moveContactComplaints, openAiComplaint } from "@/features/complaints/complaint.service";
import { createAiLead, moveContactLeads } from "@/features/sales/sales.service";
import { createAiPromise, moveContactPromises } from "@/features/collections/promise.service";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import { decryptSecret, encryptSecret } from "@/lib/crypto";
import { AppError, pgCode, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { assertPublicTarget, TargetRefused } from "@/lib/outbound";
import type { CreateToolInput, RecordKind, UpdateToolInput } from "./tool.schema";

export type AiTool = typeof aiTools.$inferSelect;

/** What the API and pages show: a secret header's value never leaves, `hasValue` says one is stored. */
export function toPublicTool(t: AiTool) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    parameters: t.parameters,
    method: t.method,
    url: t.url,
    headers: t.headers.map((h) => ({ name: h.name, secret: h.secret, value: h.secret ? null : (h.value ?? ""), hasValue: h.secret ? !!h.valueEnc : true })),
    timeoutMs: t.timeoutMs,
    active: t.active,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** The header values to send, secrets decrypted (only for the request itself). */
export function headerValues(t: Pick<AiTool, "headers">): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of t.headers) {
    const value = h.secret ? (h.valueEnc ? decryptSecret(h.valueEnc) : undefined) : h.value;
    if (value !== undefined) out[h.name] = value;
  }
  return out;
}

async function assertToolUrl(url: string) {
  // Checked when chosen; every call checks again (guardedFetch), since DNS can change later.
  try {
    await assertPublicTarget(url);
  } catch (err) {
    if (err instanceof TargetRefused) throw validationFailed([{ path: "url", message: err.message }]);
    throw err;
  }
}

/** Secret values are encrypted; a secret sent without a value keeps the stored one of the same name. */
function storeHeaders(input: CreateToolInput["headers"], previous: HttpToolHeader[] = []): HttpToolHeader[] {
  return input.map((h, i) => {
    if (!h.secret) return { name: h.name, value: h.value ?? "", secret: false };
    if (h.value !== undefined && h.value !== "") return { name: h.name, valueEnc: encryptSecret(h.value), secret: true };
    const kept = previous.find((p) => p.secret && p.name.toLowerCase() === h.name.toLowerCase())?.valueEnc;
    if (!kept) throw validationFailed([{ path: `headers.${i}.value`, message: tText("tools:errors.secretValue") }]);
    return { name: h.name, valueEnc: kept, secret: true };
  });
}

function nameTaken(err: unknown): never {
  if (pgCode(err) === "23505") throw validationFailed([{ path: "name", message: tText("tools:errors.nameTaken") }]);
  throw err;
}

export async function listTools(organizationId: string, tx: DbOrTx = db): Promise<AiTool[]> {
  return tx.select().from(aiTools).where(eq(aiTools.organizationId, organizationId)).orderBy(asc(aiTools.name));
}

export async function getTool(organizationId: string, id: string, tx: DbOrTx = db): Promise<AiTool> {
  const [t] = await tx
    .select()
    .from(aiTools)
    .where(and(eq(aiTools.id, id), eq(aiTools.organizationId, organizationId)))
    .limit(1);
  if (!t) throw new AppError("not_found", tText("tools:errors.notFound"));
  return t;
}

/** The organization's active tools among `ids` (a workflow's list; others' ids are simply not found). */
export async function activeToolsByIds(organizationId: string, ids: string[], tx: DbOrTx = db): Promise<AiTool[]> {
  if (ids.length === 0) return [];
  return tx
    .select()
    .from(aiTools)
    .where(and(eq(aiTools.organizationId, organizationId), inArray(aiTools.id, ids), eq(aiTools.active, true)));
}

/** Ids in `ids` that are not tools of the organization (a workflow's config names only its own). */
export async function unknownToolIds(organizationId: string, ids: string[], tx: DbOrTx = db): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = await tx
    .select({ id: aiTools.id })
    .from(aiTools)
    .where(and(eq(aiTools.organizationId, organizationId), inArray(aiTools.id, ids)));
  const known = new Set(found.map((f) => f.id));
  return ids.filter((id) => !known.has(id));
}

export async function createTool(caller: Caller, input: CreateToolInput, tx?: DbOrTx): Promise<AiTool> {
  const organizationId = organizationOf(caller);
  await assertToolUrl(input.url);
  const headers = storeHeaders(input.headers);
  return inTransaction(tx, async (tx) => {
    const [t] = await tx
      .insert(aiTools)
      .values({ organizationId, ...input, headers })
      .returning()
      .catch(nameTaken);
    await auditChange(tx, organizationId, caller, "tool.created", { type: "tool", id: t!.id }, { name: t!.name, url: t!.url });
    return t!;
  });
}

export async function updateTool(caller: Caller, id: string, patch: UpdateToolInput, tx?: DbOrTx): Promise<AiTool> {
  const organizationId = organizationOf(caller);
  const current = await getTool(organizationId, id, tx ?? db);
  if (patch.url !== undefined && patch.url !== current.url) await assertToolUrl(patch.url);
  // A stored secret belongs to the URL it was given for: moving the URL needs the secrets again.
  const moved = patch.url !== undefined && patch.url !== current.url;
  let headers: HttpToolHeader[] | undefined;
  if (patch.headers) headers = storeHeaders(patch.headers, moved ? [] : current.headers);
  // Moved without new headers: plain ones stay, each secret must be given again (a 422 on its value).
  else if (moved && current.headers.some((h) => h.secret)) {
    headers = storeHeaders(current.headers.map((h) => ({ name: h.name, value: h.secret ? undefined : h.value, secret: h.secret })));
  }
  const { headers: _, ...rest } = patch;
  // An empty PATCH changes nothing (an UPDATE without columns is not SQL).
  if (Object.keys(rest).length === 0 && !headers) return current;
  return inTransaction(tx, async (tx) => {
    const [t] = await tx
      .update(aiTools)
      .set({ ...rest, ...(headers ? { headers } : {}) })
      .where(and(eq(aiTools.id, id), eq(aiTools.organizationId, organizationId)))
      .returning()
      .catch(nameTaken);
    await auditChange(tx, organizationId, caller, "tool.updated", { type: "tool", id }, { name: t!.name, fields: Object.keys(patch) });
    return t!;
  });
}

export async function deleteTool(caller: Caller, id: string, tx?: DbOrTx): Promise<void> {
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    const t = await getTool(organizationId, id, tx);
    await tx.delete(aiTools).where(and(eq(aiTools.id, id), eq(aiTools.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "tool.deleted", { type: "tool", id }, { name: t.name });
  });
}

// ——— Records the AI tools create ———

type RecordRef = { organizationId: string; contactId: string; conversationId: string | null; threadId: string | null };

/** The sales feature owns leads (the pipeline works them); the AI creates one through it. */
export async function createLead(ref: RecordRef, input: { title: string; notes?: string; value?: number }) {
  return createAiLead(ref, input);
}

/** The complaints feature owns complaints (the ouvidoria works them); the AI opens one through it. */
export async function openComplaint(ref: RecordRef, input: { subject: string; description: string; severity: "low" | "medium" | "high" }) {
  return openAiComplaint(ref, input);
}

/** The collections feature owns promises (reminders, broken tracking); the AI captures one through it. */
export async function registerPaymentPromise(
  ref: RecordRef,
  input: { amount: number; dueDate: string; notes?: string; method?: "boleto" | "pix" | "card" | "other" },
) {
  return createAiPromise(ref, input);
}

export async function scheduleFollowUpTask(ref: RecordRef, input: { dueAt: Date; note: string }) {
  const [row] = await db
    .insert(followUpTasks)
    .values({ ...ref, ...input })
    .returning();
  return row!;
}

const recordTables = { leads: salesLeads, complaints, "payment-promises": paymentPromises, "follow-ups": followUpTasks } as const;

/** The organization's records of one kind, newest first, optionally of one contact. */
export async function listRecords(organizationId: string, kind: RecordKind, query: { contactId?: string; limit: number }) {
  const table = recordTables[kind];
  return db
    .select()
    .from(table)
    .where(and(eq(table.organizationId, organizationId), query.contactId ? eq(table.contactId, query.contactId) : undefined))
    .orderBy(desc(table.createdAt), desc(table.id))
    .limit(query.limit);
}

/** One record of any kind as the tools page lists it: its own text, its amount or due time, its status code. */
export type RecordSummary = {
  id: string;
  contactId: string;
  contactName: string | null;
  createdAt: Date;
  /** What the AI wrote: a lead's title, a complaint's subject and description, a promise's or follow-up's note. */
  text: string;
  amount: number | null;
  /** A payment promise's calendar day (YYYY-MM-DD). */
  dueDate: string | null;
  /** A follow-up's time. */
  dueAt: Date | null;
  status: string;
  severity: string | null;
};

function summaryOf(kind: RecordKind, r: Record<string, unknown>): Omit<RecordSummary, "id" | "contactId" | "contactName" | "createdAt"> {
  const none = { amount: null, dueDate: null, dueAt: null, severity: null };
  if (kind === "leads") return { ...none, text: String(r.title), amount: r.value ? Number(r.value) : null, status: String(r.status) };
  if (kind === "complaints") return { ...none, text: `${r.subject} — ${r.description}`, status: String(r.status), severity: String(r.severity) };
  if (kind === "payment-promises")
    return { ...none, text: String(r.notes ?? ""), amount: Number(r.amount), dueDate: String(r.dueDate), status: String(r.status) };
  return { ...none, text: String(r.note), dueAt: r.dueAt as Date, status: r.done ? "done" : "pending" };
}

/** The latest records of every kind with their contact's name, for the tools page. */
export async function recentRecords(organizationId: string, limit = 20): Promise<Record<RecordKind, RecordSummary[]>> {
  const out = {} as Record<RecordKind, RecordSummary[]>;
  for (const kind of Object.keys(recordTables) as RecordKind[]) {
    const table = recordTables[kind];
    const rows = await db
      .select({ record: table, contactName: contacts.name })
      .from(table)
      .leftJoin(contacts, eq(contacts.id, table.contactId))
      .where(eq(table.organizationId, organizationId))
      .orderBy(desc(table.createdAt), desc(table.id))
      .limit(limit);
    out[kind] = rows.map(({ record, contactName }) => ({
      id: record.id,
      contactId: record.contactId,
      contactName,
      createdAt: record.createdAt,
      ...summaryOf(kind, record as Record<string, unknown>),
    }));
  }
  return out;
}

/** A merged contact's AI records follow it to the contact it was merged into (contacts' identity service calls this in its transaction). */
export async function moveContactRecords(fromContactId: string, toContactId: string, tx: DbOrTx): Promise<void> {
  await tx.update(followUpTasks).set({ contactId: toContactId }).where(eq(followUpTasks.contactId, fromContactId));
  await moveContactPromises(fromContactId, toContactId, tx);
  await moveContactComplaints(fromContactId, toContactId, tx);
  await moveContactLeads(fromContactId, toContactId, tx);
}
