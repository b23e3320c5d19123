import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { Pacing } from "./campaigns";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { contacts, messages } from "./messaging";
import { instances, organizations, users } from "./tenancy";

/** Seed 002 `massive_failures` / `failure_notifications`: regional service outages and the notices they send. */

export const OUTAGE_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type OutageSeverity = (typeof OUTAGE_SEVERITIES)[number];

export const OUTAGE_STATUSES = ["active", "resolved", "cancelled"] as const;
export type OutageStatus = (typeof OUTAGE_STATUSES)[number];

/** `notice`: the outage was declared; `resolution`: it was resolved (sent only to contacts who got the notice). */
export const OUTAGE_NOTIFICATION_KINDS = ["notice", "resolution"] as const;
export type OutageNotificationKind = (typeof OUTAGE_NOTIFICATION_KINDS)[number];

export const OUTAGE_NOTIFICATION_STATES = ["pending", "sending", "sent", "delivered", "read", "failed", "skipped"] as const;
export type OutageNotificationState = (typeof OUTAGE_NOTIFICATION_STATES)[number];

/** Why a notification was not sent (shown translated in the log). */
export const OUTAGE_SKIP_REASONS = ["opted_out", "blocked", "cancelled", "resolved", "failed"] as const;
export type OutageSkipReason = (typeof OUTAGE_SKIP_REASONS)[number];

/**
 * Where an outage is: predefined regions (ids of outage_regions) and/or cities with neighbourhoods
 * (an empty neighbourhood list means the whole city).
 */
export type AffectedAreas = { regionIds: string[]; custom: { city: string; neighborhoods: string[] }[] };

/** An organization's named region: a contact is in it by city, UF or CEP prefix (any of them). */
export const outageRegions = pgTable(
  "outage_regions",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    cities: text().array().notNull().default(sql`'{}'::text[]`),
    /** Brazilian UFs, upper case. */
    states: text().array().notNull().default(sql`'{}'::text[]`),
    /** Leading digits of CEPs (1 to 8 digits). */
    cepPrefixes: text().array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("outage_regions_org_name_unique").on(t.organizationId, t.name)],
);
export type OutageRegion = typeof outageRegions.$inferSelect;

export const outages = pgTable(
  "outages",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    title: text().notNull(),
    description: text(),
    severity: text({ enum: OUTAGE_SEVERITIES }).notNull(),
    status: text({ enum: OUTAGE_STATUSES }).notNull().default("active"),
    /** The areas as declared; the affected contacts were materialised from them into outage_notifications at declaration. */
    affected: jsonb().$type<AffectedAreas>().notNull(),
    estimatedResolutionAt: tstz(),
    /** The notice ({{variables}}: nome, titulo, descricao, previsao, severidade). */
    noticeMessage: text().notNull(),
    resolutionMessage: text().notNull(),
    /** The numbers notices go out from, each paced on its own slot (outage_pacing). */
    instanceIds: uuid().array().notNull(),
    /** The campaign pacing rules (campaign.pacing.ts) per sending number. */
    pacing: jsonb().$type<Pacing>().notNull(),
    createdByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    resolvedByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    resolvedAt: tstz(),
    cancelledAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("outages_org_idx").on(t.organizationId, t.createdAt), index("outages_active_idx").on(t.organizationId).where(sql`status = 'active'`)],
);
export type Outage = typeof outages.$inferSelect;

/**
 * One notice or resolution message to one contact (seed `failure_notifications`). The unique key
 * (outage, contact, kind) is the idempotency key: the message is queued in the same transaction that
 * moves the row from pending to sending, so a crash or a second process never sends it twice.
 */
export const outageNotifications = pgTable(
  "outage_notifications",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    outageId: uuid()
      .notNull()
      .references(() => outages.id, { onDelete: "cascade" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    kind: text({ enum: OUTAGE_NOTIFICATION_KINDS }).notNull(),
    /** `broadcast`: paced notice to the area; `inbound`: sent first when the contact wrote in. */
    via: text({ enum: ["broadcast", "inbound"] })
      .notNull()
      .default("broadcast"),
    phone: text(),
    name: text(),
    state: text({ enum: OUTAGE_NOTIFICATION_STATES }).notNull().default("pending"),
    skipReason: text({ enum: OUTAGE_SKIP_REASONS }),
    error: text(),
    instanceId: uuid().references(() => instances.id, { onDelete: "set null" }),
    messageId: uuid().references(() => messages.id, { onDelete: "set null" }),
    body: text(),
    sentAt: tstz(),
    deliveredAt: tstz(),
    readAt: tstz(),
    /** The contact's first message after this notification. */
    respondedAt: tstz(),
    responseText: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("outage_notifications_unique").on(t.outageId, t.contactId, t.kind),
    index("outage_notifications_due_idx").on(t.outageId, t.kind, t.state),
    index("outage_notifications_contact_idx").on(t.contactId, t.sentAt),
    index("outage_notifications_message_idx").on(t.messageId),
    index("outage_notifications_log_idx").on(t.outageId, t.createdAt),
  ],
);
export type OutageNotification = typeof outageNotifications.$inferSelect;

/** The pacing slot of one sending number in one outage, shared by every process (as campaign_pacing). */
export const outagePacing = pgTable(
  "outage_pacing",
  {
    outageId: uuid()
      .notNull()
      .references(() => outages.id, { onDelete: "cascade" }),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    nextAt: tstz().notNull(),
    /** The organization-zone day (YYYY-MM-DD) `sentOnDay` counts. */
    day: text().notNull().default(""),
    sentOnDay: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.outageId, t.instanceId] })],
);
