import { timestamp, uuid } from "drizzle-orm/pg-core";

/** Shared column helpers: uuid primary keys and timestamptz audit columns. */
export const id = () => uuid().primaryKey().defaultRandom();
export const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp({ withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());
export const tstz = () => timestamp({ withTimezone: true });
