import { sql } from "drizzle-orm";
import { boolean, date, doublePrecision, index, integer, pgTable, text, unique, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, tstz } from "./columns";
import { conversations } from "./messaging";
import { instances, organizations } from "./tenancy";

/**
 * One service cycle of a conversation: it starts with the contact's first inbound message while no cycle
 * is open (or when a resolved conversation is reopened) and ends when the conversation is resolved.
 * Maintained by database triggers on messages and conversations (drizzle/…_reports_triggers.sql) so every
 * path that writes them (inbound batch, outbox, auto-close, supervision) is counted exactly once.
 * Department and agent: the last ones the conversation had during the cycle.
 */
export const conversationCycles = pgTable(
  "conversation_cycles",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    /** Plain ids (no foreign key): a deleted department or agent keeps its history under its id. */
    departmentId: uuid(),
    agentUserId: uuid(),
    /** The day the cycle started in the organization's time zone: the report bucket of everything about it. */
    day: date({ mode: "string" }).notNull(),
    startedAt: tstz().notNull(),
    /** The first outbound message (human or bot, not a note or campaign) after startedAt; set once. */
    firstResponseAt: tstz(),
    firstResponseBy: text({ enum: ["human", "bot"] }),
    /** A person (agent, the phone, the API) wrote in this cycle: its resolution counts as human-resolved. */
    humanReplied: boolean().notNull().default(false),
    resolvedAt: tstz(),
    resolvedBy: text({ enum: ["human", "bot"] }),
  },
  (t) => [
    /** At most one open cycle per conversation. */
    uniqueIndex("conversation_cycles_open_unique").on(t.conversationId).where(sql`resolved_at is null`),
    index("conversation_cycles_org_day_idx").on(t.organizationId, t.day),
  ],
);

/**
 * Daily rollup per organization × day (organization's zone) × department × agent × instance, kept exact by
 * triggers that add a row's new contribution and subtract its old one (conversation_cycles, and
 * satisfaction_feedback for NPS, bucketed by the answer's day). Reports sum these rows, never the raw ones.
 */
export const reportDaily = pgTable(
  "report_daily",
  {
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    day: date({ mode: "string" }).notNull(),
    departmentId: uuid(),
    agentUserId: uuid(),
    instanceId: uuid(),
    conversations: integer().notNull().default(0),
    firstResponses: integer().notNull().default(0),
    firstResponseSeconds: doublePrecision().notNull().default(0),
    resolved: integer().notNull().default(0),
    botResolved: integer().notNull().default(0),
    humanResolved: integer().notNull().default(0),
    resolutionSeconds: doublePrecision().notNull().default(0),
    npsAnswers: integer().notNull().default(0),
    npsSum: integer().notNull().default(0),
    promoters: integer().notNull().default(0),
    detractors: integer().notNull().default(0),
  },
  (t) => [unique("report_daily_bucket_unique").on(t.organizationId, t.day, t.departmentId, t.agentUserId, t.instanceId).nullsNotDistinct()],
);
