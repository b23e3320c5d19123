import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import {
  bulkResultSchema,
  conversationJsonSchema,
  conversationMessagePageSchema,
  conversationPageSchema,
  messageSearchResultSchema,
} from "./conversation.openapi";
import {
  assignSchema,
  bulkActionSchema,
  conversationIdParams,
  conversationListQuerySchema,
  handoffSchema,
  messageListQuerySchema,
  messageSearchQuerySchema,
} from "./conversation.schema";
import { bulkConversations, searchMessages, snippetHtml } from "./inbox.service";
import {
  assignConversation,
  conversationJson,
  getConversation,
  handoffConversation,
  listConversationMessages,
  listConversations,
  messageJson,
  resolveConversation,
} from "./conversation.service";

// The key is the Caller: a key bound to one instance sees only that instance's conversations.

/** `/v1/conversations`: list, read messages, assign, resolve, hand off to a human. */
export const conversationApi = new Elysia({ name: "conversation-api", prefix: "/v1/conversations" })
  .use(authPlugin)
  .get(
    "/",
    async ({ caller, query }) => {
      const page = await listConversations(caller, query);
      return { data: page.data.map(conversationJson), nextCursor: page.nextCursor };
    },
    {
      apiKey: "messages:read",
      query: conversationListQuerySchema,
      detail: {
        tags: ["Conversations"],
        summary: "List conversations",
        description:
          "Newest activity first. Filters: `status` (open|pending|resolved|all), `instanceId`, `contactId`, `assigned` (user id|none|any), `handledBy` (bot|human), `blocked` (false|true|any; blocked contacts are left out by default), `departmentId` (id|none), `labelId`, `unread` (true|false), `from`/`to` (days of the last message, `YYYY-MM-DD` in the organization's time zone).",
        responses: ok(conversationPageSchema),
      },
    },
  )
  .get(
    "/search",
    async ({ caller, query }) => ({
      data: (await searchMessages(caller, query)).map((h) => ({
        messageId: h.messageId,
        conversationId: h.conversationId,
        createdAt: h.createdAt,
        direction: h.direction,
        isPrivateNote: h.isPrivateNote,
        snippet: snippetHtml(h.snippet),
        contact: h.contact,
      })),
    }),
    {
      apiKey: "messages:read",
      query: messageSearchQuerySchema,
      detail: {
        tags: ["Conversations"],
        summary: "Search messages (full text, Portuguese)",
        description:
          '`q`: words (web-search syntax: `"exact phrase"`, `-word`, `or`), matched with Portuguese stemming ("pagamentos" finds "pagamento"). Newest first, at most `limit`.',
        responses: ok(messageSearchResultSchema),
      },
    },
  )
  .post("/bulk", async ({ caller, body }) => bulkConversations(caller, body), {
    apiKey: "messages:write",
    body: bulkActionSchema,
    detail: {
      tags: ["Conversations"],
      summary: "Assign, label or resolve several conversations",
      description:
        "`{action: assign, ids, userId|null}`, `{action: resolve, ids}`, `{action: add_label|remove_label, ids, labelId}`. Each conversation is checked like the single action; refused ones are listed in `failed` with the error code and do not stop the others.",
      responses: ok(bulkResultSchema),
    },
  })
  .get("/:id", async ({ caller, params }) => conversationJson(await getConversation(caller, params.id)), {
    apiKey: "messages:read",
    params: conversationIdParams,
    detail: { tags: ["Conversations"], summary: "Get a conversation", responses: ok(conversationJsonSchema) },
  })
  .get(
    "/:id/messages",
    async ({ caller, params, query }) => {
      const page = await listConversationMessages(caller, params.id, query);
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
  .post("/:id/assign", async ({ caller, params, body }) => conversationJson(await assignConversation(caller, params.id, body)), {
    apiKey: "messages:write",
    params: conversationIdParams,
    body: assignSchema,
    detail: {
      tags: ["Conversations"],
      summary: "Assign a conversation",
      description: "`{userId|null, department?}`; the user must be a member of the organization (422 otherwise). Emits `conversation.assigned`.",
      responses: ok(conversationJsonSchema),
    },
  })
  .post("/:id/resolve", async ({ caller, params }) => conversationJson(await resolveConversation(caller, params.id)), {
    apiKey: "messages:write",
    params: conversationIdParams,
    detail: {
      tags: ["Conversations"],
      summary: "Resolve a conversation",
      description: "Sets `resolved`, `resolvedAt`, hands the conversation back to the bot, emits `conversation.resolved`.",
      responses: ok(conversationJsonSchema),
    },
  })
  .post("/:id/handoff", async ({ caller, params, body }) => conversationJson(await handoffConversation(caller, params.id, body?.to ?? "human")), {
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
  });
