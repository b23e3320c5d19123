import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import type { VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { ok } from "@/lib/openapi";
import { tenantOf } from "@/lib/tenant";
import { eventJsonSchema, eventPageSchema } from "./event.openapi";
import { EVENT_TYPES, eventAfterSchema, eventIdParams, eventListQuerySchema, eventStreamQuerySchema, type EventType } from "./event.schema";
import { EVENT_READ_SCOPE, eventPayload, getEvent, listEvents, pollEvents, readableEventTypes } from "./event.service";
import { eventStream } from "./event.stream";

/** Where a stream starts: `Last-Event-ID` (an EventSource reconnecting) wins over `?after=`; neither = from now. */
function streamStart(lastEventId: string | null | undefined, after: string | undefined): string {
  if (lastEventId !== null && lastEventId !== undefined && lastEventId.trim() !== "") {
    const parsed = eventAfterSchema.safeParse(lastEventId);
    if (!parsed.success) throw validationFailed([{ path: "Last-Event-ID", message: tText("events:validation.after") }]);
    return parsed.data;
  }
  return after ?? new Date().toISOString();
}

/** The event types the key may read; a key that can read none lacks events:read (403). */
function readableOrRefuse(apiKey: VerifiedApiKey): string[] {
  const readable = readableEventTypes(apiKey);
  if (readable.length === 0) throw new AppError("forbidden", tText("events:errors.noReadScope"));
  return readable;
}

/**
 * The event types a read returns: those asked for, each of which the key must be able to read (403
 * naming the scope otherwise), or every type it can read; undefined = all types, no filter.
 */
function typesFor(apiKey: VerifiedApiKey, asked: string[] | undefined): string[] | undefined {
  const readable = readableOrRefuse(apiKey);
  if (asked && asked.length > 0) {
    const hidden = asked.filter((type) => !readable.includes(type));
    if (hidden.length > 0) {
      const needed = [...new Set(hidden.map((type) => EVENT_READ_SCOPE[type as EventType]))];
      throw new AppError("forbidden", tText("events:errors.typesHidden", { types: hidden.join(", "), scopes: needed.join(", ") }));
    }
    return asked;
  }
  return readable.length === EVENT_TYPES.length ? undefined : readable;
}

/** `/v1/events`: the organization's event log, the polling alternative to webhooks. */
export const eventApi = new Elysia({ name: "event-api", prefix: "/v1/events" })
  .use(authPlugin)
  .get(
    "/",
    async ({ apiKey, query }) => {
      const tenant = tenantOf(apiKey);
      // A key bound to one instance reads that instance's events only; other instances do not exist for it.
      const filter = { types: typesFor(apiKey, query.type), instanceId: query.instanceId ?? apiKey.instanceId ?? undefined };
      const boundInstanceId = apiKey.instanceId;
      if (query.after) {
        const page = await pollEvents(tenant, { filter, after: query.after, limit: query.limit, boundInstanceId });
        return { data: page.data.map(eventPayload), nextCursor: page.nextCursor, hasMore: page.hasMore };
      }
      const page = await listEvents(tenant, { filter, before: query.before ?? query.cursor, limit: query.limit, boundInstanceId });
      return { data: page.data.map(eventPayload), nextCursor: page.nextCursor };
    },
    {
      apiKey: "",
      query: eventListQuerySchema,
      detail: {
        tags: ["Events"],
        summary: "List or poll events",
        description:
          "Without `after`: newest first; pass `nextCursor` back as `cursor` (or `before`) for older pages. " +
          "With `after` (an event id, or an ISO 8601 timestamp): events strictly after it, oldest first — poll with " +
          "`after=nextCursor` as an alternative to webhooks; `nextCursor` is never null in this mode and `hasMore` says whether " +
          "to fetch again right away. Filters: `type` (one type or a comma-separated list), `instanceId`. A key with " +
          "`events:read` reads every type; otherwise only the types its read scopes cover (`messages:read`: message.* and " +
          "conversation.*, `instances:read`: instance.*, `contacts:read`: contact.*, `workflows:read`: thread.*, " +
          "`webhooks:read`: webhook.*). Payload: " +
          "`{id, type, timestamp, organizationId, instanceId, data}`, the same as webhook bodies.",
        responses: ok(eventPageSchema),
      },
    },
  )
  .get(
    "/stream",
    async ({ apiKey, query, request, server }) => {
      const filter = { types: typesFor(apiKey, query.type), instanceId: query.instanceId ?? apiKey.instanceId ?? undefined };
      // No server idle timeout for the stream (Elysia's is 30 s): its own heartbeat keeps it and proxies alive.
      server?.timeout(request, 0);
      return eventStream({
        tenant: tenantOf(apiKey),
        filter,
        boundInstanceId: apiKey.instanceId,
        after: streamStart(request.headers.get("last-event-id"), query.after),
        signal: request.signal,
      });
    },
    {
      apiKey: "",
      query: eventStreamQuerySchema,
      detail: {
        tags: ["Events"],
        summary: "Stream events (Server-Sent Events)",
        description:
          "The event log as `text/event-stream`: one frame per event, `id:` = the event id, `event:` = its type, `data:` = the " +
          "same JSON payload as webhook bodies and `GET /v1/events`. Events arrive in commit order and at least once. " +
          "Reconnect with the `Last-Event-ID` header (EventSource sends it by itself) or `?after=<event id>` to resume with " +
          "nothing missed; without either the stream starts now. Same filters and scope rules as `GET /v1/events`; a key " +
          "bound to one instance streams that instance's events. A `: keep-alive` comment is sent after 15 s of silence.",
        parameters: [
          {
            name: "Last-Event-ID",
            in: "header",
            required: false,
            schema: { type: "string" },
            description: "The last event id received; the stream resumes after it.",
          },
        ],
        responses: {
          200: {
            description: "An endless Server-Sent Events stream of event frames",
            content: { "text/event-stream": { schema: { type: "string", description: "id: <event id>\nevent: <type>\ndata: <event JSON>" } } },
          },
        },
      },
    },
  )
  .get(
    "/:id",
    async ({ apiKey, params }) => {
      const readable = readableOrRefuse(apiKey);
      const event = await getEvent(tenantOf(apiKey), params.id);
      // Another instance's event, or a type the key's scopes do not cover, does not exist for this key.
      if (apiKey.instanceId && event.instanceId !== apiKey.instanceId) throw new AppError("not_found", tText("events:errors.notFound"));
      if (!readable.includes(event.type)) throw new AppError("not_found", tText("events:errors.notFound"));
      return eventPayload(event);
    },
    { apiKey: "", params: eventIdParams, detail: { tags: ["Events"], summary: "Get an event", responses: ok(eventJsonSchema) } },
  );
