import { z } from "zod";
import { PROMPT_VERSION_SOURCES, promptVersions } from "@/db/schema";
import { rowJson, timestamp } from "@/lib/openapi";

/** The JSON the `/v1/workflows/:id/prompt/*` routes answer (promptVersionJson, promptDraftJson), documented in /openapi.json. */
export const promptVersionJsonSchema = rowJson(promptVersions, [
  "id",
  "workflowId",
  "version",
  "instructions",
  "changelog",
  "rolledBackFrom",
  "createdAt",
]).extend({
  source: z
    .enum(PROMPT_VERSION_SOURCES)
    .describe("editor, settings (workflow config), rollback, suggestion (accepted AI proposal), api, import (the workflow's system prompt of before versions)"),
  author: z.object({
    type: z.string().describe("user, api_key or system"),
    id: z.string().nullable(),
    label: z.string().nullable().describe("The member's email when a member published it"),
  }),
});

export const promptVersionListSchema = z.object({
  data: z.array(promptVersionJsonSchema).describe("Newest first; the first is the version that answers"),
  nextCursor: z.null().describe("Always null: every version is listed"),
});

export const promptDraftJsonSchema = z.object({
  workflowId: z.string().uuid(),
  instructions: z.string(),
  baseVersion: z.number().int().nullable().describe("The version the draft started from"),
  lastEditedBy: z.object({ type: z.string(), id: z.string().nullable() }),
  lastEditedAt: timestamp(),
});

export const promptDiffSchema = z.object({
  from: z.number().int(),
  to: z.number().int(),
  lines: z.array(z.object({ type: z.enum(["added", "removed", "same"]), text: z.string() })).describe("Line diff from `from` to `to`"),
});
