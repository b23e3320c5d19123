import { index, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { conversations } from "./messaging";
import { organizations, users } from "./tenancy";

/**
 * What happened to a conversation besides its messages; shown as lines between the messages. The column
 * is plain text (no database check) so a feature can add a kind with only its labels.
 */
export const ACTIVITY_KINDS = [
  "assigned",
  "unassigned",
  "department_changed",
  "transferred",
  "routed",
  "handed_off",
  "returned_to_bot",
  "resolved",
  "reopened",
  "auto_closed",
  "bot_failed",
  /** The out-of-hours message answered the contact (business hours). */
  "out_of_hours",
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const conversationActivities = pgTable(
  "conversation_activities",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    kind: text().$type<ActivityKind>().notNull(),
    /** The caller that acted (`user`, `api_key`, `system`) and its id; a user's name is read at render. */
    actorType: text().notNull(),
    actorId: text(),
    /** A signed-in member who acted; null for keys and LivChat itself. */
    actorUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    /** Kind-specific: {fromDepartmentId, toDepartmentId, toUserId, reason, …}; names are copied at the time. */
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("conversation_activities_conversation_idx").on(t.conversationId, t.createdAt)],
);
