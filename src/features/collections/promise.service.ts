import { and, eq, isNull, lte, sql, type SQL } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { contacts, conversations, organizations, paymentPromises } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { contactOfRef } from "@/features/contacts/contact-ref";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { systemCaller, type Caller } from "@/lib/caller";
import { AppError, validationFailed } from "@/lib/errors";
import { formatMoney, isoDateInZone, tText, withLocale } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { log } from "@/lib/logger";
import { keysetPage, type Page } from "@/lib/pager";
import { organizationOf } from "@/lib/tenant";
import type { CreatePromiseInput, PromiseListQuery, UpdatePromiseInput } from "./promise.schema";
import { settingsByOrganization, settingsOf } from "./settings.service";
import { linkPromiseToTarget } from "./target.service";

export type PaymentPromise = typeof paymentPromises.$inferSelect;
export type PromiseRow = PaymentPromise & { contactName: string | null; contactPhone: string | null; targetId: string | null };

const notFound = () => new AppError("not_found", tText("collections:errors.promiseNotFound"));

/** numeric(14,2) reais ↔ integer cents without float rounding (the column predates cents). */
const centsOf = (value: string): number => Math.round(Number(value) * 100);
const reaisOf = (cents: number): string => `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

export function promiseJson(p: PromiseRow) {
  return {
    id: p.id,
    conversationId: p.conversationId,
    /** The collection target (campaign debtor) the promise answers, if any. */
    targetId: p.targetId,
    contact: { id: p.contactId, name: p.contactName, phone: p.contactPhone },
    amountCents: centsOf(p.amount),
    dueDate: p.dueDate,
    method: p.method,
    notes: p.notes,
    status: p.status,
    reminderSentAt: p.reminderSentAt,
    settledAt: p.settledAt,
    createdByUserId: p.createdByUserId,
    /** Captured by the AI tool `register_payment_promise` (its thread), else by a member or the API. */
    createdByAi: p.threadId !== null,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

const rowColumns = {
  promise: paymentPromises,
  contactName: contacts.name,
  contactPhone: contacts.phone,
  targetId: sql<string | null>`(select l.target_id from collection_target_promises l where l.promise_id = ${paymentPromises.id})`,
};
const toRow = (r: { promise: PaymentPromise; contactName: string | null; contactPhone: string | null; targetId: string | null }): PromiseRow => ({
  ...r.promise,
  contactName: r.contactName,
  contactPhone: r.contactPhone,
  targetId: r.targetId,
});

/**
 * The organization's collection rules for a new promise: its method must be one the organization
 * accepts, and its day no further ahead than the maximum (the organization's calendar). 422 otherwise.
 */
async function assertPromiseRules(organizationId: string, input: { dueDate: string; method?: PaymentPromise["method"] | null }, tx: DbOrTx, now = new Date()) {
  const rules = await settingsOf(organizationId, tx);
  if (input.method && !rules.allowedMethods.includes(input.method)) {
    throw validationFailed([
      {
        path: "method",
        message: tText("collections:errors.methodNotAllowed", { methods: rules.allowedMethods.map((m) => tText(`collections:methods.${m}`)).join(", ") }),
      },
    ]);
  }
  if (rules.promiseMaxDays !== null) {
    const [org] = await tx.select({ timeZone: organizations.timeZone }).from(organizations).where(eq(organizations.id, organizationId));
    const latest = addDays(isoDateInZone(now, org?.timeZone ?? "America/Sao_Paulo"), rules.promiseMaxDays);
    if (input.dueDate > latest) throw validationFailed([{ path: "dueDate", message: tText("collections:errors.dueTooFar", { days: rules.promiseMaxDays }) }]);
  }
}

/** The organization's promises, newest first (keyset pages), by status or contact. */
export async function listPromises(caller: Caller, query: PromiseListQuery, tx: DbOrTx = db): Promise<Page<PromiseRow>> {
  const where: SQL[] = [eq(paymentPromises.organizationId, organizationOf(caller))];
  if (query.status) where.push(eq(paymentPromises.status, query.status));
  if (query.contactId) where.push(eq(paymentPromises.contactId, query.contactId));
  return keysetPage(
    { sortBy: paymentPromises.createdAt, id: paymentPromises.id },
    query,
    (q) =>
      tx
        .select({ ...rowColumns, sortKey: q.sortKey })
        .from(paymentPromises)
        .innerJoin(contacts, eq(contacts.id, paymentPromises.contactId))
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => toRow(r),
    (r) => r.promise.id,
  );
}

export async function getPromise(caller: Caller, id: string, tx: DbOrTx = db): Promise<PromiseRow> {
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select(rowColumns)
    .from(paymentPromises)
    .innerJoin(contacts, eq(contacts.id, paymentPromises.contactId))
    .where(and(eq(paymentPromises.id, id), eq(paymentPromises.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return toRow(row);
}

/** A promise of payment captured by a member (any role: agents work collections) or over the API. */
export async function createPromise(caller: Caller, input: CreatePromiseInput, tx?: DbOrTx): Promise<PromiseRow> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const who = await contactOfRef(caller, input, tx);
    await assertPromiseRules(organizationId, input, tx);
    const [row] = await tx
      .insert(paymentPromises)
      .values({
        organizationId,
        contactId: who.contactId,
        conversationId: who.conversationId,
        amount: reaisOf(input.amountCents),
        dueDate: input.dueDate,
        method: input.method ?? null,
        notes: input.notes ?? null,
        createdByUserId: caller.type === "user" ? caller.id : null,
      })
      .returning();
    const targetId = await linkPromiseToTarget(tx, row!, input.targetId);
    await auditChange(
      tx,
      organizationId,
      caller,
      "payment_promise.created",
      { type: "payment_promise", id: row!.id },
      { amountCents: input.amountCents, dueDate: input.dueDate, method: row!.method, targetId },
    );
    return getPromise(caller, row!.id, tx);
  });
}

/** Marks a promise fulfilled (paid), broken, or pending again; `settledAt` is stamped when it leaves pending. */
export async function updatePromise(caller: Caller, id: string, patch: UpdatePromiseInput, tx?: DbOrTx): Promise<PromiseRow> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getPromise(caller, id, tx);
    const changes: Partial<typeof paymentPromises.$inferInsert> = {};
    const details: Record<string, { from: unknown; to: unknown }> = {};
    if (patch.status !== undefined && patch.status !== current.status) {
      changes.status = patch.status;
      changes.settledAt = patch.status === "pending" ? null : new Date();
      details.status = { from: current.status, to: patch.status };
    }
    if (patch.notes !== undefined && patch.notes !== current.notes) {
      changes.notes = patch.notes;
      details.notes = { from: current.notes, to: patch.notes };
    }
    if (Object.keys(changes).length === 0) return current;
    await tx
      .update(paymentPromises)
      .set(changes)
      .where(and(eq(paymentPromises.id, current.id), eq(paymentPromises.organizationId, organizationId)));
    const action = changes.status ? `payment_promise.${changes.status === "pending" ? "reopened" : changes.status}` : "payment_promise.updated";
    await auditChange(tx, organizationId, caller, action, { type: "payment_promise", id }, details);
    return getPromise(caller, id, tx);
  });
}

/** `YYYY-MM-DD` plus `days` calendar days. */
function addDays(isoDay: string, days: number): string {
  const d = new Date(`${isoDay}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const SWEEP_BATCH = 200;

/** The furthest reminder lead time the settings allow (the sweep's window must cover it). */
const MAX_REMINDER_DAYS = 30;

/**
 * The periodic pass (every process; idempotent): a pending promise whose day is exactly the
 * organization's `reminderDaysBefore` days away (its calendar; collection settings, reminders on) gets one reminder, queued to the contact
 * through the outbound queue on its conversation's number; a pending promise whose day has passed is
 * broken. `now` is a parameter so tests control the clock.
 */
export async function runPromiseSweep(now = new Date()): Promise<{ reminded: number; broken: number }> {
  // The widest window any zone can be in (UTC±14h): rows are then checked against their own zone's day.
  const horizon = addDays(now.toISOString().slice(0, 10), MAX_REMINDER_DAYS + 1);
  const rows = await db
    .select({ promise: paymentPromises, timeZone: organizations.timeZone, language: organizations.language, contactName: contacts.name })
    .from(paymentPromises)
    .innerJoin(organizations, eq(organizations.id, paymentPromises.organizationId))
    .innerJoin(contacts, eq(contacts.id, paymentPromises.contactId))
    .where(and(eq(paymentPromises.status, "pending"), lte(paymentPromises.dueDate, horizon)))
    .orderBy(paymentPromises.dueDate)
    .limit(SWEEP_BATCH);
  let reminded = 0;
  let broken = 0;
  const rules = await settingsByOrganization([...new Set(rows.map((r) => r.promise.organizationId))]);
  for (const row of rows) {
    const p = row.promise;
    const today = isoDateInZone(now, row.timeZone);
    const rule = rules.get(p.organizationId)!;
    if (p.dueDate < today) {
      if (await breakPromise(p, now)) broken++;
    } else if (rule.remindersEnabled && !p.reminderSentAt && p.dueDate === addDays(today, rule.reminderDaysBefore)) {
      if (await remind(p, row, now)) reminded++;
    }
  }
  return { reminded, broken };
}

async function breakPromise(p: PaymentPromise, now: Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    // Only the process that flips it from pending records it.
    const [flipped] = await tx
      .update(paymentPromises)
      .set({ status: "broken", settledAt: now })
      .where(and(eq(paymentPromises.id, p.id), eq(paymentPromises.status, "pending")))
      .returning({ id: paymentPromises.id });
    if (!flipped) return false;
    await auditChange(
      tx,
      p.organizationId,
      systemCaller("collections", p.organizationId),
      "payment_promise.broken",
      { type: "payment_promise", id: p.id },
      {
        dueDate: p.dueDate,
        automatic: true,
      },
    );
    return true;
  });
}

/** The number the reminder goes out on: the promise's conversation's, else the contact's latest conversation's. */
async function instanceFor(p: PaymentPromise): Promise<string | null> {
  const [row] = await db
    .select({ instanceId: conversations.instanceId })
    .from(conversations)
    .where(
      and(
        eq(conversations.organizationId, p.organizationId),
        p.conversationId ? eq(conversations.id, p.conversationId) : eq(conversations.contactId, p.contactId),
      ),
    )
    .orderBy(sql`${conversations.lastMessageAt} desc nulls last`)
    .limit(1);
  return row?.instanceId ?? null;
}

async function remind(p: PaymentPromise, org: { timeZone: string; language: "en" | "pt-BR"; contactName: string | null }, now: Date): Promise<boolean> {
  // Claimed first (one process sends it); a failed send is logged, not retried into a flood.
  const [claimed] = await db
    .update(paymentPromises)
    .set({ reminderSentAt: now })
    .where(and(eq(paymentPromises.id, p.id), isNull(paymentPromises.reminderSentAt), eq(paymentPromises.status, "pending")))
    .returning({ id: paymentPromises.id });
  if (!claimed) return false;
  const instanceId = await instanceFor(p);
  if (!instanceId) {
    log.warn("payment promise reminder: the contact has no conversation to send on", { promiseId: p.id });
    return false;
  }
  const text = withLocale({ locale: org.language, timeZone: org.timeZone }, () =>
    tText("collections:reminder.text", {
      name: org.contactName ?? "",
      amount: formatMoney(centsOf(p.amount) / 100),
      date: new Date(`${p.dueDate}T12:00:00Z`).toLocaleDateString(org.language, { timeZone: "UTC" }),
    }),
  );
  const caller = systemCaller("collections", p.organizationId);
  try {
    const sent = await queueOutboundMessage(caller, { instanceId, contactId: p.contactId, type: "text", text }, { sentBy: "bot" });
    await inTransaction(undefined, (tx) =>
      auditChange(tx, p.organizationId, caller, "payment_promise.reminded", { type: "payment_promise", id: p.id }, { messageId: sent.message.id }),
    );
    return true;
  } catch (err) {
    log.warn("payment promise reminder not sent", { promiseId: p.id, err });
    return false;
  }
}

// ——— The AI tool `register_payment_promise` and contact merges (the tools feature calls these) ———

type RecordRef = { organizationId: string; contactId: string; conversationId: string | null; threadId: string | null };

/** A promise the AI captured from the contact it talks to (amount in reais as the tool takes it). */
export async function createAiPromise(ref: RecordRef, input: { amount: number; dueDate: string; notes?: string; method?: PaymentPromise["method"] }) {
  return db.transaction(async (tx) => {
    // The organization's rules hold for the AI too (a refusal is told to the model, which can ask again).
    await assertPromiseRules(ref.organizationId, input, tx);
    const [row] = await tx
      .insert(paymentPromises)
      .values({ ...ref, amount: input.amount.toFixed(2), dueDate: input.dueDate, notes: input.notes ?? null, method: input.method ?? null })
      .returning();
    await linkPromiseToTarget(tx, row!);
    return row!;
  });
}

/** A merged contact's promises follow it to the contact it was merged into. */
export async function moveContactPromises(fromContactId: string, toContactId: string, tx: DbOrTx): Promise<void> {
  await tx.update(paymentPromises).set({ contactId: toContactId }).where(eq(paymentPromises.contactId, fromContactId));
}
