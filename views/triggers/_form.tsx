import Html from "@kitajs/html";
import type { FieldError } from "@/lib/errors";
import { TRIGGER_MATCHES } from "@/db/schema";
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

export const MATCH_LABELS: Record<(typeof TRIGGER_MATCHES)[number], string> = {
  equals: "equals (whole message)",
  contains: "contains",
  regex: "regular expression",
  number: "a number",
  any: "any message",
  first_message: "first message of a contact",
};

export const ACTION_LABELS = {
  reply_template: "reply with a template",
  start_flow: "start a flow",
  hand_to_workflow: "hand to a workflow",
} as const;

/** Create/edit form for a trigger; every action's target picker is present, labelled by action. */
export function TriggerForm(props: { action: string; values: TriggerFormValues; errors?: FieldError[]; choices: TriggerChoices; csrfToken: string; submitLabel: string }) {
  const v = props.values;
  const c = props.choices;
  const chosen = new Set(v.instanceIds ?? []);
  const instancesError = fieldError(props.errors, "instanceIds");
  return (
    <form id="trigger-form" class="card" method="post" action={props.action} hx-post={props.action} hx-target="#trigger-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      <Field label="Name (optional)" name="name" value={attr(v.name)} errors={props.errors} maxlength={120} placeholder="Menu keyword" />
      <div class="form-grid">
        <SelectField label="Match" name="match" value={v.match ?? "equals"} errors={props.errors} options={TRIGGER_MATCHES.map((m) => ({ value: m, label: MATCH_LABELS[m] }))} />
        <Field
          label="Pattern"
          name="pattern"
          value={attr(v.pattern)}
          errors={props.errors}
          maxlength={200}
          placeholder="menu"
          hint="Text for equals/contains, a regex (RE2 syntax: no backreferences or lookaround), a number (empty = any number); ignored for any/first message. Case-insensitive."
        />
        <Field label="Priority (higher runs first)" name="priority" type="number" value={attr(v.priority ?? "0")} errors={props.errors} />
        <Field label="Cooldown seconds (per contact)" name="cooldownSeconds" type="number" value={attr(v.cooldownSeconds ?? "0")} errors={props.errors} />
      </div>
      <fieldset class={instancesError ? "has-error" : undefined}>
        <legend>Instances (none checked = every instance)</legend>
        {c.instances.length === 0 ? <p class="muted small">No instances yet: the trigger applies to every instance you add.</p> : ""}
        <div class="check-grid">
          {c.instances.map((i) => (
            <label class="row">
              <input type="checkbox" name="instanceIds" value={i.id} checked={chosen.has(i.id)} /> <span safe>{i.name}</span>
            </label>
          ))}
        </div>
        {instancesError ? <small class="error" safe>{instancesError}</small> : ""}
      </fieldset>
      <SelectField label="Action" name="action" value={v.action ?? "reply_template"} errors={props.errors} options={Object.entries(ACTION_LABELS).map(([value, label]) => ({ value, label }))} />
      <div class="form-grid">
        <SelectField
          label="Template (reply with a template)"
          name="templateKey"
          value={v.templateKey}
          errors={props.errors}
          options={[{ value: "", label: "—" }, ...c.templateKeys.map((k) => ({ value: k, label: k }))]}
        />
        <SelectField
          label="Flow (start a flow; live versions)"
          name="flowId"
          value={v.flowId}
          errors={props.errors}
          options={[{ value: "", label: "—" }, ...c.flows.map((f) => ({ value: f.id, label: `${f.name} (v${f.version})` }))]}
        />
        <SelectField
          label="Workflow (hand to a workflow)"
          name="workflowId"
          value={v.workflowId}
          errors={props.errors}
          options={[{ value: "", label: "—" }, ...c.workflows.map((w) => ({ value: w.id, label: w.system ? `${w.name} (system)` : w.name }))]}
        />
      </div>
      <label class="row">
        <input type="checkbox" name="active" value="true" checked={v.active !== "false"} /> Active
      </label>
      <div class="row form-actions">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}
