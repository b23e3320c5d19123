import { Elysia } from "elysia";
import { z } from "zod";
import { noContent, ok } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import { providerTemplateListSchema, providerTemplateSyncSchema, templateJsonSchema, templateListSchema, templatePreviewSchema } from "./template.openapi";
import { listProviderTemplates, syncInstanceTemplates, type ProviderTemplateRow } from "./provider-template.service";
import { authPlugin } from "@/auth/plugin";
import type { VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { createTemplateSchema, previewTemplateSchema, updateTemplateSchema } from "./template.schema";
import { createTemplate, deleteTemplate, getTemplate, listTemplates, renderTemplateByKey, toPublicTemplate, updateTemplate } from "./template.service";

const idParams = z.object({ id: z.string().uuid() });

const orgOf = (key: VerifiedApiKey) => organizationOf(key);

const providerTemplateJson = (t: ProviderTemplateRow) => ({
  id: t.id,
  instanceId: t.instanceId,
  providerTemplateId: t.providerTemplateId,
  name: t.name,
  language: t.language,
  category: t.category,
  status: t.status,
  components: t.components,
  syncedAt: t.syncedAt.toISOString(),
});

/** `/v1/templates`: message templates with {{variables}} and random variants (scopes workflows:*). */
export const templatesApi = new Elysia({ name: "templates-api" })
  .use(authPlugin)
  .get("/v1/templates", async ({ apiKey }) => ({ data: (await listTemplates(orgOf(apiKey))).map(toPublicTemplate), nextCursor: null }), {
    apiKey: "workflows:read",
    detail: { tags: ["Templates"], summary: "List templates", responses: ok(templateListSchema) },
  })
  .post(
    "/v1/templates",
    async ({ caller, body, set }) => {
      set.status = 201;
      return toPublicTemplate(await createTemplate(caller, body));
    },
    {
      apiKey: "workflows:write",
      body: createTemplateSchema,
      detail: { tags: ["Templates"], summary: "Create a template", responses: ok(templateJsonSchema, 201) },
    },
  )
  .get(
    "/v1/provider-templates",
    async ({ caller, query }) => ({
      data: (await listProviderTemplates(caller, { instanceId: query.instanceId })).map(providerTemplateJson),
      nextCursor: null,
    }),
    {
      apiKey: "workflows:read",
      query: z.object({ instanceId: z.string().optional() }),
      detail: {
        tags: ["Templates"],
        summary: "List provider templates (Cloud: the WhatsApp Business Account's, as last synced)",
        description: 'Send an APPROVED one with `POST /v1/messages` `{type: "template", template: {name, language, components}}`.',
        responses: ok(providerTemplateListSchema),
      },
    },
  )
  .post("/v1/instances/:id/templates/sync", async ({ caller, params }) => syncInstanceTemplates(caller, params.id), {
    apiKey: "workflows:write",
    params: z.object({ id: z.string() }),
    detail: {
      tags: ["Templates"],
      summary: "Sync the instance's provider templates now (Cloud: GET /{waba-id}/message_templates)",
      description: "422 `unsupported_by_provider` for providers without templates; 422 naming `config.wabaId` when a Cloud instance has none.",
      responses: ok(providerTemplateSyncSchema),
    },
  })
  .get("/v1/templates/:id", async ({ apiKey, params }) => toPublicTemplate(await getTemplate(orgOf(apiKey), params.id)), {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags: ["Templates"], summary: "Get a template", responses: ok(templateJsonSchema) },
  })
  .patch("/v1/templates/:id", async ({ caller, params, body }) => toPublicTemplate(await updateTemplate(caller, params.id, body)), {
    apiKey: "workflows:write",
    params: idParams,
    body: updateTemplateSchema,
    detail: { tags: ["Templates"], summary: "Update a template", responses: ok(templateJsonSchema) },
  })
  .delete(
    "/v1/templates/:id",
    async ({ caller, params, set }) => {
      await deleteTemplate(caller, params.id);
      set.status = 204;
    },
    { apiKey: "workflows:write", params: idParams, detail: { tags: ["Templates"], summary: "Delete a template", responses: noContent() } },
  )
  .post(
    "/v1/templates/:id/preview",
    async ({ apiKey, params, body }) => {
      const organizationId = orgOf(apiKey);
      const template = await getTemplate(organizationId, params.id);
      const { body: text } = await renderTemplateByKey(organizationId, template.key, body.variables);
      return { text };
    },
    {
      apiKey: "workflows:read",
      params: idParams,
      body: previewTemplateSchema,
      detail: { tags: ["Templates"], summary: "Render one random variant with the given variables", responses: ok(templatePreviewSchema) },
    },
  );
