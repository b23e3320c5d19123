import type { FieldError } from "@/lib/errors";
import { Field, SelectField, fieldError } from "../components/ui";
import { LLM_VENDORS, WORKFLOW_LIMITS } from "@/features/workflows/workflow.schema";
import { BUILTIN_TOOLS, DEFAULT_CEP_URL, TOOL_LIMITS } from "@/features/tools/tool.schema";
import { t, tText } from "@/lib/i18n";
import { PersonaFields } from "./_persona";
import { VisionField } from "./_vision";
import { HitlWorkflowFields } from "../suggestions/_workflow-fields";
import { KnowledgePicker } from "../knowledge/_picker";

/** Example values shown as placeholders: the same in every language. */
const EXAMPLES = { model: "gpt-4o-mini", baseUrl: "https://api.openai.com/v1", astWorkflowId: "wf_…", followUps: "3600 reminder_1" } as const;

export type WorkflowFormValues = Record<string, string | undefined>;

/** Create/edit form for a workflow; provider-specific fields are all present and labelled by provider. */
export function WorkflowForm(props: {
  action: string;
  values: WorkflowFormValues;
  errors?: FieldError[];
  flows: { id: string; name: string; version: number }[];
  /** The organization's custom HTTP tools, to switch on per workflow. */
  tools: { id: string; name: string; description: string }[];
  editing?: boolean;
  submitLabel: string;
}) {
  const v = props.values;
  const provider = v.provider ?? "openai";
  const builtin = new Set((v["config.tools.builtin"] ?? "").split(",").filter(Boolean));
  const custom = new Set((v["config.tools.custom"] ?? "").split(",").filter(Boolean));
  const toolsError = props.errors?.find((e) => /^config\.tools\.(builtin|custom)/.test(e.path))?.message;
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
        <SelectField
          label={tText("workflows:form.vendor")}
          name="config.vendor"
          value={v["config.vendor"] ?? "openai"}
          errors={props.errors}
          options={LLM_VENDORS.map((vendor) => ({ value: vendor, label: tText(`workflows:vendors.${vendor}`) }))}
        />
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
        <VisionField checked={v["config.vision"] === "on"} />
        <HitlWorkflowFields draftOnly={v["config.draftOnly"] === "on"} sentimentOptOut={v["config.sentimentOptOut"] === "on"} />
        {/* Once created, instructions are edited as drafts and versions in the Instructions tab. */}
        {props.editing ? (
          <p class="muted small">
            <a href="#instructions">{t("prompts:tab.editHint")}</a>
          </p>
        ) : (
          <div class={fieldError(props.errors, "config.systemPrompt") ? "field has-error" : "field"}>
            <label for="f-systemPrompt">{t("workflows:form.systemPrompt")}</label>
            <textarea id="f-systemPrompt" name="config.systemPrompt" rows="4" maxlength={WORKFLOW_LIMITS.systemPrompt} safe>
              {v["config.systemPrompt"] ?? ""}
            </textarea>
          </div>
        )}
      </fieldset>
      <PersonaFields values={v} errors={props.errors} />
      <fieldset class="provider-fields" id="tools-fields">
        <legend>{t("workflows:form.toolsLegend")}</legend>
        <div class={toolsError ? "field has-error" : "field"}>
          {BUILTIN_TOOLS.map((name) => (
            <label class="checkbox">
              <input type="checkbox" name="config.tools.builtin" value={name} checked={builtin.has(name)} /> {t(`tools:builtin.labels.${name}`)}
            </label>
          ))}
          {props.tools.map((tool) => (
            <label class="checkbox">
              <input type="checkbox" name="config.tools.custom" value={tool.id} checked={custom.has(tool.id)} /> <code safe>{tool.name}</code>{" "}
              <span class="muted" safe>
                {tool.description}
              </span>
            </label>
          ))}
          {toolsError ? (
            <p class="error" safe>
              {toolsError}
            </p>
          ) : (
            ""
          )}
          <p class="muted small">{t("workflows:form.customToolsHint")}</p>
        </div>
        <Field
          label={tText("workflows:form.maxSteps")}
          name="config.tools.maxSteps"
          value={v["config.tools.maxSteps"]}
          errors={props.errors}
          placeholder={String(TOOL_LIMITS.maxStepsDefault)}
        />
        <Field label={tText("workflows:form.departments")} name="config.tools.departments" value={v["config.tools.departments"]} errors={props.errors} />
        <Field
          label={tText("workflows:form.cepUrl")}
          name="config.tools.cepUrl"
          value={v["config.tools.cepUrl"]}
          errors={props.errors}
          placeholder={DEFAULT_CEP_URL}
        />
      </fieldset>
      <KnowledgePicker selected={v["config.knowledgeCollectionIds"]} errors={props.errors} />
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
