import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { Flow } from "@/features/flows/flow.service";
import { FLOW_LIMITS } from "@/features/flows/flow.schema";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, Time } from "../components/ui";

export function FlowCreateForm(props: { values: { name?: string }; errors?: FieldError[]; csrfToken: string }) {
  return (
    <form id="flow-create-form" class="card" method="post" action="/flows" hx-post="/flows" hx-target="#flow-create-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      <Field label="Name" name="name" value={props.values.name === undefined ? undefined : Html.escapeHtml(props.values.name)} errors={props.errors} required maxlength={FLOW_LIMITS.name} placeholder="Main menu" />
      <div class="row">
        <button type="submit">Create flow</button>
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
    <AdminLayout title="Flows" admin={props.admin} csrfToken={props.csrfToken} active="flows" flash={props.flash}>
      <link rel="stylesheet" href="/static/flows.css" />
      <h1>Flows</h1>
      <p class="muted">
        A flow is a scripted conversation: steps send texts or templates, ask questions, branch on the answer, hand off to a human or a workflow. Edit a draft, try it
        here, publish it, then start it from a trigger.
      </p>
      {props.flows.length === 0 ? (
        <EmptyState>No flows yet.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table" id="flows-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Live version</th>
                <th>Draft</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {props.flows.map(({ latest, published }) => (
                <tr>
                  <td data-label="Name">
                    <a href={`/flows/${latest.id}`} safe>
                      {published?.name ?? latest.name}
                    </a>
                  </td>
                  <td data-label="Live version">
                    {published ? (
                      <a href={`/flows/${published.id}`}>
                        <Badge tone="ok">{Html.escapeHtml(`v${published.version} live`)}</Badge>
                      </a>
                    ) : (
                      <span class="muted">not published</span>
                    )}
                  </td>
                  <td data-label="Draft">
                    {latest.status === "draft" ? (
                      <a href={`/flows/${latest.id}`}>
                        <Badge tone="warn">{Html.escapeHtml(`v${latest.version} draft`)}</Badge>
                      </a>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td data-label="Updated">
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
          <h2>New flow</h2>
          <FlowCreateForm values={props.values ?? {}} errors={props.errors} csrfToken={props.csrfToken} />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
