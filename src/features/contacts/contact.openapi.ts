import { z } from "zod";
import { contactFieldDefinitions, contactImports, contacts } from "@/db/schema";
import { pageOf, rowJson } from "@/lib/openapi";

/** The JSON of a contact as `/v1/contacts` answers it (contactJson), documented in /openapi.json. */
export const contactJsonSchema = rowJson(contacts, [
  "id",
  "kind",
  "phone",
  "name",
  "pictureUrl",
  "tags",
  "blocked",
  "whatsappBlocked",
  "profileFetchedAt",
  "optedOut",
  "document",
  "documentType",
  "email",
  "address",
  "city",
  "state",
  "zipCode",
  "notes",
  "lastInteractionAt",
  "createdAt",
  "updatedAt",
]).extend({
  metadata: z.record(z.string(), z.unknown()),
  documentFormatted: z.string().nullable().describe("The CPF/CNPJ with its mask"),
  customFields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).describe("Values of the organization's custom fields, by key"),
});

export const fieldDefinitionJsonSchema = rowJson(contactFieldDefinitions, ["id", "key", "label", "type", "createdAt", "updatedAt"]);
export const fieldDefinitionListSchema = z.object({ data: z.array(fieldDefinitionJsonSchema) });

export const contactPageSchema = pageOf(contactJsonSchema);

/** One contact with its WhatsApp identities besides the phone (LID, business-scoped user id, username, group id). */
export const contactWithIdentitiesSchema = contactJsonSchema.extend({
  identities: z.array(z.object({ kind: z.enum(["lid", "bsuid", "username", "group"]), value: z.string() })),
});

export const contactCheckResultSchema = z.object({
  data: z.array(
    z.object({
      phone: z.string().describe("E.164, normalized"),
      input: z.string().describe("As sent"),
      valid: z.boolean(),
      exists: z.boolean(),
      contactId: z.string().nullable(),
    }),
  ),
  source: z.enum(["whatsapp", "contacts"]),
  instanceId: z.string().nullable(),
});

export const importJsonSchema = rowJson(contactImports, [
  "id",
  "filename",
  "sizeBytes",
  "status",
  "headers",
  "rowsRead",
  "created",
  "updated",
  "rejected",
  "error",
  "startedAt",
  "finishedAt",
  "createdAt",
]).extend({
  preview: z.array(z.array(z.string())).describe("The first rows after the header"),
  mapping: z.record(z.string(), z.string()).describe("column index → contact field"),
});
export const importListSchema = z.object({ data: z.array(importJsonSchema) });

/** A CSV answer (streamed). */
export const csvResponse = {
  200: { description: "CSV (UTF-8 with BOM, comma-separated, header row)", content: { "text/csv": { schema: { type: "string" as const } } } },
};
