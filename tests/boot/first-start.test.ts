// Issue 15 item 6: a first start says what it is doing — migrations applied and how long they took —
// instead of seconds of silence; a later start says the schema is up to date.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import postgres from "postgres";
import { boot, expectBooted } from "./boot-process";

// An empty database next to this file's own (tests/setup.ts migrated that one already).
const admin = postgres(process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", { max: 1, onnotice: () => {} });
const name = `lc_first_start_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const url = new URL(process.env.DATABASE_URL!);
url.pathname = `/${name}`;
await admin.unsafe(`create database "${name}"`);
afterAll(async () => {
  await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
  await admin.end({ timeout: 2 });
});

const journal = JSON.parse(readFileSync(resolve(import.meta.dir, "../../drizzle/meta/_journal.json"), "utf8")) as { entries: unknown[] };
const logLines = (output: string) =>
  output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { msg: string; [field: string]: unknown });

test("the first start logs the migrations it applied and how long they took; the next says the schema is up to date", async () => {
  const first = expectBooted(await boot({ DATABASE_URL: url.toString() }));
  expect(await first.stop()).toBe(0);
  const applied = logLines(first.output).find((l) => l.msg === "migrations applied");
  expect(applied).toMatchObject({ applied: journal.entries.length, total: journal.entries.length });
  expect(typeof applied!.ms).toBe("number");

  const second = expectBooted(await boot({ DATABASE_URL: url.toString() }));
  expect(await second.stop()).toBe(0);
  expect(logLines(second.output).find((l) => l.msg === "database schema up to date")).toMatchObject({ applied: 0, total: journal.entries.length });
}, 60_000);
