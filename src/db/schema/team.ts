import { index, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { departments } from "./departments";
import { media } from "./media";
import { organizations, ROLES, users } from "./tenancy";

/**
 * Canned replies ("respostas rápidas"): texts an agent inserts into the inbox reply box with `/shortcut`.
 * The body may use `{{contact.name}}`, `{{agent.name}}` and `{{contact.<metadata field>}}`, filled for the
 * conversation and the agent at insertion.
 */
export const cannedReplies = pgTable(
  "canned_replies",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Null: for the whole organization; else only offered in conversations routed to this department. */
    departmentId: uuid().references(() => departments.id, { onDelete: "cascade" }),
    /** Typed after `/` in the reply box; unique per organization. */
    shortcut: text().notNull(),
    title: text().notNull(),
    body: text().notNull(),
    /** An upload (POST /v1/media) sent with the text; the upload must belong to the same organization. */
    mediaId: uuid().references(() => media.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("canned_replies_org_shortcut_unique").on(t.organizationId, t.shortcut)],
);

export const ANNOUNCEMENT_TYPES = ["info", "warning", "urgent"] as const;
export type AnnouncementType = (typeof ANNOUNCEMENT_TYPES)[number];

/** A notice to the team, shown as a banner in the admin pages to members of the target roles until each dismisses it or it expires. */
export const announcements = pgTable(
  "announcements",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    title: text().notNull(),
    message: text().notNull(),
    type: text({ enum: ANNOUNCEMENT_TYPES }).notNull().default("info"),
    /** Roles that see it; never empty (the form and API require at least one). */
    targetRoles: text({ enum: ROLES }).array().notNull(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    /** Null: shown until dismissed; past: no longer shown to anyone. */
    expiresAt: tstz(),
    createdAt: createdAt(),
  },
  (t) => [index("announcements_org_created_idx").on(t.organizationId, t.createdAt)],
);

/** Who dismissed which announcement: the banner is not shown again to them. */
export const announcementDismissals = pgTable(
  "announcement_dismissals",
  {
    announcementId: uuid()
      .notNull()
      .references(() => announcements.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    dismissedAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.announcementId, t.userId] })],
);
