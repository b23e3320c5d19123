import type { AdminContext } from "@/auth/plugin";
import type { Flash } from "@/lib/flash";
import type { FieldError } from "@/lib/errors";
import type { toPublicWorkflow } from "@/features/workflows/workflow.service";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState } from "../components/ui";
import { WorkflowForm, type WorkflowFormValues } from "./_form";

type PublicWorkflow = ReturnType<typeof toPublicWorkflow>;

export function WorkflowsIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  workflows: PublicWorkflow[];
  canManage: boolean;
  astConfigured: boolean;
  flows: { id: string; name: string; version: number }[];
  tools: { id: string; name: string; description: string }[];
  values?: WorkflowFormValues;
  errors?: FieldError[];
}) {
  return (
    <AdminLayout title={tText("workflows:title")} admin={props.admin} csrfToken={props.csrfToken} active="workflows" flash={props.flash}>
      <div class="row">
        <h1>{t("workflows:title")}</h1>
        <span class="spacer" />
        {props.canManage && props.astConfigured ? (
          <form method="post" action="/workflows/import" hx-post="/workflows/import" hx-target="body" hx-swap="none">
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <button type="submit" class="secondary">
              {t("workflows:importFromAst")}
            </button>
          </form>
        ) : (
          ""
        )}
      </div>
      {props.workflows.length === 0 ? (
        <EmptyState>{t("workflows:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("workflows:columns.name")}</th>
                <th>{t("workflows:columns.provider")}</th>
                <th>{t("workflows:columns.status")}</th>
                <th>{t("workflows:columns.description")}</th>
              </tr>
            </thead>
            <tbody>
              {props.workflows.map((w) => (
                <tr>
                  <td data-label="">
                    <a href={`/workflows/${w.id}`} safe>
                      {w.name}
                    </a>{" "}
                    {w.system ? <Badge>{t("workflows:badges.system")}</Badge> : ""}
                  </td>
                  <td data-label={tText("workflows:columns.provider")} safe>
                    {w.provider + (w.providerId ? ` · ${w.providerId}` : "")}
                  </td>
                  <td data-label={tText("workflows:columns.status")}>
                    {w.isActive ? <Badge tone="ok">{t("workflows:badges.active")}</Badge> : <Badge>{t("workflows:badges.inactive")}</Badge>}
                  </td>
                  <td data-label={tText("workflows:columns.description")} class="muted" safe>
                    {w.description ?? ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canManage ? (
        <>
          <h2>{t("workflows:newTitle")}</h2>
          <WorkflowForm
            action="/workflows"
            values={props.values ?? { provider: "openai" }}
            errors={props.errors}
            flows={props.flows}
            tools={props.tools}
            submitLabel={tText("workflows:createButton")}
          />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
