import { Elysia } from "elysia";
import { z } from "zod";
import { organizationOf } from "@/lib/tenant";
import { authPlugin } from "@/auth/plugin";
import type { VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { byApiKey } from "@/features/audit/audit.service";
import { createTemplateSchema, previewTemplateSchema, updateTemplateSchema } from "./template.schema";
import { createTemplate, deleteTemplate, getTemplate, listTemplates, renderTemplateByKey, toPublicTemplate, updateTemplate } from "./template.service";

const idParams = z.object({ id: z.string().uuid() });

const orgOf = (key: VerifiedApiKey) => organizationOf(key);

/** `/v1/templates`: message templates with {{variables}} and random variants (scopes workflows:*). */
export const templatesApi = new Elysia({ name: "templates-api" })
  .use(authPlugin)
  .get("/v1/templates", async ({ apiKey }) => ({ data: (await listTemplates(orgOf(apiKey))).map(toPublicTemplate), nextCursor: null }), {
    apiKey: "workflows:read",
    detail: { tags: ["templates"] },
  })
  .post(
    "/v1/templates",
    async ({ apiKey, body, request, set }) => {
      set.status = 201;
      return toPublicTemplate(await createTemplate(orgOf(apiKey), body, byApiKey(apiKey.id, request)));
    },
    { apiKey: "workflows:write", body: createTemplateSchema, detail: { tags: ["templates"] } },
  )
  .get("/v1/templates/:id", async ({ apiKey, params }) => toPublicTemplate(await getTemplate(orgOf(apiKey), params.id)), {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags: ["templates"] },
  })
  .patch(
    "/v1/templates/:id",
    async ({ apiKey, params, body, request }) => toPublicTemplate(await updateTemplate(orgOf(apiKey), params.id, body, byApiKey(apiKey.id, request))),
    { apiKey: "workflows:write", params: idParams, body: updateTemplateSchema, detail: { tags: ["templates"] } },
  )
  .delete(
    "/v1/templates/:id",
    async ({ apiKey, params, request, set }) => {
      await deleteTemplate(orgOf(apiKey), params.id, byApiKey(apiKey.id, request));
      set.status = 204;
    },
    { apiKey: "workflows:write", params: idParams, detail: { tags: ["templates"] } },
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
      detail: { tags: ["templates"], summary: "Render one random variant with the given variables" },
    },
  );
