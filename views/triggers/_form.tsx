import Html from "@kitajs/html";
import type { FieldError } from "@/lib/errors";
import { TRIGGER_MATCHES } from "@/db/schema";
import { TRIGGER_ACTIONS } from "@/features/triggers/trigger.schema";
import { t, tText } from "@/lib/i18n";
import { CsrfField, Field, SelectField, fieldError } from "../components/ui";

/** Typed text going into an attribute: the renderer only escapes quotes there, we escape all markup. */
const attr = (v: string | undefined) => (v === undefined ? undefined : Html.escapeHtml(v));

export type TriggerFormValues = {
  name?: string;
  match?: string;
  pattern?: string;
  priority?: string;
  cooldownSeconds?: string;
  instanceIds?: string[];
  active?: string;
  action?: string;
  templateKey?: string;
  flowId?: string;
  workflowId?: string;
};

/** What the form's pickers offer: the organization's instances, templates, live flows and workflows. */
export type TriggerChoices = {
  instances: { id: string; name: string }[];
  templateKeys: string[];
  /** One per flow with a live version; the id is the live version's (a trigger follows its lineage). */
  flows: { id: string; name: string; version: number }[];
  workflows: { id: string; name: string; system: boolean }[];
};

/** How a match rule reads ("equals (whole message)"), in the request's language. */
export const matchLabel = (match: (typeof TRIGGER_MATCHES)[number]) => tText(`triggers:match.${match}`);

/** How an action reads ("reply with a template"), in the request's language. */
export const actionLabel = (action: (typeof TRIGGER_ACTIONS)[number]) => tText(`triggers:action.${action}`);

/** Create/edit form for a trigger; every action's target picker is present, labelled by action. */
export function TriggerForm(props: {
  action: string;
  values: TriggerFormValues;
  errors?: FieldError[];
  choices: TriggerChoices;
  csrfToken: string;
  submitLabel: string;
}) {
  const v = props.values;
  const c = props.choices;
  const chosen = new Set(v.instanceIds ?? []);
  const instancesError = fieldError(props.errors, "instanceIds");
  return (
    <form id="trigger-form" class="card" method="post" action={props.action} hx-post={props.action} hx-target="#trigger-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      <Field
        label={tText("triggers:form.name")}
        name="name"
        value={attr(v.name)}
        errors={props.errors}
        maxlength={120}
        placeholder={tText("triggers:form.namePlaceholder")}
      />
      <div class="form-grid">
        <SelectField
          label={tText("triggers:form.match")}
          name="match"
          value={v.match ?? "equals"}
          errors={props.errors}
          options={TRIGGER_MATCHES.map((m) => ({ value: m, label: matchLabel(m) }))}
        />
        <Field
          label={tText("triggers:form.pattern")}
          name="pattern"
          value={attr(v.pattern)}
          errors={props.errors}
          maxlength={200}
          placeholder={tText("triggers:form.patternPlaceholder")}
          hint={tText("triggers:form.patternHint")}
        />
        <Field label={tText("triggers:form.priority")} name="priority" type="number" value={attr(v.priority ?? "0")} errors={props.errors} />
        <Field label={tText("triggers:form.cooldown")} name="cooldownSeconds" type="number" value={attr(v.cooldownSeconds ?? "0")} errors={props.errors} />
      </div>
      <fieldset class={instancesError ? "has-error" : undefined}>
        <legend>{t("triggers:form.instances")}</legend>
        {c.instances.length === 0 ? <p class="muted small">{t("triggers:form.noInstances")}</p> : ""}
        <div class="check-grid">
          {c.instances.map((i) => (
            <label class="row">
              <input type="checkbox" name="instanceIds" value={i.id} checked={chosen.has(i.id)} /> <span safe>{i.name}</span>
            </label>
          ))}
        </div>
        {instancesError ? (
          <small class="error" safe>
            {instancesError}
          </small>
        ) : (
          ""
        )}
      </fieldset>
      <SelectField
        label={tText("triggers:form.action")}
        name="action"
        value={v.action ?? "reply_template"}
        errors={props.errors}
        options={TRIGGER_ACTIONS.map((a) => ({ value: a, label: actionLabel(a) }))}
      />
      <div class="form-grid">
        <SelectField
          label={tText("triggers:form.template")}
          name="templateKey"
          value={v.templateKey}
          errors={props.errors}
          options={[{ value: "", label: "—" }, ...c.templateKeys.map((k) => ({ value: k, label: k }))]}
        />
        <SelectField
          label={tText("triggers:form.flow")}
          name="flowId"
          value={v.flowId}
          errors={props.errors}
          options={[
            { value: "", label: "—" },
            ...c.flows.map((f) => ({ value: f.id, label: tText("triggers:form.flowOption", { name: f.name, version: f.version }) })),
          ]}
        />
        <SelectField
          label={tText("triggers:form.workflow")}
          name="workflowId"
          value={v.workflowId}
          errors={props.errors}
          options={[
            { value: "", label: "—" },
            ...c.workflows.map((w) => ({ value: w.id, label: w.system ? tText("triggers:form.systemWorkflow", { name: w.name }) : w.name })),
          ]}
        />
      </div>
      <label class="row">
        <input type="checkbox" name="active" value="true" checked={v.active !== "false"} /> {t("triggers:form.active")}
      </label>
      <div class="row form-actions">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}
