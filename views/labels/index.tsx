import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { LABEL_LIMITS } from "@/features/labels/label.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { EmptyState, Field, fieldError } from "../components/ui";
import { LabelChip } from "../inbox/_labels";

export type LabelView = { id: string; name: string; color: string };
export type LabelFormValues = { name?: string; color?: string };

/** Create (action /labels) or edit (action /labels/:id) a label: a name and a colour. */
export function LabelForm(props: { id: string; action: string; values: LabelFormValues; errors?: FieldError[]; submitLabel: string }) {
  const colorError = fieldError(props.errors, "color");
  return (
    <form id={props.id} class="card label-form" method="post" action={props.action} hx-post={props.action} hx-target={`#${props.id}`} hx-swap="outerHTML">
      <div class="row">
        <Field label={tText("labels:form.name")} name="name" value={props.values.name} errors={props.errors} required maxlength={LABEL_LIMITS.name} />
        <div class={colorError ? "field has-error" : "field"}>
          <label for={`${props.id}-color`}>{t("labels:form.color")}</label>
          <input id={`${props.id}-color`} type="color" name="color" value={props.values.color || "#4f46e5"} required />
          {colorError ? (
            <small class="error" safe>
              {colorError}
            </small>
          ) : (
            ""
          )}
        </div>
      </div>
      <div class="row">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

/** The organization's conversation labels: supervisors and above create, rename, recolour and delete them. */
export function LabelsIndex(props: { admin: AdminContext; csrfToken: string; flash?: Flash; labels: LabelView[]; canManage: boolean }) {
  return (
    <AdminLayout title={tText("labels:title")} admin={props.admin} csrfToken={props.csrfToken} active="labels" flash={props.flash}>
      <link rel="stylesheet" href="/static/inbox.css" />
      <h1>{t("labels:title")}</h1>
      <p class="muted">{t("labels:intro")}</p>
      {props.labels.length === 0 ? (
        <EmptyState>{t("labels:empty")}</EmptyState>
      ) : (
        <ul class="label-admin-list">
          {props.labels.map((l) => (
            <li class="card">
              <LabelChip label={l} />
              {props.canManage ? (
                <details>
                  <summary>{t("labels:edit")}</summary>
                  <LabelForm
                    id={`label-form-${l.id}`}
                    action={`/labels/${l.id}`}
                    values={{ name: l.name, color: l.color }}
                    submitLabel={tText("common:actions.save")}
                  />
                  <form method="post" action={`/labels/${l.id}/delete`} hx-post={`/labels/${l.id}/delete`} hx-confirm={tText("labels:confirmDelete")}>
                    <input type="hidden" name="_csrf" value={props.csrfToken} />
                    <button type="submit" class="danger">
                      {t("common:actions.delete")}
                    </button>
                  </form>
                </details>
              ) : (
                ""
              )}
            </li>
          ))}
        </ul>
      )}
      {props.canManage ? (
        <>
          <h2>{t("labels:new")}</h2>
          <LabelForm id="label-form-new" action="/labels" values={{}} submitLabel={tText("labels:form.create")} />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
