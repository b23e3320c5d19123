import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { getSentimentSettings, saveSentimentSettings } from "@/features/sentiment/sentiment.service";
import { sentimentSettingsSchema } from "@/features/sentiment/sentiment.schema";
import { ok } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import {
  departmentModeJsonSchema,
  departmentModeListSchema,
  learningEventListSchema,
  promptSuggestionJsonSchema,
  promptSuggestionListSchema,
  replyModeJsonSchema,
  sentimentSettingsJsonSchema,
  suggestionJsonSchema,
  suggestionListSchema,
} from "./suggestion.openapi";
import {
  applyPromptSuggestion,
  generatePromptSuggestion,
  getPromptSuggestion,
  listPromptSuggestions,
  promptSuggestionJson,
  rejectPromptSuggestion,
} from "./prompt-suggestion.service";
import {
  applyPromptSuggestionSchema,
  departmentModeSchema,
  discardSuggestionSchema,
  generatePromptSuggestionSchema,
  learningEventQuerySchema,
  promptSuggestionQuerySchema,
  rejectPromptSuggestionSchema,
  replyModeSchema,
  sendSuggestionSchema,
} from "./suggestion.schema";
import {
  discardSuggestion,
  getSuggestion,
  learningEventJson,
  listConversationSuggestions,
  listDepartmentModes,
  listLearningEvents,
  sendSuggestion,
  setDepartmentReplyMode,
  setReplyMode,
  suggestionJson,
} from "./suggestion.service";

const idParams = z.object({ id: z.string() });
const draftTags = ["Human in the loop"];
const learningTags = ["Learning"];
const sentimentTags = ["Sentiment"];

const departmentModeJson = (d: { id: string; name: string; active: boolean; draftReplies: boolean }) => ({
  departmentId: d.id,
  name: d.name,
  active: d.active,
  draftReplies: d.draftReplies,
});

/**
 * `/v1` human in the loop: the AI's drafts in hybrid mode (send as is or edited, discard; messages
 * scopes), learning events and prompt suggestions (workflows scopes), hybrid mode per department and
 * sentiment settings.
 */
export const suggestionsApi = new Elysia({ name: "suggestions-api" })
  .use(authPlugin)
  .get(
    "/v1/conversations/:id/suggestions",
    async ({ caller, params }) => ({ data: (await listConversationSuggestions(caller, params.id)).map(suggestionJson), nextCursor: null }),
    {
      apiKey: "messages:read",
      params: idParams,
      detail: { tags: draftTags, summary: "List the AI's drafts in a conversation (newest first)", responses: ok(suggestionListSchema) },
    },
  )
  .put(
    "/v1/conversations/:id/reply-mode",
    async ({ caller, params, body }) => {
      const row = await setReplyMode(caller, params.id, body.mode);
      return { conversationId: row.conversation.id, mode: row.conversation.aiReplyMode };
    },
    {
      apiKey: "messages:write",
      params: idParams,
      body: replyModeSchema,
      detail: {
        tags: draftTags,
        summary: "Set a conversation's AI mode: draft (hybrid), auto, or inherit (the department's / workflow's)",
        responses: ok(replyModeJsonSchema),
      },
    },
  )
  .get("/v1/suggestions/:id", async ({ caller, params }) => suggestionJson(await getSuggestion(caller, params.id)), {
    apiKey: "messages:read",
    params: idParams,
    detail: { tags: draftTags, summary: "Get an AI draft", responses: ok(suggestionJsonSchema) },
  })
  .post("/v1/suggestions/:id/send", async ({ caller, params, body }) => suggestionJson(await sendSuggestion(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: sendSuggestionSchema,
    detail: {
      tags: draftTags,
      summary: "Send an AI draft to the contact, as drafted or edited (`text`); an edit is recorded as a learning event",
      responses: ok(suggestionJsonSchema),
    },
  })
  .post("/v1/suggestions/:id/discard", async ({ caller, params, body }) => suggestionJson(await discardSuggestion(caller, params.id, body)), {
    apiKey: "messages:write",
    params: idParams,
    body: discardSuggestionSchema,
    detail: { tags: draftTags, summary: "Discard an AI draft (recorded as a learning event)", responses: ok(suggestionJsonSchema) },
  })
  .get(
    "/v1/learning-events",
    async ({ caller, query }) => ({ data: (await listLearningEvents(caller, { workflowId: query.workflowId })).map(learningEventJson), nextCursor: null }),
    {
      apiKey: "workflows:read",
      query: learningEventQuerySchema,
      detail: { tags: learningTags, summary: "List learning events (corrections of AI drafts), newest first", responses: ok(learningEventListSchema) },
    },
  )
  .get(
    "/v1/prompt-suggestions",
    async ({ caller, query }) => ({ data: (await listPromptSuggestions(caller, query)).map(promptSuggestionJson), nextCursor: null }),
    {
      apiKey: "workflows:read",
      query: promptSuggestionQuerySchema,
      detail: { tags: learningTags, summary: "List prompt suggestions, newest first", responses: ok(promptSuggestionListSchema) },
    },
  )
  .post(
    "/v1/prompt-suggestions",
    async ({ caller, body, set }) => {
      const created = await generatePromptSuggestion(caller, body.workflowId);
      set.status = 201;
      return promptSuggestionJson(created);
    },
    {
      apiKey: "workflows:write",
      body: generatePromptSuggestionSchema,
      detail: {
        tags: learningTags,
        summary: "Ask the workflow's model for a prompt suggestion from its learning events not analysed yet (structured output)",
        responses: ok(promptSuggestionJsonSchema, 201),
      },
    },
  )
  .get("/v1/prompt-suggestions/:id", async ({ caller, params }) => promptSuggestionJson(await getPromptSuggestion(caller, params.id)), {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags: learningTags, summary: "Get a prompt suggestion", responses: ok(promptSuggestionJsonSchema) },
  })
  .post("/v1/prompt-suggestions/:id/apply", async ({ caller, params, body }) => promptSuggestionJson(await applyPromptSuggestion(caller, params.id, body)), {
    apiKey: "workflows:write",
    params: idParams,
    body: applyPromptSuggestionSchema,
    detail: {
      tags: learningTags,
      summary: "Apply a prompt suggestion: publishes its instructions as the workflow's next prompt version",
      responses: ok(promptSuggestionJsonSchema),
    },
  })
  .post("/v1/prompt-suggestions/:id/reject", async ({ caller, params, body }) => promptSuggestionJson(await rejectPromptSuggestion(caller, params.id, body)), {
    apiKey: "workflows:write",
    params: idParams,
    body: rejectPromptSuggestionSchema,
    detail: { tags: learningTags, summary: "Reject a prompt suggestion with a note", responses: ok(promptSuggestionJsonSchema) },
  })
  .get("/v1/hybrid/departments", async ({ caller }) => ({ data: (await listDepartmentModes(caller)).map(departmentModeJson) }), {
    apiKey: "workflows:read",
    detail: { tags: draftTags, summary: "List departments with their hybrid mode", responses: ok(departmentModeListSchema) },
  })
  .put(
    "/v1/hybrid/departments/:id",
    async ({ caller, params, body }) => departmentModeJson(await setDepartmentReplyMode(caller, params.id, body.draftReplies)),
    {
      apiKey: "workflows:write",
      params: idParams,
      body: departmentModeSchema,
      detail: { tags: draftTags, summary: "Turn hybrid mode on or off for a department", responses: ok(departmentModeJsonSchema) },
    },
  )
  .get("/v1/sentiment/settings", async ({ caller }) => getSentimentSettings(organizationOf(caller)), {
    apiKey: "workflows:read",
    detail: { tags: sentimentTags, summary: "Get the organization's sentiment classification settings", responses: ok(sentimentSettingsJsonSchema) },
  })
  .put("/v1/sentiment/settings", async ({ caller, body }) => saveSentimentSettings(caller, body), {
    apiKey: "workflows:write",
    body: sentimentSettingsSchema,
    detail: { tags: sentimentTags, summary: "Turn sentiment classification on or off and choose its model", responses: ok(sentimentSettingsJsonSchema) },
  });
