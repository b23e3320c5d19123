import { and, asc, eq, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { roleAtLeast } from "@/auth/roles";
import { db, type DbOrTx } from "@/db/client";
import { contacts, salesLeads, salesPlans, users } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { contactOfRef } from "@/features/contacts/contact-ref";
import { assertMember, assigneeFilter } from "@/features/members/member.service";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden, pgCode, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { keysetPage, type Page } from "@/lib/pager";
import { organizationOf } from "@/lib/tenant";
import type { CreateLeadInput, CreatePlanInput, LeadListQuery, UpdateLeadInput, UpdatePlanInput } from "./sales.schema";

export type SalesPlan = typeof salesPlans.$inferSelect;
export type SalesLead = typeof salesLeads.$inferSelect;
export type LeadRow = SalesLead & { contactName: string | null; contactPhone: string | null; assigneeName: string | null; planName: string | null };

const planNotFound = () => new AppError("not_found", tText("sales:errors.planNotFound"));
const leadNotFound = () => new AppError("not_found", tText("sales:errors.leadNotFound"));

/** Supervisors and above keep the plans catalogue and hand leads to anyone; a `/v1` key's scope was checked by its route. */
function managesSales(caller: Caller): boolean {
  return caller.type !== "user" || (!!caller.role && roleAtLeast(caller.role, "supervisor"));
}

export function planJson(p: SalesPlan) {
  return { id: p.id, name: p.name, priceCents: p.priceCents, description: p.description, active: p.active, createdAt: p.createdAt, updatedAt: p.updatedAt };
}

/** numeric(14,2) reais ↔ integer cents, without float rounding (the column predates cents). */
const centsOf = (value: string | null): number | null => (value === null ? null : Math.round(Number(value) * 100));
const reaisOf = (cents: number | null | undefined): string | null | undefined =>
  cents === undefined ? undefined : cents === null ? null : `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

export function leadJson(l: LeadRow) {
  return {
    id: l.id,
    conversationId: l.conversationId,
    contact: { id: l.contactId, name: l.contactName, phone: l.contactPhone },
    title: l.title,
    notes: l.notes,
    valueCents: centsOf(l.value),
    status: l.status,
    plan: l.planId ? { id: l.planId, name: l.planName } : null,
    assignedUserId: l.assignedUserId,
    assigneeName: l.assigneeName,
    createdByUserId: l.createdByUserId,
    /** Created by the AI tool `create_lead` (its thread), else by a member or the API. */
    createdByAi: l.threadId !== null,
    createdAt: l.createdAt,
    updatedAt: l.updatedAt,
  };
}

// ——— Plans ———

export async function listPlans(caller: Caller, opts: { active?: boolean } = {}, tx: DbOrTx = db): Promise<SalesPlan[]> {
  return tx
    .select()
    .from(salesPlans)
    .where(and(eq(salesPlans.organizationId, organizationOf(caller)), opts.active === undefined ? undefined : eq(salesPlans.active, opts.active)))
    .orderBy(asc(salesPlans.name));
}

export async function getPlan(caller: Caller, id: string, tx: DbOrTx = db): Promise<SalesPlan> {
  if (!isUuid(id)) throw planNotFound();
  const [row] = await tx
    .select()
    .from(salesPlans)
    .where(and(eq(salesPlans.id, id), eq(salesPlans.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw planNotFound();
  return row;
}

const duplicateName = (err: unknown) => {
  if (pgCode(err) === "23505") return validationFailed([{ path: "name", message: tText("sales:errors.planNameTaken") }]);
  return err;
};

export async function createPlan(caller: Caller, input: CreatePlanInput, tx?: DbOrTx): Promise<SalesPlan> {
  if (!managesSales(caller)) throw forbidden(tText("sales:errors.forbidden"));
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const [row] = await tx
      .insert(salesPlans)
      .values({ organizationId, name: input.name, priceCents: input.priceCents, description: input.description ?? null, active: input.active })
      .returning()
      .catch((err) => {
        throw duplicateName(err);
      });
    await auditChange(tx, organizationId, caller, "sales_plan.created", { type: "sales_plan", id: row!.id }, { name: row!.name, priceCents: row!.priceCents });
    return row!;
  });
}

export async function updatePlan(caller: Caller, id: string, patch: UpdatePlanInput, tx?: DbOrTx): Promise<SalesPlan> {
  if (!managesSales(caller)) throw forbidden(tText("sales:errors.forbidden"));
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getPlan(caller, id, tx);
    const changes: Partial<typeof salesPlans.$inferInsert> = {};
    const details: Record<string, { from: unknown; to: unknown }> = {};
    for (const key of ["name", "priceCents", "description", "active"] as const) {
      const value = patch[key];
      if (value === undefined || value === current[key]) continue;
      Object.assign(changes, { [key]: value });
      details[key] = { from: current[key], to: value };
    }
    if (Object.keys(changes).length === 0) return current;
    const [row] = await tx
      .update(salesPlans)
      .set(changes)
      .where(and(eq(salesPlans.id, current.id), eq(salesPlans.organizationId, organizationId)))
      .returning()
      .catch((err) => {
        throw duplicateName(err);
      });
    await auditChange(tx, organizationId, caller, "sales_plan.updated", { type: "sales_plan", id }, details);
    return row!;
  });
}

// ——— Leads ———

const assignee = alias(users, "lead_assignee");
const rowColumns = {
  lead: salesLeads,
  contactName: contacts.name,
  contactPhone: contacts.phone,
  assigneeName: assignee.name,
  assigneeEmail: assignee.email,
  planName: salesPlans.name,
};
type RawRow = {
  lead: SalesLead;
  contactName: string | null;
  contactPhone: string | null;
  assigneeName: string | null;
  assigneeEmail: string | null;
  planName: string | null;
};
const toRow = (r: RawRow): LeadRow => ({
  ...r.lead,
  contactName: r.contactName,
  contactPhone: r.contactPhone,
  assigneeName: r.assigneeName ?? r.assigneeEmail,
  planName: r.planName,
});

/** The organization's leads, newest first (keyset pages), by stage, assignee, plan or contact. */
export async function listLeads(caller: Caller, query: LeadListQuery, tx: DbOrTx = db): Promise<Page<LeadRow>> {
  const where: SQL[] = [eq(salesLeads.organizationId, organizationOf(caller))];
  if (query.status) where.push(eq(salesLeads.status, query.status));
  const byAssignee = assigneeFilter(salesLeads.assignedUserId, query.assignee, caller);
  if (byAssignee) where.push(byAssignee);
  if (query.planId) where.push(eq(salesLeads.planId, query.planId));
  if (query.contactId) where.push(eq(salesLeads.contactId, query.contactId));
  return keysetPage(
    { sortBy: salesLeads.createdAt, id: salesLeads.id },
    query,
    (q) =>
      tx
        .select({ ...rowColumns, sortKey: q.sortKey })
        .from(salesLeads)
        .innerJoin(contacts, eq(contacts.id, salesLeads.contactId))
        .leftJoin(assignee, eq(assignee.id, salesLeads.assignedUserId))
        .leftJoin(salesPlans, eq(salesPlans.id, salesLeads.planId))
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => toRow(r),
    (r) => r.lead.id,
  );
}

export async function getLead(caller: Caller, id: string, tx: DbOrTx = db): Promise<LeadRow> {
  if (!isUuid(id)) throw leadNotFound();
  const [row] = await tx
    .select(rowColumns)
    .from(salesLeads)
    .innerJoin(contacts, eq(contacts.id, salesLeads.contactId))
    .leftJoin(assignee, eq(assignee.id, salesLeads.assignedUserId))
    .leftJoin(salesPlans, eq(salesPlans.id, salesLeads.planId))
    .where(and(eq(salesLeads.id, id), eq(salesLeads.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw leadNotFound();
  return toRow(row);
}

/** A plan of the organization (422 on `planId` otherwise); a new lead may only take an active one. */
async function checkPlan(caller: Caller, planId: string | null | undefined, mustBeActive: boolean, tx: DbOrTx): Promise<void> {
  if (!planId) return;
  const plan = await getPlan(caller, planId, tx).catch(() => null);
  if (!plan || (mustBeActive && !plan.active)) throw validationFailed([{ path: "planId", message: tText("sales:errors.planInvalid") }]);
}

/** Agents create leads for themselves or unassigned; handing one to someone else is for supervisors and above. */
function assertMayAssign(caller: Caller, to: string | null | undefined): void {
  if (to === undefined || to === null || managesSales(caller) || to === caller.id) return;
  throw forbidden(tText("sales:errors.forbidden"));
}

/** A lead created by a member (from a conversation or for a contact) or over the API. */
export async function createLead(caller: Caller, input: CreateLeadInput, tx?: DbOrTx): Promise<LeadRow> {
  const organizationId = organizationOf(caller);
  assertMayAssign(caller, input.assignedUserId);
  return inTransaction(tx, async (tx) => {
    const who = await contactOfRef(caller, input, tx);
    await assertMember(organizationId, input.assignedUserId, tx);
    await checkPlan(caller, input.planId, true, tx);
    const [row] = await tx
      .insert(salesLeads)
      .values({
        organizationId,
        contactId: who.contactId,
        conversationId: who.conversationId,
        title: input.title,
        notes: input.notes ?? null,
        value: reaisOf(input.valueCents) ?? null,
        planId: input.planId ?? null,
        status: input.status,
        assignedUserId: input.assignedUserId ?? null,
        createdByUserId: caller.type === "user" ? caller.id : null,
      })
      .returning();
    await auditChange(
      tx,
      organizationId,
      caller,
      "sales_lead.created",
      { type: "sales_lead", id: row!.id },
      { status: row!.status, planId: row!.planId, conversationId: row!.conversationId },
    );
    return getLead(caller, row!.id, tx);
  });
}

/**
 * Moves a lead along the pipeline or changes it. Agents change the leads assigned to them and may take
 * an unassigned one; supervisors and above change any. Audited as `moved` (stage), `assigned` or `updated`.
 */
export async function updateLead(caller: Caller, id: string, patch: UpdateLeadInput, tx?: DbOrTx): Promise<LeadRow> {
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getLead(caller, id, tx);
    if (!managesSales(caller)) {
      const mine = current.assignedUserId === caller.id;
      const taking = current.assignedUserId === null && patch.assignedUserId === caller.id;
      if (!mine && !taking) throw forbidden(tText("sales:errors.forbidden"));
      assertMayAssign(caller, patch.assignedUserId);
    }
    await assertMember(organizationId, patch.assignedUserId, tx);
    if (patch.planId !== current.planId) await checkPlan(caller, patch.planId, true, tx);
    const wanted = { ...patch, value: reaisOf(patch.valueCents) };
    const changes: Partial<typeof salesLeads.$inferInsert> = {};
    const details: Record<string, { from: unknown; to: unknown }> = {};
    for (const key of ["title", "notes", "value", "planId", "status", "assignedUserId"] as const) {
      const value = wanted[key];
      if (value === undefined || value === current[key]) continue;
      Object.assign(changes, { [key]: value });
      details[key] = { from: current[key], to: value };
    }
    if (Object.keys(changes).length === 0) return current;
    await tx
      .update(salesLeads)
      .set(changes)
      .where(and(eq(salesLeads.id, current.id), eq(salesLeads.organizationId, organizationId)));
    const action = changes.status ? "sales_lead.moved" : changes.assignedUserId !== undefined ? "sales_lead.assigned" : "sales_lead.updated";
    await auditChange(tx, organizationId, caller, action, { type: "sales_lead", id }, details);
    return getLead(caller, id, tx);
  });
}

// ——— The AI tool `create_lead` and contact merges (the tools and contacts features call these) ———

type RecordRef = { organizationId: string; contactId: string; conversationId: string | null; threadId: string | null };

/** A lead the AI created for the contact it talks to (tool `create_lead`): stage `new`, unassigned. */
export async function createAiLead(ref: RecordRef, input: { title: string; notes?: string; value?: number }) {
  const [row] = await db
    .insert(salesLeads)
    .values({ ...ref, title: input.title, notes: input.notes ?? null, value: input.value !== undefined ? input.value.toFixed(2) : null })
    .returning();
  return row!;
}

/** A merged contact's leads follow it to the contact it was merged into. */
export async function moveContactLeads(fromContactId: string, toContactId: string, tx: DbOrTx): Promise<void> {
  await tx.update(salesLeads).set({ contactId: toContactId }).where(eq(salesLeads.contactId, fromContactId));
}
