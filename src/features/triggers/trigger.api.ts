import { Elysia } from "elysia";
import { z } from "zod";
import { noContent, ok } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import { triggerJsonSchema, triggerListSchema, triggerTestResultSchema } from "./trigger.openapi";
import { authPlugin } from "@/auth/plugin";
import type { VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { triggerSchema, triggerTestSchema } from "./trigger.schema";
import { createTrigger, deleteTrigger, getTrigger, listTriggers, previewTriggers, updateTrigger, type Trigger } from "./trigger.service";

const idParams = z.object({ id: z.string().uuid() });

const orgOf = (key: VerifiedApiKey) => organizationOf(key);

export function toPublicTrigger(t: Trigger) {
  return {
    id: t.id,
    name: t.name,
    match: t.match,
    pattern: t.pattern,
    priority: t.priority,
    cooldownSeconds: t.cooldownSeconds,
    instanceIds: t.instanceIds,
    active: t.active,
    action: t.action,
    templateKey: t.templateKey,
    flowId: t.flowId,
    workflowId: t.workflowId,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** `/v1/triggers`: automation rules, under the `workflows:*` scopes like the rest of automation. */
export const triggerApi = new Elysia({ name: "triggers-api" })
  .use(authPlugin)
  .get("/v1/triggers", async ({ apiKey }) => ({ data: (await listTriggers(orgOf(apiKey))).map(toPublicTrigger), nextCursor: null }), {
    apiKey: "workflows:read",
    detail: {
      tags: ["Triggers"],
      summary: "List triggers in the order they are evaluated (priority, then most recently updated)",
      responses: ok(triggerListSchema),
    },
  })
  .post(
    "/v1/triggers",
    async ({ caller, body, set }) => {
      set.status = 201;
      return toPublicTrigger(await createTrigger(caller, body));
    },
    { apiKey: "workflows:write", body: triggerSchema, detail: { tags: ["Triggers"], summary: "Create a trigger", responses: ok(triggerJsonSchema, 201) } },
  )
  .post(
    "/v1/triggers/test",
    async ({ apiKey, body }) => {
      const { fired, checks } = await previewTriggers(orgOf(apiKey), body.text, { instanceId: body.instanceId ?? null, isFirstMessage: body.firstMessage });
      return { fired: fired ? toPublicTrigger(fired) : null, checks: checks.map((c) => ({ triggerId: c.trigger.id, outcome: c.outcome })) };
    },
    {
      apiKey: "workflows:read",
      body: triggerTestSchema,
      detail: {
        tags: ["Triggers"],
        summary: "Which trigger would fire for a text (nothing is sent or recorded; cooldowns are not considered)",
        responses: ok(triggerTestResultSchema),
      },
    },
  )
  .get("/v1/triggers/:id", async ({ apiKey, params }) => toPublicTrigger(await getTrigger(orgOf(apiKey), params.id)), {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags: ["Triggers"], summary: "Get a trigger", responses: ok(triggerJsonSchema) },
  })
  .put("/v1/triggers/:id", async ({ caller, params, body }) => toPublicTrigger(await updateTrigger(caller, params.id, body)), {
    apiKey: "workflows:write",
    params: idParams,
    body: triggerSchema,
    detail: { tags: ["Triggers"], summary: "Replace a trigger", responses: ok(triggerJsonSchema) },
  })
  .delete(
    "/v1/triggers/:id",
    async ({ caller, params, set }) => {
      await deleteTrigger(caller, params.id);
      set.status = 204;
    },
    { apiKey: "workflows:write", params: idParams, detail: { tags: ["Triggers"], summary: "Delete a trigger", responses: noContent() } },
  );
