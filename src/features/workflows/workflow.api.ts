import { Elysia } from "elysia";
import { z } from "zod";
import { organizationOf } from "@/lib/tenant";
import { authPlugin } from "@/auth/plugin";
import type { VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { AppError, errorBody } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { noContent, ok } from "@/lib/openapi";
import {
  threadJsonSchema,
  threadPageSchema,
  threadReplySchema,
  THREAD_REPLY_STREAM,
  threadWithMessagesSchema,
  workflowImportSchema,
  workflowJsonSchema,
  workflowListSchema,
} from "./workflow.openapi";
import { createThreadSchema, createWorkflowSchema, listQuerySchema, threadMessageSchema, updateWorkflowSchema } from "./workflow.schema";
import { createThread, getThread, listThreadMessages, listThreads, sendThreadMessage, toPublicThread, toPublicThreadMessage } from "./thread.service";
import { createWorkflow, deleteWorkflow, getWorkflow, importAstWorkflows, listWorkflows, updateWorkflow, withInstructions } from "./workflow.service";

const idParams = z.object({ id: z.string().uuid() });

const orgOf = (key: VerifiedApiKey) => organizationOf(key);

/** SSE frames for a streamed thread reply: `token` deltas, then `done` (or `error`). */
function streamReply(request: Request, organizationId: string, threadId: string, text: string, requestId: string): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      try {
        const { thread, reply } = await sendThreadMessage(organizationId, threadId, text, {
          signal: request.signal,
          onToken: (delta) => send("token", { content: delta }),
        });
        send("done", { message: toPublicThreadMessage(reply), thread: toPublicThread(thread) });
      } catch (err) {
        const appError = err instanceof AppError ? err : new AppError("internal", tText("common:errors.internal"));
        send("error", errorBody(appError, requestId).error);
      } finally {
        controller.close();
      }
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

/** `/v1/workflows` and `/v1/threads` (SPEC §3). */
export const workflowsApi = new Elysia({ name: "workflows-api" })
  .use(authPlugin)
  .get("/v1/workflows", async ({ apiKey }) => ({ data: await withInstructions(await listWorkflows(orgOf(apiKey))), nextCursor: null }), {
    apiKey: "workflows:read",
    detail: { tags: ["Workflows"], summary: "List the organization's and the system workflows", responses: ok(workflowListSchema) },
  })
  .post(
    "/v1/workflows",
    async ({ caller, body, set }) => {
      set.status = 201;
      const [created] = await withInstructions([await createWorkflow(caller, body)]);
      return created!;
    },
    {
      apiKey: "workflows:write",
      body: createWorkflowSchema,
      detail: { tags: ["Workflows"], summary: "Create a workflow", responses: ok(workflowJsonSchema, 201) },
    },
  )
  .post("/v1/workflows/import", async ({ caller }) => importAstWorkflows(caller), {
    apiKey: "workflows:write",
    detail: { tags: ["Workflows"], summary: "Import the AST service's workflows (GET {AST_URL}/workflows)", responses: ok(workflowImportSchema) },
  })
  .get("/v1/workflows/:id", async ({ apiKey, params }) => (await withInstructions([await getWorkflow(orgOf(apiKey), params.id)]))[0]!, {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags: ["Workflows"], summary: "Get a workflow", responses: ok(workflowJsonSchema) },
  })
  .patch("/v1/workflows/:id", async ({ caller, params, body }) => (await withInstructions([await updateWorkflow(caller, params.id, body)]))[0]!, {
    apiKey: "workflows:write",
    params: idParams,
    body: updateWorkflowSchema,
    detail: { tags: ["Workflows"], summary: "Update a workflow", responses: ok(workflowJsonSchema) },
  })
  .delete(
    "/v1/workflows/:id",
    async ({ caller, params, set }) => {
      await deleteWorkflow(caller, params.id);
      set.status = 204;
    },
    { apiKey: "workflows:write", params: idParams, detail: { tags: ["Workflows"], summary: "Delete a workflow", responses: noContent() } },
  )
  .get(
    "/v1/workflows/:id/threads",
    async ({ apiKey, params, query }) => {
      const organizationId = orgOf(apiKey);
      await getWorkflow(organizationId, params.id);
      const result = await listThreads(organizationId, params.id, query);
      return { data: result.data.map(toPublicThread), nextCursor: result.nextCursor };
    },
    {
      apiKey: "workflows:read",
      params: idParams,
      query: listQuerySchema.extend({ status: z.enum(["active", "archived"]).optional() }),
      detail: { tags: ["Threads"], summary: "List a workflow's threads", responses: ok(threadPageSchema) },
    },
  )
  .post(
    "/v1/workflows/:id/threads",
    async ({ apiKey, params, body, set }) => {
      set.status = 201;
      const thread = await createThread(orgOf(apiKey), params.id, { ...(body ?? {}), deviceId: apiKey.deviceId });
      return toPublicThread(thread);
    },
    {
      apiKey: "workflows:write",
      params: idParams,
      body: createThreadSchema.optional(),
      detail: { tags: ["Threads"], summary: "Start a thread", responses: ok(threadJsonSchema, 201) },
    },
  )
  .get(
    "/v1/threads/:id",
    async ({ apiKey, params }) => {
      const organizationId = orgOf(apiKey);
      const thread = await getThread(organizationId, params.id);
      const messages = await listThreadMessages(organizationId, params.id);
      return { ...toPublicThread(thread), messages: messages.map(toPublicThreadMessage) };
    },
    {
      apiKey: "workflows:read",
      params: idParams,
      detail: { tags: ["Threads"], summary: "Get a thread with its messages", responses: ok(threadWithMessagesSchema) },
    },
  )
  .post(
    "/v1/threads/:id/messages",
    async ({ apiKey, params, body, request, set }) => {
      const organizationId = orgOf(apiKey);
      if (request.headers.get("accept")?.includes("text/event-stream")) {
        await getThread(organizationId, params.id);
        return streamReply(request, organizationId, params.id, body.text, String(set.headers["x-request-id"] ?? ""));
      }
      const { thread, reply } = await sendThreadMessage(organizationId, params.id, body.text, { signal: request.signal });
      return { message: toPublicThreadMessage(reply), thread: toPublicThread(thread) };
    },
    {
      apiKey: "workflows:write",
      params: idParams,
      body: threadMessageSchema,
      detail: {
        tags: ["Threads"],
        summary: "Send a message; the reply is returned, or streamed as SSE with Accept: text/event-stream",
        responses: ok(threadReplySchema, 200, { eventStream: THREAD_REPLY_STREAM }),
      },
    },
  );
