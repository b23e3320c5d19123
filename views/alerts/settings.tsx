import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { DepartmentTargets } from "@/features/alerts/alert.rules";
import { ALERT_LIMITS } from "@/features/alerts/alert.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { EmptyState, fieldError } from "../components/ui";

export function KeywordsForm(props: { keywords: string; errors?: FieldError[]; canEdit: boolean }) {
  const error = fieldError(props.errors, "urgencyKeywords");
  return (
    <form
      id="alert-keywords-form"
      class="card"
      method="post"
      action="/alerts/settings"
      hx-post="/alerts/settings"
      hx-target="#alert-keywords-form"
      hx-swap="outerHTML"
    >
      <h2>{t("alerts:keywords.title")}</h2>
      <div class={error ? "field has-error" : "field"}>
        <label for="f-urgencyKeywords">{t("alerts:keywords.label")}</label>
        <textarea
          id="f-urgencyKeywords"
          name="urgencyKeywords"
          rows="5"
          disabled={!props.canEdit}
          maxlength={ALERT_LIMITS.keywords * (ALERT_LIMITS.keyword + 1)}
          safe
        >
          {props.keywords}
        </textarea>
        <small class="hint">{t("alerts:keywords.hint")}</small>
        {error ? (
          <small class="error" safe>
            {error}
          </small>
        ) : (
          ""
        )}
      </div>
      {props.canEdit ? <button type="submit">{t("alerts:save")}</button> : ""}
    </form>
  );
}

export function TargetsRow(props: { row: DepartmentTargets; errors?: FieldError[]; canEdit: boolean }) {
  const r = props.row;
  const id = `targets-${r.departmentId}`;
  const action = `/alerts/targets/${r.departmentId}`;
  const firstError = fieldError(props.errors, "firstResponseMinutes");
  const resolutionError = fieldError(props.errors, "resolutionMinutes");
  return (
    <form id={id} class="row targets-row" method="post" action={action} hx-post={action} hx-target={`#${id}`} hx-swap="outerHTML">
      <strong class="truncate" safe>
        {r.departmentName}
      </strong>
      <div class={firstError ? "field has-error" : "field"}>
        <label for={`${id}-first`}>{t("alerts:targets.firstResponse")}</label>
        <input id={`${id}-first`} type="number" min="1" name="firstResponseMinutes" value={r.firstResponseMinutes?.toString()} disabled={!props.canEdit} />
        {firstError ? (
          <small class="error" safe>
            {firstError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class={resolutionError ? "field has-error" : "field"}>
        <label for={`${id}-resolution`}>{t("alerts:targets.resolution")}</label>
        <input id={`${id}-resolution`} type="number" min="1" name="resolutionMinutes" value={r.resolutionMinutes?.toString()} disabled={!props.canEdit} />
        {resolutionError ? (
          <small class="error" safe>
            {resolutionError}
          </small>
        ) : (
          ""
        )}
      </div>
      {props.canEdit ? <button type="submit">{t("alerts:save")}</button> : ""}
    </form>
  );
}

export function AlertSettingsPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  keywords: string[];
  targets: DepartmentTargets[];
  canEdit: boolean;
}) {
  return (
    <AdminLayout title={tText("alerts:settingsTitle")} admin={props.admin} csrfToken={props.csrfToken} active="monitor" flash={props.flash}>
      <link rel="stylesheet" href="/static/monitor.css" />
      <p>
        <a href="/monitor">{t("monitor:back")}</a>
      </p>
      <h1>{t("alerts:settingsTitle")}</h1>
      <p class="muted">{t("alerts:intro")}</p>
      <KeywordsForm keywords={props.keywords.join("\n")} canEdit={props.canEdit} />
      <section class="card">
        <h2>{t("alerts:targets.title")}</h2>
        <p class="muted small">{t("alerts:targets.hint")}</p>
        {props.targets.length === 0 ? (
          <EmptyState>{t("alerts:targets.none")}</EmptyState>
        ) : (
          props.targets.map((row) => <TargetsRow row={row} canEdit={props.canEdit} />)
        )}
      </section>
    </AdminLayout>
  );
}
