import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { db, rowsOf } from "@/db/client";
import {
  backoffDelayMs,
  claimDue,
  type JobKind,
  type JobQueue,
  jobLoop,
  type LoopSettings,
  releaseLeases,
  runJobsOnce,
  timestampSql,
  tryLease,
} from "@/workers/jobs";
import { gate, waitFor } from "../helpers/wait";

/**
 * The job mechanism on its own, on real Postgres. A table of its own (in this file's database) keeps
 * these proofs about the mechanism; the domain queues built on it are proven by tests/messages,
 * tests/webhooks and tests/automation.
 */
beforeAll(async () => {
  await db.execute(sql`
    create table job_test (
      id uuid primary key default gen_random_uuid(),
      key text not null default 'k',
      due_at timestamptz not null default now(),
      lease_until timestamptz,
      done boolean not null default false,
      seq serial
    )`);
});

afterEach(async () => {
  await db.execute(sql`delete from job_test`);
});

const queue: JobQueue = {
  table: "job_test",
  lease: "lease_until",
  due: (row, now) => sql`not ${row}.done and ${row}.due_at <= ${now}`,
  order: (row) => [sql`${row}.due_at`, sql`${row}.seq`],
  returning: sql`u.id, u.key, u.seq, u.lease_until`,
};

type Row = { id: string; key: string; seq: number; lease_until: Date | string };

async function insert(n: number, values: (i: number) => { key?: string } = () => ({})): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const [row] = rowsOf<{ id: string }>(await db.execute(sql`insert into job_test (key) values (${values(i).key ?? "k"}) returning id`));
    ids.push(row!.id);
  }
  return ids;
}

async function leasedCount(): Promise<number> {
  const [row] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from job_test where lease_until is not null`));
  return row!.n;
}

async function doneIds(): Promise<string[]> {
  return rowsOf<{ id: string }>(await db.execute(sql`select id from job_test where done order by seq`)).map((r) => r.id);
}

/** A kind over job_test: `run` marks the row done and clears its lease in one write, as the domain queues do. */
function kind(run: (row: Row, signal: AbortSignal) => Promise<void> = async () => {}, keyed = false): JobKind<Row, string> {
  return {
    name: "job-test",
    claim: (limit) => claimDue<Row>(queue, { limit, leaseMs: 60_000 }),
    async run(row, signal) {
      await run(row, signal);
      if (signal.aborted) return "aborted";
      await db.execute(sql`update job_test set done = true, lease_until = null where id = ${row.id}`);
      return "done";
    },
    release: async (rows) => {
      await releaseLeases(
        queue,
        rows.map((r) => ({ id: r.id, leaseUntil: new Date(r.lease_until) })),
      );
    },
    idOf: (row) => row.id,
    keyOf: keyed ? (row) => row.key : undefined,
  };
}

describe("claims", () => {
  test("concurrent claimers never get the same row, and between them get every due row", async () => {
    const ids = await insert(60);
    const batches = await Promise.all([1, 2, 3, 4, 5].map(() => claimDue<Row>(queue, { limit: 15, leaseMs: 60_000 })));
    const claimed = batches.flat().map((r) => r.id);
    expect(claimed.length).toBe(60);
    expect(new Set(claimed).size).toBe(60);
    expect(new Set(claimed)).toEqual(new Set(ids));
    // All leased: nothing is due for anyone else.
    expect(await claimDue(queue, { limit: 100, leaseMs: 60_000 })).toEqual([]);
    expect(await leasedCount()).toBe(60);
  });

  test("rows not yet due are left alone; due rows come oldest first", async () => {
    await db.execute(
      sql`insert into job_test (key, due_at) values ('later', now() + interval '1 hour'), ('b', now() - interval '1 minute'), ('a', now() - interval '2 minutes')`,
    );
    // The order is the claim's pick; RETURNING's own order is unspecified (callers sort what they need).
    expect((await claimDue<Row>(queue, { limit: 1, leaseMs: 60_000 })).map((r) => r.key)).toEqual(["a"]);
    expect((await claimDue<Row>(queue, { limit: 10, leaseMs: 60_000 })).map((r) => r.key)).toEqual(["b"]);
    await db.execute(sql`update job_test set done = true, lease_until = null where key in ('a', 'b')`);
    // A clock an hour ahead (tests' and workers' `now` option) finds the later one due.
    const later = await claimDue<Row>(queue, { limit: 10, leaseMs: 60_000, now: new Date(Date.now() + 3_601_000) });
    expect(later.map((r) => r.key)).toEqual(["later"]);
  });

  test("a crashed claimer's lease runs out and another process claims the row again", async () => {
    const [id] = await insert(1);
    // The first claimer takes it for 300 ms and then "dies": it never writes or releases the row.
    const [first] = await claimDue<Row>(queue, { limit: 1, leaseMs: 300 });
    expect(first!.id).toBe(id!);
    expect(await claimDue(queue, { limit: 1, leaseMs: 60_000 })).toEqual([]);
    const again = await waitFor(async () => (await claimDue<Row>(queue, { limit: 1, leaseMs: 60_000 }))[0], {
      timeoutMs: 5_000,
      what: "the expired lease to be claimable",
    });
    expect(again.id).toBe(id!);
    expect(new Date(again.lease_until).getTime()).toBeGreaterThan(new Date(first!.lease_until).getTime());
  });

  test("a release is fenced by the lease: it cannot free a row another claimer took after expiry", async () => {
    const [id] = await insert(1);
    await db.execute(sql`update job_test set due_at = now() - interval '1 hour'`);
    // Claimed two minutes ago for one: the lease has run out.
    const [stale] = await claimDue<Row>(queue, { limit: 1, leaseMs: 60_000, now: new Date(Date.now() - 120_000) });
    const [fresh] = await claimDue<Row>(queue, { limit: 1, leaseMs: 60_000 });
    expect(fresh!.id).toBe(id!);
    expect(await releaseLeases(queue, [{ id: id!, leaseUntil: new Date(stale!.lease_until) }])).toBe(0);
    expect(await leasedCount()).toBe(1);
    expect(await releaseLeases(queue, [{ id: id!, leaseUntil: new Date(fresh!.lease_until) }])).toBe(1);
    expect(await leasedCount()).toBe(0);
  });

  test("tryLease takes one named row only while nobody holds it", async () => {
    const [id] = await insert(1);
    const lease = await tryLease(queue, id!, { leaseMs: 60_000 });
    expect(lease).toBeInstanceOf(Date);
    expect(await tryLease(queue, id!, { leaseMs: 60_000 })).toBeNull();
    // Nor can a claim take it meanwhile.
    expect(await claimDue(queue, { limit: 1, leaseMs: 60_000 })).toEqual([]);
    // The lease it returned is the fence of its release.
    expect(await releaseLeases(queue, [{ id: id!, leaseUntil: new Date(lease!.getTime() - 1) }])).toBe(0);
    expect(await releaseLeases(queue, [{ id: id!, leaseUntil: lease }])).toBe(1);
    expect(await tryLease(queue, id!, { leaseMs: 60_000 })).toBeInstanceOf(Date);
  });

  test("per-key concurrency: at most `cap` leased rows per key, keys served round-robin", async () => {
    await insert(6, () => ({ key: "busy" }));
    await insert(2, () => ({ key: "quiet" }));
    let cap = 2;
    const perKey: JobQueue = {
      ...queue,
      perKey: {
        column: "key",
        keys: (now) => sql`select key, min(due_at) as oldest from job_test where not done and due_at <= ${now} group by key`,
        holding: (row, now) => sql`${row}.lease_until > ${now}`,
        cap: () => cap,
      },
    };
    const first = await claimDue<Row>(perKey, { limit: 3, leaseMs: 60_000 });
    // Round-robin: both keys' first rows rank before busy's second.
    expect(first.map((r) => r.key).sort()).toEqual(["busy", "busy", "quiet"].sort());
    const second = await claimDue<Row>(perKey, { limit: 10, leaseMs: 60_000 });
    // busy already holds its 2 slots; quiet gets its last row.
    expect(second.map((r) => r.key)).toEqual(["quiet"]);
    cap = 3;
    expect((await claimDue<Row>(perKey, { limit: 10, leaseMs: 60_000 })).map((r) => r.key)).toEqual(["busy"]);
  });
});

describe("backoff", () => {
  const policy = { scheduleMs: [0, 2_000, 10_000, 60_000], jitter: 0.1, maxJitterMs: 3_000, retryAfterCapMs: 120_000 };

  test("follows the schedule and says when it is used up", () => {
    const none = () => 0;
    expect([0, 1, 2, 3].map((n) => backoffDelayMs(policy, n, { random: none }))).toEqual([0, 2_000, 10_000, 60_000]);
    expect(backoffDelayMs(policy, 4)).toBeNull();
    expect(backoffDelayMs(policy, 40)).toBeNull();
  });

  test("jitter only adds, up to its share of the wait and its cap", () => {
    const most = () => 0.999999;
    expect(backoffDelayMs(policy, 1, { random: most })).toBe(2_199);
    expect(backoffDelayMs(policy, 3, { random: most })).toBe(62_999);
    for (let i = 0; i < 100; i++) {
      const wait = backoffDelayMs(policy, 2)!;
      expect(wait).toBeGreaterThanOrEqual(10_000);
      expect(wait).toBeLessThan(11_000);
    }
  });

  test("Retry-After wins when it asks for longer, up to its cap", () => {
    const none = () => 0;
    expect(backoffDelayMs(policy, 1, { retryAfterMs: 30_000, random: none })).toBe(30_000);
    expect(backoffDelayMs(policy, 1, { retryAfterMs: 500, random: none })).toBe(2_000);
    expect(backoffDelayMs(policy, 1, { retryAfterMs: 10_000_000, random: none })).toBe(120_000);
    expect(backoffDelayMs(policy, 1, { retryAfterMs: null, random: none })).toBe(2_000);
    // A used-up schedule stays used up whatever the other side asks.
    expect(backoffDelayMs(policy, 4, { retryAfterMs: 1_000 })).toBeNull();
  });
});

describe("running jobs", () => {
  test("runJobsOnce runs each key's jobs in claim order and other keys in parallel", async () => {
    await insert(3, () => ({ key: "a" }));
    await insert(3, () => ({ key: "b" }));
    const log: string[] = [];
    const hold = gate();
    const k = kind(async (row) => {
      log.push(`start ${row.key}${row.seq}`);
      if (row.key === "a") await hold.wait;
      log.push(`end ${row.key}${row.seq}`);
    }, true);
    const pass = runJobsOnce(k, 10);
    // While a's first job is held, b's jobs all finish: keys do not wait for each other.
    await waitFor(() => log.filter((l) => l.startsWith("end b")).length === 3, { what: "b's jobs" });
    expect(log.filter((l) => l.startsWith("start a"))).toHaveLength(1);
    hold.open();
    const { jobs, results } = await pass;
    expect(jobs).toHaveLength(6);
    expect(results).toEqual(Array(6).fill("done"));
    const aOrder = log.filter((l) => l.includes(" a"));
    const seqs = jobs.filter((j) => j.key === "a").map((j) => j.seq);
    expect(aOrder).toEqual(seqs.flatMap((s) => [`start a${s}`, `end a${s}`]));
    expect(await leasedCount()).toBe(0);
  });

  test("the loop wakes on NOTIFY without waiting for its poll, and keeps claiming while work is due", async () => {
    const settings: LoopSettings = { pollMs: 60_000, maxInFlight: 4, drainTimeoutMs: 1_000, channel: "livchat_job_test" };
    const loop = jobLoop(kind(), () => settings);
    await loop.start();
    try {
      const ids = await insert(10);
      await db.execute(sql`select pg_notify('livchat_job_test', '')`);
      // 10 rows with 4 in flight at most: the loop claimed again after full batches and finished jobs.
      await waitFor(async () => (await doneIds()).length === 10, { what: "all jobs done" });
      expect(new Set(await doneIds())).toEqual(new Set(ids));
    } finally {
      await loop.stop();
    }
    expect(await leasedCount()).toBe(0);
  });

  test("stop() lets in-flight jobs finish within the drain time", async () => {
    const answer = gate();
    const started: string[] = [];
    const loop = jobLoop(
      kind(async (row) => {
        started.push(row.id);
        await answer.wait;
      }),
      () => ({ pollMs: 20, maxInFlight: 10, drainTimeoutMs: 5_000 }),
    );
    const ids = await insert(2);
    await loop.start();
    await waitFor(() => started.length === 2, { what: "both jobs in flight" });
    const stopping = loop.stop();
    answer.open();
    await stopping;
    expect(new Set(await doneIds())).toEqual(new Set(ids));
    expect(await leasedCount()).toBe(0);
  });

  test("stop() past the drain time aborts and releases in-flight jobs and those queued behind them", async () => {
    const aborted: string[] = [];
    const started: string[] = [];
    const loop = jobLoop(
      kind(async (row, signal) => {
        started.push(row.key);
        // A stuck job: it only ends when the loop aborts it.
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
        aborted.push(row.key);
      }, true),
      () => ({ pollMs: 20, maxInFlight: 10, drainTimeoutMs: 100, abortGraceMs: 2_000 }),
    );
    // Two rows of one key: the second waits behind the first and never starts.
    await insert(2, () => ({ key: "same" }));
    await insert(1, () => ({ key: "other" }));
    await loop.start();
    await waitFor(() => started.length === 2, { what: "one job per key in flight" });
    expect(await leasedCount()).toBe(3);
    await loop.stop();
    expect(aborted.sort()).toEqual(["other", "same"]);
    expect(started).toHaveLength(2);
    // Every lease given back at once (not after 60 s), nothing marked done: another process takes them now.
    expect(await leasedCount()).toBe(0);
    expect(await doneIds()).toEqual([]);
    expect(await claimDue(queue, { limit: 10, leaseMs: 60_000 })).toHaveLength(3);
  });

  test("stop() releases a job that ignores the abort after the grace period", async () => {
    const never = gate();
    const loop = jobLoop(
      kind(() => never.wait),
      () => ({ pollMs: 20, maxInFlight: 10, drainTimeoutMs: 50, abortGraceMs: 50 }),
    );
    await insert(1);
    await loop.start();
    await waitFor(() => loop.inFlight === 1, { what: "the job in flight" });
    await loop.stop();
    expect(await leasedCount()).toBe(0);
    never.open();
  });

  test("a claim at a given time compares leases with that time too", async () => {
    const [id] = await insert(1);
    const at = new Date(Date.now() + 10 * 60_000);
    const [row] = await claimDue<Row>(queue, { limit: 1, leaseMs: 1_000, now: at });
    expect(row!.id).toBe(id!);
    expect(new Date(row!.lease_until).getTime()).toBe(at.getTime() + 1_000);
    // Held at that time, free a second later.
    expect(await claimDue(queue, { limit: 1, leaseMs: 1_000, now: at })).toEqual([]);
    expect(await claimDue(queue, { limit: 1, leaseMs: 1_000, now: new Date(at.getTime() + 1_001) })).toHaveLength(1);
    const [check] = rowsOf<{ ok: boolean }>(await db.execute(sql`select ${timestampSql(at)} = ${at.toISOString()}::timestamptz as ok`));
    expect(check!.ok).toBe(true);
  });
});
