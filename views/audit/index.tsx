import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { AuditEntry } from "@/features/audit/audit.service";
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

function actorText(e: AuditEntry): string {
  if (e.actorType === "user") return e.actorLabel ?? (e.actorId ? `user ${e.actorId}` : "user");
  if (e.actorType === "system") return "system";
  return e.actorId ? `${e.actorType.replace("_", " ")} ${e.actorId}` : e.actorType.replace("_", " ");
}

function targetText(e: AuditEntry): string {
  return e.targetType ? `${e.targetType} ${e.targetId ?? ""}`.trim() : "—";
}

function FilterField({ label, name, type, value, errors, list }: { label: string; name: string; type: string; value?: string; errors?: FieldError[]; list?: string }) {
  const error = fieldError(errors, name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={`f-${name}`} safe>
        {label}
      </label>
      <input id={`f-${name}`} name={name} type={type} value={value === undefined ? undefined : Html.escapeHtml(value)} list={list} aria-invalid={error ? "true" : undefined} />
      {error ? <small class="error" safe>{error}</small> : ""}
    </div>
  );
}

export function AuditPage({ admin, csrfToken, entries, nextCursor, values, errors, actions, actors }: Props) {
  const actorError = fieldError(errors, "actor");
  const cursorError = fieldError(errors, "cursor");
  return (
    <AdminLayout title="Audit log" admin={admin} csrfToken={csrfToken} active="audit">
      <h1>Audit log</h1>
      <form method="get" action="/audit" class="card filters">
        <FilterField label="Action" name="action" type="text" value={values.action} errors={errors} list="audit-actions" />
        <datalist id="audit-actions">
          {actions.map((a) => (
            <option value={Html.escapeHtml(a)} />
          ))}
        </datalist>
        <div class={actorError ? "field has-error" : "field"}>
          <label for="f-actor">Actor</label>
          <select id="f-actor" name="actor">
            <option value="">Anyone</option>
            {actors.map((a) => (
              <option value={a.value} selected={a.value === values.actor} safe>
                {a.label}
              </option>
            ))}
          </select>
          {actorError ? <small class="error" safe>{actorError}</small> : ""}
        </div>
        <FilterField label="From" name="from" type="date" value={values.from} errors={errors} />
        <FilterField label="To" name="to" type="date" value={values.to} errors={errors} />
        <div class="row filter-actions">
          <button type="submit">Filter</button>
          <a href="/audit">Clear</a>
        </div>
        {cursorError ? <small class="error" safe>{cursorError}</small> : ""}
      </form>
      {errors?.length ? (
        <EmptyState>Fix the filters above to see entries.</EmptyState>
      ) : entries.length === 0 ? (
        <EmptyState>{values.cursor ? "No older entries." : "No entries match. Member changes, invitations, API keys and settings changes are recorded here."}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="audit-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr>
                  <td data-label="When">
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
                  <td data-label="Actor" safe>
                    {actorText(e)}
                  </td>
                  <td data-label="Action">
                    <code safe>{e.action}</code>
                  </td>
                  <td data-label="Target" class="small" safe>
                    {targetText(e)}
                  </td>
                  <td data-label="Details">
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
      <nav class="row pager" aria-label="Pages">
        {values.cursor ? <a href={pageHref(values)}>Newest</a> : ""}
        {nextCursor ? (
          <a href={pageHref(values, nextCursor)} class="button secondary" rel="next">
            Older
          </a>
        ) : (
          ""
        )}
      </nav>
    </AdminLayout>
  );
}
