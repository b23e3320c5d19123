import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { Trigger, TriggerCheck } from "@/features/triggers/trigger.service";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Time } from "../components/ui";
import { actionLabel, matchLabel, TriggerForm, type TriggerChoices, type TriggerFormValues } from "./_form";

/** How a trigger's target reads in tables: the template key, the flow (and whether it is live), the workflow. */
export type TargetLabel = { text: string; href?: string; warning?: string };

export type TriggerListItem = { trigger: Trigger; target: TargetLabel; instanceNames: string[] };

/** A trigger's name, or its match rule when it has none. */
const titleOf = (trigger: Trigger) => trigger.name || matchLabel(trigger.match);

const seconds = (count: number) => tText("triggers:seconds", { count });

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
  if (names.length === 0) return <>{t("triggers:allInstances")}</>;
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

function StatusBadge({ active }: { active: boolean }) {
  return active ? <Badge tone="ok">{t("triggers:status.active")}</Badge> : <Badge>{t("triggers:status.disabled")}</Badge>;
}

function TriggerRow({ item, canManage, csrfToken }: { item: TriggerListItem; canManage: boolean; csrfToken: string }) {
  const trigger = item.trigger;
  return (
    <tr id={`trigger-${trigger.id}`} class={trigger.active ? undefined : "inactive-row"}>
      <td data-label={tText("triggers:columns.trigger")}>
        <a href={`/triggers/${trigger.id}`} safe>
          {titleOf(trigger)}
        </a>
        {trigger.name ? (
          <div class="muted small" safe>
            {matchLabel(trigger.match)}
          </div>
        ) : (
          ""
        )}
      </td>
      <td data-label={tText("triggers:columns.pattern")}>{trigger.pattern ? <code safe>{trigger.pattern}</code> : <span class="muted">—</span>}</td>
      <td data-label={tText("triggers:columns.priority")}>{trigger.priority}</td>
      <td data-label={tText("triggers:columns.cooldown")}>{trigger.cooldownSeconds ? seconds(trigger.cooldownSeconds) : "—"}</td>
      <td data-label={tText("triggers:columns.instances")}>
        <InstanceNames names={item.instanceNames} />
      </td>
      <td data-label={tText("triggers:columns.action")}>
        <span class="muted small" safe>
          {actionLabel(trigger.action)}
        </span>
        <div>
          <Target target={item.target} />
        </div>
      </td>
      <td data-label={tText("triggers:columns.status")}>
        <StatusBadge active={trigger.active} />
        {canManage ? (
          <div class="row row-actions">
            <form method="post" action={`/triggers/${trigger.id}/toggle`} hx-post={`/triggers/${trigger.id}/toggle`} hx-target="body" hx-swap="none">
              <CsrfField token={csrfToken} />
              <input type="hidden" name="active" value={trigger.active ? "false" : "true"} />
              <button type="submit" class="secondary small-button">
                {trigger.active ? t("triggers:disable") : t("triggers:enable")}
              </button>
            </form>
            <form
              method="post"
              action={`/triggers/${trigger.id}/delete`}
              hx-post={`/triggers/${trigger.id}/delete`}
              hx-target="body"
              hx-swap="none"
              hx-confirm={tText("triggers:deleteConfirm")}
            >
              <CsrfField token={csrfToken} />
              <button type="submit" class="danger small-button">
                {t("common:actions.delete")}
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

const OUTCOME_TONE: Record<TriggerCheck["outcome"], "ok" | "warn" | "bad" | "muted"> = {
  fires: "ok",
  shadowed: "warn",
  no_match: "muted",
  inactive: "muted",
  other_instance: "muted",
};

/** One line of the test result: the trigger, its pattern and priority. */
function checkLine(trigger: Trigger): string {
  const vars = { name: titleOf(trigger), pattern: trigger.pattern, priority: trigger.priority };
  return tText(trigger.pattern ? "triggers:test.checkLineWithPattern" : "triggers:test.checkLine", vars);
}

/** Result of the "test a message" box: which trigger fires, and why the others do not. */
export function TriggerTestResult(props: {
  text: string;
  fired?: TriggerListItem;
  checks: (TriggerCheck & { item: TriggerListItem })[];
  errors?: FieldError[];
}) {
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
  return (
    <div id="trigger-test-result" role="status">
      {props.fired ? (
        <p class="test-verdict ok">
          {t("triggers:test.fires", { name: titleOf(props.fired.trigger), action: actionLabel(props.fired.trigger.action) })}{" "}
          <Target target={props.fired.target} />
        </p>
      ) : (
        <p class="test-verdict">{t("triggers:test.noneFires")}</p>
      )}
      {props.checks.length ? (
        <ol class="test-checks small">
          {props.checks.map((c) => (
            <li>
              <Badge tone={OUTCOME_TONE[c.outcome]}>{t(`triggers:test.outcome.${c.outcome}`)}</Badge> <span safe>{checkLine(c.trigger)}</span>
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
      <h2 id="trigger-test-title">{t("triggers:test.title")}</h2>
      <form method="post" action="/triggers/test" hx-post="/triggers/test" hx-target="#trigger-test-result" hx-swap="outerHTML" class="test-form">
        <CsrfField token={props.csrfToken} />
        <div class="field grow">
          <label for="test-text">{t("triggers:test.text")}</label>
          <input id="test-text" name="text" maxlength={2000} required placeholder={tText("triggers:test.textPlaceholder")} autocomplete="off" />
        </div>
        <div class="field">
          <label for="test-instance">{t("triggers:test.instance")}</label>
          <select id="test-instance" name="instanceId">
            <option value="">{t("triggers:test.anyInstance")}</option>
            {props.instances.map((i) => (
              <option value={i.id} safe>
                {i.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label class="row check-label">
            <input type="checkbox" name="firstMessage" value="true" /> {t("triggers:test.firstMessage")}
          </label>
        </div>
        <div class="field">
          <button type="submit">{t("triggers:test.submit")}</button>
        </div>
      </form>
      <p class="muted small">{t("triggers:test.note")}</p>
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
    <AdminLayout title={tText("triggers:title")} admin={props.admin} csrfToken={props.csrfToken} active="triggers" flash={props.flash}>
      <link rel="stylesheet" href="/static/flows.css" />
      <h1>{t("triggers:title")}</h1>
      <p class="muted">{t("triggers:intro")}</p>
      <p class="tip">{t("triggers:tip")}</p>
      {props.items.length === 0 ? (
        <EmptyState>{t("triggers:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table" id="triggers-table">
            <thead>
              <tr>
                <th>{t("triggers:columns.trigger")}</th>
                <th>{t("triggers:columns.pattern")}</th>
                <th>{t("triggers:columns.priority")}</th>
                <th>{t("triggers:columns.cooldown")}</th>
                <th>{t("triggers:columns.instances")}</th>
                <th>{t("triggers:columns.action")}</th>
                <th>{t("triggers:columns.status")}</th>
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
          <h2>{t("triggers:newTrigger")}</h2>
          <TriggerForm
            action="/triggers"
            values={props.values ?? {}}
            errors={props.errors}
            choices={props.choices}
            csrfToken={props.csrfToken}
            submitLabel={tText("triggers:form.create")}
          />
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
  const trigger = props.item.trigger;
  const title = trigger.name || (trigger.pattern ? `${matchLabel(trigger.match)} "${trigger.pattern}"` : matchLabel(trigger.match));
  return (
    <AdminLayout title={title} admin={props.admin} csrfToken={props.csrfToken} active="triggers" flash={props.flash}>
      <link rel="stylesheet" href="/static/flows.css" />
      <p>
        <a href="/triggers">{t("triggers:back")}</a>
      </p>
      <h1 safe>{title}</h1>
      <p class="row">
        <StatusBadge active={trigger.active} />
        <span class="muted small" safe>
          {actionLabel(trigger.action)}
        </span>
        <Target target={props.item.target} />
      </p>
      <p class="muted small">
        {t("triggers:lastChanged")} <Time at={trigger.updatedAt} />
      </p>
      {props.canManage ? (
        <>
          <TriggerForm
            action={`/triggers/${trigger.id}`}
            values={props.values}
            choices={props.choices}
            csrfToken={props.csrfToken}
            submitLabel={tText("common:actions.save")}
          />
          <form
            method="post"
            action={`/triggers/${trigger.id}/delete`}
            hx-post={`/triggers/${trigger.id}/delete`}
            hx-target="body"
            hx-swap="none"
            hx-confirm={tText("triggers:deleteConfirm")}
          >
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="danger">
              {t("triggers:deleteButton")}
            </button>
          </form>
        </>
      ) : (
        <dl class="kv card">
          <dt>{t("triggers:columns.match")}</dt>
          <dd safe>{matchLabel(trigger.match)}</dd>
          <dt>{t("triggers:columns.pattern")}</dt>
          <dd safe>{trigger.pattern || "—"}</dd>
          <dt>{t("triggers:columns.priority")}</dt>
          <dd safe>{String(trigger.priority)}</dd>
          <dt>{t("triggers:columns.cooldown")}</dt>
          <dd safe>{seconds(trigger.cooldownSeconds)}</dd>
          <dt>{t("triggers:columns.instances")}</dt>
          <dd>
            <InstanceNames names={props.item.instanceNames} />
          </dd>
        </dl>
      )}
    </AdminLayout>
  );
}
