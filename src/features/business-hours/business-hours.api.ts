import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import type { Caller } from "@/lib/caller";
import { businessHoursJsonSchema, businessHoursListSchema } from "./business-hours.openapi";
import { businessHoursSchema } from "./business-hours.schema";
import { businessHoursJson, deleteBusinessHours, getBusinessHours, listBusinessHours, organizationTimeZone, setBusinessHours } from "./business-hours.service";

const idParams = z.object({ id: z.string() });
const tags = ["Business hours"];

async function read(caller: Caller, departmentId: string | null) {
  const row = await getBusinessHours(caller, departmentId);
  if (!row) throw new AppError("not_found", tText("business-hours:errors.notSet"));
  return businessHoursJson(row, await organizationTimeZone(organizationOf(caller)));
}

async function write(caller: Caller, departmentId: string | null, body: z.input<typeof businessHoursSchema>) {
  const row = await setBusinessHours(caller, departmentId, body);
  return businessHoursJson(row, await organizationTimeZone(organizationOf(caller)));
}

/** `/v1/business-hours` and `/v1/departments/:id/business-hours` (scopes messages:read / messages:write). */
export const businessHoursApi = new Elysia({ name: "business-hours-api" })
  .use(authPlugin)
  .get(
    "/v1/business-hours",
    async ({ caller }) => {
      const timeZone = await organizationTimeZone(organizationOf(caller));
      return { data: (await listBusinessHours(caller)).map((r) => businessHoursJson(r, timeZone)) };
    },
    { apiKey: "messages:read", detail: { tags, summary: "List the default and the departments' business hours", responses: ok(businessHoursListSchema) } },
  )
  .get("/v1/business-hours/default", ({ caller }) => read(caller, null), {
    apiKey: "messages:read",
    detail: { tags, summary: "Get the organization's default business hours (404 when not set: always open)", responses: ok(businessHoursJsonSchema) },
  })
  .put("/v1/business-hours/default", ({ caller, body }) => write(caller, null, body), {
    apiKey: "messages:write",
    body: businessHoursSchema,
    detail: { tags, summary: "Set the organization's default business hours", responses: ok(businessHoursJsonSchema) },
  })
  .delete(
    "/v1/business-hours/default",
    async ({ caller, set }) => {
      await deleteBusinessHours(caller, null);
      set.status = 204;
    },
    { apiKey: "messages:write", detail: { tags, summary: "Remove the default business hours (always open)", responses: noContent() } },
  )
  .get("/v1/departments/:id/business-hours", ({ caller, params }) => read(caller, params.id), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get a department's own business hours (404 when it follows the default)", responses: ok(businessHoursJsonSchema) },
  })
  .put("/v1/departments/:id/business-hours", ({ caller, params, body }) => write(caller, params.id, body), {
    apiKey: "messages:write",
    params: idParams,
    body: businessHoursSchema,
    detail: { tags, summary: "Set a department's own business hours", responses: ok(businessHoursJsonSchema) },
  })
  .delete(
    "/v1/departments/:id/business-hours",
    async ({ caller, params, set }) => {
      await deleteBusinessHours(caller, params.id);
      set.status = 204;
    },
    {
      apiKey: "messages:write",
      params: idParams,
      detail: { tags, summary: "Remove a department's own business hours (it follows the default)", responses: noContent() },
    },
  );
