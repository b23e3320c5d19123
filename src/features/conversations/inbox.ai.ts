import { port } from "@/lib/port";

/** One tool call an AI workflow made while answering the conversation, as the thread stores it (`{tool, input, output|error}` JSON). */
export type AiToolCall = { content: string; at: Date };

/**
 * The latest tool calls of the AI threads that answered a conversation (hand-offs with their reason,
 * leads, promises…), shown to the agent in the inbox. Threads belong to the workflows feature, which
 * sits above conversations: src/routes.ts plugs its reader in here.
 */
export const aiToolCallsOf = port<(organizationId: string, conversationId: string) => Promise<AiToolCall[]>>("conversations: AI tool calls of a conversation");
