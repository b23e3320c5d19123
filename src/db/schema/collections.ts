import { sql } from "drizzle-orm";
import { boolean, date, index, integer, jsonb, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { paymentPromises, PAYMENT_METHODS } from "./ai";
import { campaigns, campaignTargets } from "./campaigns";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { organizations, users } from "./tenancy";

/**
 * Collections over WhatsApp (seed 002 `voice_campaign_targets`, `crm_sync_configs`, `collection_settings`).
 *
 * A collection target is a 1:1 extension of a campaign target (same id), not columns on
 * `campaign_targets`: the campaigns engine's table stays generic (most campaigns are not collections
 * and would carry empty debt columns), the engine's states, pacing and idempotency apply to debtors
 * unchanged, and the debt fields render as message variables ({{valor}}, {{vencimento}}).
 */
export const collectionTargets = pgTable(
  "collection_targets",
  {
    /** The campaign target this debt belongs to (same id). */
    targetId: uuid()
      .primaryKey()
      .references(() => campaignTargets.id, { onDelete: "cascade" }),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    campaignId: uuid()
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    debtorName: text(),
    /** CPF (11 digits) or CNPJ (14), check digits validated (contacts' parseDocument); digits only. */
    document: text(),
    documentType: text({ enum: ["cpf", "cnpj"] }),
    amountCents: integer().notNull(),
    /** Calendar day the debt is due (the organization's calendar). */
    dueDate: date().notNull(),
    /** Other fields from the CRM; string and number values are also message variables. */
    metadata: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** The CRM sync that created it (null when created over the API). */
    crmSyncId: uuid().references(() => crmSyncConfigs.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("collection_targets_campaign_idx").on(t.campaignId, t.dueDate),
    index("collection_targets_document_idx").on(t.campaignId, t.document).where(sql`document is not null`),
    index("collection_targets_org_idx").on(t.organizationId, t.createdAt),
  ],
);

/** A promise of payment captured in the conversation a collection target's message went to (or named explicitly). */
export const collectionTargetPromises = pgTable(
  "collection_target_promises",
  {
    promiseId: uuid()
      .notNull()
      .references(() => paymentPromises.id, { onDelete: "cascade" }),
    targetId: uuid()
      .notNull()
      .references(() => collectionTargets.targetId, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.promiseId] }), index("collection_target_promises_target_idx").on(t.targetId)],
);

/** Per-organization collection rules (seed `collection_settings`, the parts that apply to WhatsApp). */
export const collectionSettings = pgTable("collection_settings", {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  /** Whether pending promises get a reminder before their day. */
  remindersEnabled: boolean().notNull().default(true),
  /** The reminder goes this many days before the promised day. */
  reminderDaysBefore: integer().notNull().default(1),
  /** A promised day at most this many days ahead (null: no limit). */
  promiseMaxDays: integer(),
  /** Payment methods a promise may name (an empty method is always allowed). */
  allowedMethods: text({ enum: PAYMENT_METHODS }).array().notNull().default(sql`'{boleto,pix,card,other}'::text[]`),
  updatedByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
  updatedAt: updatedAt(),
});
export type CollectionSettings = typeof collectionSettings.$inferSelect;

export const CRM_DEDUPE = ["document", "phone"] as const;
export const CRM_DATE_RANGES = ["none", "relative", "fixed"] as const;
export const CRM_SYNC_STATUSES = ["success", "partial", "failed"] as const;
export const CRM_RUN_STATUSES = ["running", ...CRM_SYNC_STATUSES] as const;
export type CrmSyncStatus = (typeof CRM_SYNC_STATUSES)[number];

/** Where each target field is read in a CRM record: a key or a dot path (`cliente.cpf`). */
export type CrmFieldMapping = {
  phone: string;
  name?: string | null;
  document?: string | null;
  amount: string;
  /** `cents`: integers; `reais`: 1234.56 or "1.234,56". */
  amountUnit: "cents" | "reais";
  dueDate: string;
  /** Fields copied to the target's metadata. */
  metadata: string[];
};

/** Counts of records skipped by a sync, by reason. */
export type CrmSkipCounts = Partial<Record<string, number>>;

/** Periodic import of debtors from an HTTP JSON source into a campaign (seed `crm_sync_configs`). */
export const crmSyncConfigs = pgTable(
  "crm_sync_configs",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    enabled: boolean().notNull().default(true),
    /** The source URL, encrypted (lib/crypto): it may carry tokens; shown masked. */
    urlEncrypted: text().notNull(),
    /** The URL without query values, for display. */
    urlMasked: text().notNull(),
    /** The API key, encrypted; never returned (only its last 4 characters). */
    apiKeyEncrypted: text(),
    apiKeyLast4: text(),
    /** Header carrying the key; `Authorization` sends `Bearer <key>`. */
    authHeader: text().notNull().default("Authorization"),
    mapping: jsonb().$type<CrmFieldMapping>().notNull(),
    dateRangeType: text({ enum: CRM_DATE_RANGES }).notNull().default("none"),
    /** relative: due within the last N days up to today (the organization's calendar). */
    dateRangeDays: integer(),
    dateRangeFrom: date(),
    dateRangeTo: date(),
    minAmountCents: integer(),
    maxAmountCents: integer(),
    dedupeBy: text({ enum: CRM_DEDUPE }).notNull().default("phone"),
    /** A matched debtor's amount, due date, name and metadata are updated (else skipped as existing). */
    updateExisting: boolean().notNull().default(true),
    intervalMinutes: integer().notNull().default(60),
    campaignId: uuid()
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    /** When the schedule runs it next (enabled configs). */
    nextRunAt: tstz().notNull().defaultNow(),
    /** The job lease (workers/jobs.ts): one process syncs a config at a time. */
    leaseUntil: tstz(),
    lastSyncAt: tstz(),
    lastSyncStatus: text({ enum: CRM_SYNC_STATUSES }),
    lastSyncError: text(),
    lastFetched: integer().notNull().default(0),
    lastCreated: integer().notNull().default(0),
    lastUpdated: integer().notNull().default(0),
    lastSkipped: integer().notNull().default(0),
    createdByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("crm_sync_configs_org_idx").on(t.organizationId, t.createdAt), index("crm_sync_configs_due_idx").on(t.nextRunAt).where(sql`enabled`)],
);
export type CrmSyncConfig = typeof crmSyncConfigs.$inferSelect;

/** One sync of a config: when, how it went, the counts and skip reasons. */
export const crmSyncRuns = pgTable(
  "crm_sync_runs",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    configId: uuid()
      .notNull()
      .references(() => crmSyncConfigs.id, { onDelete: "cascade" }),
    trigger: text({ enum: ["schedule", "manual"] }).notNull(),
    status: text({ enum: CRM_RUN_STATUSES }).notNull().default("running"),
    /** Our own words (never the upstream body), in the organization's language. */
    error: text(),
    pages: integer().notNull().default(0),
    fetched: integer().notNull().default(0),
    created: integer().notNull().default(0),
    updated: integer().notNull().default(0),
    skipped: integer().notNull().default(0),
    skipReasons: jsonb().$type<CrmSkipCounts>().notNull().default({}),
    /** The first skipped records: their position in the source and the reason. */
    skippedSamples: jsonb().$type<{ record: number; reason: string }[]>().notNull().default([]),
    startedAt: tstz().notNull().defaultNow(),
    finishedAt: tstz(),
  },
  (t) => [index("crm_sync_runs_config_idx").on(t.configId, t.startedAt)],
);
export type CrmSyncRun = typeof crmSyncRuns.$inferSelect;
