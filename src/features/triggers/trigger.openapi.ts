import { z } from "zod";
import { triggers } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/triggers` answers (toPublicTrigger), documented in /openapi.json. */
export const triggerJsonSchema = rowJson(triggers, [
  "id",
  "name",
  "match",
  "pattern",
  "priority",
  "cooldownSeconds",
  "instanceIds",
  "active",
  "action",
  "templateKey",
  "flowId",
  "workflowId",
  "createdAt",
  "updatedAt",
]);

export const triggerListSchema = z.object({ data: z.array(triggerJsonSchema), nextCursor: z.null().describe("Always null: every trigger is listed") });

export const triggerTestResultSchema = z.object({
  fired: triggerJsonSchema.nullable(),
  checks: z.array(z.object({ triggerId: z.string(), outcome: z.enum(["fires", "shadowed", "no_match", "inactive", "other_instance"]) })),
});
