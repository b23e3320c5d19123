// Issue 21 item 4: converting events, webhook_deliveries, webhook_attempts and usage_daily into partitioned
// tables (drizzle/0059–0062) keeps every row, on Postgres and on the embedded PGlite, with the same files.
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrationsFolder, openPglite } from "@/db/client";
import postgres from "postgres";

const FIRST_PARTITION_MIGRATION = "0059_partition_columns";

/** A copy of drizzle/ that stops before the partitioning migrations: the schema an existing install has. */
function migrationsBeforePartitioning(): string {
  const dir = mkdtempSync(join(tmpdir(), "lc-migrations-"));
  cpSync(migrationsFolder(), dir, { recursive: true });
  const journalPath = join(dir, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag === FIRST_PARTITION_MIGRATION);
  expect(cut).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, cut);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

const ORG = "11111111-1111-4111-8111-111111111111";
const HOOK = "22222222-2222-4222-8222-222222222222";
/** Rows written with the pre-partitioning schema: 40 events over 40 days, a delivery and an attempt each, usage of two months. */
const SEED = [
  `insert into organizations (id, name, slug) values ('${ORG}', 'Acme', 'acme')`,
  `insert into events (organization_id, type, data, at) select '${ORG}', 'message.sent', jsonb_build_object('n', g), now() - make_interval(days => g) from generate_series(1, 40) g`,
  `insert into webhooks (id, organization_id, url, secret_enc) values ('${HOOK}', '${ORG}', 'https://example.test/hook', 'x')`,
  `insert into webhook_deliveries (organization_id, webhook_id, event_id, event_type, status) select organization_id, '${HOOK}', id, type, 'succeeded' from events`,
  `insert into webhook_attempts (delivery_id, attempt, status_code) select id, 1, 200 from webhook_deliveries`,
  `insert into usage_daily (organization_id, day, metric, count) values ('${ORG}', '2026-10-05', 'api_calls', 7), ('${ORG}', current_date, 'api_calls', 9)`,
];
const COUNTS = `select (select count(*) from events)::int as events, (select count(*) from webhook_deliveries)::int as deliveries,
  (select count(*) from webhook_attempts)::int as attempts, (select coalesce(sum(count), 0) from usage_daily)::int as usage,
  (select count(*) from events e join webhook_deliveries d on d.event_id = e.id join webhook_attempts a on a.delivery_id = d.id)::int as joined,
  (select count(*) from pg_partitioned_table)::int as partitioned,
  (select count(*) from events_default)::int as in_default`;
const EXPECTED = { events: 40, deliveries: 40, attempts: 40, usage: 16, joined: 40, partitioned: 4, in_default: 0 };

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe("the partitioning migrations keep every row", () => {
  test("on Postgres 15", async () => {
    const before = migrationsBeforePartitioning();
    cleanup.push(() => rmSync(before, { recursive: true, force: true }));
    const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    const name = `lc_partition_upgrade_${process.pid}`;
    await admin.unsafe(`create database "${name}"`);
    cleanup.push(async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 2 });
    });
    const client = postgres(Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString(), { max: 1, onnotice: () => {} });
    cleanup.push(() => client.end({ timeout: 2 }));
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    await migrate(drizzle(client), { migrationsFolder: before });
    for (const statement of SEED) await client.unsafe(statement);
    await migrate(drizzle(client), { migrationsFolder: migrationsFolder() });
    const [counts] = await client.unsafe(COUNTS);
    expect({ ...counts }).toEqual(EXPECTED);
    // Existing rows were given 30 days from the upgrade: nothing of the history goes at once.
    const [expiry] = await client.unsafe(
      `select min(expires_on) = max(expires_on) and min(expires_on) = (now() at time zone 'utc')::date + 30 as ok from events`,
    );
    expect(expiry?.ok).toBe(true);
  }, 120_000);

  test("on embedded PGlite (the same files)", async () => {
    const before = migrationsBeforePartitioning();
    cleanup.push(() => rmSync(before, { recursive: true, force: true }));
    const pglite = openPglite();
    cleanup.push(() => pglite.close());
    await pglite.waitReady;
    const { drizzle } = await import("drizzle-orm/pglite");
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(drizzle(pglite), { migrationsFolder: before });
    for (const statement of SEED) await pglite.exec(statement);
    await migrate(drizzle(pglite), { migrationsFolder: migrationsFolder() });
    const { rows } = await pglite.query<Record<string, number>>(COUNTS);
    expect({ ...rows[0] }).toEqual(EXPECTED);
    // A row outside every partition still goes in (the DEFAULT partition), on PGlite too.
    await pglite.exec(`insert into events (organization_id, type, expires_on) values ('${ORG}', 'instance.connected', '2099-01-01')`);
    const { rows: fallback } = await pglite.query<{ n: number }>("select count(*)::int as n from events_default");
    expect(fallback[0]?.n).toBe(1);
  }, 240_000);
});
