import type { AdminContext } from "@/auth/plugin";
import type { Flash } from "@/lib/flash";
import type { FieldError } from "@/lib/errors";
import type { toPublicWorkflow } from "@/features/workflows/workflow.service";
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
  values?: WorkflowFormValues;
  errors?: FieldError[];
}) {
  return (
    <AdminLayout title="Workflows" admin={props.admin} csrfToken={props.csrfToken} active="workflows" flash={props.flash}>
      <div class="row">
        <h1>Workflows</h1>
        <span class="spacer" />
        {props.canManage && props.astConfigured ? (
          <form method="post" action="/workflows/import" hx-post="/workflows/import" hx-target="body" hx-swap="none">
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <button type="submit" class="secondary">
              Import from AST
            </button>
          </form>
        ) : (
          ""
        )}
      </div>
      {props.workflows.length === 0 ? (
        <EmptyState>No workflows yet. Create one below to answer contacts with an AI model, an AST agent or a flow.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Provider</th>
                <th>Status</th>
                <th>Description</th>
              </tr>
            </thead>
            <tbody>
              {props.workflows.map((w) => (
                <tr>
                  <td data-label="">
                    <a href={`/workflows/${w.id}`} safe>
                      {w.name}
                    </a>{" "}
                    {w.system ? <Badge>system</Badge> : ""}
                  </td>
                  <td data-label="Provider" safe>
                    {w.provider + (w.providerId ? ` · ${w.providerId}` : "")}
                  </td>
                  <td data-label="Status">{w.isActive ? <Badge tone="ok">active</Badge> : <Badge>inactive</Badge>}</td>
                  <td data-label="Description" class="muted" safe>
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
          <h2>New workflow</h2>
          <WorkflowForm action="/workflows" values={props.values ?? { provider: "openai" }} errors={props.errors} flows={props.flows} submitLabel="Create workflow" />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
