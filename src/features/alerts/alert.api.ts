import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { alertJsonSchema, alertPageSchema, alertSettingsJsonSchema, departmentTargetsJsonSchema, departmentTargetsListSchema } from "./alert.openapi";
import { getAlertSettings, listDepartmentTargets, setAlertSettings, setDepartmentTargets } from "./alert.rules";
import { alertListQuerySchema, alertSettingsSchema, departmentTargetsSchema, resolveAlertSchema } from "./alert.schema";
import { alertJson, getAlert, listAlerts, resolveAlert } from "./alert.service";

const idParams = z.object({ id: z.string() });
const tags = ["Alerts"];

/** `/v1/alerts`: supervisor alerts (SLA breaches, urgency words, urgent sentiment) and their settings (scopes messages:read / messages:write). */
export const alertsApi = new Elysia({ name: "alerts-api" })
  .use(authPlugin)
  .get(
    "/v1/alerts",
    async ({ caller, query }) => {
      const page = await listAlerts(caller, query);
      return { data: page.data.map(alertJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "messages:read",
      query: alertListQuerySchema,
      detail: { tags, summary: "List alerts, newest first (status: open, resolved or all)", responses: ok(alertPageSchema) },
    },
  )
  .get("/v1/alerts/settings", async ({ caller }) => getAlertSettings(caller), {
    apiKey: "messages:read",
    detail: { tags, summary: "The organization's urgency words", responses: ok(alertSettingsJsonSchema) },
  })
  .put("/v1/alerts/settings", async ({ caller, body }) => setAlertSettings(caller, body), {
    apiKey: "messages:write",
    body: alertSettingsSchema,
    detail: { tags, summary: "Set the urgency words (an inbound message containing one raises a keyword alert)", responses: ok(alertSettingsJsonSchema) },
  })
  .get("/v1/alerts/targets", async ({ caller }) => ({ data: await listDepartmentTargets(caller) }), {
    apiKey: "messages:read",
    detail: { tags, summary: "Every department's first-response and resolution targets (minutes)", responses: ok(departmentTargetsListSchema) },
  })
  .put("/v1/departments/:id/sla-targets", async ({ caller, params, body }) => setDepartmentTargets(caller, params.id, body), {
    apiKey: "messages:write",
    params: idParams,
    body: departmentTargetsSchema,
    detail: { tags, summary: "Set a department's targets (null: none)", responses: ok(departmentTargetsJsonSchema) },
  })
  .get("/v1/alerts/:id", async ({ caller, params }) => alertJson(await getAlert(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get an alert", responses: ok(alertJsonSchema) },
  })
  .post("/v1/alerts/:id/resolve", async ({ caller, params, body }) => alertJson(await resolveAlert(caller, params.id, { notes: body?.notes ?? null })), {
    apiKey: "messages:write",
    params: idParams,
    body: resolveAlertSchema.optional(),
    detail: { tags, summary: "Resolve an alert (emits alert.resolved; resolving twice changes nothing)", responses: ok(alertJsonSchema) },
  });
