import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import { fieldDefinitionJsonSchema, fieldDefinitionListSchema } from "./contact.openapi";
import { fieldDefinitionCreateSchema, fieldDefinitionUpdateSchema } from "./contact-field.schema";
import { createFieldDefinition, deleteFieldDefinition, fieldDefinitionJson, listFieldDefinitions, updateFieldDefinition } from "./contact-field.service";

const idParams = z.object({ id: z.string().max(64) });
const tags = ["Contacts"];

/** `/v1/contact-fields`: the organization's custom contact fields (values live on each contact's `customFields`). */
export const contactBookApi = new Elysia({ name: "contact-book-api" })
  .use(authPlugin)
  .get("/v1/contact-fields", async ({ caller }) => ({ data: (await listFieldDefinitions(caller)).map(fieldDefinitionJson) }), {
    apiKey: "contacts:read",
    detail: { tags, summary: "List custom contact fields", responses: ok(fieldDefinitionListSchema) },
  })
  .post(
    "/v1/contact-fields",
    async ({ caller, body, set }) => {
      set.status = 201;
      return fieldDefinitionJson(await createFieldDefinition(caller, body));
    },
    {
      apiKey: "contacts:write",
      body: fieldDefinitionCreateSchema,
      detail: {
        tags,
        summary: "Define a custom contact field",
        description:
          "`key` (lower-case letters, digits, `_`) names the value in a contact's `customFields`, the CSV column and the filter; `type` is text, number, date (YYYY-MM-DD) or boolean and every value is checked against it. 409 when the key exists.",
        responses: ok(fieldDefinitionJsonSchema, 201),
      },
    },
  )
  .patch("/v1/contact-fields/:id", async ({ caller, params, body }) => fieldDefinitionJson(await updateFieldDefinition(caller, params.id, body)), {
    apiKey: "contacts:write",
    params: idParams,
    body: fieldDefinitionUpdateSchema,
    detail: {
      tags,
      summary: "Rename a custom contact field",
      description: "Only the label changes; key and type are fixed.",
      responses: ok(fieldDefinitionJsonSchema),
    },
  })
  .delete(
    "/v1/contact-fields/:id",
    async ({ caller, params, set }) => {
      await deleteFieldDefinition(caller, params.id);
      set.status = 204;
    },
    {
      apiKey: "contacts:write",
      params: idParams,
      detail: { tags, summary: "Delete a custom contact field", description: "Also removes its values from every contact.", responses: noContent() },
    },
  );
