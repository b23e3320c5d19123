import { check, integer, pgTable, text } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { createdAt } from "./columns";

/**
 * One row: a check value of the APP_SECRET this database's secrets are encrypted with (an HMAC of a
 * constant, which reveals nothing about the key). Boot compares it so a changed or lost key stops the
 * process instead of silently making every stored secret unreadable.
 */
export const appSecretCheck = pgTable(
  "app_secret_check",
  {
    id: integer().primaryKey().default(1),
    checkValue: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [check("app_secret_check_single_row", sql`${t.id} = 1`)],
);
