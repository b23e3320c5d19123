import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { contacts, messages } from "./messaging";
import { contactImports } from "./segments";
import { instances, organizations, users } from "./tenancy";

export const CAMPAIGN_STATUSES = ["draft", "running", "paused", "completed", "cancelled"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const TARGET_STATES = ["pending", "scheduled", "sending", "sent", "delivered", "read", "replied", "failed", "skipped"] as const;
export type TargetState = (typeof TARGET_STATES)[number];

/** Why a target was skipped (shown translated in the report). */
export const SKIP_REASONS = ["opted_out", "blocked", "replied", "cancelled", "no_phone", "rejected"] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** The message a campaign sends: a body and variants ({{variables}}), rotated per target; optional media URL. */
export type CampaignMessage = { body: string; variants: string[]; mediaUrl?: string | null; rotation: "sequential" | "random" };

/** Active hours in the organization's time zone: weekdays (0 = Sunday) and "HH:MM" bounds. */
export type ActiveHours = { weekdays: number[]; start: string; end: string };

/** Pacing per sending number. `jitterPercent` only lengthens the gap, so the rate is never exceeded. */
export type Pacing = {
  perMinute: number;
  jitterPercent: number;
  dailyCap: number;
  /** A number younger than `warmupDays` (by its first connection/creation) gets a cap ramping from `warmupStartPerDay`. */
  warmupDays: number;
  warmupStartPerDay: number;
};

export const campaigns = pgTable(
  "campaigns",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    status: text({ enum: CAMPAIGN_STATUSES }).notNull().default("draft"),
    /** Where the audience came from: a saved segment, a tag, a CSV of phones or a contact import (targets are materialised either way). */
    audienceSource: text({ enum: ["segment", "csv", "tag", "import"] }).notNull(),
    segmentId: uuid(),
    /** The contact import a CSV audience went through (`csv`: the inline CSV's, `import`: the one chosen); its rejects report stays there. */
    audienceImportId: uuid().references(() => contactImports.id, { onDelete: "set null" }),
    audienceTag: text(),
    message: jsonb().$type<CampaignMessage>().notNull(),
    instanceIds: uuid().array().notNull(),
    startsAt: tstz(),
    endsAt: tstz(),
    activeHours: jsonb().$type<ActiveHours>().notNull(),
    pacing: jsonb().$type<Pacing>().notNull(),
    maxAttempts: integer().notNull().default(1),
    attemptSpacingMinutes: integer().notNull().default(60),
    stopOnReply: boolean().notNull().default(true),
    startedAt: tstz(),
    finishedAt: tstz(),
    createdByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("campaigns_org_idx").on(t.organizationId, t.createdAt), index("campaigns_running_idx").on(t.status).where(sql`status = 'running'`)],
);
export type Campaign = typeof campaigns.$inferSelect;

/** One recipient of a campaign, its state and the variables its message is rendered with. */
export const campaignTargets = pgTable(
  "campaign_targets",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    campaignId: uuid()
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    /** Insertion order: targets go out in it, and sequential variant rotation uses it. */
    position: integer().notNull(),
    variables: jsonb().$type<Record<string, string>>().notNull().default({}),
    state: text({ enum: TARGET_STATES }).notNull().default("pending"),
    skipReason: text({ enum: SKIP_REASONS }),
    error: text(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: tstz(),
    instanceId: uuid().references(() => instances.id, { onDelete: "set null" }),
    messageId: uuid().references(() => messages.id, { onDelete: "set null" }),
    variantIndex: integer(),
    renderedBody: text(),
    sentAt: tstz(),
    deliveredAt: tstz(),
    readAt: tstz(),
    repliedAt: tstz(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("campaign_targets_contact_unique").on(t.campaignId, t.contactId),
    index("campaign_targets_due_idx").on(t.campaignId, t.state, t.position),
    index("campaign_targets_message_idx").on(t.messageId),
    index("campaign_targets_contact_idx").on(t.contactId),
  ],
);
export type CampaignTarget = typeof campaignTargets.$inferSelect;

/**
 * The idempotency key of a campaign send: one row per target and attempt, written in the same
 * transaction as the queued message, so a crash either stored both or neither (no duplicate, no loss).
 */
export const campaignSends = pgTable(
  "campaign_sends",
  {
    targetId: uuid()
      .notNull()
      .references(() => campaignTargets.id, { onDelete: "cascade" }),
    attempt: integer().notNull(),
    messageId: uuid().references(() => messages.id, { onDelete: "set null" }),
    instanceId: uuid().references(() => instances.id, { onDelete: "set null" }),
    sentAt: tstz().notNull(),
  },
  (t) => [primaryKey({ columns: [t.targetId, t.attempt] }), index("campaign_sends_instance_idx").on(t.instanceId, t.sentAt)],
);

/**
 * The pacing slot of one sending number in one campaign, shared by every process: a send locks the
 * row (FOR UPDATE), checks `nextAt` and the day's count, and moves them in the same
 * transaction as the message it queues.
 */
export const campaignPacing = pgTable(
  "campaign_pacing",
  {
    campaignId: uuid()
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    nextAt: tstz().notNull(),
    /** The organization-zone day (YYYY-MM-DD) `sentOnDay` counts. */
    day: text().notNull().default(""),
    sentOnDay: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.instanceId] })],
);

export const CONSENT_KINDS = ["opt_out", "opt_in"] as const;
export const CONSENT_SOURCES = ["keyword", "api", "manual"] as const;

/** Every consent change of a contact: when, how (keyword, API, manual), and in answer to which campaign message. */
export const consentRecords = pgTable(
  "consent_records",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    kind: text({ enum: CONSENT_KINDS }).notNull(),
    source: text({ enum: CONSENT_SOURCES }).notNull(),
    keyword: text(),
    messageId: uuid().references(() => messages.id, { onDelete: "set null" }),
    campaignTargetId: uuid().references(() => campaignTargets.id, { onDelete: "set null" }),
    campaignId: uuid().references(() => campaigns.id, { onDelete: "set null" }),
    note: text(),
    byUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("consent_records_contact_idx").on(t.contactId, t.createdAt), index("consent_records_org_idx").on(t.organizationId, t.createdAt)],
);

/** The organization's own opt-out / opt-in keywords (added to SAIR, PARAR, STOP). */
export const consentSettings = pgTable("consent_settings", {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  optOutKeywords: text().array().notNull().default(sql`'{}'::text[]`),
  optInKeywords: text().array().notNull().default(sql`'{}'::text[]`),
  /** The confirmation sent when a keyword opts a contact out (or back in); null = the default text in the organization's language. */
  optOutReply: text(),
  optInReply: text(),
  updatedAt: updatedAt(),
});
