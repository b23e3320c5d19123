import { sql } from "drizzle-orm";
import { boolean, check, index, integer, pgTable, real, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { conversations, messages } from "./messaging";
import { organizations, users } from "./tenancy";
import { threads, workflows } from "./automation";
import { departments } from "./departments";

/**
 * Human in the loop (seed 002). `pending`: waiting for an agent; `sent`: sent as drafted or edited
 * (`wasEdited`); `discarded`: the agent threw it away; `superseded`: a newer draft of the same
 * conversation replaced it before anyone acted.
 */
export const SUGGESTION_STATUSES = ["pending", "sent", "discarded", "superseded"] as const;
export type SuggestionStatus = (typeof SUGGESTION_STATUSES)[number];

/** Seed 002 `suggested_responses`: a reply the AI drafted instead of sending (hybrid mode). */
export const suggestedResponses = pgTable(
  "suggested_responses",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    /** The workflow thread whose turn drafted it; the turn is recorded in the thread only when the reply is sent. */
    threadId: uuid().references(() => threads.id, { onDelete: "set null" }),
    workflowId: uuid().references(() => workflows.id, { onDelete: "set null" }),
    /** The contact's messages the draft answers (seed `messageContext`). */
    messageContext: text().notNull(),
    suggestedText: text().notNull(),
    /** What was actually sent (the draft, or the agent's edit); null until sent. */
    finalText: text(),
    status: text({ enum: SUGGESTION_STATUSES }).notNull().default("pending"),
    wasEdited: boolean().notNull().default(false),
    wasApproved: boolean().notNull().default(false),
    /** Model tokens the draft cost (metered with the organization's AI usage when drafted). */
    tokens: integer(),
    /** The outbound message the reply became. */
    messageId: uuid().references(() => messages.id, { onDelete: "set null" }),
    decidedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    decidedAt: tstz(),
    createdAt: createdAt(),
  },
  (t) => [
    index("suggested_responses_conversation_idx").on(t.conversationId, t.createdAt),
    index("suggested_responses_org_created_idx").on(t.organizationId, t.createdAt),
    /** At most one draft waits per conversation: a newer one supersedes it. */
    uniqueIndex("suggested_responses_one_pending").on(t.conversationId).where(sql`status = 'pending'`),
  ],
);

/** `explicit_correction`: the agent edited the draft before sending; `discarded`: the agent threw it away. */
export const LEARNING_EVENT_TYPES = ["explicit_correction", "discarded"] as const;
export type LearningEventType = (typeof LEARNING_EVENT_TYPES)[number];

/** Seed 002 `learning_events`: a correction of the AI by a person, material for prompt suggestions. */
export const learningEvents = pgTable(
  "learning_events",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    workflowId: uuid().references(() => workflows.id, { onDelete: "cascade" }),
    conversationId: uuid().references(() => conversations.id, { onDelete: "set null" }),
    suggestionId: uuid().references(() => suggestedResponses.id, { onDelete: "set null" }),
    eventType: text({ enum: LEARNING_EVENT_TYPES }).notNull(),
    userMessage: text().notNull(),
    aiResponse: text().notNull(),
    /** The agent's edited text (null when discarded). */
    correctResponse: text(),
    /** The agent's note on why (optional). */
    feedback: text(),
    /** The prompt suggestion that analysed it; null = not analysed yet (counted by the periodic worker). */
    promptSuggestionId: uuid(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("learning_events_org_created_idx").on(t.organizationId, t.createdAt),
    index("learning_events_workflow_open_idx").on(t.workflowId, t.createdAt).where(sql`prompt_suggestion_id is null`),
  ],
);

/**
 * `generating`: the model is being asked (one at a time per workflow; a stale one is cleared by the
 * worker); `pending`: waiting for review; `applied` published as a prompt version; `rejected` with a note.
 */
export const PROMPT_SUGGESTION_STATUSES = ["generating", "pending", "applied", "rejected"] as const;
export type PromptSuggestionStatus = (typeof PROMPT_SUGGESTION_STATUSES)[number];

/** Seed 002 `prompt_suggestions`: a prompt change the model proposed from learning events, reviewed by a person. */
export const promptSuggestions = pgTable(
  "prompt_suggestions",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    workflowId: uuid()
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    status: text({ enum: PROMPT_SUGGESTION_STATUSES }).notNull().default("generating"),
    /** `manual`: a person asked for it; `auto`: the periodic worker, once enough events accumulated. */
    origin: text({ enum: ["manual", "auto"] }).notNull(),
    problemIdentified: text().notNull().default(""),
    rootCauseAnalysis: text().notNull().default(""),
    /** The instructions the model saw (applying refuses when the live ones changed since). */
    currentPrompt: text().notNull().default(""),
    suggestedPrompt: text().notNull().default(""),
    /** The changelog the published version gets. */
    changelog: text().notNull().default(""),
    /** The model's confidence, 0–1. */
    confidence: real().notNull().default(0),
    affectedConversations: uuid().array().notNull().default(sql`'{}'::uuid[]`),
    eventCount: integer().notNull().default(0),
    tokens: integer(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    reviewedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    reviewNotes: text(),
    reviewedAt: tstz(),
    /** The prompt version number applying published. */
    appliedVersion: integer(),
    createdAt: createdAt(),
  },
  (t) => [
    index("prompt_suggestions_org_created_idx").on(t.organizationId, t.createdAt),
    /** One generation at a time per workflow (concurrent workers and clicks meet here). */
    uniqueIndex("prompt_suggestions_one_generating").on(t.workflowId).where(sql`status = 'generating'`),
    check("prompt_suggestions_confidence_range", sql`${t.confidence} >= 0 and ${t.confidence} <= 1`),
  ],
);

/** Hybrid mode per department: its conversations' AI replies are drafted for an agent instead of sent. */
export const departmentReplyModes = pgTable("department_reply_modes", {
  departmentId: uuid()
    .primaryKey()
    .references(() => departments.id, { onDelete: "cascade" }),
  organizationId: uuid()
    .notNull()
    .references(() => organizations.id, { onDelete: "cascade" }),
  draftReplies: boolean().notNull().default(false),
  updatedAt: updatedAt(),
});

/**
 * Sentiment and urgency classification of inbound messages, per organization: off unless enabled; the
 * model is called through an AI workflow's connection (vendor, endpoint, key) with `model` (a cheap one).
 */
export const sentimentSettings = pgTable("sentiment_settings", {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  enabled: boolean().notNull().default(false),
  /** The AI workflow whose connection is used. */
  workflowId: uuid().references(() => workflows.id, { onDelete: "set null" }),
  /** Null = the workflow's own model. */
  model: text(),
  /** Raise a supervisor alert for negative sentiment (high urgency always raises one). */
  alertOnNegative: boolean().notNull().default(true),
  updatedAt: updatedAt(),
});

/**
 * The classification queue: one row per conversation with unclassified inbound messages, due a few
 * seconds after the last one (a burst is classified once). Claimed through src/workers/jobs.ts.
 */
export const sentimentChecks = pgTable(
  "sentiment_checks",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    dueAt: tstz().notNull(),
    leaseUntil: tstz(),
    attempts: integer().notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("sentiment_checks_conversation_unique").on(t.conversationId), index("sentiment_checks_due_idx").on(t.dueAt)],
);
