import { z } from "zod";
import { templates } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/templates` answers (toPublicTemplate), documented in /openapi.json. */
export const templateJsonSchema = rowJson(templates, ["id", "key", "body", "variants", "locale", "category", "active", "createdAt", "updatedAt"]).extend({
  variables: z.array(z.string()).describe("Every variable a send must provide: the declared ones and the placeholders used"),
});

export const templateListSchema = z.object({ data: z.array(templateJsonSchema), nextCursor: z.null().describe("Always null: every template is listed") });

export const templatePreviewSchema = z.object({ text: z.string() });
