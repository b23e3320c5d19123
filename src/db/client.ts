import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePostgres, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { PostgresJsSession } from "drizzle-orm/postgres-js/session";
import postgres from "postgres";
import { config } from "@/config";
import { log } from "@/lib/logger";
import * as schema from "./schema";

export type Db = PostgresJsDatabase<typeof schema>;
/** A transaction handle; services accept `tx?: Tx` so callers can group writes. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Either the database or an open transaction. */
export type DbOrTx = Db | Tx;

type Driver = { kind: "postgres"; client: postgres.Sql } | { kind: "pglite"; client: import("@electric-sql/pglite").PGlite; dir: string; fresh: boolean };

/** Statements with more parameters than this stay unnamed: their text varies with the row count. */
const PREPARE_MAX_PARAMS = 64;

/**
 * Drizzle's postgres-js session prepares only queries given a name (`.prepare("x")`); every other
 * query builder call went out unnamed, which postgres.js sends as Parse+Describe, waits, then
 * Bind+Execute: two round trips, a parse and a plan per call (55–68 µs of driver CPU per query
 * against 18 µs prepared, measured on this machine). Naming them lets postgres.js keep one prepared
 * statement per query text and connection, as it already does for `db.execute`. Statements whose
 * text grows with their input (multi-row inserts, long IN lists) are left unnamed so the per-connection
 * statement cache stays bounded.
 */
const prepareQuery = PostgresJsSession.prototype.prepareQuery;
PostgresJsSession.prototype.prepareQuery = function (this: PostgresJsSession<postgres.Sql, Record<string, unknown>, never>, query, fields, name, ...rest) {
  const prepared = name ?? (query.params.length <= PREPARE_MAX_PARAMS ? "" : undefined);
  return prepareQuery.call(this, query, fields, prepared, ...rest);
} as typeof prepareQuery;

const MIGRATIONS_FOLDER = resolve(import.meta.dir, "../../drizzle");

/** A postgres.js pool of the app's database; `settings` are session settings of each of its connections. */
function openPool(max: number, settings: Record<string, string> = {}): postgres.Sql {
  return postgres(config.databaseUrl!, {
    max,
    onnotice: () => {},
    // JIT off: ours are short OLTP statements, but partitioned tables inflate the planner's estimates
    // past jit_above_cost, and compiling one delivery claim took ~2 s of CPU for 0.1 ms of work
    // (31 such claims burned 21 CPU-seconds in one inbound bench run). JIT pays off only for long
    // analytical scans, which this app does not run.
    connection: { application_name: "livchat", jit: "off", ...settings },
  });
}

function openDriver(): { db: Db; driver: Driver } {
  if (config.databaseUrl) {
    const client = openPool(config.dbPoolMax);
    return { db: drizzlePostgres(client, { schema, casing: "snake_case" }), driver: { kind: "postgres", client } };
  }
  // Embedded default: PGlite persisted in the data dir, loaded lazily so Postgres deployments never pay for it.
  const { drizzle } = require("drizzle-orm/pglite") as typeof import("drizzle-orm/pglite");
  const dir = join(config.dataDir, "pglite");
  // An initialised data dir has PG_VERSION; without it PGlite creates a cluster, which takes seconds.
  const fresh = !existsSync(join(dir, "PG_VERSION"));
  mkdirSync(dir, { recursive: true });
  const client = openPglite(dir);
  // Same query-builder API at runtime; the type differs only in the result HKT.
  const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Db;
  return { db, driver: { kind: "pglite", client, dir, fresh } };
}

/**
 * A PGlite database (in memory without `dir`) with the extensions migrations use where available:
 * pgvector (knowledge embeddings) and unaccent (accent-folded full-text search), see drizzle/0043.
 */
export function openPglite(dir?: string): import("@electric-sql/pglite").PGlite {
  const { PGlite } = require("@electric-sql/pglite") as typeof import("@electric-sql/pglite");
  const { vector } = require("@electric-sql/pglite-pgvector") as typeof import("@electric-sql/pglite-pgvector");
  const { unaccent } = require("@electric-sql/pglite/contrib/unaccent") as typeof import("@electric-sql/pglite/contrib/unaccent");
  return new PGlite({ dataDir: dir, extensions: { vector, unaccent } });
}

/** The drizzle/ folder, for code that migrates a database of its own (tests of the embedded path). */
export const migrationsFolder = (): string => MIGRATIONS_FOLDER;

const opened = openDriver();
export const db: Db = opened.db;
export const driver: Driver = opened.driver;

let genericPlans: { client: postgres.Sql; db: Db } | undefined;

/**
 * The database through a second, small pool whose sessions always use a statement's generic plan
 * (`plan_cache_mode`), for the few hot statements whose custom plan costs more to make than to run.
 * Postgres has no per-statement setting, and in its default mode it keeps re-planning a statement
 * whose generic plan it estimates pessimistically: a delivery cursor's read was planned on every call
 * (0.8–1.3 ms over the events partitions, for 0.1–0.4 ms of work: a fifth of Postgres's CPU per
 * inbound event in the bench). Only statements whose generic plan was checked belong here, on a freshly
 * migrated database too: a generic plan is kept until a table it reads changes shape or gets new
 * statistics (ANALYZE), so one made while partitions were empty must already take the indexes (the
 * webhook retry claim's did not: it seq-scanned partitions that had grown since). A partial index is
 * never used with its condition's values as parameters. Opened on first use; on PGlite (one
 * connection) it is the database itself.
 */
export function genericPlanDb(): Db {
  if (driver.kind === "pglite") return db;
  if (!genericPlans) {
    const client = openPool(2, { plan_cache_mode: "force_generic_plan" });
    genericPlans = { client, db: drizzlePostgres(client, { schema, casing: "snake_case" }) };
  }
  return genericPlans.db;
}

/** Rows of a `db.execute(sql)` result, whichever driver produced it. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** How many migrations the database has recorded (0 before the first). */
async function appliedMigrationCount(): Promise<number> {
  const [table] = rowsOf<{ name: string | null }>(await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations')::text as name`));
  if (!table?.name) return 0;
  const [row] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`));
  return Number(row?.n ?? 0);
}

const elapsedMs = (since: number) => Math.round(performance.now() - since);

/**
 * Applies drizzle/ migrations once, under an advisory lock so concurrent boots do not race. Says what
 * it does and how long each step took: a first start on embedded PGlite spends many seconds here, and
 * silence looked like a hang.
 */
export async function migrateDatabase(): Promise<void> {
  if (driver.kind === "pglite") {
    const opening = performance.now();
    log.info(driver.fresh ? "creating the embedded database (PGlite, first start only; takes a while)" : "opening the embedded database (PGlite)", {
      dir: driver.dir,
    });
    await driver.client.waitReady;
    log.info("embedded database ready", { ms: elapsedMs(opening) });
  }
  const migrating = performance.now();
  const before = await appliedMigrationCount();
  if (driver.kind === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  } else {
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    const reserved = await driver.client.reserve();
    try {
      await reserved`select pg_advisory_lock(727274)`;
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await reserved`select pg_advisory_unlock(727274)`.catch(() => {});
      reserved.release();
    }
  }
  const after = await appliedMigrationCount();
  log.info(after > before ? "migrations applied" : "database schema up to date", { applied: after - before, total: after, ms: elapsedMs(migrating) });
}

/**
 * Subscribes to a Postgres NOTIFY channel; returns the unsubscribe function. `onListening` runs each
 * time the LISTEN takes effect: once, and again after postgres.js reconnects a dropped connection
 * (notifications sent while it was down never arrive).
 */
export async function listen(channel: string, onPayload: (payload: string) => void, onListening?: () => void): Promise<() => Promise<void>> {
  if (driver.kind === "pglite") {
    const unlisten = await driver.client.listen(channel, onPayload);
    onListening?.();
    return unlisten;
  }
  const sub = await driver.client.listen(channel, onPayload, onListening);
  return () => sub.unlisten();
}

/** Sends a NOTIFY; inside a transaction it is delivered only if the transaction commits. */
export async function notify(channel: string, payload: string, tx: DbOrTx = db): Promise<void> {
  await tx.execute(sql`select pg_notify(${channel}, ${payload})`);
}

export type Notification = { channel: string; payload: string };

/** Many NOTIFYs in one statement (one round trip whatever their number), sent in order; same rules. */
export async function notifyMany(notifications: Notification[], tx: DbOrTx = db): Promise<void> {
  if (notifications.length === 0) return;
  if (notifications.length === 1) return notify(notifications[0]!.channel, notifications[0]!.payload, tx);
  const pairs = JSON.stringify(notifications.map((n) => [n.channel, n.payload]));
  await tx.execute(sql`select pg_notify(x->>0, x->>1) from jsonb_array_elements(${pairs}::jsonb) with ordinality as t(x, n) order by n`);
}

export async function pingDatabase(): Promise<void> {
  await db.execute(sql`select 1`);
}

export async function closeDatabase(): Promise<void> {
  if (driver.kind === "pglite") return driver.client.close();
  await Promise.all([driver.client.end({ timeout: 5 }), genericPlans?.client.end({ timeout: 5 })]);
  genericPlans = undefined;
}
