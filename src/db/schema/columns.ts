import { sql } from "drizzle-orm";
import { timestamp, uuid } from "drizzle-orm/pg-core";

/** Shared column helpers: uuid primary keys and timestamptz audit columns. */
export const id = () => uuid().primaryKey().defaultRandom();
/**
 * A time-ordered (UUID v7) key for the tables written on every event (drizzle/0068 `uuid_v7()`): inserts
 * append at the right edge of the key's index instead of a random leaf. The app makes its own with
 * `Bun.randomUUIDv7()`. Without the primary key, for partitioned tables (their key includes the partition key).
 */
export const timeOrderedId = () => uuid().notNull().default(sql`uuid_v7()`);
export const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp({ withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());
export const tstz = () => timestamp({ withTimezone: true });
