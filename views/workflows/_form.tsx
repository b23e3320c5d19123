import type { FieldError } from "@/lib/errors";
import { Field, SelectField, fieldError } from "../components/ui";
import { WORKFLOW_LIMITS } from "@/features/workflows/workflow.schema";

export type WorkflowFormValues = Record<string, string | undefined>;

/** Create/edit form for a workflow; provider-specific fields are all present and labelled by provider. */
export function WorkflowForm(props: {
  action: string;
  values: WorkflowFormValues;
  errors?: FieldError[];
  flows: { id: string; name: string; version: number }[];
  editing?: boolean;
  submitLabel: string;
}) {
  const v = props.values;
  const provider = v.provider ?? "openai";
  return (
    <form id="workflow-form" class="card" method="post" action={props.action} hx-post={props.action} hx-target="#workflow-form" hx-swap="outerHTML">
      <Field label="Name" name="name" value={v.name} errors={props.errors} required maxlength={WORKFLOW_LIMITS.name} />
      <Field label="Description" name="description" value={v.description} errors={props.errors} maxlength={WORKFLOW_LIMITS.description} />
      {props.editing ? (
        <input type="hidden" name="provider" value={provider} />
      ) : (
        <SelectField
          label="Provider"
          name="provider"
          value={provider}
          errors={props.errors}
          options={[
            { value: "openai", label: "OpenAI-compatible model" },
            { value: "ast", label: "AST agent service" },
            { value: "flow", label: "Flow (deterministic)" },
          ]}
        />
      )}
      <fieldset class="provider-fields">
        <legend>OpenAI-compatible (provider openai)</legend>
        <Field label="Model" name="config.model" value={v["config.model"]} errors={props.errors} maxlength={WORKFLOW_LIMITS.model} placeholder="gpt-4o-mini" />
        <Field label="Base URL (empty = OPENAI_BASE_URL)" name="config.baseUrl" value={v["config.baseUrl"]} errors={props.errors} placeholder="https://api.openai.com/v1" />
        <Field label={props.editing ? "API key (empty = keep the current one; a new base URL needs a new key)" : "API key (required with your own base URL; empty = OPENAI_API_KEY)"} name="config.apiKey" type="password" errors={props.errors} autocomplete="off" />
        <Field label="Temperature (0–2)" name="config.temperature" value={v["config.temperature"]} errors={props.errors} />
        <Field label="Max tokens" name="config.maxTokens" value={v["config.maxTokens"]} errors={props.errors} />
        <div class={fieldError(props.errors, "config.systemPrompt") ? "field has-error" : "field"}>
          <label for="f-systemPrompt">System prompt</label>
          <textarea id="f-systemPrompt" name="config.systemPrompt" rows="4" maxlength={WORKFLOW_LIMITS.systemPrompt} safe>
            {v["config.systemPrompt"] ?? ""}
          </textarea>
        </div>
      </fieldset>
      <fieldset class="provider-fields">
        <legend>AST (provider ast)</legend>
        <Field label="AST workflow id" name="config.providerId" value={v["config.providerId"]} errors={props.errors} placeholder="wf_…" />
      </fieldset>
      <fieldset class="provider-fields">
        <legend>Flow (provider flow)</legend>
        <SelectField
          label="Flow"
          name="config.flowId"
          value={v["config.flowId"]}
          errors={props.errors}
          options={[{ value: "", label: "—" }, ...props.flows.map((f) => ({ value: f.id, label: `${f.name} (v${f.version})` }))]}
        />
      </fieldset>
      <fieldset>
        <legend>Conversations bound to this workflow</legend>
        <Field label="Fallback template key (empty = hand off to a human on failure)" name="config.fallbackTemplateKey" value={v["config.fallbackTemplateKey"]} errors={props.errors} />
        <Field label="Debounce seconds (default 3)" name="config.debounceSeconds" value={v["config.debounceSeconds"]} errors={props.errors} />
        <Field
          label="Follow-ups (one per line: seconds template_key)"
          name="followUps"
          value={v.followUps}
          errors={props.errors}
          placeholder="3600 reminder_1"
          hint="Sent when the contact stays silent after the bot spoke, in order."
        />
      </fieldset>
      <div class="row">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}
