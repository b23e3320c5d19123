// src/db/compiled.ts: a statement built by drizzle once and run with placeholder values, on the app's own
// connection pool (real Postgres), as the inbound batch and the delivery cursors use it.
import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { compiledSql } from "@/db/compiled";

test("the template is built once; every call runs it with its own values and reads rows back", async () => {
  let builds = 0;
  const run = compiledSql<{ n: number; word: string | null }>(() => {
    builds++;
    return sql`select ${sql.placeholder("n")}::int * 2 as doubled, coalesce(${sql.placeholder("word")}::text, 'none') as word, ${sql.raw("'fixed'")} as fixed`;
  });
  expect(await run<{ doubled: number; word: string; fixed: string }>({ n: 2, word: "a" })).toEqual([{ doubled: 4, word: "a", fixed: "fixed" }]);
  expect(await run({ n: 21, word: null })).toEqual([{ doubled: 42, word: "none", fixed: "fixed" }]);
  // Concurrent calls run the one built statement.
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => run<{ doubled: number }>({ n: i, word: null })));
  expect(many.map((rows) => rows[0]!.doubled)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  expect(builds).toBe(1);
});

test("a value left out is an error from the driver, not a silently frozen one", async () => {
  const run = compiledSql<{ id: string }>(() => sql`select ${sql.placeholder("id")}::uuid as id`);
  await expect(run({} as { id: string })).rejects.toThrow();
});

test("{ genericPlan }: the statement runs where sessions always use its generic plan; every other statement keeps Postgres's choice", async () => {
  const setting = (genericPlan: boolean) =>
    compiledSql<{ n: number }>(() => sql`select current_setting('plan_cache_mode') as mode, ${sql.placeholder("n")}::int as n`, { genericPlan });
  expect(await setting(true)<{ mode: string; n: number }>({ n: 1 })).toEqual([{ mode: "force_generic_plan", n: 1 }]);
  expect(await setting(false)<{ mode: string; n: number }>({ n: 2 })).toEqual([{ mode: "auto", n: 2 }]);
  // Planned once per connection: the generic plan of this session's prepared statement is reused.
  const plans = compiledSql<{ n: number }>(
    () =>
      sql`select generic_plans, custom_plans from pg_prepared_statements where statement like '%livchat-generic-probe%' and ${sql.placeholder("n")}::int > 0`,
    { genericPlan: true },
  );
  for (let i = 0; i < 6; i++) await plans({ n: 1 });
  const [own] = await plans<{ generic_plans: number | string; custom_plans: number | string }>({ n: 1 });
  expect(Number(own!.custom_plans)).toBe(0);
  expect(Number(own!.generic_plans)).toBeGreaterThan(0);
});
