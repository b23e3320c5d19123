/**
 * The one job mechanism: outbound sends, webhook deliveries, automation turns and follow-ups, media
 * downloads and transcriptions all claim, lease, retry and poll through this module, and nothing else
 * in src builds a `SKIP LOCKED` claim (tests/architecture/one-of-each.test.ts).
 *
 * Why in-house rather than pg-boss or graphile-worker: every job's state already lives in its domain
 * row — a message's status and attempts, a delivery's attempt schedule, a thread's turn and follow-up
 * timers. A claim is one `UPDATE … FROM (SELECT … FOR NO KEY UPDATE SKIP LOCKED) … RETURNING` on that
 * row: there is no second job table to keep consistent with it (a job row saying "sent" while the
 * message says "queued"), and no extra tuples or WAL per event (issue 21 counts Postgres writes per
 * event; a job library adds a job row insert, update and delete per message and per delivery). What a
 * library would add beyond that — cron, a dashboard — nothing here needs.
 *
 * The pieces, each used by every kind of job:
 * - {@link JobQueue} + {@link claimDue}: which rows of a table are due, claimed under a lease. A lease is
 *   a timestamptz column: null or past means free, so a crashed process's rows are claimed again when
 *   its lease runs out, with no sweeper. Optional per-key concurrency ({@link PerKey}: at most `cap`
 *   leased rows per key cluster-wide, keys served round-robin, oldest waiting first).
 * - {@link tryLease} / {@link releaseLeases}: lease one row on demand (a thread's turn started by a
 *   request) and give leases back (shutdown, or a job finished without touching its row).
 * - {@link backoffDelayMs}: the one retry schedule helper (schedule array, jitter, Retry-After).
 * - {@link JobKind} + {@link runJobsOnce} / {@link jobLoop}: claim a batch and run it (jobs with the same
 *   key one after another, in claim order; other keys in parallel). `jobLoop` is the one polling loop:
 *   an interval, a LISTEN/NOTIFY wake-up, a budget of jobs in flight, and a graceful stop that lets
 *   in-flight jobs finish, then aborts and releases what is left. Workers register it with
 *   `registerWorker` (src/workers/registry.ts).
 *
 * Completing a job is the domain's own UPDATE (a message marked sent, an attempt recorded): it clears
 * the lease column in the same statement, so finishing costs no write of its own.
 */
import { type SQL, sql } from "drizzle-orm";
import { db, listen, rowsOf } from "@/db/client";
import { log } from "@/lib/logger";
import type { Worker } from "./registry";

// ---------------------------------------------------------------------------------------------
// Queues and claims
// ---------------------------------------------------------------------------------------------

/**
 * Per-key concurrency: at most `cap()` rows of one key (a webhook endpoint) leased at a time across the
 * cluster, keys served oldest-waiting first, and every key's first row ranks before any key's second.
 * The cap is counted in the claiming statement's snapshot: two processes claiming at the same instant
 * can briefly exceed it (bounded by processes × cap), which keeps claims from queueing behind a lock.
 */
export type PerKey = {
  /** The column naming the key (`webhook_id`). */
  column: string;
  /** Rows of this key's candidates, as `select <key> as key, <oldest due time> as oldest …`. */
  keys: (now: SQL) => SQL;
  /** Whether a row (alias `row`) holds one of its key's slots right now. */
  holding: (row: SQL, now: SQL, leaseEnd: SQL) => SQL;
  /** Leased rows allowed per key (read at every claim, so settings may change). */
  cap: () => number;
  /** Keys looked at per claim (default 200). */
  maxKeys?: number;
};

/**
 * A kind of job stored in a domain table: which rows are due and how a claim marks them. Column and
 * table names are SQL identifiers written by us, never input.
 */
export type JobQueue = {
  /** The table (`messages`); its primary key is the uuid column `id` unless `idColumn` names another. */
  table: string;
  /** The uuid primary key column when it is not `id` (`webhook_cursors.webhook_id`); per-key claims need `id`. */
  idColumn?: string;
  /** The lease column (timestamptz): null or past means nobody holds the row. */
  lease: string;
  /** Besides a free lease, what makes a row (alias `row`) due at `now`. */
  due: (row: SQL, now: SQL) => SQL;
  /** Claim order, first expression first (in per-key mode the first expression ranks within a key). */
  order: (row: SQL) => SQL[];
  /** More assignments of the claiming UPDATE (alias `u`), e.g. moving the retry time to the lease end. */
  set?: (now: SQL, leaseEnd: SQL) => SQL;
  /** More tables joined into the claiming UPDATE (`webhooks w`), with their join conditions in `join`. */
  from?: SQL;
  join?: SQL;
  /** What the claim returns (default `u.id`); the claiming UPDATE's alias is `u`. */
  returning?: SQL;
  perKey?: PerKey;
};

export type ClaimOptions = {
  /** At most this many rows. */
  limit: number;
  /** How long the claimer owns a row; after it another process may claim it again. */
  leaseMs: number;
  /** The clock the due times and leases are compared with: a Date, SQL, or the database's `now()`. */
  now?: Date | SQL;
};

const U = sql.raw("u");
const D = sql.raw("d");
const X = sql.raw("x");

/** A Date as a timestamptz parameter (raw SQL parameters go to the driver as-is: ISO text). */
export function timestampSql(at: Date): SQL {
  return sql`${at.toISOString()}::timestamptz`;
}

function clockOf(now: ClaimOptions["now"]): SQL {
  if (now === undefined) return sql`now()`;
  return now instanceof Date ? timestampSql(now) : now;
}

/** `now + ms`, cut to milliseconds so a lease read back into a JS Date compares equal (it is a fencing token). */
export function leaseEndSql(now: SQL, ms: number): SQL {
  return sql`date_trunc('milliseconds', ${now} + make_interval(secs => ${ms / 1000}::float8))`;
}

/** The row's lease is free at `now` (never taken, released, or run out). */
export function leaseFree(queue: Pick<JobQueue, "lease">, row: SQL, now: SQL): SQL {
  const lease = sql.identifier(queue.lease);
  return sql`(${row}.${lease} is null or ${row}.${lease} < ${now})`;
}

/**
 * Claims up to `limit` due rows of `queue` under a lease, in ONE statement: the candidates are locked
 * with `FOR NO KEY UPDATE SKIP LOCKED` (concurrent claimers skip each other's rows instead of waiting or
 * taking the same ones; foreign-key inserts referencing the rows are not blocked) and leased by the same
 * `UPDATE … RETURNING`. Returns the rows as `queue.returning` names them (raw column names).
 */
export async function claimDue<R = { id: string }>(queue: JobQueue, opts: ClaimOptions): Promise<R[]> {
  if (opts.limit <= 0) return [];
  const now = clockOf(opts.now);
  const leaseEnd = leaseEndSql(now, opts.leaseMs);
  const table = sql.identifier(queue.table);
  const lease = sql.identifier(queue.lease);
  const candidate = sql`${queue.due(D, now)} and ${leaseFree(queue, D, now)}`;
  const order = sql.join(queue.order(D), sql`, `);
  const set = queue.set ? sql`, ${queue.set(now, leaseEnd)}` : sql``;
  const from = queue.from ? sql` from ${queue.from}` : sql``;
  const join = queue.join ? sql` and ${queue.join}` : sql``;
  const idColumn = sql.identifier(queue.idColumn ?? "id");
  const returning = queue.returning ?? sql`u.${idColumn}`;
  let statement: SQL;
  if (!queue.perKey) {
    // The picked ids are an array (an init plan), not a joined relation: the rows to update are then
    // found through their key's index. Joined, the planner could hash or merge them against a scan of
    // the whole table and of every joined one (with time-ordered keys it merged the delivery claim with
    // all events: 1.5 s a claim in the bench).
    statement = sql`
      update ${table} u set ${lease} = ${leaseEnd}${set}${from}
      where u.${idColumn} = any(array(
        select d.${idColumn} from ${table} d where ${candidate}
        order by ${order}
        limit ${opts.limit}
        for no key update skip locked
      ))${join}
      returning ${returning}`;
  } else {
    const k = queue.perKey;
    const keyColumn = sql.identifier(k.column);
    const rank = queue.order(D)[0]!;
    statement = sql`
      with keys as (${k.keys(now)}),
      due_keys as (
        select keys.key, keys.oldest,
          ${k.cap()}::int - (select count(*) from ${table} x where x.${keyColumn} = keys.key and ${k.holding(X, now, leaseEnd)})::int as free
        from keys
        where keys.oldest <= ${now}
        order by keys.oldest
        limit ${k.maxKeys ?? 200}
      ),
      -- Lock each key's first due rows (through its (key, order) index), no more than the key may
      -- hold and the claim can take: a budget of 1 used to lock up to the key's cap (32) rows...
      locked as (
        select c.id, c.key, c.rank, due_keys.oldest from due_keys
        cross join lateral (
          select d.id, d.${keyColumn} as key, ${rank} as rank from ${table} d
          where d.${keyColumn} = due_keys.key and ${candidate}
          order by ${order}
          limit least(greatest(due_keys.free, 0), ${opts.limit})
          for no key update skip locked
        ) c
      ),
      -- ...then take them round-robin (every key's first before anyone's second) up to the limit.
      -- Rows locked beyond the limit are not updated; their locks end with the statement.
      picked as (
        select id from (
          select l.id, l.oldest, row_number() over (partition by l.key order by l.rank) as rn from locked l
        ) ranked
        order by rn, oldest
        limit ${opts.limit}
      )
      update ${table} u set ${lease} = ${leaseEnd}${set}${from}
      where u.id = any(array(select id from picked))${join}
      returning ${returning}`;
  }
  return rowsOf<R>(await db.execute(statement));
}

/**
 * Leases one row on demand if nobody holds it (no SKIP LOCKED: the caller wants this row, not any).
 * Returns the lease (the fence for releasing it), or null while someone else holds the row.
 */
export async function tryLease(queue: Pick<JobQueue, "table" | "lease">, id: string, opts: Omit<ClaimOptions, "limit">): Promise<Date | null> {
  const now = clockOf(opts.now);
  const table = sql.identifier(queue.table);
  const lease = sql.identifier(queue.lease);
  const [row] = rowsOf<{ lease: Date | string }>(
    await db.execute(sql`
      update ${table} u set ${lease} = ${leaseEndSql(now, opts.leaseMs)}
      where u.id = ${id}::uuid and ${leaseFree(queue, U, now)}
      returning u.${lease} as lease`),
  );
  return row ? new Date(row.lease) : null;
}

/** A lease to give back: the row's id and, as a fence, the lease value the claim returned (if known). */
export type HeldLease = { id: string; leaseUntil?: Date | null };

/**
 * Gives leases back in one statement so the rows can be claimed again at once (a stopping worker, a job
 * that finished without writing its row). With `leaseUntil`, only a row still carrying that exact lease
 * is touched — a row whose lease ran out and was claimed by another process is left alone. `set` adds
 * assignments (alias `u`), `where` conditions (e.g. only rows still queued).
 */
export async function releaseLeases(
  queue: Pick<JobQueue, "table" | "lease" | "idColumn">,
  leases: HeldLease[],
  opts: { set?: SQL; where?: SQL } = {},
): Promise<number> {
  if (leases.length === 0) return 0;
  const table = sql.identifier(queue.table);
  const lease = sql.identifier(queue.lease);
  const idColumn = sql.identifier(queue.idColumn ?? "id");
  const held = JSON.stringify(leases.map((l) => ({ id: l.id, lease: l.leaseUntil?.toISOString() ?? null })));
  const rows = rowsOf<{ id: string }>(
    await db.execute(sql`
      update ${table} u set ${lease} = null${opts.set ? sql`, ${opts.set}` : sql``}
      from jsonb_to_recordset(${held}::jsonb) as v(id uuid, lease timestamptz)
      where u.${idColumn} = v.id and (v.lease is null or u.${lease} = v.lease)${opts.where ? sql` and ${opts.where}` : sql``}
      returning u.${idColumn} as id`),
  );
  return rows.length;
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

/**
 * A retry schedule: `scheduleMs[n]` is the wait before attempt n+1 once n attempts were made (index 0,
 * the first attempt, is normally 0), so its length is the attempt limit.
 */
export type Backoff = {
  scheduleMs: readonly number[];
  /**
   * Each wait grows by a random part of up to `jitter` × the wait (at most `maxJitterMs`), so jobs that
   * failed together (a subscriber or a number going down) do not all fall due at the same instant.
   * Upward only: the schedule stays the minimum the documentation promises.
   */
  jitter?: number;
  maxJitterMs?: number;
  /** A Retry-After longer than the schedule's wait is honoured up to this (default: no cap). */
  retryAfterCapMs?: number;
};

/**
 * The wait before the next attempt after `attemptsMade` attempts, or null when the schedule is used
 * up (the job has failed for good). `retryAfterMs` is what the other side asked for, if it did.
 */
export function backoffDelayMs(policy: Backoff, attemptsMade: number, opts: { retryAfterMs?: number | null; random?: () => number } = {}): number | null {
  if (attemptsMade >= policy.scheduleMs.length) return null;
  const base = policy.scheduleMs[Math.max(attemptsMade, 0)]!;
  const spread = Math.min(base * (policy.jitter ?? 0), policy.maxJitterMs ?? Number.POSITIVE_INFINITY);
  const jittered = base + Math.floor((opts.random ?? Math.random)() * spread);
  const asked = opts.retryAfterMs == null ? 0 : Math.min(Math.max(opts.retryAfterMs, 0), policy.retryAfterCapMs ?? Number.POSITIVE_INFINITY);
  return Math.max(jittered, asked);
}

// ---------------------------------------------------------------------------------------------
// Running jobs: once (tests, a drain), or the polling loop every process runs
// ---------------------------------------------------------------------------------------------

/** How to claim, run and give back one kind of job. */
export type JobKind<J, R = unknown> = {
  name: string;
  /** Claims up to `limit` due jobs (normally with claimDue). */
  claim(limit: number): Promise<J[]>;
  /**
   * Does one job and writes its outcome (which clears the lease). `signal` aborts when a stopping
   * worker runs out of drain time; the job may then return without writing, and is released.
   */
  run(job: J, signal: AbortSignal): Promise<R>;
  /**
   * Gives back jobs claimed but not done (stopping). Must be conditional (fenced by the lease, or
   * by the row's status): a job that finished meanwhile is released too, and must be left as it is.
   */
  release(jobs: J[]): Promise<void>;
  idOf(job: J): string;
  /** Jobs with the same key run one after another in claim order (a conversation's messages). */
  keyOf?(job: J): string;
};

/** Runs `kind.run` for every job: each key's jobs in order, keys in parallel. Unexpected errors are logged (result undefined). */
function runAll<J, R>(kind: JobKind<J, R>, jobs: J[], signal: AbortSignal) {
  const tails = new Map<string, Promise<unknown>>();
  return jobs.map((job) => {
    const key = kind.keyOf?.(job);
    const previous = key === undefined ? undefined : tails.get(key);
    const done = (previous ?? Promise.resolve()).then(async (): Promise<R | undefined> => {
      try {
        return await kind.run(job, signal);
      } catch (err) {
        log.error("job failed unexpectedly", { job: kind.name, id: kind.idOf(job), err });
        return undefined;
      }
    });
    if (key !== undefined) tails.set(key, done);
    return done;
  });
}

/**
 * One pass: claims up to `limit` jobs, runs them all and waits for them. Returns the jobs and each
 * one's result in claim order (undefined where it threw). Tests drive workers with this.
 */
export async function runJobsOnce<J, R>(kind: JobKind<J, R>, limit: number): Promise<{ jobs: J[]; results: (R | undefined)[] }> {
  const jobs = await kind.claim(limit);
  return { jobs, results: await Promise.all(runAll(kind, jobs, new AbortController().signal)) };
}

export type LoopSettings = {
  /** How often an idle loop looks for due jobs (retries falling due, leases of crashed processes running out). */
  pollMs: number;
  /** Jobs in flight in this process at most; each claim asks for the free part. */
  maxInFlight: number;
  /** On stop, how long in-flight jobs may finish before they are aborted and released. */
  drainTimeoutMs: number;
  /** After the abort, how long to wait for jobs to notice it before releasing them anyway (default 1 s). */
  abortGraceMs?: number;
  /** A NOTIFY channel that means "new work": the loop claims at once instead of at the next poll. */
  channel?: string;
  /** Also handed every notification of `channel` (its payload) before the loop wakes: jobs in flight may be waiting for it. */
  onNotify?: (payload: string) => void;
  /**
   * Whether a notification (its payload) calls for a claim (default: always): false when the jobs it
   * concerns are all in flight here already, and `onNotify` told them. The poll and every finished
   * job claim anyway, so a job that ended just as the notification arrived is claimed again.
   */
  claimOnNotify?: (payload: string) => boolean | Promise<boolean>;
};

/** The one polling loop, as a {@link Worker}: `registerWorker(jobLoop(kind, () => settings))`. */
export class JobLoop<J, R = unknown> implements Worker {
  readonly name: string;
  private readonly jobs = new Map<string, { job: J; done: Promise<unknown> }>();
  private readonly skipped: J[] = [];
  private tails = new Map<string, Promise<unknown>>();
  private controller = new AbortController();
  private running = false;
  private stopping = false;
  private tickPromise: Promise<void> | null = null;
  private wakeAgain = false;
  private poll: ReturnType<typeof setInterval> | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly kind: JobKind<J, R>,
    private readonly settings: () => LoopSettings,
  ) {
    this.name = kind.name;
  }

  /** Jobs claimed by this process and not finished yet. */
  get inFlight(): number {
    return this.jobs.size;
  }

  /** Whether the job `id` (as `idOf` names it) is claimed by this process and not finished yet. */
  isRunning(id: string): boolean {
    return this.jobs.has(id);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.controller = new AbortController();
    const { channel, pollMs, onNotify, claimOnNotify } = this.settings();
    if (channel)
      this.unlisten = await listen(channel, (payload) => {
        onNotify?.(payload);
        if (!claimOnNotify) return this.wake();
        Promise.resolve(claimOnNotify(payload)).then(
          (claim) => claim && this.wake(),
          (err) => {
            log.warn("job wake-up check failed", { job: this.kind.name, err });
            this.wake();
          },
        );
      });
    this.poll = setInterval(() => this.wake(), pollMs);
    this.wake();
  }

  /** Coalesces wake-ups: at most one claim runs at a time, and a wake during it triggers one more. */
  wake(): void {
    if (this.stopping || !this.running) return;
    if (this.tickPromise) {
      this.wakeAgain = true;
      return;
    }
    this.tickPromise = this.tick().finally(() => {
      this.tickPromise = null;
      if (this.wakeAgain && !this.stopping) {
        this.wakeAgain = false;
        this.wake();
      }
    });
  }

  private async tick(): Promise<void> {
    try {
      const budget = this.settings().maxInFlight - this.jobs.size;
      if (budget <= 0) return;
      const claimed = await this.kind.claim(budget);
      for (const job of claimed) this.launch(job);
      // A full batch suggests more is due: claim again right away instead of waiting for the poll.
      if (claimed.length === budget) this.wakeAgain = true;
    } catch (err) {
      log.error("job claim failed", { job: this.kind.name, err });
    }
  }

  private launch(job: J): void {
    const id = this.kind.idOf(job);
    const key = this.kind.keyOf?.(job);
    const previous = key === undefined ? undefined : this.tails.get(key);
    const done = (previous ?? Promise.resolve())
      .then(async () => {
        // Stopping: a job that has not started is given back untouched, for another process.
        if (this.stopping) {
          this.skipped.push(job);
          return;
        }
        try {
          await this.kind.run(job, this.controller.signal);
        } catch (err) {
          log.error("job failed unexpectedly", { job: this.kind.name, id, err });
        }
      })
      .finally(() => {
        this.jobs.delete(id);
        if (key !== undefined && this.tails.get(key) === done) this.tails.delete(key);
        this.wake();
      });
    if (key !== undefined) this.tails.set(key, done);
    this.jobs.set(id, { job, done });
  }

  /**
   * Graceful stop: no new claims; jobs in flight get `drainTimeoutMs` to finish and write their
   * outcome; then the rest are aborted and, with the jobs that never started, released, so another
   * process takes them at once instead of after their lease runs out.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    clearInterval(this.poll);
    this.poll = undefined;
    await this.unlisten?.().catch(() => {});
    this.unlisten = undefined;
    await this.tickPromise;
    const { drainTimeoutMs, abortGraceMs = 1000 } = this.settings();
    if (this.jobs.size > 0)
      await settleWithin(
        [...this.jobs.values()].map((j) => j.done),
        drainTimeoutMs,
      );
    const unfinished = [...this.jobs.values()];
    if (unfinished.length > 0) {
      log.warn("releasing unfinished jobs", { job: this.kind.name, count: unfinished.length });
      this.controller.abort();
      await settleWithin(
        unfinished.map((j) => j.done),
        abortGraceMs,
      );
    }
    const release = [...unfinished.map((j) => j.job), ...this.skipped.splice(0)];
    if (release.length > 0) await this.kind.release(release).catch((err) => log.error("releasing jobs failed", { job: this.kind.name, err }));
    this.running = false;
  }
}

async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The polling loop for `kind`; `settings` is read at start, at every claim and at stop. */
export function jobLoop<J, R>(kind: JobKind<J, R>, settings: () => LoopSettings): JobLoop<J, R> {
  return new JobLoop(kind, settings);
}
