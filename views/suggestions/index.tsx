import type { AdminContext } from "@/auth/plugin";
import type { DiffLine } from "@/features/prompts/prompt.service";
import type { PromptSuggestion } from "@/features/suggestions/prompt-suggestion.service";
import type { DepartmentMode, LearningEvent } from "@/features/suggestions/suggestion.service";
import type { SentimentSettingsView } from "@/features/sentiment/sentiment.service";
import { AUTO_SUGGEST_MIN_EVENTS, SUGGESTION_LIMITS } from "@/features/suggestions/suggestion.schema";
import { SENTIMENT_LIMITS } from "@/features/sentiment/sentiment.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Time, fieldError } from "../components/ui";

type Listed = PromptSuggestion & { workflowName: string };
type Option = { id: string; name: string };

const STATUS_TONE = { generating: "muted", pending: "warn", applied: "ok", rejected: "muted" } as const;

function ErrorText({ errors, path }: { errors?: FieldError[]; path: string }) {
  const error = fieldError(errors, path);
  return error ? (
    <small class="error" safe>
      {error}
    </small>
  ) : (
    ""
  );
}

/** Asks the model for a prompt suggestion from a workflow's learning events. */
export function GenerateForm({ workflows, errors }: { workflows: Option[]; errors?: FieldError[] }) {
  return (
    <form
      id="generate-form"
      class="card"
      method="post"
      action="/learning/suggestions"
      hx-post="/learning/suggestions"
      hx-target="#generate-form"
      hx-swap="outerHTML"
    >
      <h2>{t("suggestions:prompt.generateTitle")}</h2>
      <p class="small muted">{t("suggestions:prompt.generateHint", { count: AUTO_SUGGEST_MIN_EVENTS })}</p>
      <div class="row">
        <label for="generate-workflow">{t("suggestions:prompt.workflow")}</label>
        <select id="generate-workflow" name="workflowId" required>
          {workflows.map((w) => (
            <option value={w.id} safe>
              {w.name}
            </option>
          ))}
        </select>
        <button type="submit">{t("suggestions:prompt.generate")}</button>
      </div>
      <ErrorText errors={errors} path="workflowId" />
      <ErrorText errors={errors} path="(body)" />
    </form>
  );
}

/** The learning page: prompt suggestions to review, a way to ask for one, and the learning events. */
export function LearningPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  suggestions: Listed[];
  events: (LearningEvent & { workflowName: string | null })[];
  workflows: Option[];
}) {
  const open = props.events.filter((e) => !e.promptSuggestionId).length;
  return (
    <AdminLayout title={tText("suggestions:title")} admin={props.admin} csrfToken={props.csrfToken} active="learning" flash={props.flash}>
      <link rel="stylesheet" href="/static/suggestions.css" />
      <h1>{t("suggestions:title")}</h1>
      <p class="muted">{t("suggestions:intro")}</p>
      <p>
        <a href="/learning/settings">{t("suggestions:settings.link")}</a>
      </p>
      <GenerateForm workflows={props.workflows} />
      <h2>{t("suggestions:prompt.listTitle")}</h2>
      {props.suggestions.length === 0 ? (
        <EmptyState>{t("suggestions:prompt.none")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table" id="prompt-suggestions">
            <thead>
              <tr>
                <th>{t("suggestions:prompt.columns.workflow")}</th>
                <th>{t("suggestions:prompt.columns.problem")}</th>
                <th>{t("suggestions:prompt.columns.confidence")}</th>
                <th>{t("suggestions:prompt.columns.status")}</th>
                <th>{t("suggestions:prompt.columns.created")}</th>
              </tr>
            </thead>
            <tbody>
              {props.suggestions.map((s) => (
                <tr>
                  <td data-label={tText("suggestions:prompt.columns.workflow")} safe>
                    {s.workflowName}
                  </td>
                  <td data-label={tText("suggestions:prompt.columns.problem")}>
                    <a href={`/learning/suggestions/${s.id}`} safe>
                      {s.problemIdentified}
                    </a>
                  </td>
                  <td data-label={tText("suggestions:prompt.columns.confidence")} safe>
                    {`${Math.round(s.confidence * 100)}%`}
                  </td>
                  <td data-label={tText("suggestions:prompt.columns.status")}>
                    <Badge tone={STATUS_TONE[s.status]}>{t(`suggestions:prompt.status.${s.status}`)}</Badge>{" "}
                    <span class="small muted">{t(`suggestions:prompt.origin.${s.origin}`)}</span>
                  </td>
                  <td data-label={tText("suggestions:prompt.columns.created")}>
                    <Time at={s.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{t("suggestions:events.title")}</h2>
      {open > 0 ? <p class="small muted">{t("suggestions:events.open", { count: open })}</p> : ""}
      {props.events.length === 0 ? (
        <EmptyState>{t("suggestions:events.none")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table" id="learning-events">
            <thead>
              <tr>
                <th>{t("suggestions:events.columns.when")}</th>
                <th>{t("suggestions:events.columns.workflow")}</th>
                <th>{t("suggestions:events.columns.type")}</th>
                <th>{t("suggestions:events.columns.customer")}</th>
                <th>{t("suggestions:events.columns.ai")}</th>
                <th>{t("suggestions:events.columns.final")}</th>
              </tr>
            </thead>
            <tbody>
              {props.events.map((e) => (
                <tr>
                  <td data-label={tText("suggestions:events.columns.when")}>
                    <Time at={e.createdAt} />
                  </td>
                  <td data-label={tText("suggestions:events.columns.workflow")} safe>
                    {e.workflowName ?? "—"}
                  </td>
                  <td data-label={tText("suggestions:events.columns.type")}>{t(`suggestions:events.types.${e.eventType}`)}</td>
                  <td data-label={tText("suggestions:events.columns.customer")} class="prewrap" safe>
                    {e.userMessage}
                  </td>
                  <td data-label={tText("suggestions:events.columns.ai")} class="prewrap" safe>
                    {e.aiResponse}
                  </td>
                  <td data-label={tText("suggestions:events.columns.final")} class="prewrap" safe>
                    {e.correctResponse ?? e.feedback ?? "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AdminLayout>
  );
}

/** One prompt suggestion: the model's analysis, the proposed change as a diff, and the review. */
export function PromptSuggestionPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  suggestion: Listed;
  diff: DiffLine[];
  canReview: boolean;
  errors?: FieldError[];
}) {
  const s = props.suggestion;
  const base = `/learning/suggestions/${s.id}`;
  return (
    <AdminLayout
      title={tText("suggestions:prompt.detailTitle", { workflow: s.workflowName })}
      admin={props.admin}
      csrfToken={props.csrfToken}
      active="learning"
      flash={props.flash}
    >
      <link rel="stylesheet" href="/static/suggestions.css" />
      <p>
        <a href="/learning">{t("suggestions:prompt.back")}</a>
      </p>
      <h1 safe>{tText("suggestions:prompt.detailTitle", { workflow: s.workflowName })}</h1>
      <p class="row small">
        <Badge tone={STATUS_TONE[s.status]}>{t(`suggestions:prompt.status.${s.status}`)}</Badge>
        <span>{t("suggestions:prompt.confidence", { percent: Math.round(s.confidence * 100) })}</span>
        <span class="muted">{t("suggestions:prompt.events", { count: s.eventCount })}</span>
        <Time at={s.createdAt} />
      </p>
      <section class="card">
        <h2>{t("suggestions:prompt.problem")}</h2>
        <p class="prewrap" safe>
          {s.problemIdentified}
        </p>
        <h2>{t("suggestions:prompt.rootCause")}</h2>
        <p class="prewrap" safe>
          {s.rootCauseAnalysis}
        </p>
        <h2>{t("suggestions:prompt.changelog")}</h2>
        <p class="prewrap" safe>
          {s.changelog}
        </p>
        {s.affectedConversations.length > 0 ? (
          <>
            <h2>{t("suggestions:prompt.affected")}</h2>
            <ul class="small">
              {s.affectedConversations.map((id) => (
                <li>
                  <a href={`/inbox/${id}`} safe>
                    {id}
                  </a>
                </li>
              ))}
            </ul>
          </>
        ) : (
          ""
        )}
      </section>
      <section class="card">
        <h2>{t("suggestions:prompt.diff")}</h2>
        <pre class="prompt-diff" id="prompt-diff">
          {props.diff.map((line) => (
            <div class={`diff-${line.type}`} data-diff={line.type} safe>
              {`${line.type === "added" ? "+ " : line.type === "removed" ? "- " : "  "}${line.text}`}
            </div>
          ))}
        </pre>
      </section>
      {s.status === "applied" && s.appliedVersion ? <p>{t("suggestions:prompt.appliedNote", { version: s.appliedVersion })}</p> : ""}
      {s.reviewNotes ? (
        <p>
          <strong>{t("suggestions:prompt.reviewNotes")}:</strong> <span safe>{s.reviewNotes}</span>
        </p>
      ) : (
        ""
      )}
      {s.status === "pending" && props.canReview ? (
        <div class="row review-actions">
          <form method="post" action={`${base}/apply`} class="card">
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <label for="apply-changelog">{t("suggestions:prompt.changelog")}</label>
            <input id="apply-changelog" name="changelog" value={s.changelog} maxlength={SUGGESTION_LIMITS.changelog} required />
            <ErrorText errors={props.errors} path="changelog" />
            <ErrorText errors={props.errors} path="(body)" />
            <button type="submit">{t("suggestions:prompt.apply")}</button>
          </form>
          <form method="post" action={`${base}/reject`} class="card">
            <input type="hidden" name="_csrf" value={props.csrfToken} />
            <label for="reject-note">{t("suggestions:prompt.rejectNote")}</label>
            <textarea id="reject-note" name="note" rows="2" maxlength={SUGGESTION_LIMITS.reviewNote} required />
            <ErrorText errors={props.errors} path="note" />
            <button type="submit" class="secondary">
              {t("suggestions:prompt.reject")}
            </button>
          </form>
        </div>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}

/** Hybrid mode per department and the organization's sentiment settings. */
export function HitlSettingsPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  departments: DepartmentMode[];
  sentiment: SentimentSettingsView;
  workflows: Option[];
  errors?: FieldError[];
}) {
  const s = props.sentiment;
  return (
    <AdminLayout title={tText("suggestions:settings.title")} admin={props.admin} csrfToken={props.csrfToken} active="learning" flash={props.flash}>
      <link rel="stylesheet" href="/static/suggestions.css" />
      <p>
        <a href="/learning">{t("suggestions:prompt.back")}</a>
      </p>
      <h1>{t("suggestions:settings.title")}</h1>
      <section class="card">
        <h2>{t("suggestions:settings.hybridTitle")}</h2>
        <p class="small muted">{t("suggestions:settings.hybridIntro")}</p>
        {props.departments.length === 0 ? (
          <EmptyState>{t("suggestions:settings.noDepartments")}</EmptyState>
        ) : (
          <ul class="plain-list" id="department-modes">
            {props.departments.map((d) => (
              <li>
                <form method="post" action={`/learning/departments/${d.id}`} class="row">
                  <input type="hidden" name="_csrf" value={props.csrfToken} />
                  <strong safe>{d.name}</strong>
                  {d.active ? "" : <span class="muted small">{t("suggestions:settings.inactive")}</span>}
                  <label class="row">
                    <input type="checkbox" name="draftReplies" value="on" checked={d.draftReplies} />
                    {t("suggestions:settings.draftReplies")}
                  </label>
                  <button type="submit" class="secondary small-button">
                    {t("suggestions:settings.saveDepartment")}
                  </button>
                </form>
              </li>
            ))}
          </ul>
        )}
      </section>
      <form method="post" action="/learning/sentiment" class="card" id="sentiment-form">
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <h2>{t("suggestions:sentiment.settings.title")}</h2>
        <p class="small muted">{t("suggestions:sentiment.settings.intro")}</p>
        <label class="row">
          <input type="checkbox" name="enabled" value="on" checked={s.enabled} />
          {t("suggestions:sentiment.settings.enabled")}
        </label>
        <div class="field">
          <label for="sentiment-workflow">{t("suggestions:sentiment.settings.workflow")}</label>
          <select id="sentiment-workflow" name="workflowId">
            <option value="">{t("suggestions:sentiment.settings.workflowNone")}</option>
            {props.workflows.map((w) => (
              <option value={w.id} selected={w.id === s.workflowId} safe>
                {w.name}
              </option>
            ))}
          </select>
          <ErrorText errors={props.errors} path="workflowId" />
        </div>
        <div class="field">
          <label for="sentiment-model">{t("suggestions:sentiment.settings.model")}</label>
          <input id="sentiment-model" name="model" value={s.model ?? ""} maxlength={SENTIMENT_LIMITS.model} />
          <ErrorText errors={props.errors} path="model" />
        </div>
        <label class="row">
          <input type="checkbox" name="alertOnNegative" value="on" checked={s.alertOnNegative} />
          {t("suggestions:sentiment.settings.alertOnNegative")}
        </label>
        <button type="submit">{t("suggestions:sentiment.settings.save")}</button>
      </form>
    </AdminLayout>
  );
}
