import type { SQL } from "drizzle-orm";
import { db, genericPlanDb, rowsOf } from "./client";

type Runnable<V> = { execute(values: V): Promise<unknown> };
/**
 * What `db.execute` itself uses (drizzle's PgDatabase keeps them as internal fields): the dialect that
 * turns a template into text and parameters, and the session that prepares it for either driver.
 */
type Internals = {
  dialect: { sqlToQuery(query: SQL): unknown };
  session: { prepareQuery(query: unknown, fields: undefined, name: undefined, arrayMode: false): unknown };
};

/**
 * A raw statement built by drizzle ONCE, with `sql.placeholder("name")` where its values go, then run
 * with the values alone. `db.execute(sql\`…\`)` walks the whole template on every call: for the hot
 * path's big statements (the inbound batch, a delivery cursor's read and write) that walk cost 35–40 µs
 * of CPU each, measured on this machine — more than the round trip itself (~29 µs for a postgres.js
 * query). The text never changes, so the statement is also prepared once per connection (see client.ts).
 *
 * Only placeholders vary: anything else interpolated into the template is frozen at the first call, so a
 * value that can change (a setting, a clock offset) must be a placeholder too.
 *
 * `genericPlan`: run on the connections that always use the statement's generic plan (client.ts
 * `genericPlanDb`), for a statement Postgres would otherwise plan on every call.
 */
export function compiledSql<V extends Record<string, unknown>>(build: () => SQL, opts: { genericPlan?: boolean } = {}): <R>(values: V) => Promise<R[]> {
  let prepared: Runnable<V> | undefined;
  return async <R>(values: V): Promise<R[]> => {
    const { dialect, session } = (opts.genericPlan ? genericPlanDb() : db) as unknown as Internals;
    prepared ??= session.prepareQuery(dialect.sqlToQuery(build()), undefined, undefined, false) as Runnable<V>;
    return rowsOf<R>(await prepared.execute(values));
  };
}
