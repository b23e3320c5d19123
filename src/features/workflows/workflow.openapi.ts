import { z } from "zod";
import { threadMessages, threads, workflows } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/workflows` and `/v1/threads` answer (toPublicWorkflow, toPublicThread…), documented in /openapi.json. */
export const workflowJsonSchema = rowJson(workflows, ["id", "organizationId", "provider", "name", "description", "isActive", "createdAt", "updatedAt"]).extend({
  system: z.boolean().describe("A system workflow: visible to every organization, read-only"),
  providerId: z.string().nullable(),
  config: z.record(z.string(), z.unknown()).describe("The provider's settings; an API key is never returned (`hasApiKey`)"),
});

export const workflowListSchema = z.object({ data: z.array(workflowJsonSchema), nextCursor: z.null().describe("Always null: every workflow is listed") });

export const workflowImportSchema = z.object({ created: z.number().int(), updated: z.number().int() });

export const threadJsonSchema = rowJson(threads, [
  "id",
  "workflowId",
  "organizationId",
  "contactId",
  "conversationId",
  "providerThreadId",
  "title",
  "messageCount",
  "status",
  "lastMessageAt",
  "lastContext",
  "lastContextAt",
  "createdAt",
]);

export const threadPageSchema = z.object({ data: z.array(threadJsonSchema), nextCursor: z.string().nullable() });

export const threadMessageJsonSchema = rowJson(threadMessages, ["id", "role", "content", "tokens", "promptVersion", "at"]).extend({
  summarized: z.boolean().describe("Folded into the thread's summary (lastContext): kept, no longer sent to the model"),
});

export const threadWithMessagesSchema = threadJsonSchema.extend({ messages: z.array(threadMessageJsonSchema) });

export const threadReplySchema = z.object({ message: threadMessageJsonSchema, thread: threadJsonSchema });

/** How `POST /v1/threads/:id/messages` streams the reply with `Accept: text/event-stream`. */
export const THREAD_REPLY_STREAM = "`event: token` with `{content}` per delta, then `event: done` with the JSON answer (or `event: error` with the error)";
