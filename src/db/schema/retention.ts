import { integer, pgTable, uuid } from "drizzle-orm/pg-core";
import { updatedAt } from "./columns";
import { organizations } from "./tenancy";

/**
 * How long an organization keeps its event log, delivery log and messages (issue 21, src/features/retention).
 * No row = the defaults (events and deliveries 30 days, messages kept). Events, webhook deliveries and
 * attempts are partitioned by the day they expire, computed at insert from these columns, so the
 * retention worker drops whole partitions instead of deleting rows.
 */
export const organizationRetention = pgTable("organization_retention", {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  /** Days events are kept (new events; a change does not move events already recorded). */
  eventsDays: integer().notNull().default(30),
  /** Days webhook deliveries and their attempts (the delivery log) are kept. */
  deliveriesDays: integer().notNull().default(30),
  /** Days messages are kept; null = kept until deleted (the default). */
  messagesDays: integer(),
  updatedAt: updatedAt(),
});
