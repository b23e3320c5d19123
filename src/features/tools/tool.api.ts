import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import { recordListSchemas, toolJsonSchema, toolListSchema } from "./tool.openapi";
import { createToolSchema, recordListQuerySchema, updateToolSchema } from "./tool.schema";
import { createTool, deleteTool, getTool, listRecords, listTools, toPublicTool, updateTool } from "./tool.service";

const idParams = z.object({ id: z.string().uuid() });

/**
 * `/v1/tools`: the organization's custom HTTP tools (workflows list the ones their model may call in
 * `config.tools.custom`), and `/v1/tools/records?kind=` — leads, complaints, payment promises and
 * follow-ups the built-in tools created. Tools are part of workflow configuration: workflows scopes.
 */
export const toolsApi = new Elysia({ name: "tools-api" })
  .use(authPlugin)
  .get("/v1/tools", async ({ apiKey }) => ({ data: (await listTools(organizationOf(apiKey))).map(toPublicTool) }), {
    apiKey: "workflows:read",
    detail: { tags: ["Workflows"], summary: "List the organization's custom AI tools", responses: ok(toolListSchema) },
  })
  .post(
    "/v1/tools",
    async ({ caller, body, set }) => {
      set.status = 201;
      return toPublicTool(await createTool(caller, body));
    },
    {
      apiKey: "workflows:write",
      body: createToolSchema,
      detail: {
        tags: ["Workflows"],
        summary: "Create a custom HTTP tool",
        description: "The URL passes the outbound guard; `headers[].secret` values are stored encrypted and never returned.",
        responses: ok(toolJsonSchema, 201),
      },
    },
  )
  .get("/v1/tools/:id", async ({ apiKey, params }) => toPublicTool(await getTool(organizationOf(apiKey), params.id)), {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags: ["Workflows"], summary: "Get a custom AI tool", responses: ok(toolJsonSchema) },
  })
  .patch("/v1/tools/:id", async ({ caller, params, body }) => toPublicTool(await updateTool(caller, params.id, body)), {
    apiKey: "workflows:write",
    params: idParams,
    body: updateToolSchema,
    detail: {
      tags: ["Workflows"],
      summary: "Update a custom AI tool",
      description: "`headers` replaces the list; a secret header sent without `value` keeps its stored value (unless the URL changes).",
      responses: ok(toolJsonSchema),
    },
  })
  .delete(
    "/v1/tools/:id",
    async ({ caller, params, set }) => {
      await deleteTool(caller, params.id);
      set.status = 204;
    },
    { apiKey: "workflows:write", params: idParams, detail: { tags: ["Workflows"], summary: "Delete a custom AI tool", responses: noContent() } },
  )
  .get("/v1/tools/records", async ({ apiKey, query }) => ({ data: await listRecords(organizationOf(apiKey), query.kind, query) }), {
    apiKey: "workflows:read",
    query: recordListQuerySchema,
    detail: {
      tags: ["Workflows"],
      summary: "Records the AI tools created: `kind` = leads, complaints, payment-promises or follow-ups",
      responses: ok(z.union([recordListSchemas.leads, recordListSchemas.complaints, recordListSchemas["payment-promises"], recordListSchemas["follow-ups"]])),
    },
  });
