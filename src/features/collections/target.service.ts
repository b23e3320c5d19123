import { and, desc, eq, inArray, isNotNull, type SQL } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { campaignTargets, collectionTargetPromises, collectionTargets, contacts, messages, paymentPromises } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { appendCampaignTargets, assertCampaignManager, getCampaign } from "@/features/campaigns/campaign.service";
import { createContact, findContactsByPhone, type Contact } from "@/features/contacts/contact.service";
import type { Caller } from "@/lib/caller";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { keysetPage, type Page } from "@/lib/pager";
import { parsePhone } from "@/lib/phone";
import { organizationOf } from "@/lib/tenant";
import type { CreateTargetInput, TargetListQuery, UpdateTargetInput } from "./target.schema";

export type CollectionTarget = typeof collectionTargets.$inferSelect;
export type TargetRow = CollectionTarget & {
  contactId: string;
  contactName: string | null;
  contactPhone: string | null;
  state: (typeof campaignTargets.$inferSelect)["state"];
  promises: { id: string; status: string }[];
};

const notFound = () => new AppError("not_found", tText("collections:errors.targetNotFound"));

export function targetJson(t: TargetRow) {
  return {
    id: t.targetId,
    campaignId: t.campaignId,
    contact: { id: t.contactId, name: t.contactName, phone: t.contactPhone },
    state: t.state,
    debtorName: t.debtorName,
    document: t.document,
    documentType: t.documentType,
    amountCents: t.amountCents,
    dueDate: t.dueDate,
    metadata: t.metadata,
    crmSyncId: t.crmSyncId,
    promises: t.promises,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

const rowColumns = { debt: collectionTargets, contactId: contacts.id, contactName: contacts.name, contactPhone: contacts.phone, state: campaignTargets.state };
type Selected = { debt: CollectionTarget; contactId: string; contactName: string | null; contactPhone: string | null; state: TargetRow["state"] };

async function withPromises(rows: Selected[], tx: DbOrTx): Promise<TargetRow[]> {
  const ids = rows.map((r) => r.debt.targetId);
  const links = ids.length
    ? await tx
        .select({ targetId: collectionTargetPromises.targetId, id: paymentPromises.id, status: paymentPromises.status })
        .from(collectionTargetPromises)
        .innerJoin(paymentPromises, eq(paymentPromises.id, collectionTargetPromises.promiseId))
        .where(inArray(collectionTargetPromises.targetId, ids))
        .orderBy(desc(paymentPromises.createdAt))
    : [];
  return rows.map((r) => ({
    ...r.debt,
    contactId: r.contactId,
    contactName: r.contactName,
    contactPhone: r.contactPhone,
    state: r.state,
    promises: links.filter((l) => l.targetId === r.debt.targetId).map((l) => ({ id: l.id, status: l.status })),
  }));
}

const joined = (tx: DbOrTx) =>
  tx
    .select(rowColumns)
    .from(collectionTargets)
    .innerJoin(campaignTargets, eq(campaignTargets.id, collectionTargets.targetId))
    .innerJoin(contacts, eq(contacts.id, campaignTargets.contactId));

/** The organization's collection targets, newest first, optionally of one campaign. */
export async function listTargets(caller: Caller, query: TargetListQuery, tx: DbOrTx = db): Promise<Page<TargetRow>> {
  const where: SQL[] = [eq(collectionTargets.organizationId, organizationOf(caller))];
  if (query.campaignId) where.push(eq(collectionTargets.campaignId, query.campaignId));
  const page = await keysetPage(
    { sortBy: collectionTargets.createdAt, id: collectionTargets.targetId },
    query,
    (q) =>
      tx
        .select({ ...rowColumns, sortKey: q.sortKey })
        .from(collectionTargets)
        .innerJoin(campaignTargets, eq(campaignTargets.id, collectionTargets.targetId))
        .innerJoin(contacts, eq(contacts.id, campaignTargets.contactId))
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r as Selected,
    (r) => r.debt.targetId,
  );
  return { data: await withPromises(page.data, tx), nextCursor: page.nextCursor };
}

export async function getTarget(caller: Caller, id: string, tx: DbOrTx = db): Promise<TargetRow> {
  if (!isUuid(id)) throw notFound();
  const [row] = await joined(tx)
    .where(and(eq(collectionTargets.targetId, id), eq(collectionTargets.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return (await withPromises([row], tx))[0]!;
}

// ——— Adding debtors to a campaign: the API and the CRM sync share this path ———

export type Debt = {
  phone: string;
  debtorName: string | null;
  document: string | null;
  documentType: "cpf" | "cnpj" | null;
  amountCents: number;
  dueDate: string;
  metadata: Record<string, unknown>;
};

export type DebtOutcome = { created: number; updated: number; skipped: { index: number; reason: string }[]; targetIds: string[] };

/** The contact of a phone: found, or created through the contacts feature (named after the debtor). */
async function contactsFor(caller: Caller, wanted: Map<string, string | null>): Promise<Map<string, Contact>> {
  const found = await findContactsByPhone(caller, [...wanted.keys()]);
  for (const [phone, name] of wanted) {
    if (found.has(phone)) continue;
    try {
      found.set(phone, await createContact(caller, { phone, name: name ?? undefined } as never));
    } catch (err) {
      // Created meanwhile by someone else (conflict): read it back.
      if (!(err instanceof AppError && err.code === "conflict")) throw err;
      const again = await findContactsByPhone(caller, [phone]);
      if (again.has(phone)) found.set(phone, again.get(phone)!);
    }
  }
  return found;
}

const changed = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);

/**
 * Adds debts to a campaign as collection targets. Phones are canonical already; contacts are found or
 * created. An existing debtor is the campaign's target of the same contact (`dedupeBy: phone`) or of the
 * same document (`document`; a debt without one is skipped); it is updated with `updateExisting`, else
 * skipped. The campaigns engine sends one message per contact, so a second debt for a contact that
 * already has another document's debt is skipped (`contact_taken`). Duplicates within `debts` are
 * skipped (`duplicate`). Everything is written in one transaction with the campaign row locked.
 */
export async function applyDebts(
  caller: Caller,
  campaignId: string,
  debts: (Debt & { index: number })[],
  /** `seen`: keys of debts already handled by earlier calls of the same run (its earlier pages). */
  opts: { dedupeBy: "document" | "phone"; updateExisting: boolean; crmSyncId: string | null; now?: Date; seen?: Set<string> },
): Promise<DebtOutcome> {
  const outcome: DebtOutcome = { created: 0, updated: 0, skipped: [], targetIds: [] };
  const skip = (index: number, reason: string) => outcome.skipped.push({ index, reason });
  let candidates = debts;
  if (opts.dedupeBy === "document") {
    candidates = [];
    for (const d of debts) {
      if (d.document) candidates.push(d);
      else skip(d.index, "missing_document");
    }
  }
  if (candidates.length === 0) return outcome;
  const names = new Map<string, string | null>();
  for (const d of candidates) if (!names.has(d.phone)) names.set(d.phone, d.debtorName);
  const byPhone = await contactsFor(caller, names);
  const organizationId = organizationOf(caller);
  const now = opts.now ?? new Date();
  await db.transaction(async (tx) => {
    // Locks the campaign (appends for it wait for this one) and refuses a cancelled one.
    await appendCampaignTargets(tx, caller, campaignId, [], now);
    const contactIds = [...new Set([...byPhone.values()].map((c) => c.id))];
    const documents = [...new Set(candidates.flatMap((d) => (d.document ? [d.document] : [])))];
    const existingByContact = new Map<string, { targetId: string; debt: CollectionTarget | null }>();
    const rows = await tx
      .select({ targetId: campaignTargets.id, contactId: campaignTargets.contactId, debt: collectionTargets })
      .from(campaignTargets)
      .leftJoin(collectionTargets, eq(collectionTargets.targetId, campaignTargets.id))
      .where(and(eq(campaignTargets.campaignId, campaignId), inArray(campaignTargets.contactId, contactIds)));
    for (const r of rows) existingByContact.set(r.contactId, { targetId: r.targetId, debt: r.debt });
    const existingByDocument = new Map<string, CollectionTarget>();
    if (opts.dedupeBy === "document" && documents.length) {
      const docs = await tx
        .select()
        .from(collectionTargets)
        .where(and(eq(collectionTargets.campaignId, campaignId), inArray(collectionTargets.document, documents)));
      for (const d of docs) if (d.document) existingByDocument.set(d.document, d);
    }
    const seenKeys = opts.seen ?? new Set<string>();
    const claimedContacts = new Set<string>();
    const toCreate: { debt: Debt & { index: number }; contactId: string }[] = [];
    const attach: { debt: Debt & { index: number }; targetId: string }[] = [];
    for (const d of candidates) {
      const contact = byPhone.get(d.phone);
      if (!contact) {
        skip(d.index, "invalid_phone");
        continue;
      }
      const key = opts.dedupeBy === "document" ? `d:${d.document}` : `c:${contact.id}`;
      if (seenKeys.has(key)) {
        skip(d.index, "duplicate");
        continue;
      }
      seenKeys.add(key);
      const byContact = existingByContact.get(contact.id);
      const match = opts.dedupeBy === "document" ? existingByDocument.get(d.document!) : (byContact?.debt ?? undefined);
      if (match) {
        if (!opts.updateExisting) {
          skip(d.index, "exists");
          continue;
        }
        const patch = {
          debtorName: d.debtorName,
          document: d.document,
          documentType: d.documentType,
          amountCents: d.amountCents,
          dueDate: d.dueDate,
          metadata: d.metadata,
        };
        if (!Object.entries(patch).some(([k, v]) => changed(match[k as keyof CollectionTarget], v))) {
          skip(d.index, "unchanged");
          continue;
        }
        await tx
          .update(collectionTargets)
          .set({ ...patch, updatedAt: now })
          .where(eq(collectionTargets.targetId, match.targetId));
        outcome.updated++;
        outcome.targetIds.push(match.targetId);
        continue;
      }
      // One target per contact in a campaign: taken by another debt (another document), or twice in this batch.
      if (byContact?.debt || claimedContacts.has(contact.id)) {
        skip(d.index, "contact_taken");
        continue;
      }
      claimedContacts.add(contact.id);
      if (byContact) attach.push({ debt: d, targetId: byContact.targetId });
      else toCreate.push({ debt: d, contactId: contact.id });
    }
    const created = await appendCampaignTargets(
      tx,
      caller,
      campaignId,
      toCreate.map((c) => c.contactId),
      now,
    );
    for (const c of toCreate) {
      const targetId = created.get(c.contactId);
      if (targetId) attach.push({ debt: c.debt, targetId });
      else skip(c.debt.index, "exists");
    }
    if (attach.length) {
      await tx.insert(collectionTargets).values(
        attach.map(({ debt, targetId }) => ({
          targetId,
          organizationId,
          campaignId,
          debtorName: debt.debtorName,
          document: debt.document,
          documentType: debt.documentType,
          amountCents: debt.amountCents,
          dueDate: debt.dueDate,
          metadata: debt.metadata,
          crmSyncId: opts.crmSyncId,
        })),
      );
      outcome.created += attach.length;
      outcome.targetIds.push(...attach.map((a) => a.targetId));
    }
  });
  return outcome;
}

/** A debtor added to a campaign over the API or the admin page (409 when the campaign already has it). */
export async function createTarget(caller: Caller, input: CreateTargetInput): Promise<TargetRow> {
  assertCampaignManager(caller);
  try {
    await getCampaign(caller, input.campaignId);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found")
      throw validationFailed([{ path: "campaignId", message: tText("collections:errors.campaignNotFound") }]);
    throw err;
  }
  const phone = parsePhone(input.phone);
  if (!phone) throw validationFailed([{ path: "phone", message: tText("collections:errors.phoneInvalid") }]);
  const outcome = await applyDebts(
    caller,
    input.campaignId,
    [
      {
        index: 0,
        phone,
        debtorName: input.debtorName ?? null,
        document: input.document?.document ?? null,
        documentType: input.document?.documentType ?? null,
        amountCents: input.amountCents,
        dueDate: input.dueDate,
        metadata: input.metadata ?? {},
      },
    ],
    { dedupeBy: "phone", updateExisting: false, crmSyncId: null },
  );
  if (outcome.created === 0) throw new AppError("conflict", tText("collections:errors.targetExists"));
  const id = outcome.targetIds[0]!;
  await inTransaction(undefined, (tx) =>
    auditChange(
      tx,
      organizationOf(caller),
      caller,
      "collection_target.created",
      { type: "collection_target", id },
      { campaignId: input.campaignId, amountCents: input.amountCents, dueDate: input.dueDate },
    ),
  );
  return getTarget(caller, id);
}

/** Corrects a debt (amount, due date, debtor, document, metadata); the next message renders the new values. */
export async function updateTarget(caller: Caller, id: string, patch: UpdateTargetInput, tx?: DbOrTx): Promise<TargetRow> {
  assertCampaignManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getTarget(caller, id, tx);
    const next: Partial<CollectionTarget> = {};
    if (patch.debtorName !== undefined) next.debtorName = patch.debtorName;
    if (patch.document !== undefined) {
      next.document = patch.document?.document ?? null;
      next.documentType = patch.document?.documentType ?? null;
    }
    if (patch.amountCents !== undefined) next.amountCents = patch.amountCents;
    if (patch.dueDate !== undefined) next.dueDate = patch.dueDate;
    if (patch.metadata !== undefined) next.metadata = patch.metadata;
    const details: Record<string, { from: unknown; to: unknown }> = {};
    for (const [k, v] of Object.entries(next)) {
      const before = current[k as keyof CollectionTarget];
      if (changed(before, v)) details[k] = { from: before, to: v };
    }
    if (Object.keys(details).length === 0) return current;
    await tx
      .update(collectionTargets)
      .set({ ...next, updatedAt: new Date() })
      .where(and(eq(collectionTargets.targetId, current.targetId), eq(collectionTargets.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "collection_target.updated", { type: "collection_target", id }, details);
    return getTarget(caller, id, tx);
  });
}

// ——— Promises of payment answer a collection target ———

/**
 * Links a new promise to the collection target it answers: the one named (it must be the same
 * contact's, in the organization: 422 otherwise), else the target whose campaign message went to the
 * promise's conversation (the latest sent), else none.
 */
export async function linkPromiseToTarget(
  tx: DbOrTx,
  promise: { id: string; organizationId: string; contactId: string; conversationId: string | null },
  targetId?: string,
): Promise<string | null> {
  let found: string | undefined;
  if (targetId) {
    const [row] = await tx
      .select({ id: collectionTargets.targetId })
      .from(collectionTargets)
      .innerJoin(campaignTargets, eq(campaignTargets.id, collectionTargets.targetId))
      .where(
        and(
          eq(collectionTargets.targetId, targetId),
          eq(collectionTargets.organizationId, promise.organizationId),
          eq(campaignTargets.contactId, promise.contactId),
        ),
      )
      .limit(1);
    if (!row) throw validationFailed([{ path: "targetId", message: tText("collections:errors.targetOtherContact") }]);
    found = row.id;
  } else if (promise.conversationId) {
    const [row] = await tx
      .select({ id: collectionTargets.targetId })
      .from(collectionTargets)
      .innerJoin(campaignTargets, eq(campaignTargets.id, collectionTargets.targetId))
      .innerJoin(messages, eq(messages.id, campaignTargets.messageId))
      .where(
        and(
          eq(collectionTargets.organizationId, promise.organizationId),
          eq(campaignTargets.contactId, promise.contactId),
          eq(messages.conversationId, promise.conversationId),
          isNotNull(campaignTargets.sentAt),
        ),
      )
      .orderBy(desc(campaignTargets.sentAt))
      .limit(1);
    found = row?.id;
  }
  if (!found) return null;
  await tx.insert(collectionTargetPromises).values({ promiseId: promise.id, targetId: found }).onConflictDoNothing();
  return found;
}

/** The collection target a promise answers, if any. */
export async function targetOfPromise(promiseId: string, tx: DbOrTx = db): Promise<string | null> {
  const [row] = await tx
    .select({ targetId: collectionTargetPromises.targetId })
    .from(collectionTargetPromises)
    .where(eq(collectionTargetPromises.promiseId, promiseId))
    .limit(1);
  return row?.targetId ?? null;
}
