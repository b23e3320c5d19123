import { sql } from "drizzle-orm";
import { boolean, check, index, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, tstz, updatedAt } from "./columns";
import { departments } from "./departments";
import { organizations, users } from "./tenancy";

export const AVAILABILITY_STATUSES = ["online", "away", "offline"] as const;
export type AvailabilityStatus = (typeof AVAILABILITY_STATUSES)[number];

/**
 * A member's availability in one organization: only `online` agents receive auto-assigned conversations.
 * Online turns away after the organization's inactivity limit without a request or heartbeat; signing out
 * turns offline. A member without a row is offline.
 */
export const agentAvailability = pgTable(
  "agent_availability",
  {
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text({ enum: AVAILABILITY_STATUSES }).notNull().default("offline"),
    statusChangedAt: tstz().notNull().defaultNow(),
    /** Last request or heartbeat of the member's admin page: inactivity is measured from it. */
    lastSeenAt: tstz().notNull().defaultNow(),
    /** Open conversations auto-assignment may give this agent at once; null = each department's default. */
    capacity: integer(),
    /** Last auto-assignment: round-robin serves the agent waiting longest first. */
    lastAssignedAt: tstz(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.userId] }),
    index("agent_availability_org_status_idx").on(t.organizationId, t.status, t.lastSeenAt),
    check("agent_availability_capacity_positive", sql`${t.capacity} is null or ${t.capacity} >= 0`),
  ],
);

/** The organization's availability rules: online members turn away after `awayAfterMinutes` without activity. */
export const availabilitySettings = pgTable(
  "availability_settings",
  {
    organizationId: uuid()
      .primaryKey()
      .references(() => organizations.id, { onDelete: "cascade" }),
    awayAfterMinutes: integer().notNull().default(15),
    updatedAt: updatedAt(),
  },
  (t) => [check("availability_settings_away_positive", sql`${t.awayAfterMinutes} > 0`)],
);

/** Auto-assignment of a department: round-robin among its online members below their capacity. */
export const departmentAssignment = pgTable(
  "department_assignment",
  {
    departmentId: uuid()
      .primaryKey()
      .references(() => departments.id, { onDelete: "cascade" }),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    autoAssign: boolean().notNull().default(false),
    /** Capacity of an agent with no capacity of their own. */
    defaultCapacity: integer().notNull().default(5),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("department_assignment_org_idx").on(t.organizationId), check("department_assignment_capacity_positive", sql`${t.defaultCapacity} >= 0`)],
);
