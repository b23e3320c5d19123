import { z } from "zod";
import { apiKeys } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `GET /v1/me` answers, documented in /openapi.json. */
export const meSchema = z.object({
  apiKey: rowJson(apiKeys, ["id", "organizationId", "instanceId", "deviceId", "expiresAt", "maxMessagesPerDay"]).extend({
    scopes: z.array(z.string()),
    requestsPerMinute: z.number().int().describe("This key's budget (its own override or the plan's)"),
  }),
});
