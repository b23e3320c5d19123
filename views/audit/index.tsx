import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { AuditEntry } from "@/features/audit/audit.service";
import { currentLocale, currentTimeZone, hasKey, t, tText } from "@/lib/i18n";
import { fieldError, EmptyState, Time } from "../components/ui";
import { AdminLayout } from "../layouts/admin";

export type AuditFilterValues = { action?: string; actor?: string; from?: string; to?: string; cursor?: string };

type Props = {
  admin: AdminContext;
  csrfToken: string;
  entries: AuditEntry[];
  nextCursor: string | null;
  values: AuditFilterValues;
  errors?: FieldError[];
  actions: string[];
  actors: { value: string; label: string }[];
};

/** Query string for the same filters with another cursor. */
function pageHref(values: AuditFilterValues, cursor?: string): string {
  const q = new URLSearchParams();
  for (const key of ["action", "actor", "from", "to"] as const) if (values[key]) q.set(key, values[key]!);
  if (cursor) q.set("cursor", cursor);
  const s = q.toString();
  return s ? `/audit?${s}` : "/audit";
}

/** A stored code's label when the catalog has one (`audit:actorTypes.api_key`), else the code as stored. */
function labelOr(prefix: string, code: string, fallback = code): string {
  if (!/^[a-z_]+$/.test(code)) return fallback;
  const key = `${prefix}.${code}`;
  return hasKey(key, currentLocale()) ? tText(key) : fallback;
}

/** The action's label in the reader's language; the stored code stays next to it (and in filters). */
export function actionLabel(action: string): string | undefined {
  // Labels are leaves `group.verb`; anything else (a bare group would name a subtree) keeps its code.
  if (!/^[a-z_]+\.[a-z_]+$/.test(action)) return undefined;
  const key = `audit:actions.${action}`;
  return hasKey(key, currentLocale()) ? tText(key) : undefined;
}

function actorText(e: AuditEntry): string {
  const type = labelOr("audit:actorTypes", e.actorType, e.actorType.replace("_", " "));
  if (e.actorType === "user") return e.actorLabel ?? (e.actorId ? `${type} ${e.actorId}` : type);
  if (e.actorType === "system") return type;
  return e.actorId ? `${type} ${e.actorId}` : type;
}

function targetText(e: AuditEntry): string {
  return e.targetType ? `${labelOr("audit:targetTypes", e.targetType)} ${e.targetId ?? ""}`.trim() : "—";
}

function FilterField({
  label,
  name,
  type,
  value,
  errors,
  list,
}: {
  label: string;
  name: string;
  type: string;
  value?: string;
  errors?: FieldError[];
  list?: string;
}) {
  const error = fieldError(errors, name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={`f-${name}`} safe>
        {label}
      </label>
      <input
        id={`f-${name}`}
        name={name}
        type={type}
        value={value === undefined ? undefined : Html.escapeHtml(value)}
        list={list}
        aria-invalid={error ? "true" : undefined}
      />
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}

function ActionCell({ action }: { action: string }) {
  const label = actionLabel(action);
  if (!label)
    return (
      <code class="audit-action" safe>
        {action}
      </code>
    );
  return (
    <>
      <span safe>{label}</span>
      <br />
      <code class="audit-action muted small" safe>
        {action}
      </code>
    </>
  );
}

export function AuditPage({ admin, csrfToken, entries, nextCursor, values, errors, actions, actors }: Props) {
  const actorError = fieldError(errors, "actor");
  const cursorError = fieldError(errors, "cursor");
  // Dates are read as whole days on the reader's clock: say which.
  const zone = currentTimeZone();
  return (
    <AdminLayout title={tText("audit:title")} admin={admin} csrfToken={csrfToken} active="audit">
      <h1>{t("audit:title")}</h1>
      <form method="get" action="/audit" class="card filters">
        <FilterField label={tText("audit:filters.action")} name="action" type="text" value={values.action} errors={errors} list="audit-actions" />
        <datalist id="audit-actions">
          {actions.map((a) => (
            <option value={Html.escapeHtml(a)} label={actionLabel(a)} />
          ))}
        </datalist>
        <div class={actorError ? "field has-error" : "field"}>
          <label for="f-actor">{t("audit:filters.actor")}</label>
          <select id="f-actor" name="actor">
            <option value="">{t("audit:filters.anyone")}</option>
            {actors.map((a) => (
              <option value={a.value} selected={a.value === values.actor} safe>
                {a.label}
              </option>
            ))}
          </select>
          {actorError ? (
            <small class="error" safe>
              {actorError}
            </small>
          ) : (
            ""
          )}
        </div>
        <FilterField label={tText("audit:filters.from", { zone })} name="from" type="date" value={values.from} errors={errors} />
        <FilterField label={tText("audit:filters.to", { zone })} name="to" type="date" value={values.to} errors={errors} />
        <div class="row filter-actions">
          <button type="submit">{t("audit:filters.filter")}</button>
          <a href="/audit">{t("audit:filters.clear")}</a>
        </div>
        {cursorError ? (
          <small class="error" safe>
            {cursorError}
          </small>
        ) : (
          ""
        )}
      </form>
      {errors?.length ? (
        <EmptyState>{t("audit:empty.fixFilters")}</EmptyState>
      ) : entries.length === 0 ? (
        <EmptyState>{t(values.cursor ? "audit:empty.noOlder" : "audit:empty.none")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="audit-table">
            <thead>
              <tr>
                <th>{t("audit:columns.when")}</th>
                <th>{t("audit:columns.actor")}</th>
                <th>{t("audit:columns.action")}</th>
                <th>{t("audit:columns.target")}</th>
                <th>{t("audit:columns.details")}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr>
                  <td data-label={tText("audit:columns.when")}>
                    <Time at={e.at} />
                    {e.ip ? (
                      <>
                        <br />
                        <span class="muted small" safe>
                          {e.ip}
                        </span>
                      </>
                    ) : (
                      ""
                    )}
                  </td>
                  <td data-label={tText("audit:columns.actor")} safe>
                    {actorText(e)}
                  </td>
                  <td data-label={tText("audit:columns.action")}>
                    <ActionCell action={e.action} />
                  </td>
                  <td data-label={tText("audit:columns.target")} class="small" safe>
                    {targetText(e)}
                  </td>
                  <td data-label={tText("audit:columns.details")}>
                    <pre class="audit-details" safe>
                      {JSON.stringify(e.details, null, 2)}
                    </pre>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="row pager" aria-label={tText("audit:pager.label")}>
        {values.cursor ? <a href={pageHref(values)}>{t("audit:pager.newest")}</a> : ""}
        {nextCursor ? (
          <a href={pageHref(values, nextCursor)} class="button secondary" rel="next">
            {t("audit:pager.older")}
          </a>
        ) : (
          ""
        )}
      </nav>
    </AdminLayout>
  );
}
