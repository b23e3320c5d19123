// Preloaded by bunfig.toml. With `bun test --isolate` every test file gets a fresh module registry,
// so this runs once per file: a brand-new Postgres database, migrated, dropped afterwards.
import { afterAll } from "bun:test";
import postgres from "postgres";

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const name = `lc_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database "${name}"`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
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
