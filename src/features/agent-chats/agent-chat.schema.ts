import { z } from "zod";
import { tText } from "@/lib/i18n";

export const AGENT_CHAT_LIMITS = { title: 120, text: 10_000, pageMessages: 200 } as const;

const title = z.string().trim().min(1).max(AGENT_CHAT_LIMITS.title);
const text = z.string().trim().min(1).max(AGENT_CHAT_LIMITS.text);

/** Start a direct chat with an agent (an AI workflow of the organization), optionally with its first message. */
export const startAgentChatSchema = z.object({
  workflowId: z.uuid({ error: () => tText("agent-chats:errors.agent") }),
  title: title.optional(),
  text: text.optional(),
});
export type StartAgentChatInput = z.infer<typeof startAgentChatSchema>;

export const agentChatMessageSchema = z.object({ text });

/** PATCH: rename (null = back to the agent's name), pin/unpin, archive/unarchive. */
export const updateAgentChatSchema = z
  .object({
    title: title.nullable(),
    pinned: z.boolean(),
    archived: z.boolean(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { error: () => tText("agent-chats:errors.emptyPatch") });
export type UpdateAgentChatInput = z.infer<typeof updateAgentChatSchema>;

export const agentChatListQuerySchema = z.object({
  archived: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true"),
});
