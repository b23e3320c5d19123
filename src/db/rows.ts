import { getTableColumns, type Table } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";

/**
 * Reads rows that hand-written SQL returned (`returning *` through `tx.execute`) as the table's
 * `$inferSelect` objects: snake_case keys become the schema's property names and every value goes
 * through its column's own driver mapping (timestamps to Date, jsonb parsed), exactly as the query
 * builder would. The hot write paths use fixed SQL because building a multi-row insert with drizzle
 * costs 130–280 µs of CPU per statement (measured), more than Postgres spends executing it.
 */
export function rowReader<T extends Table>(table: T): (raw: Record<string, unknown>) => T["$inferSelect"] {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({
    key,
    name: column.keyAsName ? toSnakeCase(column.name) : column.name,
    column,
  }));
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const { key, name, column } of columns) {
      const value = raw[name];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as T["$inferSelect"];
  };
}
