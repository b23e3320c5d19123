import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { roleAtLeast } from "@/auth/roles";
import { getConversation, listAssignableMembers } from "@/features/conversations/conversation.service";
import type { FieldError } from "@/lib/errors";
import { attemptForm, checkbox, formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { LeadBoard, LeadForm, LeadNewPage, LeadShow, LeadUpdateForm, PlanForm, PlansPage, SalesIndex, type LeadFilters } from "@views/sales/index";
import { createLeadSchema, createPlanSchema, leadListQuerySchema, updateLeadSchema, updatePlanSchema } from "./sales.schema";
import { createLead, createPlan, getLead, getPlan, leadJson, listLeads, listPlans, planJson, updateLead, updatePlan } from "./sales.service";

const idParams = z.object({ id: z.string() });
const membersOf = (admin: AdminContext) => listAssignableMembers(admin.organization.id);
const plansOf = async (admin: AdminContext) => (await listPlans(admin)).map(planJson);

/** Board filters from the URL; a bad value is dropped instead of failing the page. */
function filtersOf(query: Record<string, unknown>): LeadFilters & { cursor?: string } {
  const out: LeadFilters & { cursor?: string } = {};
  for (const key of ["assignee", "planId", "cursor"] as const) {
    const parsed = leadListQuerySchema.shape[key].safeParse(query[key]);
    if (parsed.success && parsed.data !== undefined) out[key] = String(parsed.data);
  }
  return out;
}

async function board(admin: AdminContext, filters: LeadFilters & { cursor?: string }) {
  // The board shows a large page (every stage at once); older leads page on.
  return listLeads(admin, leadListQuerySchema.parse({ ...filters, limit: 200 }));
}

/** The sales pages: the pipeline board, creating a lead (from a conversation or by hand), a lead's detail, the plans catalogue. */
export const salesPages = new Elysia({ name: "sales-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/sales",
    async ({ admin, csrfToken, cookie, query }) => {
      const filters = filtersOf(query);
      const [page, members, plans] = await Promise.all([board(admin, filters), membersOf(admin), plansOf(admin)]);
      const { cursor: _cursor, ...shown } = filters;
      return SalesIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        leads: page.data.map(leadJson),
        filters: shown,
        members,
        plans,
        nextCursor: page.nextCursor,
      });
    },
    { member: "agent" },
  )
  .get(
    "/sales/leads/new",
    async ({ admin, csrfToken, query }) => {
      const conversationId = typeof query.conversationId === "string" ? query.conversationId : undefined;
      // From a conversation: it must be one the member sees (404 otherwise).
      const row = conversationId ? await getConversation(admin, conversationId) : null;
      return LeadNewPage({
        admin,
        csrfToken,
        values: row ? { conversationId: row.conversation.id, assignedUserId: admin.user.id } : {},
        members: await membersOf(admin),
        plans: await plansOf(admin),
        contactLabel: row ? (row.contact.name ?? row.contact.phone ?? undefined) : undefined,
      });
    },
    { member: "agent" },
  )
  .post(
    "/sales/leads",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values = {
        conversationId: formText(fields.conversationId),
        phone: formText(fields.phone),
        title: formText(fields.title),
        notes: formText(fields.notes),
        valueCents: formText(fields.valueCents),
        planId: formText(fields.planId),
        status: formText(fields.status) || "new",
        assignedUserId: formText(fields.assignedUserId),
      };
      const [members, plans] = await Promise.all([membersOf(admin), plansOf(admin)]);
      const rerender = (errors: FieldError[]) => unprocessable(set, () => LeadForm({ values, errors, members, plans }));
      const parsed = parseForm(createLeadSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createLead(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("sales:flash.created"));
      return hxRedirect(request, `/sales/leads/${created.value.id}`);
    },
    { member: "agent" },
  )
  .get(
    "/sales/leads/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const lead = await getLead(admin, params.id);
      return LeadShow({ admin, csrfToken, flash: takeFlash(cookie), lead: leadJson(lead), members: await membersOf(admin), plans: await plansOf(admin) });
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/sales/leads/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      const current = leadJson(await getLead(admin, params.id));
      const fields = formFields(body);
      const values = {
        title: formText(fields.title),
        notes: formText(fields.notes),
        valueCents: formText(fields.valueCents),
        planId: formText(fields.planId),
        status: formText(fields.status),
        assignedUserId: formText(fields.assignedUserId),
      };
      const [members, plans] = await Promise.all([membersOf(admin), plansOf(admin)]);
      const rerender = (errors: FieldError[]) => unprocessable(set, () => LeadUpdateForm({ lead: current, members, plans, errors, values }));
      const parsed = parseForm(updateLeadSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updateLead(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("sales:flash.saved"));
      return hxRedirect(request, `/sales/leads/${params.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/sales/leads/:id/status",
    async ({ admin, params, body, set, query }) => {
      const parsed = parseForm(updateLeadSchema.pick({ status: true }), { status: formText(formFields(body).status) });
      const moved = parsed.ok ? await attemptForm(() => updateLead(admin, params.id, parsed.value)) : parsed;
      const page = await board(admin, filtersOf(query));
      const leads = page.data.map(leadJson);
      if (!moved.ok) return unprocessable(set, () => LeadBoard({ leads, error: moved.errors[0]?.message }));
      return LeadBoard({ leads });
    },
    { member: "agent", params: idParams },
  )
  .get(
    "/sales/plans",
    async ({ admin, csrfToken, cookie }) =>
      PlansPage({ admin, csrfToken, flash: takeFlash(cookie), plans: await plansOf(admin), canManage: roleAtLeast(admin.role, "supervisor") }),
    { member: "agent" },
  )
  .post(
    "/sales/plans",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values = {
        name: formText(fields.name),
        priceCents: formText(fields.priceCents),
        description: formText(fields.description),
        active: checkbox(fields.active),
      };
      const rerender = (errors: FieldError[]) => unprocessable(set, () => PlanForm({ values, errors }));
      const parsed = parseForm(createPlanSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createPlan(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("sales:flash.planSaved"));
      return hxRedirect(request, "/sales/plans");
    },
    { member: "supervisor" },
  )
  .post(
    "/sales/plans/:id",
    async ({ admin, params, body, request, set, cookie }) => {
      const plan = planJson(await getPlan(admin, params.id));
      const fields = formFields(body);
      const values = {
        name: formText(fields.name),
        priceCents: formText(fields.priceCents),
        description: formText(fields.description),
        active: checkbox(fields.active),
      };
      const rerender = (errors: FieldError[]) => unprocessable(set, () => PlanForm({ plan, values, errors }));
      const parsed = parseForm(updatePlanSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => updatePlan(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("sales:flash.planSaved"));
      return hxRedirect(request, "/sales/plans");
    },
    { member: "supervisor", params: idParams },
  );
