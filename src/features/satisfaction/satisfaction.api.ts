import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { feedbackJsonSchema, feedbackPageSchema, npsDashboardSchema, surveyJsonSchema, surveyListSchema } from "./satisfaction.openapi";
import { feedbackListQuerySchema, npsQuerySchema, surveySettingsSchema, updateTaskSchema } from "./satisfaction.schema";
import {
  feedbackJson,
  getDepartmentSurvey,
  getFeedback,
  listDepartmentSurveys,
  listFeedback,
  npsDashboard,
  setDepartmentSurvey,
  surveyJson,
  updateTask,
} from "./satisfaction.service";

const idParams = z.object({ id: z.string() });
const tags = ["Satisfaction"];

/** `/v1/satisfaction`: NPS surveys per department, the answers, detractors' handling tasks and the NPS dashboard. */
export const satisfactionApi = new Elysia({ name: "satisfaction-api" })
  .use(authPlugin)
  .get(
    "/v1/satisfaction/feedback",
    async ({ caller, query }) => {
      const page = await listFeedback(caller, query);
      return { data: page.data.map(feedbackJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "messages:read",
      query: feedbackListQuerySchema,
      detail: {
        tags,
        summary: "List answered surveys, newest first (category, tasks=true for detractors' tasks, handlingStatus)",
        responses: ok(feedbackPageSchema),
      },
    },
  )
  .get("/v1/satisfaction/feedback/:id", async ({ caller, params }) => feedbackJson(await getFeedback(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get an answered survey", responses: ok(feedbackJsonSchema) },
  })
  .patch("/v1/satisfaction/feedback/:id", async ({ caller, params, body }) => feedbackJson(await updateTask(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: updateTaskSchema,
    detail: { tags, summary: "Work a detractor's handling task (status, notes, handling score 1–5)", responses: ok(feedbackJsonSchema) },
  })
  .get("/v1/satisfaction/nps", async ({ caller, query }) => npsDashboard(caller, query), {
    apiKey: "messages:read",
    query: npsQuerySchema,
    detail: {
      tags,
      summary: "NPS = % promoters − % detractors for a period, by day/week/month, agent, department and AI workflow",
      description: "`from`/`to`: days (`YYYY-MM-DD`) in the organization's time zone, both included; default the last 30 days.",
      responses: ok(npsDashboardSchema),
    },
  })
  .get("/v1/satisfaction/surveys", async ({ caller }) => ({ data: (await listDepartmentSurveys(caller)).map(surveyJson) }), {
    apiKey: "messages:read",
    detail: { tags, summary: "Every department's survey", responses: ok(surveyListSchema) },
  })
  .get("/v1/satisfaction/surveys/:id", async ({ caller, params }) => surveyJson(await getDepartmentSurvey(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "A department's survey (id: the department's)", responses: ok(surveyJsonSchema) },
  })
  .put(
    "/v1/satisfaction/surveys/:id",
    async ({ caller, params, body }) => {
      await setDepartmentSurvey(caller, params.id, body);
      return surveyJson(await getDepartmentSurvey(caller, params.id));
    },
    {
      apiKey: "messages:write",
      params: idParams,
      body: surveySettingsSchema,
      detail: { tags, summary: "Set a department's survey (sent after each resolution when enabled)", responses: ok(surveyJsonSchema) },
    },
  );
