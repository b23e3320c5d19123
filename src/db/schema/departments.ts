import { sql } from "drizzle-orm";
import { boolean, check, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { instances, organizations, users } from "./tenancy";

/**
 * A department (queue): conversations are routed to one, agents see the conversations of the departments
 * they belong to. Per-department settings (business hours, SLA targets, hybrid mode…) are columns here.
 */
export const departments = pgTable(
  "departments",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Unique per organization ignoring case: the AI hand-off tool and the greeting menu route by name. */
    name: text().notNull(),
    /** `#rrggbb`: the badge colour in the inbox. */
    color: text().notNull().default("#4f46e5"),
    /** Inactive: kept for history, offered nowhere (menu, transfer, hand-off). */
    active: boolean().notNull().default(true),
    /** Resolve an open conversation after this many minutes without a contact reply; null = never. */
    autoCloseMinutes: integer(),
    /** Sent to the contact (normal outbound path) when auto-close resolves the conversation; null = none. */
    autoCloseMessage: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("departments_org_name_unique").on(t.organizationId, sql`lower(${t.name})`),
    check("departments_auto_close_positive", sql`${t.autoCloseMinutes} is null or ${t.autoCloseMinutes} > 0`),
  ],
);

/** Members (organization users) of a department: an agent sees the department's conversations. */
export const departmentMembers = pgTable(
  "department_members",
  {
    departmentId: uuid()
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Denormalized so "the departments of user U in org O" needs no join. */
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.departmentId, t.userId] }), index("department_members_org_user_idx").on(t.organizationId, t.userId)],
);

/**
 * The greeting menu of an instance: a new conversation without a department gets `greeting` and the
 * numbered options; the contact's answer routes it. After `maxAttempts` invalid answers it goes to
 * `fallbackDepartmentId` (null: stays unrouted and is handed to a human).
 */
export const greetingMenus = pgTable("greeting_menus", {
  instanceId: uuid()
    .primaryKey()
    .references(() => instances.id, { onDelete: "cascade" }),
  organizationId: uuid()
    .notNull()
    .references(() => organizations.id, { onDelete: "cascade" }),
  enabled: boolean().notNull().default(false),
  greeting: text().notNull().default(""),
  maxAttempts: integer().notNull().default(3),
  fallbackDepartmentId: uuid().references(() => departments.id, { onDelete: "set null" }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** The ordered options of a greeting menu (option n = position n, from 1). */
export const greetingMenuOptions = pgTable(
  "greeting_menu_options",
  {
    instanceId: uuid()
      .notNull()
      .references(() => greetingMenus.instanceId, { onDelete: "cascade" }),
    departmentId: uuid()
      .notNull()
      .references(() => departments.id, { onDelete: "cascade" }),
    position: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.departmentId] })],
);
