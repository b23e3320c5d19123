import { z } from "zod";
import { providerTemplates, templates } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/templates` answers (toPublicTemplate), documented in /openapi.json. */
export const templateJsonSchema = rowJson(templates, ["id", "key", "body", "variants", "locale", "category", "active", "createdAt", "updatedAt"]).extend({
  variables: z.array(z.string()).describe("Every variable a send must provide: the declared ones and the placeholders used"),
});

export const templateListSchema = z.object({ data: z.array(templateJsonSchema), nextCursor: z.null().describe("Always null: every template is listed") });

export const templatePreviewSchema = z.object({ text: z.string() });

/** A provider's template (Cloud: the WABA's), as last synced. */
export const providerTemplateJsonSchema = rowJson(providerTemplates, [
  "id",
  "instanceId",
  "providerTemplateId",
  "name",
  "language",
  "category",
  "status",
  "syncedAt",
]).extend({
  components: z.array(z.record(z.string(), z.unknown())).describe("Meta's components as listed: HEADER, BODY, FOOTER, BUTTONS with their texts and examples"),
});

export const providerTemplateListSchema = z.object({
  data: z.array(providerTemplateJsonSchema),
  nextCursor: z.null().describe("Always null: every template is listed"),
});

export const providerTemplateSyncSchema = z.object({
  synced: z.number().int().describe("Templates the provider listed (the stored list now holds exactly these)"),
});
