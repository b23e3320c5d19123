import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { Flow, FlowStep } from "@/features/flows/flow.service";
import type { TryRun } from "@/features/flows/flow.try";
import { FLOW_LIMITS } from "@/features/flows/flow.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, Time, fieldError } from "../components/ui";
import { ProblemsPanel } from "./_problems";
import { StepForm, StepsTable, attr, type StepChoices, type StepFormValues } from "./_steps";
import { TryPanel } from "./_try";

export type SettingsValues = { name?: string; followUps?: string };

const STATUS_TONE = { draft: "warn", published: "ok", archived: "muted" } as const;

export function StatusBadge({ flow }: { flow: Pick<Flow, "status" | "version"> }) {
  return <Badge tone={STATUS_TONE[flow.status]}>{t(`flows:version.${flow.status}`, { version: flow.version })}</Badge>;
}

/** Name and follow-up stages ("seconds template_key" per line) of a draft. */
export function SettingsForm(props: { flowId: string; values: SettingsValues; errors?: FieldError[]; csrfToken: string }) {
  const action = `/flows/${props.flowId}/settings`;
  const followUpErrors = props.errors?.filter((e) => e.path.startsWith("followUps")) ?? [];
  return (
    <form id="settings-form" class="card" method="post" action={action} hx-post={action} hx-target="#settings-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      <Field label={tText("flows:settings.name")} name="name" value={attr(props.values.name)} errors={props.errors} required maxlength={FLOW_LIMITS.name} />
      <div class={followUpErrors.length ? "field has-error" : "field"}>
        <label for="flow-followups">{t("flows:settings.followUps")}</label>
        <textarea id="flow-followups" name="followUps" rows="3" placeholder={tText("flows:settings.followUpsPlaceholder")} safe>
          {props.values.followUps ?? ""}
        </textarea>
        <small class="hint">{t("flows:settings.followUpsHint")}</small>
        {followUpErrors.map((e) => (
          <small class="error" safe>
            {e.message}
          </small>
        ))}
      </div>
      {fieldError(props.errors, "(body)") ? (
        <p class="error" safe>
          {fieldError(props.errors, "(body)")}
        </p>
      ) : (
        ""
      )}
      <div class="row">
        <button type="submit">{t("flows:settings.submit")}</button>
      </div>
    </form>
  );
}

function VersionHistory({ flow, versions }: { flow: Flow; versions: Flow[] }) {
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">{t("flows:versions.title")}</h2>
      <ul class="versions">
        {versions.map((v) => (
          <li class={v.id === flow.id ? "current" : undefined}>
            {v.id === flow.id ? (
              <strong>
                <StatusBadge flow={v} /> {t("flows:versions.shown")}
              </strong>
            ) : (
              <a href={`/flows/${v.id}`}>
                <StatusBadge flow={v} />
              </a>
            )}{" "}
            <span class="muted small">
              <Time at={v.updatedAt} />
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function FlowEditor(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  flow: Flow;
  steps: FlowStep[];
  problems: FieldError[];
  versions: Flow[];
  canManage: boolean;
  choices: StepChoices;
  workflowNames: Map<string, string>;
  stepForm: { values: StepFormValues; errors?: FieldError[]; editingKey?: string };
  settings: { values: SettingsValues; errors?: FieldError[] };
  tryRun?: TryRun;
  tryError?: string;
  publishRefused?: boolean;
}) {
  const f = props.flow;
  const isDraft = f.status === "draft";
  const editable = isDraft && props.canManage;
  const draft = props.versions.find((v) => v.status === "draft");
  return (
    <AdminLayout
      title={tText("flows:editor.title", { name: f.name, version: f.version })}
      admin={props.admin}
      csrfToken={props.csrfToken}
      active="flows"
      flash={props.flash}
    >
      <link rel="stylesheet" href="/static/flows.css" />
      <p>
        <a href="/flows">{t("flows:back")}</a>
      </p>
      <div class="row flow-head">
        <h1 safe>{f.name}</h1>
        <StatusBadge flow={f} />
        <span class="spacer" />
        {editable ? (
          <form method="post" action={`/flows/${f.id}/publish`} hx-post={`/flows/${f.id}/publish`} hx-target="#flow-problems" hx-swap="outerHTML">
            <CsrfField token={props.csrfToken} />
            <button type="submit">{t("flows:editor.publish")}</button>
          </form>
        ) : (
          ""
        )}
        {!isDraft && props.canManage ? (
          draft ? (
            <a class="button" href={`/flows/${draft.id}`}>
              {t("flows:editor.openDraft", { version: draft.version })}
            </a>
          ) : (
            <form method="post" action={`/flows/${f.id}/draft`} hx-post={`/flows/${f.id}/draft`} hx-target="body" hx-swap="none">
              <CsrfField token={props.csrfToken} />
              <button type="submit">{t("flows:editor.newDraft")}</button>
            </form>
          )
        ) : (
          ""
        )}
      </div>
      {props.problems.length ? (
        <p>
          <a href="#flow-problems" class="error">
            {t("flows:editor.problemsToFix", { count: props.problems.length })}
          </a>
        </p>
      ) : (
        ""
      )}
      {isDraft ? (
        <p class="muted small">{t("flows:editor.draftNote")}</p>
      ) : (
        <p class="muted small">{f.status === "published" ? t("flows:editor.publishedNote") : t("flows:editor.archivedNote")}</p>
      )}

      <div class="flow-layout">
        <div class="flow-main">
          <h2>{t("flows:editor.steps")}</h2>
          {props.steps.length === 0 ? (
            <EmptyState>{t("flows:editor.noSteps")}</EmptyState>
          ) : (
            <StepsTable
              flowId={f.id}
              steps={props.steps}
              problems={props.problems}
              editable={editable}
              workflowNames={props.workflowNames}
              csrfToken={props.csrfToken}
            />
          )}
          {editable ? (
            <StepForm
              flowId={f.id}
              values={props.stepForm.values}
              errors={props.stepForm.errors}
              choices={props.choices}
              editingKey={props.stepForm.editingKey}
              csrfToken={props.csrfToken}
            />
          ) : (
            ""
          )}
          {editable ? (
            <>
              <h2>{t("flows:editor.settings")}</h2>
              <SettingsForm flowId={f.id} values={props.settings.values} errors={props.settings.errors} csrfToken={props.csrfToken} />
            </>
          ) : f.followUps.length ? (
            <>
              <h2>{t("flows:editor.followUps")}</h2>
              <ul class="card">
                {f.followUps.map((s) => (
                  <li>{t("flows:editor.followUpLine", { seconds: s.delaySeconds, template: s.templateKey })}</li>
                ))}
              </ul>
            </>
          ) : (
            ""
          )}
        </div>
        <aside class="flow-side">
          <ProblemsPanel problems={props.problems} status={f.status} refused={props.publishRefused} />
          <TryPanel flowId={f.id} version={f.version} run={props.tryRun} error={props.tryError} csrfToken={props.csrfToken} />
          <VersionHistory flow={f} versions={props.versions} />
        </aside>
      </div>
    </AdminLayout>
  );
}
