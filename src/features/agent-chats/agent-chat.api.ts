import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import {
  AGENT_CHATS_TAG_DESCRIPTION,
  agentChatJsonSchema,
  agentChatListSchema,
  agentChatMessageJsonSchema,
  agentChatMessagesSchema,
  agentChatStartedSchema,
  agentsListSchema,
  unreadSchema,
} from "./agent-chat.openapi";
import { agentChatListQuerySchema, agentChatMessageSchema, startAgentChatSchema, updateAgentChatSchema } from "./agent-chat.schema";
import {
  agentChatJson,
  agentChatMessageJson,
  getAgentChat,
  listAgentChatMessages,
  listAgentChats,
  listAgents,
  markAgentChatRead,
  sendAgentChatMessage,
  startAgentChat,
  unreadAgentChatCount,
  updateAgentChat,
} from "./agent-chat.service";

const idParams = z.object({ id: z.string() });
const tags = ["Agent chats"];

/**
 * `/v1/agent-chats`: the key's member's direct chats with AI agents (scopes workflows:read /
 * workflows:write). A key acts for the member who created it: see AGENT_CHATS_TAG_DESCRIPTION.
 */
export const agentChatsApi = new Elysia({ name: "agent-chats-api" })
  .use(authPlugin)
  .get("/v1/agent-chats/agents", async ({ caller }) => ({ data: await listAgents(caller), nextCursor: null }), {
    apiKey: "workflows:read",
    detail: { tags, summary: "List the agents the key's member may chat with (active AI workflows)", responses: ok(agentsListSchema) },
  })
  .get("/v1/agent-chats/unread", async ({ caller }) => ({ unread: await unreadAgentChatCount(caller) }), {
    apiKey: "workflows:read",
    detail: { tags, summary: "Count unread agent answers", responses: ok(unreadSchema) },
  })
  .get(
    "/v1/agent-chats",
    async ({ caller, query }) => ({ data: (await listAgentChats(caller, { archived: query.archived })).map(agentChatJson), nextCursor: null }),
    {
      apiKey: "workflows:read",
      query: agentChatListQuerySchema,
      detail: {
        tags,
        summary: "List the key's member's direct chats (pinned first, then latest); archived=true lists the archived ones",
        description: AGENT_CHATS_TAG_DESCRIPTION,
        responses: ok(agentChatListSchema),
      },
    },
  )
  .post(
    "/v1/agent-chats",
    async ({ caller, body, set }) => {
      set.status = 201;
      const { chat, message } = await startAgentChat(caller, body);
      return { chat: agentChatJson(chat), message: message ? agentChatMessageJson(message) : null };
    },
    {
      apiKey: "workflows:write",
      body: startAgentChatSchema,
      detail: { tags, summary: "Start a direct chat with an agent, optionally with its first message", responses: ok(agentChatStartedSchema, 201) },
    },
  )
  .get("/v1/agent-chats/:id", async ({ caller, params }) => agentChatJson(await getAgentChat(caller, params.id)), {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags, summary: "Get a direct chat", responses: ok(agentChatJsonSchema) },
  })
  .patch("/v1/agent-chats/:id", async ({ caller, params, body }) => agentChatJson(await updateAgentChat(caller, params.id, body)), {
    apiKey: "workflows:write",
    params: idParams,
    body: updateAgentChatSchema,
    detail: { tags, summary: "Rename (title null = the agent's name), pin or unpin, archive or unarchive a direct chat", responses: ok(agentChatJsonSchema) },
  })
  .get(
    "/v1/agent-chats/:id/messages",
    async ({ caller, params }) => ({ data: (await listAgentChatMessages(caller, params.id)).map(agentChatMessageJson), nextCursor: null }),
    {
      apiKey: "workflows:read",
      params: idParams,
      detail: { tags, summary: "Read a direct chat's lines, oldest first (reading does not mark them read)", responses: ok(agentChatMessagesSchema) },
    },
  )
  .post(
    "/v1/agent-chats/:id/messages",
    async ({ caller, params, body, set }) => {
      set.status = 202;
      return agentChatMessageJson(await sendAgentChatMessage(caller, params.id, body.text));
    },
    {
      apiKey: "workflows:write",
      params: idParams,
      body: agentChatMessageSchema,
      detail: {
        tags,
        summary: "Write to the agent: the message is stored and the answer is made asynchronously (poll the messages; the chat says `answering`)",
        responses: ok(agentChatMessageJsonSchema, 202),
      },
    },
  )
  .post(
    "/v1/agent-chats/:id/read",
    async ({ caller, params, set }) => {
      await markAgentChatRead(caller, params.id);
      set.status = 204;
    },
    { apiKey: "workflows:write", params: idParams, detail: { tags, summary: "Mark a direct chat read (its unread count goes to 0)", responses: noContent() } },
  );
