import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { leadJsonSchema, leadPageSchema, planJsonSchema, planListSchema } from "./sales.openapi";
import { createLeadSchema, createPlanSchema, leadListQuerySchema, planListQuerySchema, updateLeadSchema, updatePlanSchema } from "./sales.schema";
import { createLead, createPlan, getLead, getPlan, leadJson, listLeads, listPlans, planJson, updateLead, updatePlan } from "./sales.service";

const idParams = z.object({ id: z.string() });
const tags = ["Sales"];

/** `/v1/sales`: the plans catalogue and the leads pipeline (scopes contacts:read / contacts:write). */
export const salesApi = new Elysia({ name: "sales-api" })
  .use(authPlugin)
  .get(
    "/v1/sales/plans",
    async ({ caller, query }) => ({
      data: (await listPlans(caller, { active: query.active === undefined ? undefined : query.active === "true" })).map(planJson),
      nextCursor: null,
    }),
    { apiKey: "contacts:read", query: planListQuerySchema, detail: { tags, summary: "List the plans catalogue (by name)", responses: ok(planListSchema) } },
  )
  .post(
    "/v1/sales/plans",
    async ({ caller, body, set }) => {
      set.status = 201;
      return planJson(await createPlan(caller, body));
    },
    { apiKey: "contacts:write", body: createPlanSchema, detail: { tags, summary: "Add a plan (price in cents)", responses: ok(planJsonSchema, 201) } },
  )
  .get("/v1/sales/plans/:id", async ({ caller, params }) => planJson(await getPlan(caller, params.id)), {
    apiKey: "contacts:read",
    params: idParams,
    detail: { tags, summary: "Get a plan", responses: ok(planJsonSchema) },
  })
  .patch("/v1/sales/plans/:id", async ({ caller, params, body }) => planJson(await updatePlan(caller, params.id, body)), {
    apiKey: "contacts:write",
    params: idParams,
    body: updatePlanSchema,
    detail: { tags, summary: "Change a plan (an inactive plan is no longer offered for new leads)", responses: ok(planJsonSchema) },
  })
  .get(
    "/v1/sales/leads",
    async ({ caller, query }) => {
      const page = await listLeads(caller, query);
      return { data: page.data.map(leadJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "contacts:read",
      query: leadListQuerySchema,
      detail: {
        tags,
        summary: "List leads",
        description: "Newest first. Filters: `status` (new, contacted, qualified, converted, lost), `assignee` (user id or `none`), `planId`, `contactId`.",
        responses: ok(leadPageSchema),
      },
    },
  )
  .post(
    "/v1/sales/leads",
    async ({ caller, body, set }) => {
      set.status = 201;
      return leadJson(await createLead(caller, body));
    },
    {
      apiKey: "contacts:write",
      body: createLeadSchema,
      detail: {
        tags,
        summary: "Create a lead",
        description: "For the contact of `conversationId`, or a contact by `contactId` or `phone` (422 when none matches). `valueCents`: estimated value.",
        responses: ok(leadJsonSchema, 201),
      },
    },
  )
  .get("/v1/sales/leads/:id", async ({ caller, params }) => leadJson(await getLead(caller, params.id)), {
    apiKey: "contacts:read",
    params: idParams,
    detail: { tags, summary: "Get a lead", responses: ok(leadJsonSchema) },
  })
  .patch("/v1/sales/leads/:id", async ({ caller, params, body }) => leadJson(await updateLead(caller, params.id, body)), {
    apiKey: "contacts:write",
    params: idParams,
    body: updateLeadSchema,
    detail: { tags, summary: "Move a lead along the pipeline, assign it or change it", responses: ok(leadJsonSchema) },
  });
