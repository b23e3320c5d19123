import type { AdminContext } from "@/auth/plugin";
import { SALES_LEAD_STATUSES, type SalesLeadStatus } from "@/db/schema";
import { SALES_LIMITS } from "@/features/sales/sales.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { formatMoney, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Field, SelectField, Time, fieldError } from "../components/ui";

export type PlanView = { id: string; name: string; priceCents: number; description: string | null; active: boolean };
export type LeadView = {
  id: string;
  conversationId: string | null;
  contact: { id: string; name: string | null; phone: string | null };
  title: string;
  notes: string | null;
  valueCents: number | null;
  status: SalesLeadStatus;
  plan: { id: string; name: string | null } | null;
  assignedUserId: string | null;
  assigneeName: string | null;
  createdByAi: boolean;
  createdAt: Date;
};
export type MemberOption = { id: string; name: string | null; email: string };
export type LeadFilters = { assignee?: string; planId?: string };
export type LeadFormValues = {
  conversationId?: string;
  phone?: string;
  title?: string;
  notes?: string;
  valueCents?: string;
  planId?: string;
  status?: string;
  assignedUserId?: string;
};

const STATUS_TONE = { new: "muted", contacted: "warn", qualified: "warn", converted: "ok", lost: "bad" } as const;
const memberLabel = (m: MemberOption) => m.name || m.email;
const money = (cents: number) => formatMoney(cents / 100);
const statusOptions = () => SALES_LEAD_STATUSES.map((s) => ({ value: s, label: tText(`sales:statuses.${s}`) }));
const memberOptions = (members: MemberOption[], noneLabel: string) => [
  { value: "", label: noneLabel },
  ...members.map((m) => ({ value: m.id, label: memberLabel(m) })),
];
const planOptions = (plans: PlanView[]) => [
  { value: "", label: tText("sales:filters.noPlan") },
  ...plans.map((p) => ({ value: p.id, label: `${p.name} (${money(p.priceCents)})` })),
];

function SalesTabs({ active }: { active: "board" | "plans" }) {
  return (
    <nav class="row wrap tabs" aria-label={tText("sales:title")}>
      <a href="/sales" aria-current={active === "board" ? "page" : undefined}>
        {t("sales:board")}
      </a>
      <a href="/sales/plans" aria-current={active === "plans" ? "page" : undefined}>
        {t("sales:plans.title")}
      </a>
    </nav>
  );
}

/** One card: title, contact, plan, value, assignee, and a stage select that moves it (htmx swaps the board). */
function LeadCard({ lead }: { lead: LeadView }) {
  return (
    <li class="card lead-card" id={`lead-${lead.id}`}>
      <a href={`/sales/leads/${lead.id}`} safe>
        {lead.title}
      </a>
      <div class="muted truncate" safe>
        {lead.contact.name || lead.contact.phone || tText("contacts:noName")}
      </div>
      {lead.plan ? <div safe>{lead.plan.name ?? ""}</div> : ""}
      {lead.valueCents !== null ? <strong safe>{money(lead.valueCents)}</strong> : ""}
      <div class="muted truncate" safe>
        {lead.assigneeName ?? tText("sales:filters.none")}
      </div>
      {lead.createdByAi ? <Badge tone="muted">{t("sales:createdByAi")}</Badge> : ""}
      <form class="row" hx-post={`/sales/leads/${lead.id}/status`} hx-target="#lead-board" hx-swap="outerHTML" hx-trigger="change">
        <label class="visually-hidden" for={`status-${lead.id}`}>
          {t("sales:move")}
        </label>
        <select id={`status-${lead.id}`} name="status">
          {statusOptions().map((o) => (
            <option value={o.value} selected={o.value === lead.status} safe>
              {o.label}
            </option>
          ))}
        </select>
        <noscript>
          <button type="submit">{t("sales:move")}</button>
        </noscript>
      </form>
    </li>
  );
}

/** The pipeline: one column per stage (they wrap under each other on a phone). */
export function LeadBoard({ leads, error }: { leads: LeadView[]; error?: string }) {
  return (
    <div id="lead-board" class="lead-board">
      {error ? (
        <p class="error" role="alert" safe>
          {error}
        </p>
      ) : (
        ""
      )}
      {SALES_LEAD_STATUSES.map((status) => {
        const inStage = leads.filter((l) => l.status === status);
        return (
          <section class="lead-column" data-status={status}>
            <h2>
              <Badge tone={STATUS_TONE[status]}>{t(`sales:statuses.${status}`)}</Badge>{" "}
              <span class="muted" safe>
                {String(inStage.length)}
              </span>
            </h2>
            {inStage.length === 0 ? (
              <EmptyState>{t("sales:empty")}</EmptyState>
            ) : (
              <ul class="plain">
                {inStage.map((lead) => (
                  <LeadCard lead={lead} />
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </div>
  );
}

export function SalesIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  leads: LeadView[];
  filters: LeadFilters;
  members: MemberOption[];
  plans: PlanView[];
  nextCursor: string | null;
}) {
  return (
    <AdminLayout title={tText("sales:title")} admin={props.admin} csrfToken={props.csrfToken} active="sales" flash={props.flash}>
      <link rel="stylesheet" href="/static/sales.css" />
      <div class="row spread">
        <h1>{t("sales:title")}</h1>
        <a href="/sales/leads/new" class="button">
          {t("sales:newLead")}
        </a>
      </div>
      <SalesTabs active="board" />
      <p class="muted">{t("sales:intro")}</p>
      <form class="card filters" method="get" action="/sales">
        <div class="row wrap">
          <SelectField
            label={tText("sales:fields.assignee")}
            name="assignee"
            options={[
              { value: "", label: tText("sales:filters.any") },
              { value: "me", label: tText("sales:filters.me") },
              { value: "none", label: tText("sales:filters.none") },
              ...props.members.map((m) => ({ value: m.id, label: memberLabel(m) })),
            ]}
            value={props.filters.assignee ?? ""}
          />
          <SelectField
            label={tText("sales:fields.plan")}
            name="planId"
            options={[{ value: "", label: tText("sales:filters.any") }, ...props.plans.map((p) => ({ value: p.id, label: p.name }))]}
            value={props.filters.planId ?? ""}
          />
        </div>
        <button type="submit">{t("sales:filters.apply")}</button>
      </form>
      <LeadBoard leads={props.leads} />
      {props.nextCursor ? (
        <p class="pager">
          <a href={`/sales?${new URLSearchParams({ ...props.filters, cursor: props.nextCursor }).toString()}`}>{t("sales:older")}</a>
        </p>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

/** Create a lead: from a conversation (its contact) or by hand with the contact's phone. */
export function LeadForm(props: { values: LeadFormValues; errors?: FieldError[]; members: MemberOption[]; plans: PlanView[]; contactLabel?: string }) {
  const v = props.values;
  const notesError = fieldError(props.errors, "notes");
  const conversationError = fieldError(props.errors, "conversationId");
  return (
    <form id="lead-form" class="card" method="post" action="/sales/leads" hx-post="/sales/leads" hx-target="#lead-form" hx-swap="outerHTML">
      {v.conversationId ? (
        <>
          <input type="hidden" name="conversationId" value={v.conversationId} />
          <p>
            {t("sales:form.fromConversation")}{" "}
            <a href={`/inbox/${v.conversationId}`} safe>
              {props.contactLabel ?? tText("sales:form.conversation")}
            </a>
          </p>
          {conversationError ? (
            <p class="error" safe>
              {conversationError}
            </p>
          ) : (
            ""
          )}
        </>
      ) : (
        <Field label={tText("sales:fields.phone")} name="phone" type="tel" value={v.phone} errors={props.errors} maxlength={SALES_LIMITS.phone} />
      )}
      <Field label={tText("sales:fields.title")} name="title" value={v.title} errors={props.errors} required maxlength={SALES_LIMITS.title} />
      <div class={notesError ? "field has-error" : "field"}>
        <label for="f-notes">{t("sales:fields.notes")}</label>
        <textarea id="f-notes" name="notes" rows="3" maxlength={SALES_LIMITS.notes} safe>
          {v.notes ?? ""}
        </textarea>
        {notesError ? (
          <small class="error" safe>
            {notesError}
          </small>
        ) : (
          ""
        )}
      </div>
      <Field label={tText("sales:fields.value")} name="valueCents" type="number" value={v.valueCents} errors={props.errors} />
      <SelectField
        label={tText("sales:fields.plan")}
        name="planId"
        options={planOptions(props.plans.filter((p) => p.active))}
        value={v.planId ?? ""}
        errors={props.errors}
      />
      <SelectField label={tText("sales:fields.status")} name="status" options={statusOptions()} value={v.status ?? "new"} errors={props.errors} />
      <SelectField
        label={tText("sales:fields.assignee")}
        name="assignedUserId"
        options={memberOptions(props.members, tText("sales:filters.none"))}
        value={v.assignedUserId ?? ""}
        errors={props.errors}
      />
      <button type="submit">{t("sales:form.create")}</button>
    </form>
  );
}

export function LeadNewPage(props: {
  admin: AdminContext;
  csrfToken: string;
  values: LeadFormValues;
  members: MemberOption[];
  plans: PlanView[];
  contactLabel?: string;
}) {
  return (
    <AdminLayout title={tText("sales:newLead")} admin={props.admin} csrfToken={props.csrfToken} active="sales">
      <p>
        <a href="/sales">{t("sales:back")}</a>
      </p>
      <h1>{t("sales:newLead")}</h1>
      <LeadForm values={props.values} members={props.members} plans={props.plans} contactLabel={props.contactLabel} />
    </AdminLayout>
  );
}

/** The lead's editable fields; the plan list keeps the lead's own plan even when it became inactive. */
export function LeadUpdateForm(props: { lead: LeadView; members: MemberOption[]; plans: PlanView[]; errors?: FieldError[]; values?: LeadFormValues }) {
  const l = props.lead;
  const v = props.values ?? {
    title: l.title,
    notes: l.notes ?? "",
    valueCents: l.valueCents === null ? "" : String(l.valueCents),
    planId: l.plan?.id ?? "",
    status: l.status,
    assignedUserId: l.assignedUserId ?? "",
  };
  const offered = props.plans.filter((p) => p.active || p.id === l.plan?.id);
  return (
    <form
      id="lead-update"
      class="card"
      method="post"
      action={`/sales/leads/${l.id}`}
      hx-post={`/sales/leads/${l.id}`}
      hx-target="#lead-update"
      hx-swap="outerHTML"
    >
      <Field label={tText("sales:fields.title")} name="title" value={v.title} errors={props.errors} required maxlength={SALES_LIMITS.title} />
      <div class="field">
        <label for="f-notes">{t("sales:fields.notes")}</label>
        <textarea id="f-notes" name="notes" rows="3" maxlength={SALES_LIMITS.notes} safe>
          {v.notes ?? ""}
        </textarea>
      </div>
      <Field label={tText("sales:fields.value")} name="valueCents" type="number" value={v.valueCents} errors={props.errors} />
      <SelectField label={tText("sales:fields.plan")} name="planId" options={planOptions(offered)} value={v.planId ?? ""} errors={props.errors} />
      <SelectField label={tText("sales:fields.status")} name="status" options={statusOptions()} value={v.status} errors={props.errors} />
      <SelectField
        label={tText("sales:fields.assignee")}
        name="assignedUserId"
        options={memberOptions(props.members, tText("sales:filters.none"))}
        value={v.assignedUserId ?? ""}
        errors={props.errors}
      />
      <button type="submit">{t("sales:form.save")}</button>
    </form>
  );
}

export function LeadShow(props: { admin: AdminContext; csrfToken: string; flash?: Flash; lead: LeadView; members: MemberOption[]; plans: PlanView[] }) {
  const l = props.lead;
  return (
    <AdminLayout title={l.title} admin={props.admin} csrfToken={props.csrfToken} active="sales" flash={props.flash}>
      <p>
        <a href="/sales">{t("sales:back")}</a>
      </p>
      <h1 safe>{l.title}</h1>
      <p>
        <Badge tone={STATUS_TONE[l.status]}>{t(`sales:statuses.${l.status}`)}</Badge>{" "}
        {l.createdByAi ? <Badge tone="muted">{t("sales:createdByAi")}</Badge> : ""}
      </p>
      <dl class="card">
        <dt>{t("sales:fields.contact")}</dt>
        <dd>
          {l.conversationId ? (
            <a href={`/inbox/${l.conversationId}`} safe>
              {l.contact.name || l.contact.phone || tText("contacts:noName")}
            </a>
          ) : (
            <span safe>{l.contact.name || l.contact.phone || tText("contacts:noName")}</span>
          )}
        </dd>
        <dt>{t("sales:fields.valueShown")}</dt>
        <dd safe>{l.valueCents === null ? "—" : money(l.valueCents)}</dd>
        <dt>{t("sales:fields.created")}</dt>
        <dd>
          <Time at={l.createdAt} />
        </dd>
      </dl>
      <LeadUpdateForm lead={l} members={props.members} plans={props.plans} />
    </AdminLayout>
  );
}

export type PlanFormValues = { name?: string; priceCents?: string; description?: string; active?: boolean };

export function PlanForm(props: { plan?: PlanView; values?: PlanFormValues; errors?: FieldError[] }) {
  const p = props.plan;
  const v = props.values ?? (p ? { name: p.name, priceCents: String(p.priceCents), description: p.description ?? "", active: p.active } : { active: true });
  const formId = p ? `plan-${p.id}` : "plan-new";
  const action = p ? `/sales/plans/${p.id}` : "/sales/plans";
  return (
    <form id={formId} class="card plan-form" method="post" action={action} hx-post={action} hx-target={`#${formId}`} hx-swap="outerHTML">
      <div class="row wrap">
        <Field label={tText("sales:plans.name")} name="name" value={v.name} errors={props.errors} required maxlength={SALES_LIMITS.name} />
        <Field label={tText("sales:plans.price")} name="priceCents" type="number" value={v.priceCents} errors={props.errors} required />
        <Field label={tText("sales:plans.description")} name="description" value={v.description} errors={props.errors} maxlength={SALES_LIMITS.description} />
        <label class="checkbox">
          <input type="checkbox" name="active" checked={v.active ?? false} /> {t("sales:plans.active")}
        </label>
      </div>
      {p ? (
        <p class="muted" safe>
          {`${money(p.priceCents)}${p.active ? "" : ` · ${tText("sales:plans.inactive")}`}`}
        </p>
      ) : (
        ""
      )}
      <button type="submit">{p ? t("sales:plans.save") : t("sales:plans.add")}</button>
    </form>
  );
}

export function PlansPage(props: { admin: AdminContext; csrfToken: string; flash?: Flash; plans: PlanView[]; canManage: boolean }) {
  return (
    <AdminLayout title={tText("sales:plans.title")} admin={props.admin} csrfToken={props.csrfToken} active="sales" flash={props.flash}>
      <h1>{t("sales:plans.title")}</h1>
      <SalesTabs active="plans" />
      <p class="muted">{t("sales:plans.intro")}</p>
      {props.canManage ? <PlanForm /> : ""}
      {props.plans.length === 0 ? (
        <EmptyState>{t("sales:plans.empty")}</EmptyState>
      ) : props.canManage ? (
        props.plans.map((p) => <PlanForm plan={p} />)
      ) : (
        <ul>
          {props.plans.map((p) => (
            <li safe>{`${p.name} — ${money(p.priceCents)}${p.active ? "" : ` (${tText("sales:plans.inactive")})`}`}</li>
          ))}
        </ul>
      )}
    </AdminLayout>
  );
}
