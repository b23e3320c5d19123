import { sql } from "drizzle-orm";
import { db, driver, rowsOf } from "@/db/client";
import { log } from "@/lib/logger";

/**
 * Partition maintenance of the bounded tables (issue 21; layout made by drizzle/0062). events,
 * webhook_deliveries and webhook_attempts are RANGE-partitioned by `expires_on` in daily partitions
 * (`<table>_pYYYYMMDD` = [day, day + 1)); usage_daily by `day` in monthly ones (`usage_daily_pYYYYMM`).
 * Each has a DEFAULT partition so an insert never fails for want of a partition.
 *
 * Why `expires_on` and not the time of the row: retention is per organization, and data must go by
 * dropping partitions, never by deleting rows. Computing the day a row may go at insert (its time + its
 * organization's retention, `retentionExpiresOn`) puts rows that expire together in one partition
 * whatever their organization, so dropping the partitions whose range has ended drops exactly what each
 * organization chose to let go, and nothing of another. Queries by organization and time still use each
 * partition's (organization_id, at) indexes.
 */

export type PartitionedTable = "events" | "webhook_deliveries" | "webhook_attempts" | "usage_daily";
export const EXPIRING_TABLES = ["events", "webhook_deliveries", "webhook_attempts"] as const satisfies readonly PartitionedTable[];

/** Retention of usage counters (the bill's source), the same for every organization: 13 full months (a year back, month by month). */
export const USAGE_RETENTION_MONTHS = 13;
/** Days ahead of each retention in use that get their partition before rows need it. */
export const DAYS_AHEAD = 3;
/**
 * The default retention of events and deliveries, also the column default of expires_on (drizzle/0059).
 * Lowering it is a retention change for every organization on the default: its migration must also
 * clear the webhook cursors' floors (drizzle/0071), or cursors could skip the events it shortens.
 */
export const DEFAULT_RETENTION_DAYS = 30;

/** A `YYYY-MM-DD` UTC day. */
export type Day = string;

export const addDays = (day: Day, n: number): Day => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};
const monthStart = (day: Day): Day => `${day.slice(0, 7)}-01`;
const addMonths = (month: Day, n: number): Day => {
  const d = new Date(`${month}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
};

/** The partition holding `day`: its name and [from, to) bounds. */
export function partitionFor(table: PartitionedTable, day: Day): { name: string; from: Day; to: Day } {
  // The bounds are spelled into DDL (no parameters there): only a plain date gets that far.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day: ${day}`);
  if (table === "usage_daily") {
    const from = monthStart(day);
    return { name: `usage_daily_p${from.slice(0, 7).replace("-", "")}`, from, to: addMonths(from, 1) };
  }
  return { name: `${table}_p${day.replaceAll("-", "")}`, from: day, to: addDays(day, 1) };
}

const keyColumn = (table: PartitionedTable) => (table === "usage_daily" ? "day" : "expires_on");

export type Partition = { name: string; from: Day | null; to: Day | null; isDefault: boolean };

/** The partitions of `table` with their bounds (read from the catalog, not from names). */
export async function listPartitions(table: PartitionedTable): Promise<Partition[]> {
  const rows = rowsOf<{ name: string; bound: string }>(
    await db.execute(sql`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = ${table}::regclass
      order by c.relname`),
  );
  return rows.map(({ name, bound }) => {
    const m = /FROM \('(\d{4}-\d{2}-\d{2})'\) TO \('(\d{4}-\d{2}-\d{2})'\)/.exec(bound);
    return { name, from: m?.[1] ?? null, to: m?.[2] ?? null, isDefault: bound === "DEFAULT" };
  });
}

/** Today as the database sees it, in UTC (the clock expires_on is computed with). */
export async function databaseToday(): Promise<Day> {
  const [row] = rowsOf<{ day: string }>(await db.execute(sql`select to_char((now() at time zone 'utc')::date, 'YYYY-MM-DD') as day`));
  return row!.day;
}

/**
 * Creates the partition holding `day` unless one exists. Rows the DEFAULT partition already caught for
 * that range are moved into it first (ATTACH refuses while the default holds rows of the range); the
 * default is locked meanwhile so no insert slips in between. One process at a time (advisory lock), and
 * a short lock timeout: a busy table gets its partition on the next run, its rows meanwhile go to the
 * default partition. Returns whether it created one.
 */
export async function ensurePartition(table: PartitionedTable, day: Day): Promise<boolean> {
  const { name, from, to } = partitionFor(table, day);
  const parent = sql.identifier(table);
  const partition = sql.identifier(name);
  const fallback = sql.identifier(`${table}_default`);
  const key = sql.identifier(keyColumn(table));
  // Bounds in DDL are literals (no parameters there); partitionFor only lets a plain date through.
  const bounds = sql.raw(`from ('${from}') to ('${to}')`);
  return db.transaction(async (tx) => {
    // The advisory lock in a statement of its own, before any table is touched: a statement that also read
    // the default partition held its lock while waiting for the advisory one, and two booting processes
    // deadlocked (one waiting for the advisory lock, the other for that partition to create its sibling).
    await tx.execute(
      driver.kind === "postgres"
        ? sql`select set_config('lock_timeout', '5s', true), pg_advisory_xact_lock(727275)`
        : sql`select pg_advisory_xact_lock(727275)`,
    );
    const [state] = rowsOf<{ found: boolean; stray: boolean }>(
      await tx.execute(sql`
        select to_regclass(${name}) is not null as found,
          exists (select 1 from ${fallback} where ${key} >= ${from}::date and ${key} < ${to}::date) as stray`),
    );
    if (state?.found) return false;
    if (!state?.stray) {
      await tx.execute(sql`create table ${partition} partition of ${parent} for values ${bounds}`);
      return true;
    }
    await tx.execute(sql`lock table ${fallback} in access exclusive mode`);
    await tx.execute(sql`create table ${partition} (like ${parent} including defaults)`);
    const [moved] = rowsOf<{ n: number }>(
      await tx.execute(sql`
        with moved as (delete from ${fallback} where ${key} >= ${from}::date and ${key} < ${to}::date returning *),
        placed as (insert into ${partition} select * from moved returning 1)
        select count(*)::int as n from placed`),
    );
    await tx.execute(sql`alter table ${parent} attach partition ${partition} for values ${bounds}`);
    log.info("partition created, rows moved out of the default partition", { table, partition: name, moved: moved?.n ?? 0 });
    return true;
  });
}

/**
 * Drops the partitions whose whole range lies before `cutoff` (exclusive upper bound <= cutoff): for the
 * expiring tables every row in them reached its expires_on day and the day is over, so each row was kept
 * at least its organization's retention. A DROP takes a short exclusive lock on the parent; a busy table
 * is retried on the next run. Returns the names dropped.
 */
export async function dropPartitionsBefore(table: PartitionedTable, cutoff: Day): Promise<string[]> {
  const dropped: string[] = [];
  for (const p of await listPartitions(table)) {
    if (p.isDefault || p.to === null || p.to > cutoff) continue;
    await db.transaction(async (tx) => {
      if (driver.kind === "postgres") await tx.execute(sql`set local lock_timeout = '5s'`);
      await tx.execute(sql`select pg_advisory_xact_lock(727275)`);
      await tx.execute(sql`drop table if exists ${sql.identifier(p.name)}`);
    });
    dropped.push(p.name);
  }
  return dropped;
}

/** Distinct partition-key days the DEFAULT partition holds (normally none: rows written while a partition was missing). */
async function daysInDefault(table: PartitionedTable): Promise<Day[]> {
  const column = sql.identifier(keyColumn(table));
  const bucket = table === "usage_daily" ? sql`date_trunc('month', ${column})::date` : column;
  const rows = rowsOf<{ day: string }>(
    await db.execute(sql`select distinct to_char(${bucket}, 'YYYY-MM-DD') as day from ${sql.identifier(`${table}_default`)} limit 1000`),
  );
  return rows.map((r) => r.day);
}

/** The retention lengths (days) in use for events and for deliveries: the default plus every organization's choice. */
async function retentionsInUse(): Promise<number[]> {
  const rows = rowsOf<{ days: number }>(
    await db.execute(sql`
      select events_days as days from organization_retention
      union select deliveries_days from organization_retention
      union select ${DEFAULT_RETENTION_DAYS}::int`),
  );
  return [...new Set(rows.map((r) => Number(r.days)))].sort((a, b) => a - b);
}

/**
 * The boot's pass, before the app listens. A failure (a lock timeout on a busy table) does not stop the
 * boot: rows go to the DEFAULT partition meanwhile and the retention worker's next run moves them out.
 */
export async function maintainPartitionsAtBoot(): Promise<void> {
  try {
    await maintainPartitions();
  } catch (err) {
    log.warn("partitions not maintained at boot; new rows go to the default partitions until the retention worker's next run", { err });
  }
}

export type MaintenanceReport = { created: string[]; dropped: string[] };

/**
 * One maintenance pass (boot and the hourly worker): partitions for the days rows will be written to
 * next (today + each retention in use, a few days ahead), this month's and next month's usage partition,
 * rows caught by the DEFAULT partitions moved into their own, then partitions past retention dropped.
 * Idempotent and safe in several processes at once.
 */
export async function maintainPartitions(options: { today?: Day } = {}): Promise<MaintenanceReport> {
  const today = options.today ?? (await databaseToday());
  const created: string[] = [];
  const dropped: string[] = [];
  const retentions = await retentionsInUse();
  for (const table of EXPIRING_TABLES) {
    const days = new Set<Day>();
    for (const r of retentions) for (let k = 0; k <= DAYS_AHEAD; k++) days.add(addDays(today, r + k));
    for (const d of await daysInDefault(table)) days.add(d);
    const existing = new Set((await listPartitions(table)).map((p) => p.name));
    for (const d of [...days].sort()) {
      if (existing.has(partitionFor(table, d).name)) continue;
      if (await ensurePartition(table, d)) created.push(partitionFor(table, d).name);
    }
    dropped.push(...(await dropPartitionsBefore(table, today)));
  }
  const usageMonths = new Set<Day>([monthStart(today), addMonths(monthStart(today), 1), ...(await daysInDefault("usage_daily"))]);
  for (const m of [...usageMonths].sort()) if (await ensurePartition("usage_daily", m)) created.push(partitionFor("usage_daily", m).name);
  dropped.push(...(await dropPartitionsBefore("usage_daily", addMonths(monthStart(today), -USAGE_RETENTION_MONTHS))));
  if (created.length > 0 || dropped.length > 0) log.info("partitions maintained", { created: created.length, dropped: dropped.length });
  return { created, dropped };
}
