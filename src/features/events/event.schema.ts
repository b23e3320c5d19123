import { z } from "zod";
import type { events } from "@/db/schema";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";

/** Every event type of SPEC §5 (dotted). */
export const EVENT_TYPES = [
  "message.received",
  "message.sent",
  "message.delivered",
  "message.read",
  "message.failed",
  "message.transcribed",
  "message.edited",
  "message.deleted",
  "message.reaction",
  "inbound.unparsed",
  "instance.qr",
  "instance.connected",
  "instance.disconnected",
  "instance.logged_out",
  "contact.created",
  "contact.merged",
  "contact.whatsapp_blocked",
  "contact.whatsapp_unblocked",
  "conversation.created",
  "conversation.assigned",
  "conversation.resolved",
  "conversation.transferred",
  "conversation.routed",
  "thread.reply",
  "webhook.test",
  "webhook.disabled",
  "media.status",
  "group.created",
  "group.updated",
  "group.participants_changed",
  "group.joined",
  "group.left",
  "alert.created",
  "alert.resolved",
  "suggestion.created",
  "suggestion.decided",
  "outage.declared",
  "outage.resolved",
  "outage.cancelled",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Page sizes shared by the API, the admin page and the service. */
export const EVENT_LIMITS = {
  apiDefault: 100,
  apiMax: 500,
  pageSize: 50,
  /**
   * How far before the page's render its live tail looks for rows to catch up on: `at` is when the
   * recording transaction began, which can be a little before it committed (the page skips rows it shows).
   */
  liveCatchUpMarginMs: 5_000,
} as const;

const emptyToUndefined = (v: unknown) => (v === "" ? undefined : v);

/** `type=message.sent` or `type=message.sent,message.read`; each must be a known event type. */
export const eventTypesSchema = z
  // `type=a,b` or `type=a&type=b` (Elysia may already have split either into an array).
  .union([z.string().max(1000), z.array(z.string().max(100)).max(EVENT_TYPES.length)])
  .transform((v) => [
    ...new Set(
      (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(","))
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ])
  .refine((types) => types.every((t) => (EVENT_TYPES as readonly string[]).includes(t)), {
    error: () => tText("events:validation.unknownTypes", { types: EVENT_TYPES.join(", ") }),
  });

/** An event id, or an ISO 8601 timestamp with a time zone (events strictly after that instant). */
export const eventAfterSchema = z
  .string()
  .trim()
  .max(64)
  .refine((v) => isUuid(v) || (/^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:?\d{2})$/.test(v) && !Number.isNaN(Date.parse(v))), {
    error: () => tText("events:validation.after"),
  });

/** `GET /v1/events`. */
/** The filters and `after` cursor shared by GET /v1/events and its stream. */
const eventFilterQuery = {
  type: z.preprocess(emptyToUndefined, eventTypesSchema.optional()),
  instanceId: z.preprocess(emptyToUndefined, z.uuid({ error: () => tText("events:validation.instanceId") }).optional()),
  after: z.preprocess(emptyToUndefined, eventAfterSchema.optional()),
};

/** `GET /v1/events/stream`: the filters of GET /v1/events, and `after` for clients that cannot send `Last-Event-ID`. */
export const eventStreamQuerySchema = z.object(eventFilterQuery);

export const eventListQuerySchema = z
  .object({
    ...eventFilterQuery,
    before: z.preprocess(emptyToUndefined, z.uuid({ error: () => tText("events:validation.before") }).optional()),
    cursor: z.preprocess(emptyToUndefined, z.uuid({ error: () => tText("events:validation.cursor") }).optional()),
    limit: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(EVENT_LIMITS.apiMax).default(EVENT_LIMITS.apiDefault)),
  })
  .refine((q) => !(q.after && (q.before || q.cursor)), { path: ["after"], error: () => tText("events:validation.afterWithBefore") });

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: () => tText("events:validation.day") })
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), { error: () => tText("events:validation.invalidDay") });

/** The admin event log's filter form (GET query); dates are inclusive days in the reader's time zone. */
export const eventPageQuerySchema = z.object({
  type: z.preprocess(emptyToUndefined, z.enum(EVENT_TYPES, { error: () => tText("events:validation.unknownType") }).optional()),
  instanceId: z.preprocess(emptyToUndefined, z.uuid({ error: () => tText("events:validation.chooseInstance") }).optional()),
  from: z.preprocess(emptyToUndefined, day.optional()),
  to: z.preprocess(emptyToUndefined, day.optional()),
  before: z.preprocess(emptyToUndefined, z.uuid().optional()),
});
export type EventPageQuery = z.infer<typeof eventPageQuerySchema>;

export const eventIdParams = z.object({ id: z.uuid({ error: () => tText("events:validation.eventId") }) });

/** The payload sent to subscribers: `{id, type, timestamp, organizationId, instanceId, data}`. */
export function eventPayload(event: typeof events.$inferSelect) {
  return {
    id: event.id,
    type: event.type,
    timestamp: event.at.toISOString(),
    organizationId: event.organizationId,
    instanceId: event.instanceId,
    data: event.data,
  };
}
