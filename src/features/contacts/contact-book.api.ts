import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { noContent, ok } from "@/lib/openapi";
import { stringify } from "csv-stringify/sync";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { contactExportQuerySchema, contactImportStartSchema, exportFilterOf } from "./contact.schema";
import { exportContactsCsv } from "./contact-export";
import { getImport, importJson, importRejects, listImports, startImport, uploadImport } from "./contact-import.service";
import { csvResponse, fieldDefinitionJsonSchema, fieldDefinitionListSchema, importJsonSchema, importListSchema } from "./contact.openapi";
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
  )
  .post(
    "/v1/contact-imports",
    async ({ caller, body, set }) => {
      const file = (body as Record<string, unknown> | null)?.file;
      if (!(file instanceof Blob))
        throw new AppError("validation_failed", tText("contacts:errors.importNotCsv"), [{ path: "file", message: tText("contacts:errors.importNotCsv") }]);
      const row = await uploadImport(caller, { name: (file as File).name ?? "contacts.csv", size: file.size, stream: () => file.stream() });
      set.status = 201;
      return importJson(row);
    },
    {
      apiKey: "contacts:write",
      // A JSON body is told where the file goes (422 on `file`) instead of a bare 415.
      parse: [
        async ({ request, contentType }) => {
          if (contentType.startsWith("application/json")) return request.json().catch(() => ({}));
        },
        "multipart/form-data",
        "application/json",
      ],
      detail: {
        tags,
        summary: "Upload a CSV of contacts",
        description:
          "multipart/form-data with the CSV in `file` (UTF-8, comma, semicolon or tab separated, header row; at most 50 MB). Answers the import with its `headers`, the first rows (`preview`) and a guessed `mapping`; nothing is written until `POST /v1/contact-imports/{id}/start`.",
        requestBody: {
          content: { "multipart/form-data": { schema: { type: "object", properties: { file: { type: "string", format: "binary" } }, required: ["file"] } } },
        },
        responses: ok(importJsonSchema, 201),
      },
    },
  )
  .get("/v1/contact-imports", async ({ caller }) => ({ data: (await listImports(caller)).map(importJson) }), {
    apiKey: "contacts:read",
    detail: { tags, summary: "Recent contact imports", responses: ok(importListSchema) },
  })
  .get("/v1/contact-imports/:id", async ({ caller, params }) => importJson(await getImport(caller, params.id)), {
    apiKey: "contacts:read",
    params: idParams,
    detail: {
      tags,
      summary: "A contact import and its progress",
      description: "`rowsRead`, `created`, `updated`, `rejected` grow after every batch of 1000 rows.",
      responses: ok(importJsonSchema),
    },
  })
  .post(
    "/v1/contact-imports/:id/start",
    async ({ caller, params, body, set }) => {
      set.status = 202;
      return importJson(await startImport(caller, params.id, body.mapping));
    },
    {
      apiKey: "contacts:write",
      params: idParams,
      body: contactImportStartSchema,
      detail: {
        tags,
        summary: "Start a contact import with a column mapping",
        description:
          "`mapping`: column index (as a string) → `phone` (required), `name`, `document`, `email`, `address`, `city`, `state`, `zipCode`, `notes`, `tags` or `custom:<key>`. Runs in the background: contacts are matched by canonical phone, then by CPF/CNPJ; empty cells leave a field as it is; tags are added. Rejected rows are listed with their line and reason at `/rejects` (CSV). 409 when already started.",
        responses: ok(importJsonSchema, 202),
      },
    },
  )
  .get(
    "/v1/contact-imports/:id/rejects",
    async ({ caller, params }) => {
      const pages = importRejects(caller, params.id);
      // Reads the import (404 for another organization's) before the answer starts.
      const first = await pages.next();
      const header = [
        tText("contacts:book.import.rejectHeader.line"),
        tText("contacts:book.import.rejectHeader.reason"),
        tText("contacts:book.import.rejectHeader.content"),
      ];
      const encoder = new TextEncoder();
      let pending = first;
      let headerSent = false;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (!headerSent) {
              headerSent = true;
              controller.enqueue(encoder.encode(`\uFEFF${stringify([header])}`));
              return;
            }
            if (pending.done) return controller.close();
            controller.enqueue(encoder.encode(stringify(pending.value.map((r) => [r.line, r.reason, r.raw]))));
            pending = await pages.next();
          },
        }),
        { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="rejects-${params.id}.csv"` } },
      );
    },
    {
      apiKey: "contacts:read",
      params: idParams,
      detail: { tags, summary: "The rejected rows of an import (CSV: line, reason, content)", responses: csvResponse },
    },
  )
  .get(
    "/v1/contact-export",
    async ({ caller, query }) =>
      new Response(await exportContactsCsv(caller, exportFilterOf(query), "contacts"), {
        headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="contacts.csv"' },
      }),
    {
      apiKey: "contacts:read",
      query: contactExportQuerySchema,
      detail: {
        tags,
        summary: "Export contacts as CSV",
        description:
          "Streamed, every contact (or those matching `tag`, `city`, `state`): phone, name, document, email, address, city, state, cep, notes, tags, opted_out, blocked, last_interaction_at, created_at, then one column per custom field key. The file imports back as it is. A segment exports at `/v1/segments/{id}/export`.",
        responses: csvResponse,
      },
    },
  );
