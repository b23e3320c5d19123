import { z } from "zod";
import { labels } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/labels` answers (labelJson), documented in /openapi.json. */
export const labelJsonSchema = rowJson(labels, ["id", "name", "color", "createdAt", "updatedAt"]);

export const labelListSchema = z.object({
  data: z.array(labelJsonSchema),
  nextCursor: z.null().describe("Always null: every label of the organization is listed"),
});
