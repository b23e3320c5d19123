import type { AdminContext } from "@/auth/plugin";
import { COMPLAINT_SEVERITIES, COMPLAINT_STATUSES, COMPLAINT_TYPES } from "@/db/schema";
import { COMPLAINT_LIMITS } from "@/features/complaints/complaint.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Field, SelectField, Time, fieldError } from "../components/ui";

export type ComplaintView = {
  id: string;
  conversationId: string | null;
  contact: { id: string; name: string | null; phone: string | null };
  type: (typeof COMPLAINT_TYPES)[number];
  severity: (typeof COMPLAINT_SEVERITIES)[number];
  status: (typeof COMPLAINT_STATUSES)[number];
  subject: string;
  description: string;
  assignedUserId: string | null;
  assigneeName: string | null;
  openedByAi: boolean;
  resolution: string | null;
  resolvedAt: Date | null;
  createdAt: Date;
};
export type ComplaintNoteView = { id: string; body: string; author: { id: string; name: string | null } | null; createdAt: Date };
export type MemberOption = { id: string; name: string | null; email: string };
export type ComplaintFilters = { status?: string; type?: string; severity?: string; assignee?: string; from?: string; to?: string };
export type ComplaintFormValues = {
  conversationId?: string;
  phone?: string;
  type?: string;
  severity?: string;
  subject?: string;
  description?: string;
  assignedUserId?: string;
};

const SEVERITY_TONE = { low: "muted", medium: "warn", high: "bad", critical: "bad" } as const;
const STATUS_TONE = { open: "warn", in_progress: "warn", resolved: "ok", closed: "muted" } as const;

export function complaintsQuery(filters: ComplaintFilters, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : "";
}

const options = (kind: "types" | "severities" | "statuses", values: readonly string[]) => [
  { value: "", label: tText("complaints:filters.any") },
  ...values.map((v) => ({ value: v, label: tText(`complaints:${kind}.${v}`) })),
];

const memberLabel = (m: MemberOption) => m.name || m.email;

/** Filters as a GET form: the URL carries them (shareable); htmx swaps only the table. */
function ComplaintFilterForm({ filters, members }: { filters: ComplaintFilters; members: MemberOption[] }) {
  return (
    <form
      class="card filters complaint-filters"
      method="get"
      action="/complaints"
      hx-get="/complaints"
      hx-select="#complaint-table"
      hx-target="#complaint-table"
      hx-swap="outerHTML"
      hx-push-url="true"
      hx-trigger="change, submit"
    >
      <div class="row wrap">
        <SelectField label={tText("complaints:fields.status")} name="status" options={options("statuses", COMPLAINT_STATUSES)} value={filters.status ?? ""} />
        <SelectField label={tText("complaints:fields.type")} name="type" options={options("types", COMPLAINT_TYPES)} value={filters.type ?? ""} />
        <SelectField
          label={tText("complaints:fields.severity")}
          name="severity"
          options={options("severities", COMPLAINT_SEVERITIES)}
          value={filters.severity ?? ""}
        />
        <SelectField
          label={tText("complaints:fields.assignee")}
          name="assignee"
          options={[
            { value: "", label: tText("complaints:filters.any") },
            { value: "me", label: tText("complaints:filters.me") },
            { value: "none", label: tText("complaints:filters.none") },
            ...members.map((m) => ({ value: m.id, label: memberLabel(m) })),
          ]}
          value={filters.assignee ?? ""}
        />
        <Field label={tText("complaints:filters.from")} name="from" type="date" value={filters.from} />
        <Field label={tText("complaints:filters.to")} name="to" type="date" value={filters.to} />
      </div>
      <noscript>
        <button type="submit">{t("complaints:filters.apply")}</button>
      </noscript>
    </form>
  );
}

function ComplaintTable({ complaints, filters, nextCursor }: { complaints: ComplaintView[]; filters: ComplaintFilters; nextCursor: string | null }) {
  return (
    <div id="complaint-table">
      {complaints.length === 0 ? (
        <EmptyState>{t("complaints:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("complaints:fields.subject")}</th>
                <th>{t("complaints:fields.contact")}</th>
                <th>{t("complaints:fields.type")}</th>
                <th>{t("complaints:fields.severity")}</th>
                <th>{t("complaints:fields.status")}</th>
                <th>{t("complaints:fields.assignee")}</th>
                <th>{t("complaints:fields.opened")}</th>
              </tr>
            </thead>
            <tbody>
              {complaints.map((c) => (
                <tr id={`complaint-${c.id}`}>
                  <td data-label="" class="truncate">
                    <a href={`/complaints/${c.id}`} safe>
                      {c.subject}
                    </a>
                  </td>
                  <td data-label={tText("complaints:fields.contact")} class="truncate" safe>
                    {c.contact.name || c.contact.phone || tText("contacts:noName")}
                  </td>
                  <td data-label={tText("complaints:fields.type")}>{t(`complaints:types.${c.type}`)}</td>
                  <td data-label={tText("complaints:fields.severity")}>
                    <Badge tone={SEVERITY_TONE[c.severity]}>{t(`complaints:severities.${c.severity}`)}</Badge>
                  </td>
                  <td data-label={tText("complaints:fields.status")}>
                    <Badge tone={STATUS_TONE[c.status]}>{t(`complaints:statuses.${c.status}`)}</Badge>
                  </td>
                  <td data-label={tText("complaints:fields.assignee")} class="truncate" safe>
                    {c.assigneeName ?? tText("complaints:filters.none")}
                  </td>
                  <td data-label={tText("complaints:fields.opened")}>
                    <Time at={c.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <p class="pager">
          <a href={`/complaints${complaintsQuery(filters, { cursor: nextCursor })}`}>{t("complaints:older")}</a>
        </p>
      ) : (
        ""
      )}
    </div>
  );
}

export function ComplaintsIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  complaints: ComplaintView[];
  filters: ComplaintFilters;
  members: MemberOption[];
  nextCursor: string | null;
}) {
  return (
    <AdminLayout title={tText("complaints:title")} admin={props.admin} csrfToken={props.csrfToken} active="complaints" flash={props.flash}>
      <link rel="stylesheet" href="/static/inbox.css" />
      <div class="row spread">
        <h1>{t("complaints:title")}</h1>
        <a href="/complaints/new" class="button">
          {t("complaints:new")}
        </a>
      </div>
      <p class="muted">{t("complaints:intro")}</p>
      <ComplaintFilterForm filters={props.filters} members={props.members} />
      <ComplaintTable complaints={props.complaints} filters={props.filters} nextCursor={props.nextCursor} />
    </AdminLayout>
  );
}

/** Open a complaint: from a conversation (its contact is the complainant) or by hand with the contact's phone. */
export function ComplaintForm(props: { values: ComplaintFormValues; errors?: FieldError[]; members: MemberOption[]; contactLabel?: string }) {
  const v = props.values;
  const descriptionError = fieldError(props.errors, "description");
  const conversationError = fieldError(props.errors, "conversationId");
  return (
    <form id="complaint-form" class="card" method="post" action="/complaints" hx-post="/complaints" hx-target="#complaint-form" hx-swap="outerHTML">
      {v.conversationId ? (
        <>
          <input type="hidden" name="conversationId" value={v.conversationId} />
          <p>
            {t("complaints:form.fromConversation")}{" "}
            <a href={`/inbox/${v.conversationId}`} safe>
              {props.contactLabel ?? tText("complaints:form.conversation")}
            </a>
          </p>
          {conversationError ? (
            <small class="error" safe>
              {conversationError}
            </small>
          ) : (
            ""
          )}
        </>
      ) : (
        <Field
          label={tText("complaints:form.phone")}
          name="phone"
          value={v.phone}
          errors={props.errors}
          required
          maxlength={COMPLAINT_LIMITS.phone}
          hint={tText("complaints:form.phoneHint")}
        />
      )}
      <div class="row wrap">
        <SelectField
          label={tText("complaints:fields.type")}
          name="type"
          options={COMPLAINT_TYPES.map((x) => ({ value: x, label: tText(`complaints:types.${x}`) }))}
          value={v.type ?? "other"}
          errors={props.errors}
        />
        <SelectField
          label={tText("complaints:fields.severity")}
          name="severity"
          options={COMPLAINT_SEVERITIES.map((x) => ({ value: x, label: tText(`complaints:severities.${x}`) }))}
          value={v.severity ?? "medium"}
          errors={props.errors}
        />
        <SelectField
          label={tText("complaints:fields.assignee")}
          name="assignedUserId"
          options={[{ value: "", label: tText("complaints:filters.none") }, ...props.members.map((m) => ({ value: m.id, label: memberLabel(m) }))]}
          value={v.assignedUserId ?? ""}
          errors={props.errors}
        />
      </div>
      <Field label={tText("complaints:fields.subject")} name="subject" value={v.subject} errors={props.errors} required maxlength={COMPLAINT_LIMITS.subject} />
      <div class={descriptionError ? "field has-error" : "field"}>
        <label for="complaint-description">{t("complaints:fields.description")}</label>
        <textarea id="complaint-description" name="description" rows="4" maxlength={COMPLAINT_LIMITS.description} required safe>
          {v.description ?? ""}
        </textarea>
        {descriptionError ? (
          <small class="error" safe>
            {descriptionError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class="row">
        <button type="submit">{t("complaints:form.create")}</button>
      </div>
    </form>
  );
}

export function ComplaintNewPage(props: {
  admin: AdminContext;
  csrfToken: string;
  values: ComplaintFormValues;
  members: MemberOption[];
  contactLabel?: string;
  errors?: FieldError[];
}) {
  return (
    <AdminLayout title={tText("complaints:new")} admin={props.admin} csrfToken={props.csrfToken} active="complaints">
      <p>
        <a href="/complaints">{t("complaints:back")}</a>
      </p>
      <link rel="stylesheet" href="/static/inbox.css" />
      <h1>{t("complaints:new")}</h1>
      <ComplaintForm values={props.values} members={props.members} contactLabel={props.contactLabel} errors={props.errors} />
    </AdminLayout>
  );
}

/** Status, type, severity, assignee and resolution of a complaint; answers with itself (errors) or redirects. */
export function ComplaintUpdateForm(props: {
  complaint: ComplaintView;
  members: MemberOption[];
  errors?: FieldError[];
  values?: Partial<Record<string, string>>;
}) {
  const c = props.complaint;
  const v = props.values ?? {};
  const resolutionError = fieldError(props.errors, "resolution");
  const otherErrors = (props.errors ?? []).filter((e) => !["status", "type", "severity", "assignedUserId", "resolution"].includes(e.path));
  const action = `/complaints/${c.id}`;
  return (
    <form id="complaint-update" class="card" method="post" action={action} hx-post={action} hx-target="#complaint-update" hx-swap="outerHTML">
      <div class="row wrap">
        <SelectField
          label={tText("complaints:fields.status")}
          name="status"
          options={COMPLAINT_STATUSES.map((x) => ({ value: x, label: tText(`complaints:statuses.${x}`) }))}
          value={v.status ?? c.status}
          errors={props.errors}
        />
        <SelectField
          label={tText("complaints:fields.type")}
          name="type"
          options={COMPLAINT_TYPES.map((x) => ({ value: x, label: tText(`complaints:types.${x}`) }))}
          value={v.type ?? c.type}
          errors={props.errors}
        />
        <SelectField
          label={tText("complaints:fields.severity")}
          name="severity"
          options={COMPLAINT_SEVERITIES.map((x) => ({ value: x, label: tText(`complaints:severities.${x}`) }))}
          value={v.severity ?? c.severity}
          errors={props.errors}
        />
        <SelectField
          label={tText("complaints:fields.assignee")}
          name="assignedUserId"
          options={[{ value: "", label: tText("complaints:filters.none") }, ...props.members.map((m) => ({ value: m.id, label: memberLabel(m) }))]}
          value={v.assignedUserId ?? c.assignedUserId ?? ""}
          errors={props.errors}
        />
      </div>
      <div class={resolutionError ? "field has-error" : "field"}>
        <label for="complaint-resolution">{t("complaints:fields.resolution")}</label>
        <textarea id="complaint-resolution" name="resolution" rows="3" maxlength={COMPLAINT_LIMITS.resolution} safe>
          {v.resolution ?? c.resolution ?? ""}
        </textarea>
        <small class="hint">{t("complaints:form.resolutionHint")}</small>
        {resolutionError ? (
          <small class="error" safe>
            {resolutionError}
          </small>
        ) : (
          ""
        )}
      </div>
      {otherErrors.length > 0 ? (
        <p class="error" safe>
          {otherErrors.map((e) => e.message).join(" ")}
        </p>
      ) : (
        ""
      )}
      <div class="row">
        <button type="submit">{t("common:actions.save")}</button>
      </div>
    </form>
  );
}

/** Notes oldest first with author and time, and the form to append one (notes are never edited). */
export function ComplaintNotes(props: { complaintId: string; notes: ComplaintNoteView[]; errors?: FieldError[] }) {
  const action = `/complaints/${props.complaintId}/notes`;
  const error = fieldError(props.errors, "body");
  return (
    <section id="complaint-notes" class="card" aria-label={tText("complaints:notes.title")}>
      <h2>{t("complaints:notes.title")}</h2>
      {props.notes.length === 0 ? <p class="muted">{t("complaints:notes.empty")}</p> : ""}
      <ol class="complaint-notes">
        {props.notes.map((n) => (
          <li>
            <p class="small muted">
              <strong safe>{n.author?.name ?? tText("complaints:notes.api")}</strong> · <Time at={n.createdAt} />
            </p>
            <p class="pre-wrap" safe>
              {n.body}
            </p>
          </li>
        ))}
      </ol>
      <form method="post" action={action} hx-post={action} hx-target="#complaint-notes" hx-swap="outerHTML">
        <div class={error ? "field has-error" : "field"}>
          <label for="complaint-note">{t("complaints:notes.add")}</label>
          <textarea id="complaint-note" name="body" rows="2" maxlength={COMPLAINT_LIMITS.note} required />
          {error ? (
            <small class="error" safe>
              {error}
            </small>
          ) : (
            ""
          )}
        </div>
        <button type="submit" class="secondary">
          {t("complaints:notes.save")}
        </button>
      </form>
    </section>
  );
}

export function ComplaintShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  complaint: ComplaintView;
  notes: ComplaintNoteView[];
  members: MemberOption[];
}) {
  const c = props.complaint;
  return (
    <AdminLayout title={c.subject} admin={props.admin} csrfToken={props.csrfToken} active="complaints" flash={props.flash}>
      <p>
        <a href="/complaints">{t("complaints:back")}</a>
      </p>
      <link rel="stylesheet" href="/static/inbox.css" />
      <h1 class="truncate" safe>
        {c.subject}
      </h1>
      <div class="row wrap small">
        <Badge tone={STATUS_TONE[c.status]}>{t(`complaints:statuses.${c.status}`)}</Badge>
        <Badge tone={SEVERITY_TONE[c.severity]}>{t(`complaints:severities.${c.severity}`)}</Badge>
        <span>{t(`complaints:types.${c.type}`)}</span>
        {c.openedByAi ? <Badge tone="muted">{t("complaints:openedByAi")}</Badge> : ""}
        <span class="muted">
          {t("complaints:fields.opened")}: <Time at={c.createdAt} />
        </span>
        {c.resolvedAt ? (
          <span class="muted">
            {t("complaints:fields.resolvedAt")}: <Time at={c.resolvedAt} />
          </span>
        ) : (
          ""
        )}
      </div>
      <dl class="card details">
        <dt>{t("complaints:fields.contact")}</dt>
        <dd>
          <a href={`/contacts/${c.contact.id}`} safe>
            {c.contact.name || c.contact.phone || tText("contacts:noName")}
          </a>
          {c.conversationId ? (
            <>
              {" · "}
              <a href={`/inbox/${c.conversationId}`}>{t("complaints:form.conversation")}</a>
            </>
          ) : (
            ""
          )}
        </dd>
        <dt>{t("complaints:fields.description")}</dt>
        <dd class="pre-wrap" safe>
          {c.description}
        </dd>
      </dl>
      <ComplaintUpdateForm complaint={c} members={props.members} />
      <ComplaintNotes complaintId={c.id} notes={props.notes} />
    </AdminLayout>
  );
}
