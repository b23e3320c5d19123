import { z } from "zod";
import { dmConversations, dmMessages } from "@/db/schema";
import { rowJson, timestamp } from "@/lib/openapi";

/** The JSON `/v1/agent-chats` answers (agentChatJson), documented in /openapi.json. */
export const agentChatJsonSchema = rowJson(dmConversations, [
  "id",
  "workflowId",
  "title",
  "pinned",
  "archivedAt",
  "messageCount",
  "unreadCount",
  "lastMessageAt",
  "lastReadAt",
  "createdAt",
  "updatedAt",
]).extend({
  agentName: z.string().nullable().describe("The agent's persona name (else the workflow's name); a chat without a title shows it"),
  agentRole: z.string().nullable().describe("The persona's role, when it has one"),
  agentAvatarUrl: z.string().nullable().describe("The persona's https avatar, when it has one"),
  archived: z.boolean(),
  answering: z.boolean().describe("The agent's answer is on its way"),
  lastMessage: z
    .object({ role: z.enum(["user", "assistant", "tool", "error"]), content: z.string() })
    .nullable()
    .describe("The latest line (lists only; first 200 characters)"),
});

export const agentChatMessageJsonSchema = rowJson(dmMessages, ["id", "role", "content", "tokens"]).extend({ at: timestamp() });

export const agentChatListSchema = z.object({
  data: z.array(agentChatJsonSchema),
  nextCursor: z.null().describe("Always null: the latest 200 chats are listed"),
});

export const agentChatMessagesSchema = z.object({
  data: z.array(agentChatMessageJsonSchema).describe("Oldest first: the chat's latest 200 lines"),
  nextCursor: z.null(),
});

export const agentChatStartedSchema = z.object({ chat: agentChatJsonSchema, message: agentChatMessageJsonSchema.nullable() });

export const agentsListSchema = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      name: z.string().describe("The persona's name, else the workflow's"),
      role: z.string().nullable(),
      avatarUrl: z.string().nullable(),
      description: z.string().nullable(),
    }),
  ),
  nextCursor: z.null(),
});

export const unreadSchema = z.object({ unread: z.number().int().describe("Unread agent answers over the caller's open chats") });

/** Who these routes answer: said once, on the tag. */
export const AGENT_CHATS_TAG_DESCRIPTION =
  "A team member's private direct chats with the organization's AI agents (workflows with an AI provider). Separate from customer " +
  "threads: nothing reaches the inbox, WhatsApp, events or webhooks. A direct chat belongs to a person, so a key reaches the chats of " +
  "the member who created it (while they belong to the organization; a key made by nobody, or by someone who left, gets 403), and " +
  "nobody else's: another member's chat id is 404. The agent answers asynchronously: `answering` is true until its answer (or a " +
  "failure line, role `error`) is stored; poll the messages. Tools that act on a customer contact never run in a direct chat.";
