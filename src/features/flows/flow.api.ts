import { Elysia } from "elysia";
import { z } from "zod";
import { noContent, ok } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import { flowDetailSchema, flowListSchema, flowStepJsonSchema } from "./flow.openapi";
import { authPlugin } from "@/auth/plugin";
import type { VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { createFlowSchema, flowStepSchema } from "./flow.schema";
import {
  createFlow,
  deleteStep,
  draftFor,
  getFlow,
  getSteps,
  listFlows,
  publishFlow,
  saveStep,
  stepNotFound,
  updateFlowSettings,
  validateFlow,
  versionsOf,
  type Flow,
  type FlowStep,
} from "./flow.service";

const idParams = z.object({ id: z.string().uuid() });
const stepParams = z.object({ id: z.string().uuid(), key: z.string().min(1).max(200) });

const orgOf = (key: VerifiedApiKey) => organizationOf(key);

export function toPublicFlow(f: Flow) {
  return {
    id: f.id,
    lineageId: f.lineageId,
    name: f.name,
    status: f.status,
    version: f.version,
    followUps: f.followUps,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
}

export function toPublicStep(s: FlowStep) {
  return {
    key: s.key,
    type: s.type,
    templateKey: s.templateKey,
    text: s.text,
    config: s.config,
    waitForInput: s.waitForInput,
    transitions: s.transitions,
    order: s.order,
  };
}

/** A version with its steps, validation problems and sibling versions. */
async function flowDetail(organizationId: string, flow: Flow) {
  const steps = await getSteps(flow.id);
  const versions = await versionsOf(organizationId, flow.lineageId);
  return {
    ...toPublicFlow(flow),
    steps: steps.map(toPublicStep),
    problems: await validateFlow(organizationId, steps),
    versions: versions.map((v) => ({ id: v.id, version: v.version, status: v.status })),
  };
}

/**
 * `/v1/flows`: versioned flows under the `workflows:*` scopes. Only a draft can be changed; `POST
 * /v1/flows/:id/draft` opens (or returns) the draft of a published or archived version.
 */
export const flowApi = new Elysia({ name: "flows-api" })
  .use(authPlugin)
  .get(
    "/v1/flows",
    async ({ apiKey }) => ({
      data: (await listFlows(orgOf(apiKey))).map(({ latest, published }) => ({
        lineageId: latest.lineageId,
        name: published?.name ?? latest.name,
        live: published ? { id: published.id, version: published.version } : null,
        draft: latest.status === "draft" ? { id: latest.id, version: latest.version } : null,
      })),
      nextCursor: null,
    }),
    {
      apiKey: "workflows:read",
      detail: { tags: ["Flows"], summary: "List flows: one entry per flow with its live and draft versions", responses: ok(flowListSchema) },
    },
  )
  .post(
    "/v1/flows",
    async ({ caller, apiKey, body, set }) => {
      set.status = 201;
      const organizationId = orgOf(apiKey);
      return flowDetail(organizationId, await createFlow(caller, body));
    },
    {
      apiKey: "workflows:write",
      body: createFlowSchema,
      detail: { tags: ["Flows"], summary: "Create a flow (draft version 1)", responses: ok(flowDetailSchema, 201) },
    },
  )
  .get(
    "/v1/flows/:id",
    async ({ apiKey, params }) => {
      const organizationId = orgOf(apiKey);
      return flowDetail(organizationId, await getFlow(organizationId, params.id));
    },
    {
      apiKey: "workflows:read",
      params: idParams,
      detail: { tags: ["Flows"], summary: "A version with its steps, validation problems and versions", responses: ok(flowDetailSchema) },
    },
  )
  .put(
    "/v1/flows/:id",
    async ({ caller, apiKey, params, body }) => {
      const organizationId = orgOf(apiKey);
      return flowDetail(organizationId, await updateFlowSettings(caller, params.id, body));
    },
    {
      apiKey: "workflows:write",
      params: idParams,
      body: createFlowSchema,
      detail: { tags: ["Flows"], summary: "Set a draft's name and follow-up stages", responses: ok(flowDetailSchema) },
    },
  )
  .post(
    "/v1/flows/:id/steps",
    async ({ caller, params, body, set }) => {
      set.status = 201;
      return toPublicStep(await saveStep(caller, params.id, body));
    },
    {
      apiKey: "workflows:write",
      params: idParams,
      body: flowStepSchema,
      detail: { tags: ["Flows"], summary: "Add a step to a draft", responses: ok(flowStepJsonSchema, 201) },
    },
  )
  .put(
    "/v1/flows/:id/steps/:key",
    async ({ caller, apiKey, params, body }) => {
      const organizationId = orgOf(apiKey);
      const flow = await getFlow(organizationId, params.id);
      if (!(await getSteps(flow.id)).some((s) => s.key === params.key)) throw stepNotFound();
      return toPublicStep(await saveStep(caller, flow.id, body, params.key));
    },
    {
      apiKey: "workflows:write",
      params: stepParams,
      body: flowStepSchema,
      detail: { tags: ["Flows"], summary: "Replace a step of a draft (its key may change)", responses: ok(flowStepJsonSchema) },
    },
  )
  .delete(
    "/v1/flows/:id/steps/:key",
    async ({ caller, params, set }) => {
      await deleteStep(caller, params.id, params.key);
      set.status = 204;
    },
    { apiKey: "workflows:write", params: stepParams, detail: { tags: ["Flows"], summary: "Delete a step of a draft", responses: noContent() } },
  )
  .post(
    "/v1/flows/:id/publish",
    async ({ caller, apiKey, params }) => {
      const organizationId = orgOf(apiKey);
      return flowDetail(organizationId, await publishFlow(caller, params.id));
    },
    {
      apiKey: "workflows:write",
      params: idParams,
      detail: {
        tags: ["Flows"],
        summary: "Publish a draft (422 with the problems when invalid); the previous live version is archived",
        responses: ok(flowDetailSchema),
      },
    },
  )
  .post(
    "/v1/flows/:id/draft",
    async ({ caller, apiKey, params }) => {
      const organizationId = orgOf(apiKey);
      return flowDetail(organizationId, await draftFor(caller, params.id));
    },
    {
      apiKey: "workflows:write",
      params: idParams,
      detail: { tags: ["Flows"], summary: "The draft of this flow: existing, or a new version copying this one's steps", responses: ok(flowDetailSchema) },
    },
  );
