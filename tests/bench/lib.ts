import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import type { Subprocess } from "bun";
import type { Sql, TransactionSql } from "postgres";

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const wallMs = () => performance.timeOrigin + performance.now();

/** The p-th percentile (0..1) of `values` (nearest-rank); NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

export const round = (n: number, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** Resident set size of a process in MB, from /proc (Linux); null when the process is gone. */
export function rssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** Polls `url` until it answers 2xx or `timeoutMs` passes. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Subprocess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process for ${url} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await Bun.sleep(50);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Reads the first JSON line a child prints on stdout (how helper processes announce their ports). */
export async function firstJsonLine<T>(child: Subprocess<"ignore", "pipe", "inherit" | "pipe">, timeoutMs: number): Promise<T> {
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
      if (!chunk || chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      const newline = buffer.indexOf("\n");
      if (newline >= 0) return JSON.parse(buffer.slice(0, newline)) as T;
    }
  } finally {
    reader.releaseLock();
  }
  throw new Error(`child ${child.pid} printed no JSON line within ${timeoutMs} ms`);
}

export type LoopResult = { sent: number; ok: number; failed: number; statuses: Record<number, number>; elapsedMs: number; latencies: number[] };

/**
 * Closed-loop load: `concurrency` workers each send the next request as soon as the previous one is
 * answered, for `durationMs`. `request(i)` builds request number i; `accept` decides success.
 */
export async function closedLoop(opts: {
  concurrency: number;
  durationMs: number;
  request: (i: number) => { url: string; init?: RequestInit };
  accept?: (res: Response) => boolean | Promise<boolean>;
}): Promise<LoopResult> {
  const result: LoopResult = { sent: 0, ok: 0, failed: 0, statuses: {}, elapsedMs: 0, latencies: [] };
  const started = performance.now();
  const end = started + opts.durationMs;
  let next = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const i = next++;
      const { url, init } = opts.request(i);
      const t0 = performance.now();
      result.sent++;
      try {
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
        result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
        const good = opts.accept ? await opts.accept(res) : (await res.arrayBuffer(), res.ok);
        if (good) result.ok++;
        else result.failed++;
      } catch {
        result.failed++;
      }
      result.latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  result.elapsedMs = performance.now() - started;
  return result;
}

/**
 * Open-loop load at a fixed rate: request i is sent at start + i/rate whether or not earlier ones
 * were answered (a closed loop would hide queueing delay). `onSent(i, wallMs)` records send times.
 */
export async function openLoop(opts: {
  rate: number;
  count: number;
  request: (i: number) => { url: string; init?: RequestInit };
  onSent?: (i: number, at: number) => void;
  /** Called once per request with whether it was answered 2xx. */
  onResult?: (i: number, ok: boolean) => void;
}): Promise<LoopResult> {
  const result: LoopResult = { sent: 0, ok: 0, failed: 0, statuses: {}, elapsedMs: 0, latencies: [] };
  const pending: Promise<void>[] = [];
  const started = performance.now();
  let i = 0;
  while (i < opts.count) {
    const due = Math.min(opts.count, Math.floor(((performance.now() - started) * opts.rate) / 1000) + 1);
    for (; i < due; i++) {
      const n = i;
      const { url, init } = opts.request(n);
      opts.onSent?.(n, wallMs());
      const t0 = performance.now();
      result.sent++;
      pending.push(
        fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
          .then(async (res) => {
            await res.arrayBuffer();
            result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
            if (res.ok) result.ok++;
            else result.failed++;
            result.latencies.push(performance.now() - t0);
            opts.onResult?.(n, res.ok);
          })
          .catch(() => {
            result.failed++;
            opts.onResult?.(n, false);
          }),
      );
    }
    await Bun.sleep(1);
  }
  await Promise.all(pending);
  result.elapsedMs = performance.now() - started;
  return result;
}

/** Runs `fn` and rejects with a clear message when it takes longer than `ms`. */
export async function withTimeout<T>(label: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label} took longer than ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export type CpuUsage = { seconds: number; groups: Map<string, { user: number; system: number }> };

/**
 * CPU seconds (user + system) every process on the machine used since `start`, grouped by a label
 * the caller derives from the pid and command name: who the 2 cores went to during a scenario.
 */
export function cpuUsage(label: (pid: number, comm: string) => string): () => CpuUsage {
  const ticks = 100; // USER_HZ on Linux
  const read = () => {
    const out = new Map<number, { comm: string; user: number; system: number }>();
    for (const entry of readdirSync("/proc")) {
      const pid = Number(entry);
      if (!pid) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const comm = stat.slice(stat.indexOf("(") + 1, close);
        const fields = stat.slice(close + 2).split(" ");
        out.set(pid, { comm, user: Number(fields[11]) / ticks, system: Number(fields[12]) / ticks });
      } catch {
        // the process exited between readdir and read
      }
    }
    return out;
  };
  const before = read();
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const groups = new Map<string, { user: number; system: number }>();
    for (const [pid, now] of read()) {
      const was = before.get(pid);
      const user = now.user - (was?.user ?? 0);
      const system = now.system - (was?.system ?? 0);
      if (user + system <= 0) continue;
      const key = label(pid, now.comm);
      const group = groups.get(key) ?? { user: 0, system: 0 };
      group.user += user;
      group.system += system;
      groups.set(key, group);
    }
    return { seconds, groups };
  };
}

/** The busiest groups first, as "0.92 cores (16 % system)  postgres" lines under a total. */
export function formatCpuUsage({ seconds, groups }: CpuUsage): string {
  const busy = (g: { user: number; system: number }) => g.user + g.system;
  const total = [...groups.values()].reduce((a, g) => a + busy(g), 0);
  const lines = [...groups.entries()]
    .sort((a, b) => busy(b[1]) - busy(a[1]))
    .slice(0, 8)
    .map(([k, g]) => `    ${(busy(g) / seconds).toFixed(2)} cores (${Math.round((100 * g.system) / busy(g))} % system)  ${k}`);
  return `  cpu over ${seconds.toFixed(1)} s (${(total / seconds).toFixed(2)} cores busy of ${cpus().length}):\n${lines.join("\n")}`;
}

export function cpuByProcess(label: (pid: number, comm: string) => string): () => string {
  const stop = cpuUsage(label);
  return () => formatCpuUsage(stop());
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null once it is gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return null;
  }
}

/**
 * CPU seconds by role over a window, read from /proc: each named role sums its pids, and "postgres"
 * is every server process working for the database `sqlc` is connected to (its backends and
 * autovacuum workers) plus the server's shared processes (walwriter, checkpointer, background
 * writer…, which pg_stat_activity lists without a database) — not other databases' backends on the
 * same server. pg_stat_activity is polled every `pollMs`, so a backend opened and closed inside the
 * window counts up to its last reading; one born inside the window counts from zero. Call the
 * returned function to end the window.
 */
export async function cpuByRole(roles: Record<string, number[]>, sqlc: Sql, pollMs = 100): Promise<() => Promise<Record<string, number>>> {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let opening = true;
  const poll = async () => {
    const rows = await sqlc`select pid from pg_stat_activity where (datname = current_database() or datname is null) and pid <> pg_backend_pid()`;
    for (const row of rows) {
      const pid = Number(row.pid);
      const seconds = processCpuSeconds(pid);
      if (seconds === null) continue;
      if (!first.has(pid)) first.set(pid, opening ? seconds : 0);
      last.set(pid, seconds);
    }
    opening = false;
  };
  const own = Object.entries(roles).map(([role, pids]) => ({ role, pids, before: pids.map((pid) => processCpuSeconds(pid) ?? 0) }));
  await poll();
  let running = true;
  const loop = (async () => {
    while (running) {
      await Bun.sleep(pollMs);
      if (running) await poll().catch(() => {});
    }
  })();
  return async () => {
    running = false;
    await loop;
    await poll().catch(() => {});
    const out: Record<string, number> = {};
    for (const { role, pids, before } of own) {
      out[role] = pids.reduce((sum, pid, i) => sum + Math.max(0, (processCpuSeconds(pid) ?? before[i]!) - before[i]!), 0);
    }
    out.postgres = [...last].reduce((sum, [pid, seconds]) => sum + Math.max(0, seconds - first.get(pid)!), 0);
    return out;
  };
}

/** The median of `values` (the lower middle for an even count); NaN when empty. */
export function median(values: number[]): number {
  return percentile(values, 0.5);
}

/**
 * What Postgres's guide to populating a database asks after a bulk load: VACUUM ANALYZE (statistics,
 * hint bits and the visibility map), then a checkpoint so the load's dirty pages are written. A month
 * of history that grew by itself would have been vacuumed as it grew; without this the scenarios after
 * a seed pay for the load — the first touch of every seeded page, and no autovacuum to do it where the
 * server runs with autovacuum off (as this machine's does: `show autovacuum`).
 */
export async function settleBulkLoad(sqlc: Sql, tables: string[] = []): Promise<void> {
  await sqlc.unsafe(`vacuum (analyze) ${tables.join(", ")}`);
  await sqlc`checkpoint`;
}

/**
 * Endpoints' cursors moved past every event of the calling transaction (its own transaction id, the
 * highest event id), with their leases freed so a worker still holding one cannot write an older position
 * back. Seeded history (seedVolume, history.ts) is delivered history, not a backlog.
 */
export async function moveCursorsPastThisTransaction(tx: TransactionSql, organizationId: string): Promise<void> {
  await tx`update webhook_cursors set tx_id = pg_current_xact_id(), event_id = 'ffffffff-ffff-ffff-ffff-ffffffffffff', lease_until = null
    where webhook_id in (select id from webhooks where organization_id = ${organizationId})`;
}
