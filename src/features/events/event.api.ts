import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { notFound } from "@/lib/errors";
import { tenantOf } from "@/lib/tenant";
import { eventIdParams, eventListQuerySchema } from "./event.schema";
import { eventPayload, getEvent, listEvents, pollEvents } from "./event.service";

/** `/v1/events`: the organization's event log, the polling alternative to webhooks. */
export const eventApi = new Elysia({ name: "event-api", prefix: "/v1/events" })
  .use(authPlugin)
  .get(
    "/",
    async ({ apiKey, query }) => {
      const tenant = tenantOf(apiKey);
      // A key bound to one instance reads that instance's events only; other instances do not exist for it.
      if (apiKey.instanceId && query.instanceId && query.instanceId !== apiKey.instanceId) throw notFound("Instance");
      const filter = { types: query.type, instanceId: apiKey.instanceId ?? query.instanceId };
      if (query.after) {
        const page = await pollEvents(tenant, { filter, after: query.after, limit: query.limit });
        return { data: page.data.map(eventPayload), nextCursor: page.nextCursor, hasMore: page.hasMore };
      }
      const page = await listEvents(tenant, { filter, before: query.before ?? query.cursor, limit: query.limit });
      return { data: page.data.map(eventPayload), nextCursor: page.nextCursor };
    },
    {
      apiKey: "",
      query: eventListQuerySchema,
      detail: {
        tags: ["events"],
        summary: "List or poll events",
        description:
          "Without `after`: newest first; pass `nextCursor` back as `cursor` (or `before`) for older pages. " +
          "With `after` (an event id, or an ISO 8601 timestamp): events strictly after it, oldest first — poll with " +
          "`after=nextCursor` as an alternative to webhooks; `nextCursor` is never null in this mode and `hasMore` says whether " +
          "to fetch again right away. Filters: `type` (one type or a comma-separated list), `instanceId`. Payload: " +
          "`{id, type, timestamp, organizationId, instanceId, data}`, the same as webhook bodies.",
      },
    },
  )
  .get(
    "/:id",
    async ({ apiKey, params }) => {
      const event = await getEvent(tenantOf(apiKey), params.id);
      if (apiKey.instanceId && event.instanceId !== apiKey.instanceId) throw notFound("Event");
      return eventPayload(event);
    },
    { apiKey: "", params: eventIdParams, detail: { tags: ["events"], summary: "Get an event" } },
  );
