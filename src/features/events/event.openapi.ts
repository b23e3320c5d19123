import { z } from "zod";
import { events } from "@/db/schema";
import { rowJson, timestamp } from "@/lib/openapi";

/** An event as `/v1/events` and webhook bodies carry it (eventPayload), documented in /openapi.json. */
export const eventJsonSchema = rowJson(events, ["id", "type", "organizationId", "instanceId"]).extend({
  timestamp: timestamp(),
  data: z.record(z.string(), z.unknown()),
});

export const eventPageSchema = z.object({
  data: z.array(eventJsonSchema),
  nextCursor: z.string().nullable().describe("Never null when polling with `after`"),
  hasMore: z.boolean().optional().describe("Only when polling with `after`: fetch again right away"),
});
