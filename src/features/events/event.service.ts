import { and, eq, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { events, webhookDeliveries, webhooks } from "@/db/schema";
import { publishLive } from "@/lib/live";

export const EVENT_TYPES = [
  "message.received",
  "message.sent",
  "message.delivered",
  "message.read",
  "message.failed",
  "instance.qr",
  "instance.connected",
  "instance.disconnected",
  "instance.logged_out",
  "contact.created",
  "conversation.created",
  "conversation.assigned",
  "conversation.resolved",
  "thread.reply",
  "webhook.test",
  "webhook.disabled",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type Event = typeof events.$inferSelect;

export type NewEvent = {
  organizationId: string | null;
  instanceId?: string | null;
  apiKeyId?: string | null;
  deviceId?: string | null;
  type: EventType;
  /** The public payload: never credentials. */
  data: Record<string, unknown>;
};

/** Channel the delivery workers LISTEN on to wake up early when deliveries were queued. */
export const DELIVERIES_QUEUED_CHANNEL = "livchat_deliveries_queued";

/**
 * Appends an event and, in the same transaction, one pending delivery per active webhook of the
 * organization whose event-type and instance filters match. Call it with the `tx` of the change that
 * caused the event, so the change, the event and its deliveries commit or roll back together.
 */
export async function recordEvent(input: NewEvent, tx: DbOrTx = db): Promise<Event> {
  const [event] = await tx
    .insert(events)
    .values({
      organizationId: input.organizationId,
      instanceId: input.instanceId ?? null,
      apiKeyId: input.apiKeyId ?? null,
      deviceId: input.deviceId ?? null,
      type: input.type,
      data: input.data,
    })
    .returning();
  if (!input.organizationId) return event!;
  const queued = await tx
    .insert(webhookDeliveries)
    .select(
      tx
        .select({
          id: sql<string>`gen_random_uuid()`.as("id"),
          organizationId: webhooks.organizationId,
          webhookId: webhooks.id,
          eventId: sql<string>`${event!.id}::uuid`.as("event_id"),
          eventType: sql<string>`${input.type}`.as("event_type"),
          status: sql<"pending">`'pending'`.as("status"),
          attempts: sql<number>`0`.as("attempts"),
          nextAttemptAt: sql<Date>`now()`.as("next_attempt_at"),
          leaseUntil: sql<Date | null>`null::timestamptz`.as("lease_until"),
          lastStatusCode: sql<number | null>`null::integer`.as("last_status_code"),
          lastError: sql<string | null>`null::text`.as("last_error"),
          lastDurationMs: sql<number | null>`null::integer`.as("last_duration_ms"),
          lastResponseExcerpt: sql<string | null>`null::text`.as("last_response_excerpt"),
          deliveredAt: sql<Date | null>`null::timestamptz`.as("delivered_at"),
          createdAt: sql<Date>`now()`.as("created_at"),
          updatedAt: sql<Date>`now()`.as("updated_at"),
        })
        .from(webhooks)
        .where(
          and(
            eq(webhooks.organizationId, input.organizationId),
            eq(webhooks.active, true),
            sql`(${webhooks.eventTypes} is null or ${input.type} = any(${webhooks.eventTypes}))`,
            input.instanceId
              ? sql`(${webhooks.instanceIds} is null or ${input.instanceId}::uuid = any(${webhooks.instanceIds}))`
              : sql`true`,
          ),
        ),
    )
    .returning({ id: webhookDeliveries.id });
  if (queued.length > 0) await tx.execute(sql`select pg_notify(${DELIVERIES_QUEUED_CHANNEL}, '')`);
  await publishLive(`org:${input.organizationId}:events`, { id: event!.id, type: input.type }, tx);
  return event!;
}

/** The payload sent to subscribers: `{id, type, timestamp, organizationId, instanceId, data}`. */
export function eventPayload(event: Event) {
  return {
    id: event.id,
    type: event.type,
    timestamp: event.at.toISOString(),
    organizationId: event.organizationId,
    instanceId: event.instanceId,
    data: event.data,
  };
}
