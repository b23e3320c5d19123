import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { devices, instances, organizations, users } from "./tenancy";
import { contacts, conversations } from "./messaging";

export const WORKFLOW_PROVIDERS = ["ast", "openai", "flow"] as const;

/** A follow-up stage: after `delaySeconds` of contact silence following a bot message, send `templateKey`. */
export type FollowUpStage = { delaySeconds: number; templateKey: string };

export const workflows = pgTable(
  "workflows",
  {
    id: id(),
    /** Null = system workflow, visible to every organization and read-only. */
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    provider: text({ enum: WORKFLOW_PROVIDERS }).notNull().default("ast"),
    /** AST workflow id (wf_…) for `ast`; empty for the others. */
    providerId: text().notNull().default(""),
    /** Cached from the AST service for `ast` workflows. */
    name: text().notNull(),
    description: text(),
    /** model, systemPrompt, temperature, maxTokens, tools, flowId, baseUrl, apiKeyEnc, fallbackTemplateKey, followUps. */
    config: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    isActive: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("idx_workflows_org").on(t.organizationId), index("idx_workflows_provider").on(t.providerId)],
);

export const threads = pgTable(
  "threads",
  {
    id: id(),
    workflowId: uuid()
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    organizationId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    userId: uuid().references(() => users.id, { onDelete: "set null" }),
    deviceId: uuid().references(() => devices.id, { onDelete: "set null" }),
    contactId: uuid().references((): AnyPgColumn => contacts.id, { onDelete: "cascade" }),
    conversationId: uuid().references((): AnyPgColumn => conversations.id, { onDelete: "cascade" }),
    /** Thread id passed to the AST service (a uuid we generate). */
    providerThreadId: text().notNull(),
    title: text(),
    messageCount: integer().notNull().default(0),
    status: text({ enum: ["active", "archived"] })
      .notNull()
      .default("active"),
    lastMessageAt: tstz(),
    /** Flow runs: {flowId, flowVersion, stepKey, variables}; bot conversations: last role, etc. */
    state: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** Debounced turn of a bound conversation: answer the pending inbound messages at this time. */
    replyDueAt: tstz(),
    followUpStage: integer().notNull().default(0),
    nextFollowUpAt: tstz(),
    paused: boolean().notNull().default(false),
    /** Serializes turns: a worker holds the thread until then. */
    lockedUntil: tstz(),
    /**
     * Memory (seed 004 `last_context`, seed 002 thread rotation): the model's summary of the turns
     * flagged `summarized_at`, sent in their place with the recent window.
     */
    lastContext: text(),
    lastContextAt: tstz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("idx_threads_workflow").on(t.workflowId),
    index("idx_threads_user").on(t.userId),
    index("idx_threads_device").on(t.deviceId),
    index("idx_threads_status").on(t.status),
    index("idx_threads_provider").on(t.providerThreadId),
    index("idx_threads_contact_active").on(t.contactId, t.paused).where(sql`status = 'active'`),
    index("idx_threads_followup_due").on(t.nextFollowUpAt).where(sql`next_follow_up_at is not null`),
    index("idx_threads_reply_due").on(t.replyDueAt).where(sql`reply_due_at is not null`),
    index("idx_threads_conversation_active").on(t.conversationId).where(sql`status = 'active'`),
  ],
);

export const threadMessages = pgTable(
  "thread_messages",
  {
    id: id(),
    threadId: uuid()
      .notNull()
      .references(() => threads.id, { onDelete: "cascade" }),
    role: text({ enum: ["user", "assistant", "system", "tool"] }).notNull(),
    content: text().notNull(),
    tokens: integer(),
    /** The workflow's prompt version (prompt_versions.version) that produced an assistant turn. */
    promptVersion: integer(),
    /** Set when the row was folded into the thread's summary: kept for people, no longer sent to the model. */
    summarizedAt: tstz(),
    at: createdAt(),
  },
  (t) => [index("thread_messages_thread_at_idx").on(t.threadId, t.at)],
);

export const templates = pgTable(
  "templates",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    key: text().notNull(),
    body: text().notNull(),
    variables: text().array().notNull().default(sql`'{}'::text[]`),
    /** Alternative bodies; one of body + variants is chosen at random when sending. */
    variants: text().array().notNull().default(sql`'{}'::text[]`),
    locale: text(),
    category: text(),
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("templates_org_key_unique").on(t.organizationId, t.key)],
);

/**
 * Message templates of a Cloud API instance's WhatsApp Business Account, as Meta lists them
 * (`GET /{waba-id}/message_templates`): replaced by each sync; only APPROVED ones can be sent.
 */
export const providerTemplates = pgTable(
  "provider_templates",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    /** Meta's template id. */
    providerTemplateId: text(),
    name: text().notNull(),
    language: text().notNull(),
    category: text(),
    /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED… as Meta says. */
    status: text().notNull(),
    components: jsonb().$type<Record<string, unknown>[]>().notNull().default(sql`'[]'::jsonb`),
    syncedAt: tstz().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("provider_templates_instance_name_lang_unique").on(t.instanceId, t.name, t.language),
    index("provider_templates_org_idx").on(t.organizationId),
  ],
);

export const flows = pgTable(
  "flows",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Every version of one flow shares a lineage id; publishing a draft creates a new version row. */
    lineageId: uuid().notNull(),
    name: text().notNull(),
    status: text({ enum: ["draft", "published", "archived"] })
      .notNull()
      .default("draft"),
    version: integer().notNull().default(1),
    followUps: jsonb().$type<FollowUpStage[]>().notNull().default([]),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("flows_org_idx").on(t.organizationId), uniqueIndex("flows_lineage_version_unique").on(t.lineageId, t.version)],
);

export const FLOW_STEP_TYPES = ["send_template", "send_text", "collect_input", "choice", "handoff", "call_workflow", "end"] as const;

export const flowSteps = pgTable(
  "flow_steps",
  {
    id: id(),
    flowId: uuid()
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    key: text().notNull(),
    type: text({ enum: FLOW_STEP_TYPES }).notNull(),
    templateKey: text(),
    text: text(),
    /** Variable name for collect_input, workflow id for call_workflow. */
    config: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    waitForInput: boolean().notNull().default(false),
    /** {"<answer>": "<next step key>", "*": "<default next>"} */
    transitions: jsonb().$type<Record<string, string>>().notNull().default({}),
    order: integer().notNull().default(0),
  },
  (t) => [uniqueIndex("flow_steps_flow_key_unique").on(t.flowId, t.key), index("flow_steps_flow_order_idx").on(t.flowId, t.order, t.key)],
);

export const TRIGGER_MATCHES = ["equals", "contains", "regex", "number", "any", "first_message"] as const;

export const triggers = pgTable(
  "triggers",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull().default(""),
    /** Null = every instance of the organization. */
    instanceIds: uuid().array(),
    match: text({ enum: TRIGGER_MATCHES }).notNull(),
    pattern: text().notNull().default(""),
    priority: integer().notNull().default(0),
    cooldownSeconds: integer().notNull().default(0),
    active: boolean().notNull().default(true),
    action: text({ enum: ["reply_template", "start_flow", "hand_to_workflow"] }).notNull(),
    templateKey: text(),
    flowId: uuid().references(() => flows.id, { onDelete: "set null" }),
    workflowId: uuid().references(() => workflows.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("triggers_org_active_priority_idx").on(t.organizationId, t.active, t.priority.desc(), t.updatedAt.desc())],
);

/** One row per trigger firing for a contact: the cooldown lookup is an index probe on (trigger, contact, at). */
export const triggerFirings = pgTable(
  "trigger_firings",
  {
    id: id(),
    triggerId: uuid()
      .notNull()
      .references(() => triggers.id, { onDelete: "cascade" }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    at: createdAt(),
  },
  (t) => [index("trigger_firings_cooldown_idx").on(t.contactId, t.triggerId, t.at.desc())],
);
