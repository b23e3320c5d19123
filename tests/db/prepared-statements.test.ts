// Guards the prepared-statement patch in src/db/client.ts, which replaces drizzle's private
// PostgresJsSession.prototype.prepareQuery. An upgrade that moves or renames its arguments would
// silently send every query unnamed again (or break them), so this proves the effect on a real
// Postgres connection and that drizzle-orm stays pinned to the version the patch was written for.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import "@/db/client"; // applies the patch
import * as schema from "@/db/schema";

// One connection, so pg_prepared_statements (per session) sees every statement this client sent.
const client = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
const db = drizzle(client, { schema, casing: "snake_case" });
afterAll(() => client.end({ timeout: 2 }));

const preparedTexts = async () => (await client<{ statement: string }[]>`select statement from pg_prepared_statements`).map((r) => r.statement);

test("query builder calls are sent as named prepared statements", async () => {
  const email = `prepared-${crypto.randomUUID()}@example.com`;
  expect(await db.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.email, email))).toEqual([]);
  // Parameters still travel correctly through the patched call.
  const [row] = await db.select({ email: schema.users.email }).from(schema.users).where(eq(schema.users.email, email)).limit(1);
  expect(row).toBeUndefined();

  const texts = await preparedTexts();
  expect(texts.some((t) => t.includes('from "users"') && t.includes('"email" = $1'))).toBe(true);
});

test("statements whose text grows with their input stay unnamed", async () => {
  const ids = Array.from({ length: 65 }, () => crypto.randomUUID());
  await db.select({ id: schema.users.id }).from(schema.users).where(inArray(schema.users.id, ids));
  expect((await preparedTexts()).some((t) => t.includes("$65"))).toBe(false);
});

test("drizzle-orm is pinned exactly to the installed version the patch was written for", () => {
  const root = resolve(import.meta.dir, "../..");
  const wanted = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")).dependencies["drizzle-orm"] as string;
  const installed = JSON.parse(readFileSync(resolve(root, "node_modules/drizzle-orm/package.json"), "utf8")).version as string;
  expect(wanted).toMatch(/^\d+\.\d+\.\d+$/);
  expect(installed).toBe(wanted);
});
