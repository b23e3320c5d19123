import { index, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { complaints } from "./ai";
import { conversations } from "./messaging";
import { organizations, users } from "./tenancy";

/** A conversation label the organization defines (separate from contact tags): a name unique per organization and a colour. */
export const labels = pgTable(
  "labels",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** `#rrggbb`, shown as the label's chip colour. */
    color: text().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("labels_org_name_unique").on(t.organizationId, t.name)],
);

/** Which labels a conversation carries; deleting a label or a conversation drops the link. */
export const conversationLabels = pgTable(
  "conversation_labels",
  {
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    labelId: uuid()
      .notNull()
      .references(() => labels.id, { onDelete: "cascade" }),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.labelId] }), index("conversation_labels_label_idx").on(t.labelId, t.conversationId)],
);

/** A complaint's notes: appended, never edited, each with its author and time (the ouvidoria's record). */
export const complaintNotes = pgTable(
  "complaint_notes",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    complaintId: uuid()
      .notNull()
      .references(() => complaints.id, { onDelete: "cascade" }),
    authorUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    body: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("complaint_notes_complaint_idx").on(t.complaintId, t.createdAt)],
);
