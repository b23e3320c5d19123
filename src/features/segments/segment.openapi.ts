import { z } from "zod";
import { segments } from "@/db/schema";
import { contactJsonSchema } from "@/features/contacts/contact.openapi";
import { rowJson } from "@/lib/openapi";

const filterJson = z.object({
  tags: z.array(z.string()).optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  custom: z.record(z.string(), z.string()).optional(),
  lastInteractionAfter: z.string().optional(),
  lastInteractionBefore: z.string().optional(),
  excludeOptedOut: z.boolean().optional(),
});

export const segmentJsonSchema = rowJson(segments, ["id", "name", "createdAt", "updatedAt"]).extend({
  filter: filterJson,
  count: z.number().int().optional().describe("Contacts the segment selects now"),
});
export const segmentListSchema = z.object({ data: z.array(segmentJsonSchema) });
export const segmentPreviewSchema = z.object({ count: z.number().int(), preview: z.array(contactJsonSchema) });
