import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import type { VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { ok } from "@/lib/openapi";
import { tenantOf } from "@/lib/tenant";
import { conversationJsonSchema, conversationMessagePageSchema, conversationPageSchema } from "./conversation.openapi";
import { assignSchema, conversationIdParams, conversationListQuerySchema, handoffSchema, messageListQuerySchema } from "./conversation.schema";
import {
  assignConversation,
  conversationJson,
  getConversation,
  handoffConversation,
  listConversationMessages,
  listConversations,
  messageJson,
  resolveConversation,
  type ConversationActor,
} from "./conversation.service";

const actorOf = (apiKey: VerifiedApiKey, request: Request): ConversationActor => ({ type: "api_key", id: apiKey.id, request });
/** A key bound to one instance sees only that instance's conversations. */
const accessOf = (apiKey: VerifiedApiKey) => ({ boundInstanceId: apiKey.instanceId });

/** `/v1/conversations`: list, read messages, assign, resolve, hand off to a human. */
export const conversationApi = new Elysia({ name: "conversation-api", prefix: "/v1/conversations" })
  .use(authPlugin)
  .get(
    "/",
    async ({ apiKey, query }) => {
      const page = await listConversations(tenantOf(apiKey), query, accessOf(apiKey));
      return { data: page.data.map(conversationJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "messages:read",
      query: conversationListQuerySchema,
      detail: {
        tags: ["Conversations"],
        summary: "List conversations",
        description:
          "Newest activity first. Filters: `status` (open|pending|resolved|all), `instanceId`, `contactId`, `assigned` (user id|none|any), `handledBy` (bot|human), `blocked` (false|true|any; blocked contacts are left out by default).",
        responses: ok(conversationPageSchema),
      },
    },
  )
  .get("/:id", async ({ apiKey, params }) => conversationJson(await getConversation(tenantOf(apiKey), params.id, accessOf(apiKey))), {
    apiKey: "messages:read",
    params: conversationIdParams,
    detail: { tags: ["Conversations"], summary: "Get a conversation", responses: ok(conversationJsonSchema) },
  })
  .get(
    "/:id/messages",
    async ({ apiKey, params, query }) => {
      const page = await listConversationMessages(tenantOf(apiKey), params.id, query, accessOf(apiKey));
      return { data: page.data.map(messageJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "messages:read",
      params: conversationIdParams,
      query: messageListQuerySchema,
      detail: {
        tags: ["Conversations"],
        summary: "List a conversation's messages",
        description: "Newest first; `order=asc` for oldest first. Private notes carry `isPrivateNote: true`.",
        responses: ok(conversationMessagePageSchema),
      },
    },
  )
  .post(
    "/:id/assign",
    async ({ apiKey, params, body, request }) =>
      conversationJson(await assignConversation(tenantOf(apiKey), params.id, body, actorOf(apiKey, request), accessOf(apiKey))),
    {
      apiKey: "messages:write",
      params: conversationIdParams,
      body: assignSchema,
      detail: {
        tags: ["Conversations"],
        summary: "Assign a conversation",
        description: "`{userId|null, department?}`; the user must be a member of the organization (422 otherwise). Emits `conversation.assigned`.",
        responses: ok(conversationJsonSchema),
      },
    },
  )
  .post(
    "/:id/resolve",
    async ({ apiKey, params, request }) => conversationJson(await resolveConversation(tenantOf(apiKey), params.id, actorOf(apiKey, request), accessOf(apiKey))),
    {
      apiKey: "messages:write",
      params: conversationIdParams,
      detail: {
        tags: ["Conversations"],
        summary: "Resolve a conversation",
        description: "Sets `resolved`, `resolvedAt`, hands the conversation back to the bot, emits `conversation.resolved`.",
        responses: ok(conversationJsonSchema),
      },
    },
  )
  .post(
    "/:id/handoff",
    async ({ apiKey, params, body, request }) =>
      conversationJson(await handoffConversation(tenantOf(apiKey), params.id, body?.to ?? "human", actorOf(apiKey, request), accessOf(apiKey))),
    {
      apiKey: "messages:write",
      params: conversationIdParams,
      body: handoffSchema.optional(),
      detail: {
        tags: ["Conversations"],
        summary: "Hand off to a human (or back to the bot)",
        description:
          '`{to: "human"}` (the default, body optional) sets `handledBy: human`: every automation (triggers, flows, workflows, follow-ups) stops on this conversation until it is resolved or handed back with `{to: "bot"}`.',
        responses: ok(conversationJsonSchema),
      },
    },
  );
