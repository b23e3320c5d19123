import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { Trigger, TriggerCheck } from "@/features/triggers/trigger.service";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState } from "../components/ui";
import { ACTION_LABELS, MATCH_LABELS, TriggerForm, type TriggerChoices, type TriggerFormValues } from "./_form";

/** How a trigger's target reads in tables: the template key, the flow (and whether it is live), the workflow. */
export type TargetLabel = { text: string; href?: string; warning?: string };

export type TriggerListItem = { trigger: Trigger; target: TargetLabel; instanceNames: string[] };

function Target({ target }: { target: TargetLabel }) {
  return (
    <>
      {target.href ? (
        <a href={target.href} safe>
          {target.text}
        </a>
      ) : (
        <span safe>{target.text}</span>
      )}
      {target.warning ? (
        <>
          {" "}
          <Badge tone="warn">
            <span safe>{target.warning}</span>
          </Badge>
        </>
      ) : (
        ""
      )}
    </>
  );
}

/** Instance names (user data, each escaped), or "all" for a trigger scoped to every instance. */
function InstanceNames({ names }: { names: string[] }) {
  if (names.length === 0) return <>all</>;
  return (
    <>
      {names.map((n, i) => (
        <>
          {i ? ", " : ""}
          <span safe>{n}</span>
        </>
      ))}
    </>
  );
}

function TriggerRow({ item, canManage, csrfToken }: { item: TriggerListItem; canManage: boolean; csrfToken: string }) {
  const t = item.trigger;
  return (
    <tr id={`trigger-${t.id}`} class={t.active ? undefined : "inactive-row"}>
      <td data-label="Trigger">
        <a href={`/triggers/${t.id}`} safe>
          {t.name || MATCH_LABELS[t.match]}
        </a>
        {t.name ? (
          <div class="muted small" safe>
            {MATCH_LABELS[t.match]}
          </div>
        ) : (
          ""
        )}
      </td>
      <td data-label="Pattern">
        {t.pattern ? (
          <code safe>{t.pattern}</code>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td data-label="Priority">
        {t.priority}
      </td>
      <td data-label="Cooldown">
        {t.cooldownSeconds ? `${t.cooldownSeconds} s` : "—"}
      </td>
      <td data-label="Instances">
        <InstanceNames names={item.instanceNames} />
      </td>
      <td data-label="Action">
        <span class="muted small">
          {ACTION_LABELS[t.action]}
        </span>
        <div>
          <Target target={item.target} />
        </div>
      </td>
      <td data-label="Status">
        {t.active ? <Badge tone="ok">active</Badge> : <Badge>disabled</Badge>}
        {canManage ? (
          <div class="row row-actions">
            <form method="post" action={`/triggers/${t.id}/toggle`} hx-post={`/triggers/${t.id}/toggle`} hx-target="body" hx-swap="none">
              <CsrfField token={csrfToken} />
              <input type="hidden" name="active" value={t.active ? "false" : "true"} />
              <button type="submit" class="secondary small-button">
                {t.active ? "Disable" : "Enable"}
              </button>
            </form>
            <form
              method="post"
              action={`/triggers/${t.id}/delete`}
              hx-post={`/triggers/${t.id}/delete`}
              hx-target="body"
              hx-swap="none"
              hx-confirm="Delete this trigger?"
            >
              <CsrfField token={csrfToken} />
              <button type="submit" class="danger small-button">
                Delete
              </button>
            </form>
          </div>
        ) : (
          ""
        )}
      </td>
    </tr>
  );
}

/** Result of the "test a message" box: which trigger fires, and why the others do not. */
export function TriggerTestResult(props: { text: string; fired?: TriggerListItem; checks: (TriggerCheck & { item: TriggerListItem })[]; errors?: FieldError[] }) {
  if (props.errors?.length) {
    return (
      <div id="trigger-test-result" role="status">
        {props.errors.map((e) => (
          <p class="error" safe>
            {e.message}
          </p>
        ))}
      </div>
    );
  }
  const OUTCOME: Record<TriggerCheck["outcome"], { label: string; tone: "ok" | "warn" | "bad" | "muted" }> = {
    fires: { label: "fires", tone: "ok" },
    shadowed: { label: "matches, but a higher one fires", tone: "warn" },
    no_match: { label: "no match", tone: "muted" },
    inactive: { label: "disabled", tone: "muted" },
    other_instance: { label: "other instances", tone: "muted" },
  };
  return (
    <div id="trigger-test-result" role="status">
      {props.fired ? (
        <p class="test-verdict ok">
          <strong safe>{props.fired.trigger.name || MATCH_LABELS[props.fired.trigger.match]}</strong> would fire and{" "}
          <span>{ACTION_LABELS[props.fired.trigger.action]}</span>: <Target target={props.fired.target} />
        </p>
      ) : (
        <p class="test-verdict">No trigger would fire for this message: a conversation bound to a workflow would still get its answer.</p>
      )}
      {props.checks.length ? (
        <ol class="test-checks small">
          {props.checks.map((c) => (
            <li>
              <Badge tone={OUTCOME[c.outcome].tone}>{Html.escapeHtml(OUTCOME[c.outcome].label)}</Badge>{" "}
              <span safe>{`${c.trigger.name || MATCH_LABELS[c.trigger.match]}${c.trigger.pattern ? ` "${c.trigger.pattern}"` : ""} · priority ${c.trigger.priority}`}</span>
            </li>
          ))}
        </ol>
      ) : (
        ""
      )}
    </div>
  );
}

export type TriggerTestResultProps = Parameters<typeof TriggerTestResult>[0];

export function TriggerTestBox(props: { instances: { id: string; name: string }[]; csrfToken: string; result?: TriggerTestResultProps }) {
  return (
    <section class="card" aria-labelledby="trigger-test-title">
      <h2 id="trigger-test-title">Test a message</h2>
      <form method="post" action="/triggers/test" hx-post="/triggers/test" hx-target="#trigger-test-result" hx-swap="outerHTML" class="test-form">
        <CsrfField token={props.csrfToken} />
        <div class="field grow">
          <label for="test-text">Message a contact sends</label>
          <input id="test-text" name="text" maxlength={2000} required placeholder="menu" autocomplete="off" />
        </div>
        <div class="field">
          <label for="test-instance">Instance</label>
          <select id="test-instance" name="instanceId">
            <option value="">any instance</option>
            {props.instances.map((i) => (
              <option value={i.id} safe>
                {i.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label class="row check-label">
            <input type="checkbox" name="firstMessage" value="true" /> First message of the contact
          </label>
        </div>
        <div class="field">
          <button type="submit">Test</button>
        </div>
      </form>
      <p class="muted small">Nothing is sent or recorded; cooldowns are per contact and not considered here.</p>
      {props.result ? <TriggerTestResult {...props.result} /> : <div id="trigger-test-result" role="status"></div>}
    </section>
  );
}

export function TriggersIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  items: TriggerListItem[];
  canManage: boolean;
  choices: TriggerChoices;
  values?: TriggerFormValues;
  errors?: FieldError[];
  testResult?: TriggerTestResultProps;
}) {
  return (
    <AdminLayout title="Triggers" admin={props.admin} csrfToken={props.csrfToken} active="triggers" flash={props.flash}>
      <link rel="stylesheet" href="/static/flows.css" />
      <h1>Triggers</h1>
      <p class="muted">
        Inbound messages are checked against active triggers from the highest priority down; the first that matches (and is not cooling down for that contact) replies
        with a template, starts a flow or hands the conversation to a workflow.
      </p>
      <p class="tip">
        <strong>Tip:</strong> to bind a WhatsApp number to a workflow, create a trigger <em>any message</em> → <em>hand to a workflow</em> with only that instance checked.
      </p>
      {props.items.length === 0 ? (
        <EmptyState>No triggers yet.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table" id="triggers-table">
            <thead>
              <tr>
                <th>Trigger</th>
                <th>Pattern</th>
                <th>Priority</th>
                <th>Cooldown</th>
                <th>Instances</th>
                <th>Action</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((item) => (
                <TriggerRow item={item} canManage={props.canManage} csrfToken={props.csrfToken} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <TriggerTestBox instances={props.choices.instances} csrfToken={props.csrfToken} result={props.testResult} />
      {props.canManage ? (
        <>
          <h2>New trigger</h2>
          <TriggerForm action="/triggers" values={props.values ?? {}} errors={props.errors} choices={props.choices} csrfToken={props.csrfToken} submitLabel="Create trigger" />
        </>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

export function TriggerEdit(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  item: TriggerListItem;
  canManage: boolean;
  choices: TriggerChoices;
  values: TriggerFormValues;
}) {
  const t = props.item.trigger;
  const title = t.name || `${MATCH_LABELS[t.match]}${t.pattern ? ` "${t.pattern}"` : ""}`;
  return (
    <AdminLayout title={title} admin={props.admin} csrfToken={props.csrfToken} active="triggers" flash={props.flash}>
      <link rel="stylesheet" href="/static/flows.css" />
      <p>
        <a href="/triggers">← Triggers</a>
      </p>
      <h1 safe>{title}</h1>
      <p class="row">
        {t.active ? <Badge tone="ok">active</Badge> : <Badge>disabled</Badge>}
        <span class="muted small">
          {ACTION_LABELS[t.action]}
        </span>
        <Target target={props.item.target} />
      </p>
      {props.canManage ? (
        <>
          <TriggerForm action={`/triggers/${t.id}`} values={props.values} choices={props.choices} csrfToken={props.csrfToken} submitLabel="Save" />
          <form method="post" action={`/triggers/${t.id}/delete`} hx-post={`/triggers/${t.id}/delete`} hx-target="body" hx-swap="none" hx-confirm="Delete this trigger?">
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="danger">
              Delete trigger
            </button>
          </form>
        </>
      ) : (
        <dl class="kv card">
          <dt>Match</dt>
          <dd safe>{MATCH_LABELS[t.match]}</dd>
          <dt>Pattern</dt>
          <dd safe>{t.pattern || "—"}</dd>
          <dt>Priority</dt>
          <dd safe>{String(t.priority)}</dd>
          <dt>Cooldown</dt>
          <dd safe>{`${t.cooldownSeconds} s`}</dd>
          <dt>Instances</dt>
          <dd>
            <InstanceNames names={props.item.instanceNames} />
          </dd>
        </dl>
      )}
    </AdminLayout>
  );
}
