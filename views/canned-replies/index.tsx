import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { cannedReplyJson } from "@/features/canned-replies/canned-reply.service";
import { CANNED_REPLY_LIMITS } from "@/features/canned-replies/canned-reply.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { EmptyState, Field, SelectField, Time, fieldError } from "../components/ui";

type PublicCannedReply = ReturnType<typeof cannedReplyJson>;
export type CannedReplyFormValues = { shortcut?: string; title?: string; body?: string; departmentId?: string; mediaId?: string };
type DepartmentChoice = { id: string; name: string };

export function CannedReplyForm(props: {
  action: string;
  values: CannedReplyFormValues;
  departments: DepartmentChoice[];
  errors?: FieldError[];
  submitLabel: string;
}) {
  const v = props.values;
  const bodyError = fieldError(props.errors, "body");
  return (
    <form id="canned-reply-form" class="card" method="post" action={props.action} hx-post={props.action} hx-target="#canned-reply-form" hx-swap="outerHTML">
      <div class="row">
        <Field
          label={tText("canned-replies:form.shortcut")}
          name="shortcut"
          value={v.shortcut}
          errors={props.errors}
          required
          maxlength={CANNED_REPLY_LIMITS.shortcut}
          placeholder={tText("canned-replies:form.shortcutPlaceholder")}
        />
        <Field label={tText("canned-replies:form.title")} name="title" value={v.title} errors={props.errors} required maxlength={CANNED_REPLY_LIMITS.title} />
      </div>
      <div class={bodyError ? "field has-error" : "field"}>
        <label for="canned-reply-body">{t("canned-replies:form.body")}</label>
        <textarea id="canned-reply-body" name="body" rows="4" maxlength={CANNED_REPLY_LIMITS.body} required safe>
          {v.body ?? ""}
        </textarea>
        <small class="hint">{t("canned-replies:form.bodyHint", { variables: "{{contact.name}}, {{agent.name}}, {{contact.city}}" })}</small>
        {bodyError ? (
          <small class="error" safe>
            {bodyError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class="row">
        <SelectField
          label={tText("canned-replies:form.department")}
          name="departmentId"
          value={v.departmentId ?? ""}
          errors={props.errors}
          options={[{ value: "", label: tText("canned-replies:allDepartments") }, ...props.departments.map((d) => ({ value: d.id, label: d.name }))]}
        />
        <Field
          label={tText("canned-replies:form.mediaId")}
          name="mediaId"
          value={v.mediaId}
          errors={props.errors}
          hint={tText("canned-replies:form.mediaIdHint")}
        />
      </div>
      <div class="row">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

export function CannedRepliesIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  replies: PublicCannedReply[];
  departments: DepartmentChoice[];
  canManage: boolean;
}) {
  return (
    <AdminLayout title={tText("canned-replies:title")} admin={props.admin} csrfToken={props.csrfToken} active="canned-replies" flash={props.flash}>
      <h1>{t("canned-replies:title")}</h1>
      <p class="muted">{t("canned-replies:intro")}</p>
      {props.replies.length === 0 ? (
        <EmptyState>{t("canned-replies:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("canned-replies:columns.shortcut")}</th>
                <th>{t("canned-replies:columns.title")}</th>
                <th>{t("canned-replies:columns.body")}</th>
                <th>{t("canned-replies:columns.department")}</th>
                <th>{t("canned-replies:columns.updated")}</th>
              </tr>
            </thead>
            <tbody>
              {props.replies.map((r) => (
                <tr>
                  <td data-label="">
                    <a href={`/canned-replies/${r.id}`} safe>
                      {`/${r.shortcut}`}
                    </a>
                  </td>
                  <td data-label={tText("canned-replies:columns.title")} safe>
                    {r.title}
                  </td>
                  <td data-label={tText("canned-replies:columns.body")} safe>
                    {r.body.length > 120 ? `${r.body.slice(0, 120)}…` : r.body}
                  </td>
                  <td data-label={tText("canned-replies:columns.department")} safe>
                    {props.departments.find((d) => d.id === r.departmentId)?.name ?? tText("canned-replies:allDepartments")}
                  </td>
                  <td data-label={tText("canned-replies:columns.updated")}>
                    <Time at={r.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canManage ? (
        <>
          <h2>{t("canned-replies:newReply")}</h2>
          <CannedReplyForm action="/canned-replies" values={{}} departments={props.departments} submitLabel={tText("canned-replies:form.create")} />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

export function CannedReplyShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  reply: PublicCannedReply;
  values: CannedReplyFormValues;
  departments: DepartmentChoice[];
  canManage: boolean;
}) {
  const r = props.reply;
  return (
    <AdminLayout title={`/${r.shortcut}`} admin={props.admin} csrfToken={props.csrfToken} active="canned-replies" flash={props.flash}>
      <p>
        <a href="/canned-replies">{t("canned-replies:back")}</a>
      </p>
      <h1 safe>{`/${r.shortcut} — ${r.title}`}</h1>
      {props.canManage ? (
        <>
          <CannedReplyForm
            action={`/canned-replies/${r.id}`}
            values={props.values}
            departments={props.departments}
            submitLabel={tText("common:actions.save")}
          />
          <form
            method="post"
            action={`/canned-replies/${r.id}/delete`}
            hx-post={`/canned-replies/${r.id}/delete`}
            hx-confirm={tText("canned-replies:confirmDelete")}
          >
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <button type="submit" class="danger">
              {t("common:actions.delete")}
            </button>
          </form>
        </>
      ) : (
        <pre class="card" safe>
          {r.body}
        </pre>
      )}
    </AdminLayout>
  );
}

/** The reply box's suggestions for `/q`: buttons the inbox script inserts on click, Enter or Tab. */
export function CannedReplySuggestions(props: { conversationId: string; replies: PublicCannedReply[] }) {
  if (props.replies.length === 0) return <p class="muted small canned-empty">{t("canned-replies:suggest.none")}</p>;
  return (
    <ul class="canned-suggestions" aria-label={tText("canned-replies:suggest.label")}>
      {props.replies.map((r, i) => (
        <li>
          <button type="button" class={i === 0 ? "link selected" : "link"} data-canned-url={`/inbox/${props.conversationId}/canned-replies/${r.id}`}>
            <strong safe>{`/${r.shortcut}`}</strong> <span safe>{r.title}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
