import { beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { db, type Tx } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { AppError, fromDatabaseError, pgCode } from "@/lib/errors";
import { barrier } from "../helpers/wait";

// Real deadlocks between two transactions that lock two rows in opposite orders; the detector runs
// after 50 ms instead of 1 s (SET LOCAL, allowed to the test superuser) to keep the test short.

beforeAll(async () => {
  await db.execute(sql`create table lock_pair (id int primary key, hits int not null default 0)`);
  await db.execute(sql`insert into lock_pair (id) values (1), (2)`);
});

/** Locks `first`, waits until the other transaction holds its first row too, then locks `second`. */
async function crossing(tx: Tx, first: number, second: number, meeting: { arrive(): Promise<void> }) {
  await tx.execute(sql`set local deadlock_timeout = '50ms'`);
  await tx.execute(sql`update lock_pair set hits = hits + 1 where id = ${first}`);
  await meeting.arrive();
  await tx.execute(sql`update lock_pair set hits = hits + 1 where id = ${second}`);
}

const hits = async () => (await db.execute(sql`select coalesce(sum(hits), 0)::int as n from lock_pair`)) as unknown as [{ n: number }];

test("without the retry one side of a crossing pair is killed as a deadlock (503 if it escaped)", async () => {
  const meeting = barrier(2);
  const outcomes = await Promise.allSettled([db.transaction((tx) => crossing(tx, 1, 2, meeting)), db.transaction((tx) => crossing(tx, 2, 1, meeting))]);
  const failed = outcomes.filter((o) => o.status === "rejected");
  expect(failed.length).toBe(1);
  const reason = (failed[0] as PromiseRejectedResult).reason;
  expect(pgCode(reason)).toBe("40P01");
  // Should one ever escape unretried, it answers 503 with Retry-After, not a 500 carrying SQL.
  expect(fromDatabaseError(reason)).toMatchObject({ status: 503, headers: { "retry-after": "1" } });
});

test("withDeadlockRetry runs the victim again, so both transactions commit", async () => {
  const [before] = await hits();
  const meeting = barrier(2);
  let attempts = 0;
  const run = (first: number, second: number) =>
    withDeadlockRetry("test pair", () => {
      attempts++;
      return db.transaction((tx) => crossing(tx, first, second, meeting));
    });
  await Promise.all([run(1, 2), run(2, 1)]);
  expect(attempts).toBe(3);
  const [after] = await hits();
  expect(after.n - before.n).toBe(4);
});

test("other errors are not retried; a collision that never clears ends as 503 unavailable with Retry-After, not a 500", async () => {
  let attempts = 0;
  const unique = withDeadlockRetry("test unique", () => {
    attempts++;
    return db.execute(sql`insert into lock_pair (id) values (1)`);
  });
  await expect(unique).rejects.toThrow();
  expect(attempts).toBe(1);

  // A deadlock on every attempt: each try crosses a fresh partner transaction that never retries.
  let tries = 0;
  const err = await withDeadlockRetry("test forever", async () => {
    tries++;
    const meeting = barrier(2);
    const partner = db.transaction((tx) => crossing(tx, 2, 1, meeting)).catch(() => {});
    try {
      await db.transaction(async (tx) => {
        // Let the partner win each time: this side is the one holding out longer before the detector fires.
        await tx.execute(sql`set local deadlock_timeout = '10ms'`);
        await tx.execute(sql`update lock_pair set hits = hits + 1 where id = 1`);
        await meeting.arrive();
        await tx.execute(sql`update lock_pair set hits = hits + 1 where id = 2`);
      });
    } finally {
      await partner;
    }
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).status).toBe(503);
  expect((err as AppError).headers?.["retry-after"]).toBe("1");
  expect(tries).toBe(6);
}, 30_000);
