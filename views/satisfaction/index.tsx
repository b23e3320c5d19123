import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { DepartmentSurveyEntry, feedbackJson, NpsDashboard, NpsGroup } from "@/features/satisfaction/satisfaction.service";
import { SATISFACTION_LIMITS } from "@/features/satisfaction/satisfaction.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Time, fieldError } from "../components/ui";

type PublicFeedback = ReturnType<typeof feedbackJson>;

const CATEGORY_TONE = { promoter: "ok", neutral: "muted", detractor: "bad" } as const;
const STATUS_TONE = { pending: "bad", in_progress: "warn", resolved: "ok" } as const;

function Nav(props: { active: "dashboard" | "tasks" | "surveys" }) {
  const link = (key: "dashboard" | "tasks" | "surveys", href: string) => (
    <a href={href} aria-current={props.active === key ? "page" : undefined}>
      {t(`satisfaction:tabs.${key}`)}
    </a>
  );
  return (
    <nav class="tabs row" aria-label={tText("satisfaction:title")}>
      {link("dashboard", "/satisfaction")} {link("tasks", "/satisfaction/tasks")} {link("surveys", "/satisfaction/surveys")}
    </nav>
  );
}

export function CategoryBadge(props: { category: PublicFeedback["category"] }) {
  if (!props.category) return <span class="muted">—</span>;
  return <Badge tone={CATEGORY_TONE[props.category]}>{t(`satisfaction:categories.${props.category}`)}</Badge>;
}

/** One NPS breakdown as rows with a bar from −100 to 100 (no chart library: a CSS bar says it at 375 px too). */
function NpsTable(props: { title: string; groups: NpsGroup[]; emptyLabel: string; id: string }) {
  return (
    <section class="card" id={props.id}>
      <h2 safe>{props.title}</h2>
      {props.groups.length === 0 ? (
        <EmptyState>{t("satisfaction:noAnswers")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("satisfaction:columns.group")}</th>
                <th>{t("satisfaction:columns.nps")}</th>
                <th>{t("satisfaction:columns.promoters")}</th>
                <th>{t("satisfaction:columns.neutrals")}</th>
                <th>{t("satisfaction:columns.detractors")}</th>
                <th>{t("satisfaction:columns.total")}</th>
              </tr>
            </thead>
            <tbody>
              {props.groups.map((g) => (
                <tr data-key={g.key ?? ""}>
                  <td data-label="" safe>
                    {g.label ?? props.emptyLabel}
                  </td>
                  <td data-label={tText("satisfaction:columns.nps")}>
                    <div class="nps-bar">
                      <strong class="nps-value">{g.nps ?? "—"}</strong>
                      <span class="nps-bar-track" aria-hidden="true">
                        <span
                          class={g.nps !== null && g.nps < 0 ? "nps-bar-fill negative" : "nps-bar-fill"}
                          style={g.nps === null ? "width:0" : g.nps < 0 ? `left:${50 + g.nps / 2}%;width:${-g.nps / 2}%` : `width:${g.nps / 2}%`}
                        />
                      </span>
                    </div>
                  </td>
                  <td data-label={tText("satisfaction:columns.promoters")}>{g.promoters}</td>
                  <td data-label={tText("satisfaction:columns.neutrals")}>{g.neutrals}</td>
                  <td data-label={tText("satisfaction:columns.detractors")}>{g.detractors}</td>
                  <td data-label={tText("satisfaction:columns.total")}>{g.total}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function FeedbackTable(props: { rows: PublicFeedback[]; showTask?: boolean }) {
  if (props.rows.length === 0) return <EmptyState>{t("satisfaction:noAnswers")}</EmptyState>;
  return (
    <div class="table-wrap">
      <table class="stack-table">
        <thead>
          <tr>
            <th>{t("satisfaction:columns.answered")}</th>
            <th>{t("satisfaction:columns.contact")}</th>
            <th>{t("satisfaction:columns.score")}</th>
            <th>{t("satisfaction:columns.comment")}</th>
            <th>{t("satisfaction:columns.agent")}</th>
            <th>{t("satisfaction:columns.department")}</th>
            {props.showTask ? <th>{t("satisfaction:columns.task")}</th> : ""}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((f) => (
            <tr data-feedback={f.id}>
              <td data-label={tText("satisfaction:columns.answered")}>
                <Time at={f.answeredAt} />
              </td>
              <td data-label={tText("satisfaction:columns.contact")}>
                <a href={`/inbox/${f.conversationId}`} class="truncate" safe>
                  {f.contact.name ?? f.contact.phone ?? "—"}
                </a>
              </td>
              <td data-label={tText("satisfaction:columns.score")}>
                <strong>{f.npsScore ?? "—"}</strong> <CategoryBadge category={f.category} />
              </td>
              <td data-label={tText("satisfaction:columns.comment")} safe>
                {f.comment ?? ""}
              </td>
              <td data-label={tText("satisfaction:columns.agent")} safe>
                {f.agentName ?? f.workflowName ?? "—"}
              </td>
              <td data-label={tText("satisfaction:columns.department")} safe>
                {f.departmentName ?? "—"}
              </td>
              {props.showTask ? (
                <td data-label={tText("satisfaction:columns.task")}>
                  {f.handlingStatus ? (
                    <a href={`/satisfaction/tasks#task-${f.id}`}>
                      <Badge tone={STATUS_TONE[f.handlingStatus]}>{t(`satisfaction:statuses.${f.handlingStatus}`)}</Badge>
                    </a>
                  ) : (
                    ""
                  )}
                </td>
              ) : (
                ""
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SatisfactionDashboard(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  dashboard: NpsDashboard;
  answers: PublicFeedback[];
  errors?: FieldError[];
}) {
  const d = props.dashboard;
  return (
    <AdminLayout title={tText("satisfaction:title")} admin={props.admin} csrfToken={props.csrfToken} active="satisfaction" flash={props.flash}>
      <link rel="stylesheet" href="/static/monitor.css" />
      <h1>{t("satisfaction:title")}</h1>
      <Nav active="dashboard" />
      <form class="row card" method="get" action="/satisfaction">
        <div class={fieldError(props.errors, "from") ? "field has-error" : "field"}>
          <label for="f-from">{t("satisfaction:filters.from", { zone: d.timeZone })}</label>
          <input id="f-from" type="date" name="from" value={d.from} />
        </div>
        <div class={fieldError(props.errors, "to") ? "field has-error" : "field"}>
          <label for="f-to">{t("satisfaction:filters.to", { zone: d.timeZone })}</label>
          <input id="f-to" type="date" name="to" value={d.to} />
          {fieldError(props.errors, "to") ? (
            <small class="error" safe>
              {fieldError(props.errors, "to")}
            </small>
          ) : (
            ""
          )}
        </div>
        <div class="field">
          <label for="f-bucket">{t("satisfaction:filters.bucket")}</label>
          <select id="f-bucket" name="bucket">
            {(["day", "week", "month"] as const).map((b) => (
              <option value={b} selected={d.bucket === b}>
                {t(`satisfaction:buckets.${b}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t("satisfaction:filters.apply")}</button>
      </form>
      <section class="card nps-summary" id="nps-overall">
        <div>
          <div class="muted small">{t("satisfaction:npsLabel")}</div>
          <div class="nps-score" data-nps={d.overall.nps === null ? "" : String(d.overall.nps)}>
            {d.overall.nps ?? "—"}
          </div>
        </div>
        <div>
          {t("satisfaction:summary", {
            promoters: d.overall.promoters,
            neutrals: d.overall.neutrals,
            detractors: d.overall.detractors,
            total: d.overall.total,
          })}
        </div>
        <p class="muted small">{t("satisfaction:formula")}</p>
      </section>
      <NpsTable id="nps-by-period" title={tText("satisfaction:byPeriod")} groups={d.byPeriod} emptyLabel="—" />
      <NpsTable id="nps-by-agent" title={tText("satisfaction:byAgent")} groups={d.byAgent} emptyLabel={tText("satisfaction:removedMember")} />
      <NpsTable id="nps-by-department" title={tText("satisfaction:byDepartment")} groups={d.byDepartment} emptyLabel="—" />
      <NpsTable id="nps-by-workflow" title={tText("satisfaction:byWorkflow")} groups={d.byWorkflow} emptyLabel="—" />
      <section class="card" id="nps-answers">
        <h2>{t("satisfaction:answersTitle")}</h2>
        <FeedbackTable rows={props.answers} showTask />
      </section>
    </AdminLayout>
  );
}

export function TaskForm(props: { task: PublicFeedback; errors?: FieldError[] }) {
  const f = props.task;
  const id = `task-${f.id}`;
  const action = `/satisfaction/tasks/${f.id}`;
  const scoreError = fieldError(props.errors, "handlingScore");
  return (
    <form id={id} class="card task" method="post" action={action} hx-post={action} hx-target={`#${id}`} hx-swap="outerHTML">
      <div class="row">
        <strong>
          <a href={`/inbox/${f.conversationId}`} safe>
            {f.contact.name ?? f.contact.phone ?? "—"}
          </a>
        </strong>{" "}
        <span>
          {f.npsScore ?? "—"} <CategoryBadge category={f.category} />
        </span>{" "}
        <Time at={f.answeredAt} />
      </div>
      {f.comment ? (
        <blockquote class="small" safe>
          {f.comment}
        </blockquote>
      ) : (
        ""
      )}
      <p class="muted small" safe>
        {[f.agentName ?? f.workflowName, f.departmentName].filter(Boolean).join(" · ")}
      </p>
      <div class="row">
        <div class="field">
          <label for={`${id}-status`}>{t("satisfaction:task.status")}</label>
          <select id={`${id}-status`} name="handlingStatus">
            {(["pending", "in_progress", "resolved"] as const).map((s) => (
              <option value={s} selected={f.handlingStatus === s}>
                {t(`satisfaction:statuses.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div class={scoreError ? "field has-error" : "field"}>
          <label for={`${id}-score`}>{t("satisfaction:task.score")}</label>
          <select id={`${id}-score`} name="handlingScore">
            <option value="">—</option>
            {[1, 2, 3, 4, 5].map((n) => (
              <option value={String(n)} selected={f.handlingScore === n}>
                {n}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div class="field">
        <label for={`${id}-notes`}>{t("satisfaction:task.notes")}</label>
        <textarea id={`${id}-notes`} name="handlingNotes" rows="3" maxlength={SATISFACTION_LIMITS.notes} safe>
          {f.handlingNotes ?? ""}
        </textarea>
      </div>
      <button type="submit">{t("satisfaction:save")}</button>
      {f.handledAt ? (
        <p class="muted small">
          {t("satisfaction:task.updated")} <Time at={f.handledAt} />
        </p>
      ) : (
        ""
      )}
    </form>
  );
}

export function SatisfactionTasks(props: { admin: AdminContext; csrfToken: string; flash?: Flash; tasks: PublicFeedback[]; status?: string }) {
  return (
    <AdminLayout title={tText("satisfaction:tasksTitle")} admin={props.admin} csrfToken={props.csrfToken} active="satisfaction" flash={props.flash}>
      <link rel="stylesheet" href="/static/monitor.css" />
      <h1>{t("satisfaction:tasksTitle")}</h1>
      <Nav active="tasks" />
      <form class="row" method="get" action="/satisfaction/tasks">
        <div class="field">
          <label for="f-handlingStatus">{t("satisfaction:task.status")}</label>
          <select id="f-handlingStatus" name="handlingStatus">
            <option value="">{t("satisfaction:filters.all")}</option>
            {(["pending", "in_progress", "resolved"] as const).map((s) => (
              <option value={s} selected={props.status === s}>
                {t(`satisfaction:statuses.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t("satisfaction:filters.apply")}</button>
      </form>
      {props.tasks.length === 0 ? <EmptyState>{t("satisfaction:noTasks")}</EmptyState> : props.tasks.map((task) => <TaskForm task={task} />)}
    </AdminLayout>
  );
}

export type SurveyFormValues = { enabled: boolean; template: string; commentPrompt: string };

export function SurveyForm(props: { entry: DepartmentSurveyEntry; values: SurveyFormValues; errors?: FieldError[]; canEdit: boolean }) {
  const id = `survey-${props.entry.departmentId}`;
  const action = `/satisfaction/surveys/${props.entry.departmentId}`;
  const templateError = fieldError(props.errors, "template");
  return (
    <form id={id} class="card" method="post" action={action} hx-post={action} hx-target={`#${id}`} hx-swap="outerHTML">
      <h2 safe>{props.entry.departmentName}</h2>
      <label class="checkbox">
        <input type="checkbox" name="enabled" checked={props.values.enabled} disabled={!props.canEdit} /> {t("satisfaction:survey.enabled")}
      </label>
      <div class={templateError ? "field has-error" : "field"}>
        <label for={`${id}-template`}>{t("satisfaction:survey.template")}</label>
        <textarea id={`${id}-template`} name="template" rows="3" maxlength={SATISFACTION_LIMITS.template} disabled={!props.canEdit} safe>
          {props.values.template}
        </textarea>
        <small class="hint">{t("satisfaction:survey.templateHint", { variables: "{{contact.name}}, {{agent.name}}" })}</small>
        {templateError ? (
          <small class="error" safe>
            {templateError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class="field">
        <label for={`${id}-comment`}>{t("satisfaction:survey.commentPrompt")}</label>
        <input
          id={`${id}-comment`}
          name="commentPrompt"
          value={props.values.commentPrompt}
          maxlength={SATISFACTION_LIMITS.commentPrompt}
          disabled={!props.canEdit}
        />
        <small class="hint">{t("satisfaction:survey.accepted")}</small>
      </div>
      {props.canEdit ? <button type="submit">{t("satisfaction:save")}</button> : ""}
    </form>
  );
}

export function SatisfactionSurveys(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  surveys: { entry: DepartmentSurveyEntry; values: SurveyFormValues }[];
  canEdit: boolean;
}) {
  return (
    <AdminLayout title={tText("satisfaction:surveysTitle")} admin={props.admin} csrfToken={props.csrfToken} active="satisfaction" flash={props.flash}>
      <h1>{t("satisfaction:surveysTitle")}</h1>
      <Nav active="surveys" />
      <p class="muted">{t("satisfaction:surveysIntro")}</p>
      {props.surveys.length === 0 ? (
        <EmptyState>{t("satisfaction:noDepartments")}</EmptyState>
      ) : (
        props.surveys.map((s) => <SurveyForm entry={s.entry} values={s.values} canEdit={props.canEdit} />)
      )}
    </AdminLayout>
  );
}
