import { sql } from "drizzle-orm";
import { boolean, index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tstz, updatedAt } from "./columns";
import { departments } from "./departments";
import { conversations } from "./messaging";
import { organizations } from "./tenancy";

/** One opening interval of a weekday, wall-clock time in the organization's zone ("08:00"–"12:00"; end "24:00" = midnight). */
export type OpeningInterval = { day: number; start: string; end: string };
/** A closed day: `date` is YYYY-MM-DD; `yearly` repeats it every year on the same month and day. */
export type Holiday = { date: string; name: string | null; yearly: boolean };

/**
 * Business hours: the organization's default (departmentId null) or a department's weekly schedule and
 * holidays, evaluated in the organization's time zone. Outside them an inbound message gets
 * `outOfHoursMessage` once per closed period, and SLA clocks count only open time.
 */
export const businessHours = pgTable(
  "business_hours",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Null: the organization's default, used for conversations of no department or of a department without its own. */
    departmentId: uuid().references(() => departments.id, { onDelete: "cascade" }),
    /** Off: always open (no out-of-hours reply, SLA clocks never pause). */
    enabled: boolean().notNull().default(true),
    /** Opening intervals per weekday (0 = Sunday); a weekday without intervals is closed all day. */
    intervals: jsonb().$type<OpeningInterval[]>().notNull().default([]),
    holidays: jsonb().$type<Holiday[]>().notNull().default([]),
    /** Sent to the contact outside hours, once per conversation and closed period; null = no reply. */
    outOfHoursMessage: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("business_hours_org_default_unique").on(t.organizationId).where(sql`${t.departmentId} is null`),
    uniqueIndex("business_hours_department_unique").on(t.departmentId),
  ],
);

/** Which closed period of a conversation already got the out-of-hours reply (the row's insert is the once-only claim). */
export const outOfHoursReplies = pgTable(
  "out_of_hours_replies",
  {
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    /** When the closed period began (the last closing time before the message; epoch when never open). */
    closedSince: tstz().notNull(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.closedSince] }), index("out_of_hours_replies_org_idx").on(t.organizationId)],
);
