import { sql } from "drizzle-orm";
import { bigint, boolean, customType, date, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timeOrderedId, tstz, updatedAt } from "./columns";
import { apiKeys, devices, instances, organizations } from "./tenancy";

/** Postgres `xid8` (64-bit transaction id), read as a decimal string. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => "xid8" });

export const DELIVERY_STATUSES = ["pending", "succeeded", "failed", "exhausted", "cancelled"] as const;

/** What an endpoint delivers to: an HTTP URL (Standard Webhooks), a NATS JetStream server or a RabbitMQ broker. */
export const ENDPOINT_KINDS = ["webhook", "nats", "rabbitmq"] as const;

/**
 * Partition key of the bounded tables (issue 21, src/features/retention): the UTC day from which the row
 * may be dropped. Inserts set it from the organization's retention (`retentionExpiresOn`); the default is
 * the default retention (30 days), for rows written without an organization's choice.
 */
const expiresOn = () => date().notNull().default(sql`((now() at time zone 'utc')::date + 30)`);
/** Primary key column of a partitioned table: unique only together with the partition key; time-ordered. */
const partitionedId = timeOrderedId;

/** Append-only log of every state change; also the source of usage metering. */
export const events = pgTable(
  "events",
  {
    id: partitionedId(),
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    instanceId: uuid().references(() => instances.id, { onDelete: "set null" }),
    apiKeyId: uuid().references(() => apiKeys.id, { onDelete: "set null" }),
    deviceId: uuid().references(() => devices.id, { onDelete: "set null" }),
    type: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    at: createdAt(),
    /**
     * The inserting transaction's id. `at` is the transaction's start time, so events can commit out
     * of `at` order; polling (`GET /v1/events?after=`) orders by this and only returns events older than
     * every running transaction, so a poller never skips an event that commits late.
     */
    txId: xid8().notNull().default(sql`pg_current_xact_id()`),
    /** Partitioned by this (daily ranges): dropped with its partition after the organization's event retention. */
    expiresOn: expiresOn(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.expiresOn] }),
    /**
     * Lists order by (at desc, id desc): ascending (at, id) so a backward scan of each partition gives exactly
     * that order and a Merge Append of the partitions stops after a page. With (at desc) alone, Postgres
     * read every partition of the organization and sorted it (72 ms for 300 000 events over 35 partitions).
     */
    index("events_org_type_at_id_idx").on(t.organizationId, t.type, t.at, t.id),
    index("events_org_at_id_idx").on(t.organizationId, t.at, t.id),
    index("events_org_tx_idx").on(t.organizationId, t.txId, t.id),
  ],
);

export const webhooks = pgTable(
  "webhooks",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull().default(""),
    /** One delivery mechanism for every kind: only the send step dispatches on it (SPEC §5, issue 17). */
    kind: text({ enum: ENDPOINT_KINDS }).notNull().default("webhook"),
    /** The webhook URL; for a sink the broker URL with its password masked (the real one is in configEnc). */
    url: text().notNull(),
    /** A sink's connection: JSON `{url}` encrypted with lib/crypto (the URL can carry credentials). Null for webhooks. */
    configEnc: text(),
    /** A sink's settings that are not secret: `{exchange}` (RabbitMQ) or `{stream}` (NATS JetStream). Null for webhooks. */
    sinkOptions: jsonb().$type<{ exchange?: string; stream?: string }>(),
    /** whsec_… encrypted with lib/crypto. */
    secretEnc: text().notNull(),
    /** The previous secret keeps signing until previousSecretExpiresAt (rotation grace of 24 h). */
    previousSecretEnc: text(),
    previousSecretExpiresAt: tstz(),
    /**
     * Legacy plaintext custom headers: boot moves them into headersEnc (sealPlaintextWebhookHeaders),
     * so this is `{}` on every row once a release with headersEnc has started.
     */
    headers: jsonb().$type<Record<string, string>>().notNull().default({}),
    /** Custom headers sent with every request: name → value encrypted with lib/crypto (values can be credentials). */
    headersEnc: jsonb().$type<Record<string, string>>().notNull().default({}),
    /** Null = every event type. */
    eventTypes: text().array(),
    /** Null = every instance. */
    instanceIds: uuid().array(),
    active: boolean().notNull().default(true),
    disabledAt: tstz(),
    disabledReason: text(),
    failingSince: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("webhooks_org_idx").on(t.organizationId)],
);

/**
 * Where each endpoint (webhook or sink) stands in the event log: the last event it has dealt with, in
 * commit order — (tx_id, event_id) as `GET /v1/events?after=` orders and bounds it by the visibility
 * horizon. Deliveries are read from the log after this position (delivery.cursor.ts): an event gets a
 * `webhook_deliveries` row only once it was attempted. One row per endpoint, made by a trigger when
 * the endpoint is inserted (at the head: events of later transactions), gone with it (cascade).
 * A table of its own rather than columns of `webhooks`: the cursor is rewritten after every batch,
 * and keeping that churn (and its lease) off the endpoint row keeps `webhooks` small and its row
 * locks free for edits.
 */
export const webhookCursors = pgTable("webhook_cursors", {
  webhookId: uuid()
    .primaryKey()
    .references(() => webhooks.id, { onDelete: "cascade" }),
  /** Transaction id of the last event dealt with (the events' `tx_id`). */
  txId: xid8().notNull(),
  /** The last event dealt with, within its transaction; the nil uuid = before the transaction's first event. */
  eventId: uuid().notNull(),
  /** A worker owns the cursor until then (jobs.ts lease); every advance is fenced by it. */
  leaseUntil: tstz(),
  /**
   * A lower bound of `expires_on` (the events' partition key) of every event after the cursor, so a read
   * looks at the partitions that can hold them instead of all of a month's; null = no bound known.
   * Rules in drizzle/0071 and delivery.cursor.ts (cursorFloorSql).
   */
  floorExpiresOn: date({ mode: "string" }),
  /** When the organization's retention last changed as this cursor knows it (a change can lower new events' expiry). */
  retentionChangedAt: tstz(),
  updatedAt: updatedAt(),
});

/** An attempt kept on its delivery row (`first_attempt`), in the shape of the API's attempt; `at` as ISO text. */
export type InlineAttempt = {
  id: string;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number | null;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  responseExcerpt: string | null;
};

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: partitionedId(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    webhookId: uuid()
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    /** No foreign key: events is partitioned (its key includes expires_on); both go by retention. */
    eventId: uuid().notNull(),
    eventType: text().notNull(),
    status: text({ enum: DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer().notNull().default(0),
    nextAttemptAt: tstz().defaultNow(),
    /** A worker owns the row until then; a crashed worker's rows become due again. */
    leaseUntil: tstz(),
    lastStatusCode: integer(),
    lastError: text(),
    lastDurationMs: integer(),
    lastResponseExcerpt: text(),
    deliveredAt: tstz(),
    /**
     * The first attempt of a delivery the endpoint's cursor made, kept on its row: one row per delivered
     * event instead of two, the cheapest log of the hottest write (issue 21). Later attempts (retries)
     * are `webhook_attempts` rows; the log reads both (delivery.log.ts `attemptsOf`).
     */
    firstAttempt: jsonb().$type<InlineAttempt>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** Partitioned by this (daily ranges): dropped after the organization's delivery-log retention, with its attempts. */
    expiresOn: expiresOn(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.expiresOn] }),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status in ('pending', 'failed')`),
    /** Per-endpoint due lookups: the fair claim takes the oldest due rows of each endpoint in turn. */
    index("webhook_deliveries_webhook_due_idx").on(t.webhookId, t.nextAttemptAt).where(sql`status in ('pending', 'failed')`),
    /**
     * The delivery log orders by (created_at desc, id desc): ascending so a backward scan serves it
     * (drizzle's `.desc()` is DESC NULLS LAST, which that ORDER BY cannot use: every delivery got sorted).
     */
    index("webhook_deliveries_webhook_created_idx").on(t.webhookId, t.createdAt, t.id),
    /** A unique index of a partitioned table must hold the partition key. */
    uniqueIndex("webhook_deliveries_webhook_event_unique").on(t.webhookId, t.eventId, t.expiresOn),
  ],
);

export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: partitionedId(),
    /**
     * No foreign key: webhook_deliveries is partitioned. An attempt carries its delivery's expires_on, so
     * both are dropped together; deleting an endpoint or an organization deletes its attempts explicitly
     * (src/features/retention/retention.service.ts `deleteAttemptsOfWebhooks`).
     */
    deliveryId: uuid().notNull(),
    attempt: integer().notNull(),
    requestHeaders: jsonb().$type<Record<string, string>>().notNull().default({}),
    requestBody: text(),
    statusCode: integer(),
    error: text(),
    durationMs: integer(),
    responseExcerpt: text(),
    at: createdAt(),
    /** Its delivery's expires_on (partition key). */
    expiresOn: expiresOn(),
  },
  /**
   * No primary key on purpose: attempts are an append-only log only ever read by their delivery, and a
   * (id, expires_on) index cost one more index entry per attempt on the hottest write (issue 21). The id
   * stays unique by construction (a v7 uuid) and names the attempt in the API.
   */
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.at.desc())],
);

export const USAGE_METRICS = ["api_calls", "messages_sent", "messages_received", "deliveries_succeeded", "deliveries_failed", "ai_tokens"] as const;

/**
 * One counter row per (org, instance, key, day, metric); incremented with an atomic upsert. Partitioned
 * by `day` (monthly ranges), kept USAGE_RETENTION_MONTHS (src/features/retention).
 */
export const usageDaily = pgTable(
  "usage_daily",
  {
    id: partitionedId(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** The nil uuid stands for "no instance" so the unique key stays usable for upserts. */
    instanceId: uuid().notNull().default(sql`'00000000-0000-0000-0000-000000000000'`),
    apiKeyId: uuid().notNull().default(sql`'00000000-0000-0000-0000-000000000000'`),
    day: date().notNull(),
    metric: text().notNull(),
    count: bigint({ mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.day] }),
    uniqueIndex("usage_daily_unique").on(t.organizationId, t.instanceId, t.apiKeyId, t.day, t.metric),
    index("usage_daily_org_day_idx").on(t.organizationId, t.day),
  ],
);
