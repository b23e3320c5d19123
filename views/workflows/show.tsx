import type { AdminContext } from "@/auth/plugin";
import type { Flash } from "@/lib/flash";
import type { FieldError } from "@/lib/errors";
import type { toPublicThread } from "@/features/workflows/thread.service";
import type { toPublicWorkflow } from "@/features/workflows/workflow.service";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState } from "../components/ui";
import { WorkflowForm, type WorkflowFormValues } from "./_form";
import { ThreadRow } from "./_thread-row";

export function WorkflowShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  workflow: ReturnType<typeof toPublicWorkflow>;
  threads: ReturnType<typeof toPublicThread>[];
  canManage: boolean;
  flows: { id: string; name: string; version: number }[];
  values: WorkflowFormValues;
  errors?: FieldError[];
  bindings: { triggerId: string; instances: { id: string; name: string }[]; everyInstance: boolean; active: boolean }[];
  instances: { id: string; name: string }[];
}) {
  const w = props.workflow;
  const editable = props.canManage && !w.system;
  return (
    <AdminLayout title={w.name} admin={props.admin} csrfToken={props.csrfToken} active="workflows" flash={props.flash}>
      <p>
        <a href="/workflows">← Workflows</a>
      </p>
      <h1 safe>{w.name}</h1>
      <p class="row">
        <Badge>{w.provider}</Badge>
        {w.system ? <Badge>system · read-only</Badge> : ""}
        {w.isActive ? <Badge tone="ok">active</Badge> : <Badge>inactive</Badge>}
      </p>
      {w.description ? <p class="muted" safe>{w.description}</p> : ""}

      {w.provider === "flow" ? (
        <p class="card">Flow workflows answer contacts through conversations; try them from the flow's page.</p>
      ) : (
        <section class="card" id="chat-panel">
          <h2>Test chat</h2>
          <div id="chat-log" class="chat-log" aria-live="polite"></div>
          <form id="chat-form" data-chat-url={`/workflows/${w.id}/chat`} class="row">
            <label for="chat-text" class="sr-only">
              Message
            </label>
            <input id="chat-text" name="text" maxlength={10000} required placeholder="Say something…" autocomplete="off" style="flex:1" />
            <button type="submit">Send</button>
          </form>
          <p class="muted small">Replies stream in as the model writes them. Each page visit starts a new test thread.</p>
          <script src="/static/chat.js" defer></script>
        </section>
      )}

      {w.isActive ? (
        <section class="card" id="bindings">
          <h2>Numbers answered by this workflow</h2>
          {props.bindings.length === 0 ? (
            <p class="muted">No number is bound yet: contacts reach this workflow only through triggers or flows.</p>
          ) : (
            <ul>
              {props.bindings.map((b) => (
                <li class="row">
                  <span safe>{b.everyInstance ? "Every instance" : b.instances.map((i) => i.name).join(", ")}</span>
                  {props.canManage ? (
                    <form method="post" action={`/workflows/${w.id}/bindings/${b.triggerId}/delete`}>
                      <input type="hidden" name="_csrf" value={props.csrfToken} />
                      <button type="submit" class="link">
                        Unbind
                      </button>
                    </form>
                  ) : (
                    ""
                  )}
                </li>
              ))}
            </ul>
          )}
          {props.canManage && props.instances.length > 0 ? (
            <form method="post" action={`/workflows/${w.id}/bindings`} class="row">
              <input type="hidden" name="_csrf" value={props.csrfToken} />
              <label for="bind-instance">Answer every conversation of</label>
              <select id="bind-instance" name="instanceId">
                {props.instances.map((i) => (
                  <option value={i.id} safe>
                    {i.name}
                  </option>
                ))}
              </select>
              <button type="submit" class="secondary">
                Bind number
              </button>
            </form>
          ) : (
            ""
          )}
          <p class="muted small">A binding is a catch-all trigger of the lowest priority: keyword triggers and flows still win.</p>
        </section>
      ) : (
        ""
      )}

      <h2>Threads</h2>
      {props.threads.length === 0 ? (
        <EmptyState>No threads yet.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>Title</th>
                <th>Messages</th>
                <th>Last message</th>
                <th>Status</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.threads.map((t) => (
                <ThreadRow thread={t} canManage={props.canManage} />
              ))}
            </tbody>
          </table>
        </div>
      )}

      {editable ? (
        <>
          <h2>Settings</h2>
          <WorkflowForm action={`/workflows/${w.id}`} values={props.values} errors={props.errors} flows={props.flows} editing submitLabel="Save" />
          <form method="post" action={`/workflows/${w.id}/delete`} data-confirm="Delete this workflow and its threads?">
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <button type="submit" class="danger">
              Delete workflow
            </button>
          </form>
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
