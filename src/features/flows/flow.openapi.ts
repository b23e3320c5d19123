import { z } from "zod";
import { flowSteps, flows } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/flows` answers (toPublicFlow, toPublicStep, flowDetail), documented in /openapi.json. */
export const flowStepJsonSchema = rowJson(flowSteps, ["key", "type", "templateKey", "text", "waitForInput", "order"]).extend({
  config: z.record(z.string(), z.unknown()),
  transitions: z.record(z.string(), z.string()).describe("Reply option → next step key"),
});

const versionRef = rowJson(flows, ["id", "version"]);

export const flowDetailSchema = rowJson(flows, ["id", "lineageId", "name", "status", "version", "createdAt", "updatedAt"]).extend({
  followUps: z.array(z.object({ delaySeconds: z.number().int(), templateKey: z.string() })),
  steps: z.array(flowStepJsonSchema),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).describe("Why the version cannot be published yet; empty when valid"),
  versions: z.array(rowJson(flows, ["id", "version", "status"])),
});

export const flowListSchema = z.object({
  data: z.array(
    z.object({
      lineageId: z.string(),
      name: z.string(),
      live: versionRef.nullable().describe("The published version"),
      draft: versionRef.nullable(),
    }),
  ),
  nextCursor: z.null().describe("Always null: every flow is listed"),
});
