// Preloaded by bunfig.toml. With `bun test --isolate` every test file gets a fresh module registry,
// so this runs once per file: a brand-new Postgres database, migrated, dropped afterwards.
import { afterAll } from "bun:test";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const name = `lc_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
const databaseUrl = (database: string) => Object.assign(new URL(ADMIN_URL), { pathname: `/${database}` }).toString();

/**
 * Migrating a fresh database costs each test file about a second; copying an already migrated one
 * (CREATE DATABASE … TEMPLATE) half that. One template per set of migrations, named by their hash and
 * built once, under an advisory lock, by whichever test file needs it first.
 */
async function migratedTemplate(): Promise<string> {
  const folder = resolve(import.meta.dir, "../drizzle");
  const hash = createHash("sha256");
  for (const file of [
    ...readdirSync(folder)
      .filter((f) => f.endsWith(".sql"))
      .sort(),
    "meta/_journal.json",
  ])
    hash.update(file).update(readFileSync(join(folder, file)));
  const template = `lc_template_${hash.digest("hex").slice(0, 16)}`;
  await admin`select pg_advisory_lock(727275)`;
  try {
    if ((await admin`select 1 from pg_database where datname = ${template}`).length > 0) return template;
    const building = `${template}_${process.pid}`;
    await admin.unsafe(`create database "${building}"`);
    const client = postgres(databaseUrl(building), { max: 1, onnotice: () => {} });
    await migrate(drizzle(client), { migrationsFolder: folder });
    await client.end({ timeout: 2 });
    // Renamed only once complete, so a template is never half migrated.
    await admin.unsafe(`alter database "${building}" rename to "${template}"`);
    return template;
  } finally {
    await admin`select pg_advisory_unlock(727275)`;
  }
}

await admin.unsafe(`create database "${name}" template "${await migratedTemplate()}"`);
const url = new URL(databaseUrl(name));
process.env.DATABASE_URL = url.toString();
process.env.LOG_LEVEL ??= "error";
process.env.WORKERS = "false";
process.env.APP_URL = "http://localhost:3000";
process.env.APP_SECRET ??= "test-secret-test-secret-test-secret";

const { migrateDatabase, closeDatabase } = await import("../src/db/client");
await migrateDatabase();

afterAll(async () => {
  await closeDatabase().catch(() => {});
  await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
  await admin.end({ timeout: 2 });
});
