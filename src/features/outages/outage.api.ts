import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import { notificationPageSchema, outageJsonSchema, outageMetricsSchema, outagePageSchema, regionJsonSchema, regionListSchema } from "./outage.openapi";
import {
  declareOutageSchema,
  notificationListQuerySchema,
  outageListQuerySchema,
  regionSchema,
  resolveOutageSchema,
  updateOutageSchema,
} from "./outage.schema";
import {
  cancelOutage,
  createRegion,
  declareOutage,
  deleteOutage,
  deleteRegion,
  getOutage,
  getRegion,
  listNotifications,
  listOutages,
  listRegions,
  notificationJson,
  outageJson,
  outageMetrics,
  regionJson,
  resolveOutage,
  updateOutage,
  updateRegion,
} from "./outage.service";

const idParams = z.object({ id: z.string() });
const tags = ["Outages"];
/** A list as an array or as text (one per line or comma-separated); checked by the service with the region rules. */
const regionList = z.union([z.string(), z.array(z.string())]).optional();

/** `/v1/outages` and `/v1/outage-regions`: regional outage notices (scopes messages:read / messages:write); the rules live in outage.service.ts. */
export const outagesApi = new Elysia({ name: "outages-api" })
  .use(authPlugin)
  .get("/v1/outage-regions", async ({ caller }) => ({ data: (await listRegions(caller)).map(regionJson), nextCursor: null }), {
    apiKey: "messages:read",
    detail: { tags, summary: "List the predefined regions (by name)", responses: ok(regionListSchema) },
  })
  .post(
    "/v1/outage-regions",
    async ({ caller, body, set }) => {
      set.status = 201;
      return regionJson(await createRegion(caller, body));
    },
    {
      apiKey: "messages:write",
      body: regionSchema,
      detail: {
        tags,
        summary: "Add a region",
        description: "A contact is in the region when its city (case and accents ignored), its UF or the start of its CEP matches any entry.",
        responses: ok(regionJsonSchema, 201),
      },
    },
  )
  .get("/v1/outage-regions/:id", async ({ caller, params }) => regionJson(await getRegion(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get a region", responses: ok(regionJsonSchema) },
  })
  .patch("/v1/outage-regions/:id", async ({ caller, params, body }) => regionJson(await updateRegion(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: z.object({ name: z.string().optional(), cities: regionList, states: regionList, cepPrefixes: regionList }),
    detail: { tags, summary: "Change a region (declared outages keep the contacts they had)", responses: ok(regionJsonSchema) },
  })
  .delete(
    "/v1/outage-regions/:id",
    async ({ caller, params, set }) => {
      await deleteRegion(caller, params.id);
      set.status = 204;
    },
    { apiKey: "messages:write", params: idParams, detail: { tags, summary: "Delete a region", responses: noContent() } },
  )
  .get(
    "/v1/outages",
    async ({ caller, query }) => {
      const page = await listOutages(caller, query);
      return { data: page.data.map(outageJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "messages:read",
      query: outageListQuerySchema,
      detail: { tags, summary: "List outages", description: "Newest first; `status` filters (active, resolved, cancelled).", responses: ok(outagePageSchema) },
    },
  )
  .post(
    "/v1/outages",
    async ({ caller, body, set }) => {
      set.status = 201;
      return outageJson(await declareOutage(caller, body));
    },
    {
      apiKey: "messages:write",
      body: declareOutageSchema,
      detail: {
        tags,
        summary: "Declare an outage",
        description:
          "Every person with a phone in the affected areas (`affected.regionIds` and/or `affected.custom` cities with neighbourhoods — the contact custom field `bairro`) gets the notice through the outbound queue, paced per number (`pacing.perMinute`, jitter, `dailyCap`); opted-out and blocked contacts are skipped. While active, a contact of the area who writes in gets the notice first (once), then the menu or automation answers as usual. Messages take {{nome}}, {{titulo}}, {{descricao}}, {{previsao}}, {{severidade}}; blank = the default text in the organization's language.",
        responses: ok(outageJsonSchema, 201),
      },
    },
  )
  .get("/v1/outages/:id", async ({ caller, params }) => outageJson(await getOutage(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Get an outage", responses: ok(outageJsonSchema) },
  })
  .patch("/v1/outages/:id", async ({ caller, params, body }) => outageJson(await updateOutage(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: updateOutageSchema,
    detail: {
      tags,
      summary: "Change an active outage (title, description, severity, estimate, messages)",
      description: "Notices not sent yet use the new text and estimate. 409 once resolved or cancelled.",
      responses: ok(outageJsonSchema),
    },
  })
  .delete(
    "/v1/outages/:id",
    async ({ caller, params, set }) => {
      await deleteOutage(caller, params.id);
      set.status = 204;
    },
    {
      apiKey: "messages:write",
      params: idParams,
      detail: { tags, summary: "Delete a resolved or cancelled outage and its log (409 while active)", responses: noContent() },
    },
  )
  .post("/v1/outages/:id/resolve", async ({ caller, params, body }) => outageJson(await resolveOutage(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: resolveOutageSchema,
    detail: {
      tags,
      summary: "Resolve an outage",
      description:
        "Stamps the resolution; everyone who was sent the notice gets the resolution message (paced, once); notices not sent yet are skipped. 409 when not active.",
      responses: ok(outageJsonSchema),
    },
  })
  .post("/v1/outages/:id/cancel", async ({ caller, params }) => outageJson(await cancelOutage(caller, params.id)), {
    apiKey: "messages:write",
    params: idParams,
    detail: { tags, summary: "Cancel an outage declared by mistake (pending notices skipped, no resolution message)", responses: ok(outageJsonSchema) },
  })
  .get(
    "/v1/outages/:id/notifications",
    async ({ caller, params, query }) => {
      const page = await listNotifications(caller, params.id, query);
      return { data: page.data.map(notificationJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "messages:read",
      params: idParams,
      query: notificationListQuerySchema,
      detail: {
        tags,
        summary: "The notification log",
        description: "Newest first; filters `kind` (notice, resolution) and `state`.",
        responses: ok(notificationPageSchema),
      },
    },
  )
  .get("/v1/outages/:id/metrics", async ({ caller, params }) => outageMetrics(caller, params.id), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags, summary: "Counts of the log: notified, delivered, read, responded (per kind)", responses: ok(outageMetricsSchema) },
  });
