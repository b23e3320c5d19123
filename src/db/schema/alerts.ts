import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { departments } from "./departments";
import { conversations } from "./messaging";
import { organizations, users } from "./tenancy";

/**
 * What raised an alert: a department's first-response or resolution target passed, an urgency word the
 * organization lists in an inbound message, or an urgent sentiment classification (HITL).
 */
export const ALERT_TYPES = ["first_response_sla", "resolution_sla", "keyword", "urgency"] as const;
export type AlertType = (typeof ALERT_TYPES)[number];
export const ALERT_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Seed 002 `alerts`: shown live on the supervisor's monitor until a supervisor resolves it. */
export const alerts = pgTable(
  "alerts",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    type: text({ enum: ALERT_TYPES }).notNull(),
    severity: text({ enum: ALERT_SEVERITIES }).notNull().default("medium"),
    conversationId: uuid().references(() => conversations.id, { onDelete: "cascade" }),
    /** The conversation's department when the alert was raised (departments.id; kept as a plain id so alerts outlive a department). */
    departmentId: uuid(),
    /** The agent the conversation was assigned to when the alert was raised. */
    agentUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    message: text().notNull(),
    /** What raised it: the matched keyword, the target and elapsed minutes, the sentiment reason. */
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** Raising twice with the same key is a no-op: one alert per SLA breach (conversation + type + the message that started the clock). */
    dedupeKey: text(),
    resolvedAt: tstz(),
    resolvedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("alerts_org_dedupe_unique").on(t.organizationId, t.dedupeKey),
    index("alerts_org_open_idx").on(t.organizationId, t.createdAt).where(sql`resolved_at is null`),
    index("alerts_org_created_idx").on(t.organizationId, t.createdAt, t.id),
    index("alerts_conversation_idx").on(t.conversationId),
  ],
);

export const SUPERVISOR_ACTIONS = ["verify", "unverify", "resolve_alert", "take_over", "transfer", "assign", "resolve_conversation"] as const;
export type SupervisorActionKind = (typeof SUPERVISOR_ACTIONS)[number];

/** Seed 002 `supervisor_actions`: what supervisors did from the monitor, in order (audit records the same). */
export const supervisorActions = pgTable(
  "supervisor_actions",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    conversationId: uuid().references(() => conversations.id, { onDelete: "cascade" }),
    alertId: uuid().references(() => alerts.id, { onDelete: "set null" }),
    action: text({ enum: SUPERVISOR_ACTIONS }).notNull(),
    notes: text(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("supervisor_actions_org_created_idx").on(t.organizationId, t.createdAt), index("supervisor_actions_conversation_idx").on(t.conversationId)],
);

/** Per organization: the urgency words that raise a keyword alert when an inbound message contains one (accent- and case-insensitive). */
export const alertSettings = pgTable("alert_settings", {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  urgencyKeywords: text().array().notNull().default(sql`'{}'::text[]`),
  updatedAt: updatedAt(),
});

/**
 * A department's service targets (SLA): minutes from the contact's first unanswered message to the first
 * human or bot answer, and from the conversation's opening to its resolution. Null: no target. Time
 * outside the department's business hours does not count.
 */
export const departmentSlaTargets = pgTable(
  "department_sla_targets",
  {
    departmentId: uuid()
      .primaryKey()
      .references(() => departments.id, { onDelete: "cascade" }),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    firstResponseMinutes: integer(),
    resolutionMinutes: integer(),
    updatedAt: updatedAt(),
  },
  () => [
    check(
      "department_sla_targets_positive",
      sql`(first_response_minutes is null or first_response_minutes > 0) and (resolution_minutes is null or resolution_minutes > 0)`,
    ),
  ],
);
