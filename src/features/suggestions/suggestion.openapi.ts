import { z } from "zod";
import { departmentReplyModes, learningEvents, promptSuggestions, sentimentSettings, suggestedResponses } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON of `/v1` human-in-the-loop routes (suggestionJson, learningEventJson, promptSuggestionJson), documented in /openapi.json. */
export const suggestionJsonSchema = rowJson(suggestedResponses, [
  "id",
  "conversationId",
  "workflowId",
  "threadId",
  "messageContext",
  "suggestedText",
  "finalText",
  "status",
  "wasEdited",
  "wasApproved",
  "tokens",
  "messageId",
  "decidedBy",
  "decidedAt",
  "createdAt",
]);
export const suggestionListSchema = z.object({ data: z.array(suggestionJsonSchema), nextCursor: z.null().describe("Always null: the newest 50 are listed") });

export const learningEventJsonSchema = rowJson(learningEvents, [
  "id",
  "workflowId",
  "conversationId",
  "suggestionId",
  "eventType",
  "userMessage",
  "aiResponse",
  "correctResponse",
  "feedback",
  "promptSuggestionId",
  "createdAt",
]);
export const learningEventListSchema = z.object({
  data: z.array(learningEventJsonSchema),
  nextCursor: z.null().describe("Always null: the newest 100 are listed"),
});

export const promptSuggestionJsonSchema = rowJson(promptSuggestions, [
  "id",
  "workflowId",
  "status",
  "origin",
  "problemIdentified",
  "rootCauseAnalysis",
  "currentPrompt",
  "suggestedPrompt",
  "changelog",
  "confidence",
  "affectedConversations",
  "eventCount",
  "tokens",
  "createdBy",
  "reviewedBy",
  "reviewNotes",
  "reviewedAt",
  "appliedVersion",
  "createdAt",
]);
export const promptSuggestionListSchema = z.object({
  data: z.array(promptSuggestionJsonSchema),
  nextCursor: z.null().describe("Always null: the newest 100 are listed"),
});

export const replyModeJsonSchema = z.object({ conversationId: z.string().meta({ format: "uuid" }), mode: z.enum(["inherit", "auto", "draft"]) });

export const departmentModeJsonSchema = rowJson(departmentReplyModes, ["departmentId", "draftReplies"]).extend({ name: z.string(), active: z.boolean() });
export const departmentModeListSchema = z.object({ data: z.array(departmentModeJsonSchema) });

export const sentimentSettingsJsonSchema = rowJson(sentimentSettings, ["enabled", "workflowId", "model", "alertOnNegative"]);
