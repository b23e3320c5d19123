import type { AdminContext } from "@/auth/plugin";
import type { Flash } from "@/lib/flash";
import type { FieldError } from "@/lib/errors";
import type { toPublicThread } from "@/features/workflows/thread.service";
import type { toPublicWorkflow } from "@/features/workflows/workflow.service";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState } from "../components/ui";
import { WorkflowForm, type WorkflowFormValues } from "./_form";
import { ThreadRow } from "./_thread-row";
import type { InstructionsOverview } from "@/features/prompts/prompt.service";
import { WorkflowTabs } from "./_prompt-tabs";

export function WorkflowShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  workflow: ReturnType<typeof toPublicWorkflow>;
  threads: ReturnType<typeof toPublicThread>[];
  canManage: boolean;
  flows: { id: string; name: string; version: number }[];
  tools: { id: string; name: string; description: string }[];
  values: WorkflowFormValues;
  errors?: FieldError[];
  bindings: { triggerId: string; instances: { id: string; name: string }[]; everyInstance: boolean; active: boolean }[];
  instances: { id: string; name: string }[];
  /** The Instructions tab (prompt versions): src/features/prompts. */
  instructions: InstructionsOverview;
}) {
  const w = props.workflow;
  const editable = props.canManage && !w.system;
  return (
    <AdminLayout title={w.name} admin={props.admin} csrfToken={props.csrfToken} active="workflows" flash={props.flash}>
      <p>
        <a href="/workflows">{t("workflows:show.back")}</a>
      </p>
      <h1 safe>{w.name}</h1>
      <p class="row">
        <Badge>{w.provider}</Badge>
        {w.system ? <Badge>{t("workflows:badges.systemReadOnly")}</Badge> : ""}
        {w.isActive ? <Badge tone="ok">{t("workflows:badges.active")}</Badge> : <Badge>{t("workflows:badges.inactive")}</Badge>}
      </p>
      {w.description ? (
        <p class="muted" safe>
          {w.description}
        </p>
      ) : (
        ""
      )}

      <WorkflowTabs workflow={w} instructions={props.instructions} csrfToken={props.csrfToken} />

      {w.provider === "flow" ? (
        <p class="card">{t("workflows:show.flowNote")}</p>
      ) : (
        <section class="card" id="chat-panel">
          <h2>{t("workflows:show.testChat")}</h2>
          <div id="chat-log" class="chat-log" aria-live="polite"></div>
          <form
            id="chat-form"
            data-chat-url={`/workflows/${w.id}/chat`}
            data-error-text={tText("workflows:show.chatRequestFailed", { status: "{status}" })}
            class="row"
          >
            <label for="chat-text" class="sr-only">
              {t("workflows:show.messageLabel")}
            </label>
            <input
              id="chat-text"
              name="text"
              maxlength={10000}
              required
              placeholder={tText("workflows:show.messagePlaceholder")}
              autocomplete="off"
              style="flex:1"
            />
            <button type="submit">{t("workflows:show.send")}</button>
          </form>
          <p class="muted small">{t("workflows:show.chatHint")}</p>
          <script src="/static/chat.js" defer></script>
        </section>
      )}

      {w.isActive ? (
        <section class="card" id="bindings">
          <h2>{t("workflows:show.bindingsTitle")}</h2>
          {props.bindings.length === 0 ? (
            <p class="muted">{t("workflows:show.noBindings")}</p>
          ) : (
            <ul>
              {props.bindings.map((b) => (
                <li class="row">
                  <span safe>{b.everyInstance ? tText("workflows:show.everyInstance") : b.instances.map((i) => i.name).join(", ")}</span>
                  {props.canManage ? (
                    <form method="post" action={`/workflows/${w.id}/bindings/${b.triggerId}/delete`}>
                      <input type="hidden" name="_csrf" value={props.csrfToken} />
                      <button type="submit" class="link">
                        {t("workflows:show.unbind")}
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
              <label for="bind-instance">{t("workflows:show.bindLabel")}</label>
              <select id="bind-instance" name="instanceId">
                {props.instances.map((i) => (
                  <option value={i.id} safe>
                    {i.name}
                  </option>
                ))}
              </select>
              <button type="submit" class="secondary">
                {t("workflows:show.bindButton")}
              </button>
            </form>
          ) : (
            ""
          )}
          <p class="muted small">{t("workflows:show.bindingHint")}</p>
        </section>
      ) : (
        ""
      )}

      <h2>{t("workflows:show.threadsTitle")}</h2>
      {props.threads.length === 0 ? (
        <EmptyState>{t("workflows:show.noThreads")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("workflows:columns.title")}</th>
                <th>{t("workflows:columns.messages")}</th>
                <th>{t("workflows:columns.lastMessage")}</th>
                <th>{t("workflows:columns.status")}</th>
                <th>
                  <span class="sr-only">{t("workflows:columns.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.threads.map((thread) => (
                <ThreadRow thread={thread} canManage={props.canManage} />
              ))}
            </tbody>
          </table>
        </div>
      )}

      {editable ? (
        <>
          <h2>{t("workflows:show.settings")}</h2>
          <WorkflowForm
            action={`/workflows/${w.id}`}
            values={props.values}
            errors={props.errors}
            flows={props.flows}
            tools={props.tools}
            editing
            submitLabel={tText("common:actions.save")}
          />
          <form method="post" action={`/workflows/${w.id}/delete`} data-confirm={tText("workflows:show.deleteConfirm")}>
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <button type="submit" class="danger">
              {t("workflows:show.deleteButton")}
            </button>
          </form>
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
