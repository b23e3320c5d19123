import type { FieldError } from "@/lib/errors";
import { Field, SelectField, fieldError } from "../components/ui";
import { WORKFLOW_LIMITS } from "@/features/workflows/workflow.schema";
import { t, tText } from "@/lib/i18n";

/** Example values shown as placeholders: the same in every language. */
const EXAMPLES = { model: "gpt-4o-mini", baseUrl: "https://api.openai.com/v1", astWorkflowId: "wf_…", followUps: "3600 reminder_1" } as const;

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
      <Field label={tText("workflows:form.name")} name="name" value={v.name} errors={props.errors} required maxlength={WORKFLOW_LIMITS.name} />
      <Field
        label={tText("workflows:form.description")}
        name="description"
        value={v.description}
        errors={props.errors}
        maxlength={WORKFLOW_LIMITS.description}
      />
      {props.editing ? (
        <input type="hidden" name="provider" value={provider} />
      ) : (
        <SelectField
          label={tText("workflows:form.provider")}
          name="provider"
          value={provider}
          errors={props.errors}
          options={[
            { value: "openai", label: tText("workflows:providers.openai") },
            { value: "ast", label: tText("workflows:providers.ast") },
            { value: "flow", label: tText("workflows:providers.flow") },
          ]}
        />
      )}
      <fieldset class="provider-fields">
        <legend>{t("workflows:form.openaiLegend")}</legend>
        <Field
          label={tText("workflows:form.model")}
          name="config.model"
          value={v["config.model"]}
          errors={props.errors}
          maxlength={WORKFLOW_LIMITS.model}
          placeholder={EXAMPLES.model}
        />
        <Field label={tText("workflows:form.baseUrl")} name="config.baseUrl" value={v["config.baseUrl"]} errors={props.errors} placeholder={EXAMPLES.baseUrl} />
        <Field
          label={tText(props.editing ? "workflows:form.apiKeyEditing" : "workflows:form.apiKeyNew")}
          name="config.apiKey"
          type="password"
          errors={props.errors}
          autocomplete="off"
        />
        <Field label={tText("workflows:form.temperature")} name="config.temperature" value={v["config.temperature"]} errors={props.errors} />
        <Field label={tText("workflows:form.maxTokens")} name="config.maxTokens" value={v["config.maxTokens"]} errors={props.errors} />
        <div class={fieldError(props.errors, "config.systemPrompt") ? "field has-error" : "field"}>
          <label for="f-systemPrompt">{t("workflows:form.systemPrompt")}</label>
          <textarea id="f-systemPrompt" name="config.systemPrompt" rows="4" maxlength={WORKFLOW_LIMITS.systemPrompt} safe>
            {v["config.systemPrompt"] ?? ""}
          </textarea>
        </div>
      </fieldset>
      <fieldset class="provider-fields">
        <legend>{t("workflows:form.astLegend")}</legend>
        <Field
          label={tText("workflows:form.astWorkflowId")}
          name="config.providerId"
          value={v["config.providerId"]}
          errors={props.errors}
          placeholder={EXAMPLES.astWorkflowId}
        />
      </fieldset>
      <fieldset class="provider-fields">
        <legend>{t("workflows:form.flowLegend")}</legend>
        <SelectField
          label={tText("workflows:form.flow")}
          name="config.flowId"
          value={v["config.flowId"]}
          errors={props.errors}
          options={[
            { value: "", label: "—" },
            ...props.flows.map((f) => ({ value: f.id, label: tText("workflows:form.flowOption", { name: f.name, version: f.version }) })),
          ]}
        />
      </fieldset>
      <fieldset>
        <legend>{t("workflows:form.conversationsLegend")}</legend>
        <Field
          label={tText("workflows:form.fallbackTemplateKey")}
          name="config.fallbackTemplateKey"
          value={v["config.fallbackTemplateKey"]}
          errors={props.errors}
        />
        <Field label={tText("workflows:form.debounceSeconds")} name="config.debounceSeconds" value={v["config.debounceSeconds"]} errors={props.errors} />
        <Field
          label={tText("workflows:form.followUps")}
          name="followUps"
          value={v.followUps}
          errors={props.errors}
          placeholder={EXAMPLES.followUps}
          hint={tText("workflows:form.followUpsHint")}
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
