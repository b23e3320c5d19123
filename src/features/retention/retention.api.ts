import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { organizationOf } from "@/lib/tenant";
import { retentionJsonSchema } from "./retention.openapi";
import { retentionInputSchema } from "./retention.schema";
import { getRetention, setRetention } from "./retention.service";

const tags = ["Retention"];

/**
 * `/v1/retention`: how long the organization keeps events, the webhook delivery log and messages. Reading
 * needs `events:read`; changing it deletes data sooner, so it needs a full-access key (`*`).
 */
export const retentionApi = new Elysia({ name: "retention-api" })
  .use(authPlugin)
  .get("/v1/retention", ({ caller }) => getRetention(organizationOf(caller)), {
    apiKey: "events:read",
    detail: { tags, summary: "Get the retention settings", responses: ok(retentionJsonSchema) },
  })
  .patch("/v1/retention", ({ caller, body }) => setRetention(caller, body), {
    apiKey: "*",
    body: retentionInputSchema,
    detail: {
      tags,
      summary: "Change the retention settings",
      description:
        "Only the fields sent change. A new length applies to events, deliveries and attempts recorded from then on; " +
        "rows already recorded keep the expiry they got. Expired events and delivery logs are dropped by day; " +
        "messages older than `messagesDays` are deleted within the hour.",
      responses: ok(retentionJsonSchema),
    },
  });
