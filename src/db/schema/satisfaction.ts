import { sql } from "drizzle-orm";
import { boolean, check, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { workflows } from "./automation";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { departments } from "./departments";
import { contacts, conversations } from "./messaging";
import { instances, organizations, users } from "./tenancy";

/** A department's satisfaction survey, sent to the contact when one of its conversations is resolved. */
export const departmentSurveys = pgTable("department_surveys", {
  departmentId: uuid()
    .primaryKey()
    .references(() => departments.id, { onDelete: "cascade" }),
  organizationId: uuid()
    .notNull()
    .references(() => organizations.id, { onDelete: "cascade" }),
  enabled: boolean().notNull().default(false),
  /** The question sent after resolution; `{{contact.name}}` and `{{agent.name}}` are filled in. Must ask for a 0–10 score. */
  template: text().notNull(),
  /** Sent after a score to invite an optional comment; null: none sent (a comment is still taken). */
  commentPrompt: text(),
  updatedAt: updatedAt(),
});

export const NPS_CATEGORIES = ["detractor", "neutral", "promoter"] as const;
export type NpsCategory = (typeof NPS_CATEGORIES)[number];
/** sent: waiting for the score; scored: score taken, the next message is the comment; closed: done (or expired). */
export const SURVEY_STATES = ["sent", "scored", "closed"] as const;
export const HANDLING_STATUSES = ["pending", "in_progress", "resolved"] as const;
export type HandlingStatus = (typeof HANDLING_STATUSES)[number];

/**
 * Seed 002 `satisfaction_feedback`: one survey sent after a resolution and its answer — the 0–10 score,
 * its NPS category, an optional comment — linked to the conversation, the agent who had it, its department
 * and the AI workflow (when the bot resolved it). A detractor's answer opens a handling task (handling*).
 */
export const satisfactionFeedback = pgTable(
  "satisfaction_feedback",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    departmentId: uuid().references(() => departments.id, { onDelete: "set null" }),
    agentUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    /** The AI workflow that held the conversation when the bot resolved it (null when a person did). */
    workflowId: uuid().references(() => workflows.id, { onDelete: "set null" }),
    state: text({ enum: SURVEY_STATES }).notNull().default("sent"),
    sentAt: createdAt(),
    /** After this the survey no longer takes answers: the contact's message is an ordinary one. */
    expiresAt: tstz().notNull(),
    npsScore: integer(),
    category: text({ enum: NPS_CATEGORIES }),
    answeredAt: tstz(),
    comment: text(),
    /** Detractors only: the follow-up task. */
    handlingStatus: text({ enum: HANDLING_STATUSES }),
    handlingNotes: text(),
    /** 1–5: how well the complaint was handled. */
    handlingScore: integer(),
    handledBy: uuid().references(() => users.id, { onDelete: "set null" }),
    handledAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    /** At most one survey waiting for an answer per conversation. */
    uniqueIndex("satisfaction_feedback_open_unique").on(t.conversationId).where(sql`state <> 'closed'`),
    index("satisfaction_feedback_org_answered_idx").on(t.organizationId, t.answeredAt),
    index("satisfaction_feedback_org_created_idx").on(t.organizationId, t.createdAt, t.id),
    index("satisfaction_feedback_contact_idx").on(t.contactId, t.answeredAt),
    index("satisfaction_feedback_handling_idx").on(t.organizationId, t.handlingStatus).where(sql`handling_status is not null`),
    check("satisfaction_feedback_score_range", sql`nps_score is null or nps_score between 0 and 10`),
    check("satisfaction_feedback_handling_score_range", sql`handling_score is null or handling_score between 1 and 5`),
  ],
);
