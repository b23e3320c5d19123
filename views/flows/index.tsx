import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { Flow } from "@/features/flows/flow.service";
import { FLOW_LIMITS } from "@/features/flows/flow.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, Time } from "../components/ui";

export function FlowCreateForm(props: { values: { name?: string }; errors?: FieldError[]; csrfToken: string }) {
  return (
    <form id="flow-create-form" class="card" method="post" action="/flows" hx-post="/flows" hx-target="#flow-create-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      <Field
        label={tText("flows:create.name")}
        name="name"
        value={props.values.name === undefined ? undefined : Html.escapeHtml(props.values.name)}
        errors={props.errors}
        required
        maxlength={FLOW_LIMITS.name}
        placeholder={tText("flows:create.namePlaceholder")}
      />
      <div class="row">
        <button type="submit">{t("flows:create.submit")}</button>
      </div>
    </form>
  );
}

/** One line per flow (lineage): its name, the live version and the draft being edited, if any. */
export function FlowsIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  flows: { latest: Flow; published?: Flow }[];
  canManage: boolean;
  values?: { name?: string };
  errors?: FieldError[];
}) {
  return (
    <AdminLayout title={tText("flows:title")} admin={props.admin} csrfToken={props.csrfToken} active="flows" flash={props.flash}>
      <link rel="stylesheet" href="/static/flows.css" />
      <h1>{t("flows:title")}</h1>
      <p class="muted">{t("flows:intro")}</p>
      {props.flows.length === 0 ? (
        <EmptyState>{t("flows:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table" id="flows-table">
            <thead>
              <tr>
                <th>{t("flows:columns.name")}</th>
                <th>{t("flows:columns.live")}</th>
                <th>{t("flows:columns.draft")}</th>
                <th>{t("flows:columns.updated")}</th>
              </tr>
            </thead>
            <tbody>
              {props.flows.map(({ latest, published }) => (
                <tr>
                  <td data-label={tText("flows:columns.name")}>
                    <a href={`/flows/${latest.id}`} safe>
                      {published?.name ?? latest.name}
                    </a>
                  </td>
                  <td data-label={tText("flows:columns.live")}>
                    {published ? (
                      <a href={`/flows/${published.id}`}>
                        <Badge tone="ok">{t("flows:version.published", { version: published.version })}</Badge>
                      </a>
                    ) : (
                      <span class="muted">{t("flows:notPublished")}</span>
                    )}
                  </td>
                  <td data-label={tText("flows:columns.draft")}>
                    {latest.status === "draft" ? (
                      <a href={`/flows/${latest.id}`}>
                        <Badge tone="warn">{t("flows:version.draft", { version: latest.version })}</Badge>
                      </a>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td data-label={tText("flows:columns.updated")}>
                    <Time at={latest.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canManage ? (
        <>
          <h2>{t("flows:newFlow")}</h2>
          <FlowCreateForm values={props.values ?? {}} errors={props.errors} csrfToken={props.csrfToken} />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
