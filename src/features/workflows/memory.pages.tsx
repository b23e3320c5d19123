import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { getConversation } from "@/features/conversations/conversation.service";
import { AiMemory } from "@views/workflows/_prompt-memory";
import { conversationMemory } from "./thread.service";

/**
 * The inbox's view of the AI's memory of a conversation (the summary of its older turns), loaded into
 * the conversation pane by AiMemorySlot. Another organization's conversation is 404 (getConversation).
 */
export const memoryPages = new Elysia({ name: "memory-pages" }).use(authPlugin).get(
  "/inbox/:id/memory",
  async ({ admin, params }) => {
    const row = await getConversation(admin, params.id);
    return AiMemory({ memory: await conversationMemory(admin.organization.id, row.conversation.id) });
  },
  { member: "agent", params: z.object({ id: z.string().uuid() }), detail: { hide: true } },
);
