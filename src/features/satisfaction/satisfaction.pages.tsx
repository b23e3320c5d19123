import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import type { FieldError } from "@/lib/errors";
import { takeFlash } from "@/lib/flash";
import { attemptForm, formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { tText } from "@/lib/i18n";
import { SatisfactionDashboard, SatisfactionSurveys, SatisfactionTasks, SurveyForm, TaskForm, type SurveyFormValues } from "@views/satisfaction/index";
import { feedbackListQuerySchema, npsQuerySchema, surveySettingsSchema, updateTaskSchema } from "./satisfaction.schema";
import {
  feedbackJson,
  getDepartmentSurvey,
  getFeedback,
  listDepartmentSurveys,
  listFeedback,
  npsDashboard,
  setDepartmentSurvey,
  updateTask,
  type DepartmentSurveyEntry,
} from "./satisfaction.service";

const idParams = z.object({ id: z.string() });

function surveyValues(entry: DepartmentSurveyEntry): SurveyFormValues {
  return {
    enabled: entry.survey?.enabled ?? false,
    template: entry.survey?.template ?? tText("satisfaction:survey.defaultTemplate"),
    commentPrompt: entry.survey?.commentPrompt ?? "",
  };
}

/** The NPS dashboard, detractors' tasks and survey settings (supervisors; admins change surveys). */
export const satisfactionPages = new Elysia({ name: "satisfaction-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/satisfaction",
    async ({ admin, csrfToken, cookie, query, set }) => {
      const parsed = npsQuerySchema.safeParse(query);
      const errors: FieldError[] | undefined = parsed.success
        ? undefined
        : parsed.error.issues.map((i) => ({ path: String(i.path[0] ?? "to"), message: i.message }));
      if (!parsed.success) set.status = 422;
      const [dashboard, answers] = await Promise.all([npsDashboard(admin, parsed.success ? parsed.data : {}), listFeedback(admin, { limit: 20 })]);
      return SatisfactionDashboard({ admin, csrfToken, flash: takeFlash(cookie), dashboard, answers: answers.data.map(feedbackJson), errors });
    },
    { member: "supervisor" },
  )
  .get(
    "/satisfaction/tasks",
    async ({ admin, csrfToken, cookie, query }) => {
      const filters = feedbackListQuerySchema.catch({}).parse(query);
      const page = await listFeedback(admin, { tasks: true, handlingStatus: filters.handlingStatus, limit: 100 });
      return SatisfactionTasks({ admin, csrfToken, flash: takeFlash(cookie), tasks: page.data.map(feedbackJson), status: filters.handlingStatus });
    },
    { member: "supervisor" },
  )
  .post(
    "/satisfaction/tasks/:id",
    async ({ admin, params, body, set }) => {
      const task = feedbackJson(await getFeedback(admin, params.id));
      const fields = formFields(body);
      const parsed = parseForm(updateTaskSchema, {
        handlingStatus: formText(fields.handlingStatus) || undefined,
        handlingNotes: formText(fields.handlingNotes),
        handlingScore: formText(fields.handlingScore),
      });
      if (!parsed.ok) return unprocessable(set, () => TaskForm({ task, errors: parsed.errors }));
      const saved = await attemptForm(() => updateTask(admin, params.id, parsed.value));
      if (!saved.ok) return unprocessable(set, () => TaskForm({ task, errors: saved.errors }));
      return TaskForm({ task: feedbackJson(saved.value) });
    },
    { member: "supervisor", params: idParams },
  )
  .get(
    "/satisfaction/surveys",
    async ({ admin, csrfToken, cookie }) => {
      const entries = await listDepartmentSurveys(admin);
      return SatisfactionSurveys({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        surveys: entries.map((entry) => ({ entry, values: surveyValues(entry) })),
        canEdit: can.manageOrganization(admin.role),
      });
    },
    { member: "supervisor" },
  )
  .post(
    "/satisfaction/surveys/:id",
    async ({ admin, params, body, set }) => {
      const entry = await getDepartmentSurvey(admin, params.id);
      const fields = formFields(body);
      const values: SurveyFormValues = {
        enabled: fields.enabled === "on" || fields.enabled === "true",
        template: formText(fields.template),
        commentPrompt: formText(fields.commentPrompt),
      };
      const rerender = (errors: FieldError[]) => unprocessable(set, () => SurveyForm({ entry, values, errors, canEdit: true }));
      const parsed = parseForm(surveySettingsSchema, { ...values, enabled: values.enabled });
      if (!parsed.ok) return rerender(parsed.errors);
      const saved = await attemptForm(() => setDepartmentSurvey(admin, params.id, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      const updated = await getDepartmentSurvey(admin, params.id);
      return SurveyForm({ entry: updated, values: surveyValues(updated), canEdit: true });
    },
    { member: "admin", params: idParams },
  );
