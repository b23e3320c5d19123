import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { db, notifyMany, rowsOf, type DbOrTx, type Notification } from "@/db/client";
import { rowReader } from "@/db/rows";
import { events, instances } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { liveNotification } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { instanceOfTenant, type Tenant } from "@/lib/tenant";
import { eventsRecorded } from "@/features/metrics/metrics";
import { retentionExpiresOn } from "@/features/retention/retention.service";
import type { ApiKeyScope } from "@/features/api-keys/api-key.schema";
import { hasScope, type VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { EVENT_TYPES, eventPayload, type EventType } from "./event.schema";

export { EVENT_TYPES, eventPayload, type EventType };
export type Event = typeof events.$inferSelect;
const readEvent = rowReader(events);

export type NewEvent = {
  organizationId: string | null;
  instanceId?: string | null;
  apiKeyId?: string | null;
  deviceId?: string | null;
  type: EventType;
  /** The public payload: never credentials. */
  data: Record<string, unknown>;
};

/** Channel the delivery workers LISTEN on to wake up early when events some endpoint delivers were recorded. */
export const DELIVERIES_QUEUED_CHANNEL = "livchat_deliveries_queued";

/**
 * Event types logged for one endpoint's eyes and never read by endpoint cursors (`webhook.test`: the
 * endpoint being tested gets its one direct delivery, see recordUnroutedEvent).
 */
export const UNROUTED_EVENT_TYPES = ["webhook.test"] as const;

/**
 * Whether endpoint `w` (a webhooks row) subscribes to event `e` (an events row): same organization,
 * its event-type and instance filters. The one definition of an endpoint's filters, used by the wake-up
 * below, the delivery cursors (delivery.cursor.ts) and the event page's pending deliveries.
 */
export const endpointMatches = (w: SQL, e: SQL) => sql`(${w}.organization_id = ${e}.organization_id
    and ${e}.type <> all(${sql.raw(`array[${UNROUTED_EVENT_TYPES.map((t) => `'${t}'`).join(", ")}]::text[]`)})
    and (${w}.event_types is null or ${e}.type = any(${w}.event_types))
    and (${e}.instance_id is null or ${w}.instance_ids is null or ${e}.instance_id = any(${w}.instance_ids)))`;

/**
 * Fan-out is no longer a write: every endpoint reads the event log after its own cursor
 * (delivery.cursor.ts), so recording an event inserts no delivery rows. This is the part every
 * event-recording statement still embeds (with `recorded`, the CTE returning the new events): one row
 * per organization some active endpoint of which subscribes to one of them, so the statement sends the
 * delivery workers' wake-up (payload: that organization) only then.
 */
export const queueDeliveries = (recorded: SQL) => sql`
  select distinct e.organization_id from ${recorded} e
  where exists (select 1 from webhooks w where w.active and ${endpointMatches(sql`w`, sql`e`)})`;

/**
 * Appends an event in the caller's transaction (the change that caused it, the event and the workers'
 * wake-up commit or roll back together). Subscribed endpoints deliver it from the log once it commits.
 */
export async function recordEvent(input: NewEvent, tx: DbOrTx = db): Promise<Event> {
  const [event] = await recordEvents([input], tx);
  return event!;
}

/**
 * `recordEvent` for several events at once (a new contact and its conversation): ONE statement
 * inserts the events (and finds whether an endpoint subscribes), and one more sends the delivery workers' wake-up and
 * the live-tail notifications, whatever the number of events. Fixed SQL over a jsonb parameter:
 * prepared once per connection. Returns the events in input order. (Inbound messages record theirs
 * inside message-store's batch statement, with the same `queueDeliveries`.)
 */
export async function recordEvents(inputs: NewEvent[], tx: DbOrTx = db): Promise<Event[]> {
  if (inputs.length === 0) return [];
  // Ids are chosen here so the rows can be matched back to the inputs (RETURNING promises no order);
  // time-ordered, as the table's default (drizzle/0068).
  const rows = inputs.map((input) => ({
    id: Bun.randomUUIDv7(),
    organization_id: input.organizationId,
    instance_id: input.instanceId ?? null,
    api_key_id: input.apiKeyId ?? null,
    device_id: input.deviceId ?? null,
    type: input.type,
    data: input.data,
  }));
  const inserted = rowsOf<Record<string, unknown> & { queued: number }>(
    await tx.execute(sql`
      with e as (
        insert into events (id, organization_id, instance_id, api_key_id, device_id, type, data, expires_on)
        select v.id, v.organization_id, v.instance_id, v.api_key_id, v.device_id, v.type, v.data, ${retentionExpiresOn(sql`v.organization_id`, "events")}
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as v(id uuid, organization_id uuid, instance_id uuid, api_key_id uuid, device_id uuid, type text, data jsonb)
        returning *
      ),
      queued as (${queueDeliveries(sql`e`)})
      select e.*, (select count(*) from queued q where q.organization_id = e.organization_id)::int as queued from e`),
  );
  const byId = new Map(inserted.map((raw) => [raw.id as string, readEvent(raw)] as const));
  const ordered = rows.map((r) => byId.get(r.id)!);
  const notifications: Notification[] = [];
  // The payload names the organization, so only its lingering cursors read again (delivery.cursor.ts).
  for (const organizationId of new Set(inserted.filter((e) => e.queued > 0).map((e) => e.organization_id as string)))
    notifications.push({ channel: DELIVERIES_QUEUED_CHANNEL, payload: organizationId });
  for (const e of ordered) {
    if (e.organizationId !== null) notifications.push(liveNotification({ topic: liveTopics.orgEvents(e.organizationId), data: { id: e.id, type: e.type } }));
  }
  await notifyMany(notifications, tx);
  for (const e of ordered) eventsRecorded.inc({ type: e.type });
  return ordered;
}

// ——— Reading the log: the polling API, the admin page, live tail ———

export type EventFilter = {
  types?: string[];
  instanceId?: string;
  /** Inclusive lower bound on `at`. */
  from?: Date;
  /** Exclusive upper bound on `at`. */
  until?: Date;
};

/**
 * Rows a tenant may read. An unclaimed visitor device sees the events of the instances it created
 * (recorded before sign-up, organization still null); claiming moves them into the organization.
 */
function eventTenantFilter(tenant: Tenant): SQL {
  if (tenant.organizationId !== null) return eq(events.organizationId, tenant.organizationId);
  const deviceId = tenant.deviceId;
  return and(
    isNull(events.organizationId),
    or(
      eq(events.deviceId, deviceId),
      inArray(
        events.instanceId,
        db
          .select({ id: instances.id })
          .from(instances)
          .where(and(eq(instances.createdByDeviceId, deviceId), isNull(instances.organizationId))),
      ),
    ),
  )!;
}

function filterClauses(filter: EventFilter): (SQL | undefined)[] {
  return [
    filter.types && filter.types.length > 0 ? inArray(events.type, filter.types) : undefined,
    filter.instanceId ? eq(events.instanceId, filter.instanceId) : undefined,
    filter.from ? gte(events.at, filter.from) : undefined,
    filter.until ? lt(events.at, filter.until) : undefined,
  ];
}

/** True when an event passes the filter (live tail applies the page's filters to pushed events). */
export function eventMatches(event: Pick<Event, "type" | "instanceId" | "at">, filter: EventFilter): boolean {
  if (filter.types && filter.types.length > 0 && !filter.types.includes(event.type)) return false;
  if (filter.instanceId && event.instanceId !== filter.instanceId) return false;
  if (filter.from && event.at < filter.from) return false;
  if (filter.until && event.at >= filter.until) return false;
  return true;
}

/** 404 unless the instance belongs to the tenant (filters never probe other organizations' ids). */
async function assertInstanceVisible(tenant: Tenant, instanceId: string, boundInstanceId?: string | null): Promise<void> {
  await instanceOfTenant({ tenant, instanceId: boundInstanceId }, instanceId);
}

/** One event of the tenant, or 404. */
export async function getEvent(tenant: Tenant, id: string): Promise<Event> {
  const [event] = await db
    .select()
    .from(events)
    .where(and(eq(events.id, id), eventTenantFilter(tenant)));
  if (!event) throw new AppError("not_found", tText("events:errors.notFound"));
  return event;
}

export type EventPage = { data: Event[]; nextCursor: string | null };

/**
 * Newest first, for browsing. `before` is the id of the last event of the previous page; the
 * comparison runs in SQL on (at, id) so microsecond timestamps never get rounded through JS Dates.
 */
export async function listEvents(
  tenant: Tenant,
  opts: { filter?: EventFilter; before?: string; limit: number; boundInstanceId?: string | null },
): Promise<EventPage> {
  const filter = opts.filter ?? {};
  if (filter.instanceId) await assertInstanceVisible(tenant, filter.instanceId, opts.boundInstanceId);
  if (opts.before) await getEvent(tenant, opts.before);
  const rows = await db
    .select()
    .from(events)
    .where(
      and(
        eventTenantFilter(tenant),
        ...filterClauses(filter),
        opts.before ? sql`(${events.at}, ${events.id}) < (select e.at, e.id from events e where e.id = ${opts.before})` : undefined,
      ),
    )
    .orderBy(desc(events.at), desc(events.id))
    .limit(opts.limit + 1);
  const data = rows.slice(0, opts.limit);
  return { data, nextCursor: rows.length > opts.limit ? data[data.length - 1]!.id : null };
}

/**
 * The oldest transaction id that may still commit events we cannot see yet: the lowest in-progress
 * xid of this statement's snapshot, or its xmax when none is running. Transaction ids are
 * cluster-wide, so in-progress transactions of *other databases* (confirmed through pg_stat_activity)
 * are ignored — a long job elsewhere on the server must not stall polling here. An xid we cannot
 * attribute (it ended meanwhile, or its session is hidden from us) counts as ours: that only delays.
 */
export const VISIBLE_HORIZON = sql`(select coalesce(
  (select min(x) from pg_snapshot_xip(pg_current_snapshot()) as x
    where not exists (select 1 from pg_stat_activity a where a.backend_xid = xid(x) and a.datname is distinct from current_database())),
  pg_snapshot_xmax(pg_current_snapshot())))`;

export type EventPoll = { data: Event[]; nextCursor: string; hasMore: boolean };

/**
 * Oldest first, strictly after `after` (an event id, or a timestamp): the polling alternative to
 * webhooks. Ordered by the inserting transaction id and limited to transactions older than every
 * transaction still running (VISIBLE_HORIZON), so an event whose transaction started earlier but
 * commits later than the ones already returned is never skipped: it cannot be returned before it is
 * visible, and once visible it still sorts after the cursor. `nextCursor` is the last event's id, or
 * `after` itself when nothing new arrived, so a client just keeps polling with `after=nextCursor`.
 */
export async function pollEvents(
  tenant: Tenant,
  opts: { filter?: EventFilter; after: string; limit: number; boundInstanceId?: string | null },
): Promise<EventPoll> {
  const filter = opts.filter ?? {};
  if (filter.instanceId) await assertInstanceVisible(tenant, filter.instanceId, opts.boundInstanceId);
  const isId = isUuid(opts.after);
  let position: SQL;
  if (isId) {
    const [cursor] = await db
      .select({ txId: events.txId, id: events.id })
      .from(events)
      .where(and(eq(events.id, opts.after), eventTenantFilter(tenant)));
    if (!cursor) throw new AppError("not_found", tText("events:errors.cursorNotFound"));
    position = sql`(${events.txId}, ${events.id}) > (${cursor.txId}::xid8, ${cursor.id}::uuid)`;
  } else {
    position = gt(events.at, new Date(opts.after));
  }
  const rows = await db
    .select()
    .from(events)
    .where(and(eventTenantFilter(tenant), ...filterClauses(filter), position, sql`${events.txId} < ${VISIBLE_HORIZON}`))
    .orderBy(asc(events.txId), asc(events.id))
    .limit(opts.limit + 1);
  const data = rows.slice(0, opts.limit);
  return { data, nextCursor: data.length > 0 ? data[data.length - 1]!.id : opts.after, hasMore: rows.length > opts.limit };
}

// ——— Which event types an API key may read ———

/**
 * The read scope that covers each event type: an event shows what its resource's API would show, so a
 * key reads it only with that scope (conversations are read with `messages:read`, threads with
 * `workflows:read`, as their routes require). `events:read` covers every type.
 */
export const EVENT_READ_SCOPE: Record<EventType, ApiKeyScope> = {
  "message.received": "messages:read",
  "message.sent": "messages:read",
  "message.delivered": "messages:read",
  "message.read": "messages:read",
  "message.failed": "messages:read",
  "message.transcribed": "messages:read",
  "message.edited": "messages:read",
  "message.deleted": "messages:read",
  "message.reaction": "messages:read",
  /** A signed provider payload that could not be understood: diagnosis of the instance's traffic. */
  "inbound.unparsed": "instances:read",
  "instance.qr": "instances:read",
  "instance.connected": "instances:read",
  "instance.disconnected": "instances:read",
  "instance.logged_out": "instances:read",
  "contact.created": "contacts:read",
  "contact.merged": "contacts:read",
  "contact.whatsapp_blocked": "contacts:read",
  "contact.whatsapp_unblocked": "contacts:read",
  "conversation.created": "messages:read",
  "conversation.assigned": "messages:read",
  "conversation.resolved": "messages:read",
  "conversation.transferred": "messages:read",
  "conversation.routed": "messages:read",
  "thread.reply": "workflows:read",
  "webhook.test": "webhooks:read",
  "webhook.disabled": "webhooks:read",
  "media.status": "messages:read",
  /** Groups are contacts of kind `group`: their changes are read like contacts. */
  "group.created": "contacts:read",
  "group.updated": "contacts:read",
  "group.participants_changed": "contacts:read",
  "group.joined": "contacts:read",
  "group.left": "contacts:read",
  /** Supervisor alerts are about conversations: read like them. */
  "alert.created": "messages:read",
  "alert.resolved": "messages:read",
  /** Hybrid mode (HITL): the AI drafted a reply; an agent sent (as is or edited) or discarded it. */
  "suggestion.created": "messages:read",
  "suggestion.decided": "messages:read",
  /** Regional outages are about the contacts they notify: read like contacts. */
  "outage.declared": "contacts:read",
  "outage.resolved": "contacts:read",
  "outage.cancelled": "contacts:read",
};

/** The event types a key may read: every type with `events:read` (or `*`), else those its read scopes cover. */
export function readableEventTypes(key: Pick<VerifiedApiKey, "scopes">): EventType[] {
  if (hasScope(key, "events:read")) return [...EVENT_TYPES];
  return EVENT_TYPES.filter((type) => hasScope(key, EVENT_READ_SCOPE[type]));
}

/** Instances of the tenant, for filters and to show names next to events. */
export async function eventInstanceOptions(organizationId: string): Promise<{ id: string; name: string }[]> {
  return db.select({ id: instances.id, name: instances.name }).from(instances).where(eq(instances.organizationId, organizationId)).orderBy(asc(instances.name));
}

export type EventDelivery = {
  /** Null while the endpoint's cursor has not reached the event (nothing attempted yet). */
  id: string | null;
  webhookId: string;
  webhookName: string;
  webhookUrl: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
};

/**
 * The deliveries of an event (organization-checked): every attempted one (its `webhook_deliveries` row),
 * and, as pending with no attempt, each subscribed endpoint whose cursor has not reached the event yet
 * (delivery.cursor.ts reads the log after it; a paused endpoint resumes from there).
 */
export async function listEventDeliveries(organizationId: string, eventId: string): Promise<EventDelivery[]> {
  if (!isUuid(eventId)) return [];
  const rows = rowsOf<{
    id: string | null;
    webhook_id: string;
    webhook_name: string;
    webhook_url: string;
    status: string;
    attempts: number;
    last_status_code: number | null;
    last_error: string | null;
  }>(
    await db.execute(sql`
      select d.id, w.id as webhook_id, w.name as webhook_name, w.url as webhook_url, d.status, d.attempts, d.last_status_code, d.last_error
      from webhook_deliveries d join webhooks w on w.id = d.webhook_id
      where d.event_id = ${eventId}::uuid and d.organization_id = ${organizationId}::uuid
      union all
      select null, w.id, w.name, w.url, 'pending', 0, null, null
      from events e
      join webhooks w on ${endpointMatches(sql`w`, sql`e`)}
      join webhook_cursors c on c.webhook_id = w.id and (c.tx_id, c.event_id) < (e.tx_id, e.id)
      where e.id = ${eventId}::uuid and e.organization_id = ${organizationId}::uuid
        and not exists (select 1 from webhook_deliveries x where x.webhook_id = w.id and x.event_id = e.id)
      order by 3, 2`),
  );
  return rows.map((r) => ({
    id: r.id,
    webhookId: r.webhook_id,
    webhookName: r.webhook_name,
    webhookUrl: r.webhook_url,
    status: r.status,
    attempts: Number(r.attempts),
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
  }));
}

/** Sign-up claims the events of a visitor's (just claimed) instances for the new organization. */
export async function claimInstanceEvents(instanceIds: string[], organizationId: string, tx: DbOrTx): Promise<void> {
  if (instanceIds.length === 0) return;
  await tx
    .update(events)
    .set({ organizationId })
    .where(and(inArray(events.instanceId, instanceIds), isNull(events.organizationId)));
}

/**
 * Logs an event for one endpoint's eyes (a webhook's `webhook.test`): stored and shown in the live
 * tail like any other, but not fanned out to subscribed endpoints — the caller queues its one delivery.
 */
export async function recordUnroutedEvent(input: NewEvent & { organizationId: string }, tx: DbOrTx): Promise<Event> {
  const [event] = await tx
    .insert(events)
    .values({
      organizationId: input.organizationId,
      instanceId: input.instanceId ?? null,
      apiKeyId: input.apiKeyId ?? null,
      deviceId: input.deviceId ?? null,
      type: input.type,
      data: input.data,
      expiresOn: retentionExpiresOn(input.organizationId, "events"),
    })
    .returning();
  await notifyMany([liveNotification({ topic: liveTopics.orgEvents(input.organizationId), data: { id: event!.id, type: event!.type } })], tx);
  return event!;
}
