import Html from "@kitajs/html";
import type { FieldError } from "@/lib/errors";
import type { FlowStep } from "@/features/flows/flow.service";
import { FLOW_LIMITS } from "@/features/flows/flow.schema";
import { FLOW_STEP_TYPES } from "@/db/schema";
import { t, tText } from "@/lib/i18n";
import { fieldErrors } from "@/lib/forms";
import { Badge, CsrfField, Field, SelectField, fieldError } from "../components/ui";

/** How a step type reads ("send a text"), in the request's language. */
export const stepTypeLabel = (type: (typeof FLOW_STEP_TYPES)[number]) => tText(`flows:stepTypes.${type}`);

/** Typed text going into an attribute: the renderer only escapes quotes there, we escape all markup. */
export const attr = (v: string | undefined) => (v === undefined ? undefined : Html.escapeHtml(v));

export type StepFormValues = {
  key?: string;
  type?: string;
  templateKey?: string;
  text?: string;
  /** Named by their `/v1` path, so the API's field errors land on them. */
  "config.variable"?: string;
  "config.workflowId"?: string;
  waitForInput?: string;
  transitions?: string;
  order?: string;
};

export type StepChoices = { templateKeys: string[]; workflows: { id: string; name: string }[] };

/** Whether the run stops at this step until the contact answers (mirrors the engine). */
export function waitsForInput(step: Pick<FlowStep, "type" | "waitForInput">): boolean {
  return step.type === "collect_input" || step.type === "choice" || step.waitForInput;
}

/** The step key a validation problem is about (`steps.<key>…`), if any. */
export function problemStepKey(path: string): string | undefined {
  const [head, key] = path.split(".");
  return head === "steps" && key ? key : undefined;
}

function Transitions({ step }: { step: FlowStep }) {
  const entries = Object.entries(step.transitions).sort(([a], [b]) => (a === "*" ? 1 : b === "*" ? -1 : 0));
  if (entries.length === 0) return <span class="muted small">{t("flows:steps.nextByOrder")}</span>;
  return (
    <ul class="transitions">
      {entries.map(([answer, target]) => (
        <li>
          {answer === "*" ? <em>{t("flows:steps.anythingElse")}</em> : <code safe>{answer}</code>} →{" "}
          <a href={`#step-${target}`} safe>
            {target}
          </a>
        </li>
      ))}
    </ul>
  );
}

/** The steps of a version in run order; steps with validation problems are highlighted with their problems. */
export function StepsTable(props: {
  flowId: string;
  steps: FlowStep[];
  problems: FieldError[];
  editable: boolean;
  workflowNames: Map<string, string>;
  csrfToken: string;
}) {
  const problemsOf = (key: string) => props.problems.filter((p) => problemStepKey(p.path) === key);
  return (
    <div class="table-wrap">
      <table class="stack-table steps-table" id="steps-table">
        <thead>
          <tr>
            <th>#</th>
            <th>{t("flows:steps.key")}</th>
            <th>{t("flows:steps.type")}</th>
            <th>{t("flows:steps.sends")}</th>
            <th>{t("flows:steps.waits")}</th>
            <th>{t("flows:steps.transitions")}</th>
            {props.editable ? <th></th> : ""}
          </tr>
        </thead>
        <tbody>
          {props.steps.map((s, index) => {
            const problems = problemsOf(s.key);
            const workflowId = typeof s.config.workflowId === "string" ? s.config.workflowId : undefined;
            return (
              <tr id={`step-${s.key}`} class={problems.length ? "step-row has-problem" : "step-row"}>
                <td data-label={tText("flows:steps.order")}>
                  {s.order}
                  {index === 0 ? <div class="muted small">{t("flows:steps.start")}</div> : ""}
                </td>
                <td data-label={tText("flows:steps.key")}>
                  <code safe>{s.key}</code>
                  {problems.map((p) => (
                    <div class="error small" safe>
                      {p.message}
                    </div>
                  ))}
                </td>
                <td data-label={tText("flows:steps.type")} safe>
                  {stepTypeLabel(s.type)}
                </td>
                <td data-label={tText("flows:steps.sends")}>
                  {s.templateKey ? <div>{t("flows:steps.template", { key: s.templateKey })}</div> : ""}
                  {s.text ? (
                    <div class="step-text" safe>
                      {s.text}
                    </div>
                  ) : (
                    ""
                  )}
                  {s.type === "collect_input" && typeof s.config.variable === "string" ? (
                    <div class="muted small">{t("flows:steps.storesAnswer", { variable: `{{${s.config.variable}}}` })}</div>
                  ) : (
                    ""
                  )}
                  {workflowId ? <div class="muted small">{t("flows:steps.workflow", { name: props.workflowNames.get(workflowId) ?? workflowId })}</div> : ""}
                  {!s.templateKey && !s.text && s.type !== "collect_input" && !workflowId ? <span class="muted">—</span> : ""}
                </td>
                <td data-label={tText("flows:steps.waitsForInput")}>
                  {waitsForInput(s) ? <Badge>{t("flows:steps.waitsBadge")}</Badge> : <span class="muted">—</span>}
                </td>
                <td data-label={tText("flows:steps.transitions")}>
                  <Transitions step={s} />
                </td>
                {props.editable ? (
                  <td>
                    <div class="row row-actions">
                      <a class="button secondary small-button" href={`/flows/${props.flowId}?step=${encodeURIComponent(s.key)}#step-form`}>
                        {t("common:actions.edit")}
                      </a>
                      <form
                        method="post"
                        action={`/flows/${props.flowId}/steps/${encodeURIComponent(s.key)}/delete`}
                        hx-post={`/flows/${props.flowId}/steps/${encodeURIComponent(s.key)}/delete`}
                        hx-target="body"
                        hx-swap="none"
                        hx-confirm={tText("flows:steps.deleteConfirm")}
                      >
                        <CsrfField token={props.csrfToken} />
                        <button type="submit" class="danger small-button">
                          {t("common:actions.delete")}
                        </button>
                      </form>
                    </div>
                  </td>
                ) : (
                  ""
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Add/edit form for a step; `editingKey` set = replaces that step (its key may change). */
export function StepForm(props: {
  flowId: string;
  values: StepFormValues;
  errors?: FieldError[];
  choices: StepChoices;
  editingKey?: string;
  csrfToken: string;
}) {
  const v = props.values;
  const action = props.editingKey ? `/flows/${props.flowId}/steps/${encodeURIComponent(props.editingKey)}` : `/flows/${props.flowId}/steps`;
  // A transition's own error (`transitions.<answer>`) names its line.
  const transitionErrors = fieldErrors(props.errors, "transitions").map((e) => ({
    path: e.path,
    message: e.path === "transitions" ? e.message : tText("flows:errors.transitionError", { answer: e.path.slice("transitions.".length), message: e.message }),
  }));
  const textError = fieldError(props.errors, "text");
  return (
    <form id="step-form" class="card" method="post" action={action} hx-post={action} hx-target="#step-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      <h3>{props.editingKey ? t("flows:stepForm.edit", { key: props.editingKey }) : t("flows:stepForm.add")}</h3>
      <div class="form-grid">
        <Field
          label={tText("flows:stepForm.key")}
          name="key"
          value={attr(v.key)}
          errors={props.errors}
          required
          maxlength={FLOW_LIMITS.stepKey}
          placeholder={tText("flows:stepForm.keyPlaceholder")}
          hint={tText("flows:stepForm.keyHint")}
        />
        <SelectField
          label={tText("flows:stepForm.type")}
          name="type"
          value={v.type ?? "send_text"}
          errors={props.errors}
          options={FLOW_STEP_TYPES.map((type) => ({ value: type, label: stepTypeLabel(type) }))}
        />
        <Field label={tText("flows:stepForm.order")} name="order" type="number" value={attr(v.order ?? "0")} errors={props.errors} />
      </div>
      <SelectField
        label={tText("flows:stepForm.template")}
        name="templateKey"
        value={v.templateKey}
        errors={props.errors}
        options={[{ value: "", label: "—" }, ...props.choices.templateKeys.map((k) => ({ value: k, label: k }))]}
      />
      <div class={textError ? "field has-error" : "field"}>
        <label for="step-text">{t("flows:stepForm.text", { example: "{{variables}}" })}</label>
        <textarea
          id="step-text"
          name="text"
          rows="3"
          maxlength={FLOW_LIMITS.text}
          aria-invalid={textError ? "true" : undefined}
          aria-describedby={textError ? "f-text-error" : undefined}
          safe
        >
          {v.text ?? ""}
        </textarea>
        {textError ? (
          <small class="error" id="f-text-error" safe>
            {textError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class="form-grid">
        <Field
          label={tText("flows:stepForm.variable")}
          name="config.variable"
          value={attr(v["config.variable"])}
          errors={props.errors}
          maxlength={FLOW_LIMITS.variable}
          placeholder={tText("flows:stepForm.variablePlaceholder")}
        />
        <SelectField
          label={tText("flows:stepForm.workflow")}
          name="config.workflowId"
          value={v["config.workflowId"]}
          errors={props.errors}
          options={[{ value: "", label: "—" }, ...props.choices.workflows.map((w) => ({ value: w.id, label: w.name }))]}
        />
      </div>
      <div class={transitionErrors.length ? "field has-error" : "field"}>
        <label for="step-transitions">{t("flows:stepForm.transitions")}</label>
        <textarea id="step-transitions" name="transitions" rows="3" placeholder={tText("flows:stepForm.transitionsPlaceholder")} safe>
          {v.transitions ?? ""}
        </textarea>
        <small class="hint">{t("flows:stepForm.transitionsHint")}</small>
        {transitionErrors.map((e) => (
          <small class="error" data-error-for={e.path} safe>
            {e.message}
          </small>
        ))}
      </div>
      <label class="row">
        <input type="checkbox" name="waitForInput" value="true" checked={v.waitForInput === "true"} /> {t("flows:stepForm.waitForInput")}
      </label>
      {fieldError(props.errors, "(body)") ? (
        <p class="error" safe>
          {fieldError(props.errors, "(body)")}
        </p>
      ) : (
        ""
      )}
      <div class="row form-actions">
        <button type="submit">{props.editingKey ? t("flows:stepForm.save") : t("flows:stepForm.submitAdd")}</button>
        {props.editingKey ? (
          <a href={`/flows/${props.flowId}#steps-table`} class="button secondary">
            {t("common:actions.cancel")}
          </a>
        ) : (
          ""
        )}
      </div>
    </form>
  );
}
