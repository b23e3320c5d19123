import { z } from "zod";
import { alerts } from "@/db/schema";
import { pageOf, rowJson } from "@/lib/openapi";

/** The JSON `/v1/alerts` answers (alertJson), documented in /openapi.json. */
export const alertJsonSchema = rowJson(alerts, [
  "id",
  "type",
  "severity",
  "conversationId",
  "departmentId",
  "agentUserId",
  "message",
  "resolvedAt",
  "resolvedBy",
  "createdAt",
]).extend({
  details: z.record(z.string(), z.unknown()).describe("What raised it: the keyword, the target and elapsed minutes, the sentiment reason"),
  resolved: z.boolean(),
});
export const alertPageSchema = pageOf(alertJsonSchema);

export const alertSettingsJsonSchema = z.object({ urgencyKeywords: z.array(z.string()) });

export const departmentTargetsJsonSchema = z.object({
  departmentId: z.string().meta({ format: "uuid" }),
  departmentName: z.string(),
  firstResponseMinutes: z.number().int().nullable(),
  resolutionMinutes: z.number().int().nullable(),
});
export const departmentTargetsListSchema = z.object({ data: z.array(departmentTargetsJsonSchema) });
