/**
 * `bun run bench [--quick] [--strict]` — SPEC §10 measured on this machine, every figure next to a
 * baseline taken in the same run. Starts its own processes (app ×2, hello server, subscribers)
 * against a fresh Postgres database `lc_bench_<random>` on 127.0.0.1:5432 (dropped at the end),
 * prints one table and writes it to data/bench/latest.json.
 *
 *   --quick   smoke mode (< 60 s; small seeds, short runs) used by tests/bench/bench-smoke.test.ts
 *   --strict  exit 1 when a target is missed (default: exit 0 once the table is written)
 *   --out=…   where to write the JSON (default data/bench/latest.json)
 *   --only=a,b  run only the scenarios whose label starts with one of these words (for profiling)
 *   --profile   print what Postgres sessions of the bench database wait on during each scenario
 *   --cpu-prof  write a CPU profile (markdown) of the main app process to data/bench/profiles/
 *   --keep-db   leave the bench database in place at the end, to EXPLAIN its queries (the next run drops it)
 *   BENCH_APP_WORKERS=false  start app A without its workers: ingestion measured alone (deliveries stay queued)
 *   WEBHOOK_*=…  delivery settings (README) passed to the apps under test, to measure their effect
 */
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import postgres from "postgres";
import type { Subprocess } from "bun";
import { BENCH_ROWS, type BenchReport, type BenchRow, type BenchRowId } from "./rows";
import {
  moveCursorsPastThisTransaction,
  settleBulkLoad,
  closedLoop,
  cpuByProcess,
  cpuByRole,
  cpuUsage,
  formatCpuUsage,
  type CpuUsage,
  firstJsonLine,
  freePort,
  median,
  openLoop,
  percentile,
  round,
  rssMb,
  wallMs,
  waitForHttp,
  withTimeout,
} from "./lib";
import { ensureWrk, measureThroughput } from "./wrk";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const strict = argv.includes("--strict");
const ROOT = resolve(import.meta.dir, "../..");
const only = argv
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",")
  .filter(Boolean);
const profile = argv.includes("--profile");
const keepDb = argv.includes("--keep-db");
const OUT = resolve(ROOT, argv.find((a) => a.startsWith("--out="))?.slice(6) ?? "data/bench/latest.json");

const S = quick
  ? {
      wrkSeconds: 1,
      wrkRounds: 2,
      wrkConnections: 50,
      verifyWarm: 20_000,
      verifyCold: 100,
      revocations: 3,
      pgbenchSeconds: 3,
      ingestSeconds: 3,
      ingestConcurrency: 16,
      drainMs: 20_000,
      e2eSeconds: 2,
      e2eWaitMs: 10_000,
      echoSeconds: 1,
      seedMessages: 20_000,
      seedDeliveries: 20_000,
      pageRequests: 30,
      // Every scenario must start inside this; the CPU rows, history and import scenarios need ~90 s in all.
      deadlineMs: 120_000,
    }
  : {
      wrkSeconds: 5,
      wrkRounds: 3,
      wrkConnections: 50,
      verifyWarm: 200_000,
      verifyCold: 500,
      revocations: 10,
      pgbenchSeconds: 10,
      ingestSeconds: 15,
      ingestConcurrency: 16,
      drainMs: 180_000,
      e2eSeconds: 10,
      e2eWaitMs: 120_000,
      echoSeconds: 3,
      seedMessages: 1_000_000,
      seedDeliveries: 1_000_000,
      pageRequests: 200,
      deadlineMs: 40 * 60_000,
    };
const concurrencyArg = Number(argv.find((a) => a.startsWith("--ingest-concurrency="))?.slice(21));
if (concurrencyArg > 0) S.ingestConcurrency = concurrencyArg;
const E2E_RATE = 500;
/** Messages per replayed transaction in the ingestion ceiling: about what group commit gathers at the run's concurrency. */
const REPLAY_BATCH = 8;
const CONTACT_POOL = 1000;
const WUZAPI_USER = "bench-wuzapi";

const started = performance.now();
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const dbName = `lc_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
const dbUrl = new URL(ADMIN_URL);
dbUrl.pathname = `/${dbName}`;
const DATABASE_URL = dbUrl.toString();
const APP_SECRET = randomBytes(24).toString("hex");
const HMAC_KEY = randomBytes(16).toString("hex");

// The runner seeds through the product's own services, so it reads the same configuration.
Object.assign(process.env, {
  DATABASE_URL,
  APP_SECRET,
  WUZAPI_HMAC_KEY: HMAC_KEY,
  WORKERS: "false",
  LOG_LEVEL: "error",
  ALLOW_PRIVATE_WEBHOOK_TARGETS: "true",
  DB_POOL_MAX: "4",
  APP_URL: "http://127.0.0.1:3000",
});

// ——— Rows ———

const rows = new Map<BenchRowId, BenchRow>();
function put(row: Omit<BenchRow, "ratio" | "pass"> & { ratio?: number | null; pass?: boolean; lowerIsBetter?: boolean; limit?: number }) {
  const { lowerIsBetter, limit, ...rest } = row;
  const ratio = row.ratio !== undefined ? row.ratio : row.figure !== null && row.baseline ? row.figure / row.baseline : null;
  let pass = row.pass;
  if (pass === undefined && limit !== undefined && row.figure !== null && Number.isFinite(row.figure)) {
    pass = lowerIsBetter ? row.figure < limit : row.figure >= limit;
  }
  rows.set(row.scenario, {
    ...rest,
    figure: row.figure === null ? null : round(row.figure, 3),
    baseline: row.baseline === null ? null : round(row.baseline, 3),
    ratio: ratio === null ? null : round(ratio, 3),
    pass: pass ?? false,
  });
}
function failRows(ids: BenchRowId[], err: unknown) {
  const message = err instanceof Error ? err.message : String(err);
  for (const id of ids) {
    if (rows.has(id)) continue;
    rows.set(id, {
      scenario: id,
      figure: null,
      baseline: null,
      ratio: null,
      target: "",
      pass: false,
      unit: "",
      baselineLabel: "",
      error: message.slice(0, 300),
    });
  }
}
let waitSampler: ((label: string) => () => Promise<string>) | undefined;
async function scenario(ids: BenchRowId[], label: string, budgetMs: number, fn: () => Promise<void>) {
  if (only && !only.some((o) => label.startsWith(o))) return failRows(ids, new Error("not measured (--only)"));
  if (performance.now() - started > S.deadlineMs) return failRows(ids, new Error("skipped: the bench's time budget is spent"));
  const t0 = performance.now();
  process.stderr.write(`bench: ${label}…`);
  const stopSampling = profile ? waitSampler?.(label) : undefined;
  const stopCpu = profile ? cpuByProcess(processLabel) : undefined;
  try {
    await withTimeout(label, budgetMs, fn);
  } catch (err) {
    failRows(ids, err);
  }
  process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (stopCpu) process.stderr.write(`${stopCpu()}\n`);
  if (stopSampling) process.stderr.write(`${await stopSampling()}\n`);
}

/** Names the processes of a CPU breakdown: the bench's own children by role, Postgres as one group. */
const roles = new Map<number, string>();
function processLabel(pid: number, comm: string): string {
  if (pid === process.pid) return "bench runner (load generator)";
  return roles.get(pid) ?? (comm.startsWith("postgres") ? "postgres" : comm);
}

/** Samples pg_stat_activity of the bench database every 20 ms: what its sessions wait on, and the busiest statements. */
function makeWaitSampler(sqlc: postgres.Sql) {
  return (label: string) => {
    const waits = new Map<string, number>();
    const queries = new Map<string, number>();
    let samples = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        const rows = await sqlc`select coalesce(wait_event_type || ':' || wait_event, 'CPU') as w, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as q
          from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`;
        samples++;
        for (const r of rows) {
          waits.set(r.w, (waits.get(r.w) ?? 0) + 1);
          queries.set(r.q, (queries.get(r.q) ?? 0) + 1);
        }
        await Bun.sleep(20);
      }
    })();
    return async () => {
      running = false;
      await loop;
      const top = (m: Map<string, number>, n: number) =>
        [...m.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, n)
          .map(([k, v]) => `    ${(v / samples).toFixed(2)}  ${k}`)
          .join("\n");
      return `  profile of ${label} (${samples} samples; average active sessions):\n  waits:\n${top(waits, 8)}\n  statements:\n${top(queries, 10)}`;
    };
  };
}

/**
 * Where Postgres spent its time, statement by statement, when the server preloads pg_stat_statements
 * (`shared_preload_libraries`); otherwise says how to get it. Returns the stopper of the window.
 */
async function statementTimes(sqlc: postgres.Sql): Promise<() => Promise<string>> {
  try {
    await sqlc`create extension if not exists pg_stat_statements`;
    await sqlc`select pg_stat_statements_reset()`;
  } catch {
    return async () => "  statements: add pg_stat_statements to shared_preload_libraries to see them";
  }
  return async () => {
    const top =
      await sqlc`select calls, round(total_exec_time + total_plan_time)::int as ms, round(total_plan_time)::int as plan_ms, round(((total_exec_time + total_plan_time) / greatest(calls, 1))::numeric, 3) as per_call,
        round(rows::numeric / greatest(calls, 1), 1) as rows_per_call, round(wal_bytes / greatest(rows, 1))::int as wal_per_row,
        round(wal_fpi::numeric / greatest(calls, 1), 1) as fpi_per_call, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) as q
      from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database()) order by total_exec_time + total_plan_time desc limit 15`;
    const [sum] =
      await sqlc`select sum(calls)::int as calls, round(sum(total_exec_time))::int as exec_ms, round(sum(total_plan_time))::int as plan_ms from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())`;
    return `  statements: ${sum!.calls} calls, ${sum!.exec_ms} ms executing, ${sum!.plan_ms} ms planning (planning counted with pg_stat_statements.track_planning)\n  top by total time (calls, ms, of which planning, ms per call, rows per call, WAL bytes per row, full-page images per call):\n${top.map((r) => `    ${String(r.calls).padStart(7)} ${String(r.ms).padStart(6)} ${String(r.plan_ms).padStart(5)} ${String(r.per_call).padStart(8)} ${String(r.rows_per_call).padStart(6)} ${String(r.wal_per_row).padStart(6)} ${String(r.fpi_per_call).padStart(5)}  ${r.q}`).join("\n")}`;
  };
}

// ——— Processes ———

const children: Subprocess[] = [];
const tails = new Map<number, string>();

/** Keeps the last few KB a child printed (shown if it dies) without letting its pipe fill up. */
async function collect(pid: number, stream: ReadableStream<Uint8Array> | null | undefined) {
  if (!stream) return;
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    tails.set(pid, ((tails.get(pid) ?? "") + decoder.decode(value)).slice(-4000));
  }
}

function childEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...extra };
}

/** The environment `bun start` sets before the app (package.json): the bench runs the app as it ships. */
const START_ENV: Record<string, string> = Object.fromEntries(
  [...(JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")).scripts.start as string).matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=(\S+)(?=\s)/g)].map(
    (m) => [m[1]!, m[2]!],
  ),
);

async function startApp(port: number, cpuProfile = false) {
  const flags = cpuProfile ? ["--cpu-prof-md", `--cpu-prof-dir=${resolve(ROOT, "data/bench/profiles")}`] : [];
  const child = Bun.spawn([process.execPath, ...flags, "src/index.ts"], {
    cwd: ROOT,
    env: childEnv({
      ...START_ENV,
      PORT: String(port),
      DATABASE_URL,
      WORKERS: process.env.BENCH_APP_WORKERS ?? "true",
      LOG_LEVEL: "error",
      ALLOW_PRIVATE_WEBHOOK_TARGETS: "true",
      APP_SECRET,
      APP_URL: `http://127.0.0.1:${port}`,
      WUZAPI_HMAC_KEY: HMAC_KEY,
      // Delivery tuning under test (WEBHOOK_MAX_IN_FLIGHT…) passes through to the apps.
      ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith("WEBHOOK_") && e[1] !== undefined)),
    }),
    stdout: "pipe",
    stderr: "pipe",
  });
  children.push(child);
  void collect(child.pid, child.stdout);
  void collect(child.pid, child.stderr);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, 30_000, child);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : err}\n${tails.get(child.pid) ?? ""}`);
  }
  return { child, port, base: `http://127.0.0.1:${port}` };
}

async function startHelper<T>(file: string): Promise<{ child: Subprocess; info: T }> {
  const child = Bun.spawn([process.execPath, resolve(import.meta.dir, file)], { cwd: ROOT, env: childEnv({}), stdout: "pipe", stderr: "inherit" });
  children.push(child);
  const info = await firstJsonLine<T>(child as Subprocess<"ignore", "pipe", "inherit">, 15_000);
  void collect(child.pid, child.stdout);
  return { child, info };
}

async function stopChild(child: Subprocess) {
  if (child.exitCode !== null || child.signalCode) return;
  child.kill("SIGTERM");
  const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
  if (!exited) child.kill("SIGKILL");
}

// ——— Database ———

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
let cleanedUp = false;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  await Promise.all(children.map(stopChild));
  try {
    const { closeDatabase } = await import("../../src/db/client");
    await closeDatabase();
  } catch {
    // never opened
  }
  if (keepDb) console.error(`bench: kept database ${dbName}`);
  else await admin.unsafe(`drop database if exists "${dbName}" with (force)`).catch((err) => console.error(`bench: could not drop ${dbName}: ${err}`));
  await admin.end({ timeout: 2 }).catch(() => {});
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

// ——— WuzAPI webhook payloads (what WuzAPI posts with WEBHOOK_FORMAT=json, signed like WuzAPI signs) ———

const phoneOf = (i: number) => `55119${String(10_000_000 + (i % CONTACT_POOL)).padStart(8, "0")}`;
function wuzapiRequest(base: string, id: string, contact: number, text: string) {
  const phone = phoneOf(contact);
  const body = JSON.stringify({
    type: "Message",
    userID: WUZAPI_USER,
    instanceName: "bench",
    event: {
      Info: {
        ID: id,
        Chat: `${phone}@s.whatsapp.net`,
        Sender: `${phone}@s.whatsapp.net`,
        IsFromMe: false,
        IsGroup: false,
        PushName: `Contact ${contact % CONTACT_POOL}`,
        Timestamp: new Date().toISOString(),
        Type: "text",
      },
      Message: { conversation: text },
    },
  });
  const signature = createHmac("sha256", HMAC_KEY).update(body).digest("hex");
  return { url: `${base}/hooks/wuzapi`, init: { method: "POST", body, headers: { "content-type": "application/json", "x-hmac-signature": signature } } };
}

/** Deliveries still to make: retry rows due, and events after an active endpoint's cursor (delivered from the log, no row yet). */
async function pendingDeliveries(sqlc: postgres.Sql): Promise<number> {
  const [row] = await sqlc`select (select count(*) from webhook_deliveries where status in ('pending', 'failed'))::int
    + (select count(*) from webhooks w join webhook_cursors c on c.webhook_id = w.id
        join events e on e.organization_id = w.organization_id and (e.tx_id, e.id) > (c.tx_id, c.event_id)
        where w.active and (w.event_types is null or e.type = any(w.event_types)))::int as n`;
  return row!.n as number;
}

// ——— Main ———

let loadTool = "bun-fetch";
let postgresVersion: string | undefined;
let postgresSettings: string | undefined;
let exitCode = 0;

try {
  // Databases of earlier runs that were killed before their cleanup (the name carries the runner's pid).
  for (const { datname } of await admin<{ datname: string }[]>`select datname from pg_database where datname like 'lc_bench_%'`) {
    const pid = Number(/^lc_bench_(\d+)_/.exec(datname)?.[1]);
    if (pid && pid !== process.pid && !existsSync(`/proc/${pid}`)) await admin.unsafe(`drop database if exists "${datname}" with (force)`).catch(() => {});
  }
  await admin.unsafe(`create database "${dbName}"`);
  const bench = postgres(DATABASE_URL, { max: 2, onnotice: () => {} });
  postgresVersion = ((await bench`show server_version`)[0] as { server_version: string }).server_version;
  // The server settings that move the Postgres rows most, to compare runs on different machines.
  const [settings] = await bench`select string_agg(name || ' ' || current_setting(name), ', ' order by name) as s from pg_settings
    where name in ('autovacuum', 'shared_buffers', 'synchronous_commit', 'wal_compression')`;
  postgresSettings = (settings as { s: string }).s;
  const sampler = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  waitSampler = makeWaitSampler(sampler);

  const { migrateDatabase, db, listen, notify } = await import("../../src/db/client");
  await migrateDatabase();
  const schema = await import("../../src/db/schema");
  const { createUser } = await import("../../src/features/auth/auth.service");
  const { createOrganization } = await import("../../src/features/organizations/organization.service");
  const { createApiKey, revokeApiKey } = await import("../../src/features/api-keys/api-key.service");
  const { verifyApiKey, evictApiKey } = await import("../../src/features/api-keys/api-key.verify");
  const { createWebhook } = await import("../../src/features/webhooks/webhook.service");
  const { createSession, SESSION_COOKIE } = await import("../../src/auth/session");
  const { sha256Hex } = await import("../../src/lib/crypto");
  const { inboundBatchSql } = await import("../../src/features/inbound/message-store");

  // Seed: owner, organization, unlimited-rate key, a WuzAPI instance, 3 endpoints on the subscribers.
  const user = await createUser({ email: "bench@example.test", password: null, name: "Bench Owner" });
  const org = await createOrganization(user.id, "Bench");
  // The bench measures the limiter's cost, not its limit: the key's budget is effectively unlimited.
  const { secret: apiSecret } = await createApiKey({ organizationId: org.id, name: "bench", scopes: ["*"], requestsPerMinute: 2_000_000_000 });
  const [instance] = await db
    .insert(schema.instances)
    .values({ organizationId: org.id, name: "Bench WuzAPI", provider: "wuzapi", providerInstanceId: WUZAPI_USER, status: "connected" })
    .returning();
  // The probe route for "authenticated, no database work": GET /v1/me describes the presented key
  // from the verification cache (key verify, scope, rate limit, metering; no query).
  const boundKey = async (name: string) =>
    createApiKey({ organizationId: org.id, name, scopes: ["*"], instanceId: instance!.id, requestsPerMinute: 2_000_000_000 });
  const { secret: probeSecret } = await boundKey("bench-probe");
  const probe = {
    path: "/v1/me",
    init: (secret: string) => ({ method: "GET", body: undefined as string | undefined, headers: { authorization: `Bearer ${secret}` } }),
  };
  const subscribers = await startHelper<{ control: number; hooks: number[] }>("subscriber.ts");
  roles.set(subscribers.child.pid, "subscribers");
  const control = `http://127.0.0.1:${subscribers.info.control}`;
  const hooks: Awaited<ReturnType<typeof createWebhook>>[] = [];
  for (const [i, port] of subscribers.info.hooks.entries()) {
    hooks.push(
      await createWebhook(
        { type: "user", id: user.id, organizationId: org.id, role: "owner" },
        { url: `http://127.0.0.1:${port}/hook`, name: `bench-${i + 1}`, eventTypes: ["message.received"] },
      ),
    );
  }
  await fetch(`${control}/secrets`, { method: "POST", body: JSON.stringify(hooks.map((h) => h.secret)) });
  const { token: sessionToken } = await createSession(user.id, { activeOrganizationId: org.id });

  const [wrk, appA, appB, hello, elysiaHello] = await Promise.all([
    ensureWrk(),
    startApp(freePort(), argv.includes("--cpu-prof")).then((app) => (roles.set(app.child.pid, "app A"), app)),
    startApp(freePort()).then((app) => (roles.set(app.child.pid, "app B"), app)),
    startHelper<{ port: number }>("hello.ts"),
    startHelper<{ port: number }>("elysia-hello.ts"),
  ]);
  loadTool = wrk ? "wrk" : "bun-fetch";

  // RSS of app A from boot to the end; the idle figure is the baseline.
  await Bun.sleep(500);
  const idleRss = rssMb(appA.child.pid) ?? Number.NaN;
  let peakRss = idleRss;
  let phase = "boot";
  const phasePeaks = new Map<string, number>();
  const rssTimer = setInterval(() => {
    const now = rssMb(appA.child.pid);
    if (now === null) return;
    peakRss = Math.max(peakRss, now);
    phasePeaks.set(phase, Math.max(phasePeaks.get(phase) ?? 0, now));
  }, 100);

  // 1. Authenticated /v1 route without database work vs bare Bun.serve.
  await scenario(["api.auth_route_vs_bare_hello"], "authenticated route vs bare hello", 180_000, async () => {
    phase = "api throughput";
    const path = probe.path;
    const { headers, body, method } = probe.init(probeSecret);
    const first = await fetch(`${appA.base}${path}`, { headers, body, method });
    if (first.status !== 200) throw new Error(`expected 200 from ${path}, got ${first.status}: ${await first.text()}`);
    // The machine is shared, so targets are measured in alternating rounds and each keeps its best
    // round (the one least disturbed by other work). Elysia alone, Elysia answering the /v1 response
    // contract (same body and headers, no work) and the app's unauthenticated /health split the gap
    // into framework cost, contract cost, app-wide plugin cost and the auth path's own cost.
    const targets = {
      bare: {
        url: `http://127.0.0.1:${hello.info.port}/`,
        headers: undefined as Record<string, string> | undefined,
        body: undefined as string | undefined,
        method: undefined as string | undefined,
      },
      elysia: { url: `http://127.0.0.1:${elysiaHello.info.port}/`, headers: undefined, body: undefined, method: undefined },
      contract: { url: `http://127.0.0.1:${elysiaHello.info.port}/contract`, headers: undefined, body: undefined, method: undefined },
      health: { url: `${appA.base}/health`, headers: undefined, body: undefined, method: undefined },
      auth: { url: `${appA.base}${path}`, headers, body, method },
    };
    const best: Record<keyof typeof targets, number> = { bare: 0, elysia: 0, contract: 0, health: 0, auth: 0 };
    let tool = "";
    for (let round = 0; round < S.wrkRounds; round++) {
      for (const [name, t] of Object.entries(targets) as [keyof typeof targets, (typeof targets)["bare"]][]) {
        const r = await measureThroughput(wrk, t.url, {
          seconds: S.wrkSeconds,
          connections: S.wrkConnections,
          headers: t.headers,
          body: t.body,
          method: t.method,
        });
        best[name] = Math.max(best[name], r.rps);
        tool = r.tool;
      }
    }
    const after = await fetch(`${appA.base}${path}`, { headers, body, method });
    if (after.status !== 200) throw new Error(`the route answered ${after.status} after the run (rate limited?)`);
    const share = (n: number) => `${Math.round(n).toLocaleString("en")} req/s (${round(n / best.bare, 2)})`;
    // The floor: answering /v1/me's response alone (Elysia, no work) takes 1/contract of the server's
    // time per request; what the target leaves over that is all the request path may cost.
    const usPer = (rps: number) => (rps > 0 ? 1e6 / rps : Number.NaN);
    const budgetUs = usPer(0.6 * best.bare) - usPer(best.contract);
    const spentUs = usPer(best.auth) - usPer(best.contract);
    put({
      scenario: "api.auth_route_vs_bare_hello",
      figure: best.auth,
      baseline: best.bare,
      unit: "req/s",
      baselineLabel: "bare Bun.serve hello req/s",
      target: "ratio ≥ 0.60",
      pass: best.bare > 0 && best.auth / best.bare >= 0.6,
      detail: `GET /v1/me (key verify from cache, scope, rate limit, metering; no query); Elysia-only hello ${share(best.elysia)}; Elysia answering /v1/me's body and headers with no work behind them ${share(best.contract)}; app GET /health ${share(best.health)}; floor: over writing that response, the target leaves ${round(budgetUs, 1)} µs of server time per request for the whole request path (hooks, key, limit, metering, metrics), which takes ${round(spentUs, 1)} µs; ${tool}, ${S.wrkConnections} connections, best of ${S.wrkRounds} × ${S.wrkSeconds} s rounds`,
    });
  });

  // 2. API key verification from cache: in-process timing of verifyApiKey, warm vs cold (database).
  await scenario(["api_key.verify_cached_p99"], "api key verification latency", 60_000, async () => {
    phase = "verify";
    const hash = sha256Hex(apiSecret);
    const cold: number[] = [];
    for (let i = 0; i < S.verifyCold; i++) {
      evictApiKey(hash);
      const t0 = performance.now();
      const key = await verifyApiKey(apiSecret);
      cold.push(performance.now() - t0);
      if (!key) throw new Error("the bench key did not verify");
    }
    const warm: number[] = [];
    for (let i = 0; i < S.verifyWarm; i++) {
      const t0 = performance.now();
      await verifyApiKey(apiSecret);
      warm.push(performance.now() - t0);
    }
    const p99 = percentile(warm, 0.99);
    put({
      scenario: "api_key.verify_cached_p99",
      figure: p99,
      baseline: percentile(cold, 0.99),
      unit: "ms",
      baselineLabel: "uncached (database) verification p99 ms",
      target: "< 1 ms",
      limit: 1,
      lowerIsBetter: true,
      detail: `cached p50 ${round(percentile(warm, 0.5), 4)} ms over ${S.verifyWarm} calls; uncached p50 ${round(percentile(cold, 0.5), 3)} ms over ${S.verifyCold}`,
    });
  });

  // 3. Revocation seen by both app processes: revoke from this (third) process, poll A and B until 401.
  await scenario(["api_key.revocation_propagation"], "revocation propagation", 60_000, async () => {
    phase = "revocation";
    const samples: number[] = [];
    const perApp: string[] = [];
    for (let r = 0; r < S.revocations; r++) {
      const { key, secret } = await boundKey(`revoke-${r}`);
      for (const app of [appA, appB]) {
        const res = await fetch(`${app.base}${probe.path}`, probe.init(secret));
        if (res.status !== 200) throw new Error(`fresh key answered ${res.status} on port ${app.port}`);
      }
      const t0 = wallMs();
      await revokeApiKey(org.id, key.id);
      const until401 = async (base: string) => {
        const deadline = t0 + 5000;
        while (wallMs() < deadline) {
          const res = await fetch(`${base}${probe.path}`, probe.init(secret));
          await res.arrayBuffer();
          if (res.status === 401) return wallMs() - t0;
        }
        return Number.POSITIVE_INFINITY;
      };
      const [a, b] = await Promise.all([until401(appA.base), until401(appB.base)]);
      samples.push(Math.max(a, b));
      perApp.push(`${round(a, 1)}/${round(b, 1)}`);
    }
    // Baseline: one bare LISTEN/NOTIFY round trip through Postgres.
    const notifyRtt: number[] = [];
    let resolveHeard: (() => void) | undefined;
    const unlisten = await listen("livchat_bench_ping", () => resolveHeard?.());
    for (let r = 0; r < Math.max(5, S.revocations); r++) {
      const heard = new Promise<void>((res) => (resolveHeard = res));
      const t0 = wallMs();
      await notify("livchat_bench_ping", "x");
      await withTimeout("notify round trip", 5000, () => heard);
      notifyRtt.push(wallMs() - t0);
    }
    await unlisten();
    const worst = Math.max(...samples);
    put({
      scenario: "api_key.revocation_propagation",
      figure: worst,
      baseline: percentile(notifyRtt, 0.5),
      unit: "ms",
      baselineLabel: "bare LISTEN/NOTIFY round trip ms (p50)",
      target: "< 1000 ms",
      limit: 1000,
      lowerIsBetter: true,
      detail: `worst of ${S.revocations} revocations until both app processes answer 401 (5 s cap; ms for A/B: ${perApp.join(", ")}); median ${round(percentile(samples, 0.5), 1)} ms`,
    });
  });
  await stopChild(appB.child);

  // Knowledge base: top-3 hit rate over the FAQ corpus, full-text and hybrid (tests/bench/knowledge.ts).
  await scenario(["knowledge.top3_hit_rate_fts", "knowledge.top3_hit_rate_hybrid"], "knowledge retrieval", 120_000, async () => {
    const { knowledgeRows } = await import("./knowledge");
    for (const row of await knowledgeRows((name) => createOrganization(user.id, name))) put(row);
  });

  // Reports over 1 M conversations (tests/bench/reports.ts): a year's report from the daily rollup, p95 < 500 ms.
  await scenario(["reports.conversations_p95"], "reports", quick ? 60_000 : 900_000, async () => {
    const { reportRows } = await import("./reports");
    for (const row of await reportRows((name) => createOrganization(user.id, name), quick ? 20_000 : 1_000_000)) {
      put({ ...row, ratio: null, pass: row.figure !== null && row.figure < 500 });
    }
  });

  // 4. Admin pages with many messages and deliveries (1 M each in full mode), seeded in SQL. Before the
  // inbound runs: their overload would still be draining, and ingestion then meets a full database.
  const pageRows: BenchRowId[] = ["pages.inbox_p95", "pages.inbox_conversation_p95", "pages.delivery_log_p95"];
  await scenario(pageRows, "seed + page latency", quick ? 60_000 : 1_800_000, async () => {
    phase = "seeding";
    const seedStart = performance.now();
    const busy = await seedVolume(bench, {
      organizationId: org.id,
      instanceId: instance!.id,
      webhookIds: hooks.map((h) => h.webhook.id),
      messages: S.seedMessages,
      deliveries: S.seedDeliveries,
    });
    const seedSeconds = (performance.now() - seedStart) / 1000;
    phase = "pages";
    const cookie = `${SESSION_COOKIE}=${sessionToken}`;
    const timed = async (path: string) => {
      const samples: number[] = [];
      for (let i = 0; i < S.pageRequests + 3; i++) {
        const t0 = performance.now();
        const res = await fetch(`${appA.base}${path}`, { headers: { cookie } });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 200)}`);
        if (i >= 3) samples.push(performance.now() - t0); // the first requests warm caches and plans
      }
      return samples;
    };
    const ready = await timed("/ready");
    const readyP95 = percentile(ready, 0.95);
    const note = `${S.seedMessages.toLocaleString("en")} messages, ${S.seedDeliveries.toLocaleString("en")} deliveries seeded in ${seedSeconds.toFixed(0)} s; ${S.pageRequests} sequential requests`;
    const pages: [BenchRowId, string][] = [
      ["pages.inbox_p95", "/inbox"],
      ["pages.inbox_conversation_p95", `/inbox/${busy.conversationId}`],
      ["pages.delivery_log_p95", `/webhooks/${hooks[0]!.webhook.id}`],
    ];
    for (const [id, path] of pages) {
      const samples = await timed(path);
      put({
        scenario: id,
        figure: percentile(samples, 0.95),
        baseline: readyP95,
        unit: "ms",
        baselineLabel: "GET /ready (database ping) p95 ms",
        target: "< 50 ms",
        limit: 50,
        lowerIsBetter: true,
        detail: `GET ${path.replace(/[0-9a-f-]{36}/, ":id")} p50 ${round(percentile(samples, 0.5), 1)} ms; ${note}`,
      });
    }
  });

  // Inbox full-text search over the messages just seeded (tests/bench/inbox-search.ts).
  await scenario(["inbox.search_p95"], "inbox full-text search", quick ? 60_000 : 600_000, async () => {
    phase = "inbox search";
    const { inboxSearchRow } = await import("./inbox-search");
    put(
      await inboxSearchRow({
        sql: bench,
        base: appA.base,
        cookie: `${SESSION_COOKIE}=${sessionToken}`,
        organizationId: org.id,
        messages: S.seedMessages,
        requests: S.pageRequests,
      }),
    );
  });

  // 5. Inbound ingestion rate through POST /hooks/wuzapi, 3 endpoints subscribed, workers running;
  // and the CPU one event costs each process, over ingestion plus the delivery of its backlog.
  let drainNote = "";
  const cpuRows: BenchRowId[] = [
    "inbound.cpu_postgres_ms_per_event",
    "inbound.cpu_app_ms_per_event",
    "inbound.cpu_subscribers_ms_per_event",
    "inbound.cpu_load_generator_ms_per_event",
  ];
  await scenario(["inbound.ingest_rate", ...cpuRows], "inbound ingestion rate", quick ? 300_000 : 600_000, async () => {
    phase = "inbound ingestion";
    const scenarioStart = performance.now();
    await bench.unsafe(`create table pgbench_single (id bigserial primary key, v integer not null, at timestamptz not null default now())`);
    const tps = await runPgbench("\\set v random(1, 1000000)\nINSERT INTO pgbench_single (v) VALUES (:v);\n", {});

    const cpuRoles = { app: [appA.child.pid], subscribers: [subscribers.child.pid], "load generator": [process.pid] };
    /** One closed-loop ingestion of `seconds`, then the wait until its deliveries are sent (bounded); CPU by role over both. */
    const ingestRun = async (tag: string, seconds: number) => {
      let stored = 0;
      // Every run (and the replay below) starts from a checkpoint: one that the seeding's WAL or the
      // timer started mid-run would add its writes and a wave of full-page images to that run alone.
      await bench`checkpoint`;
      const stopRoles = await cpuByRole(cpuRoles, sampler);
      const stopCpu = cpuUsage(processLabel);
      const stopStatements = profile && tag === "I" ? await statementTimes(bench) : undefined;
      const result = await closedLoop({
        concurrency: S.ingestConcurrency,
        durationMs: seconds * 1000,
        request: (i) => wuzapiRequest(appA.base, `BENCH-${tag}-${i}`, i, `bench ingest ${i}`),
        accept: async (res) => {
          const body = (await res.json().catch(() => ({}))) as { stored?: number };
          if (res.ok && body.stored === 1) stored++;
          return res.ok && body.stored === 1;
        },
      });
      const usage = stopCpu();
      if (profile) process.stderr.write(`\n  ingestion load only —${formatCpuUsage(usage).slice(1)}\n`);
      if (stopStatements) process.stderr.write(`${await stopStatements()}\n`);
      const [row] = await bench`select count(*)::int as n from webhook_deliveries`;
      // Let the delivery workers finish the backlog (bounded): before the next run, and inside the CPU window.
      const drainStart = performance.now();
      let left = await pendingDeliveries(bench);
      const backlog = left;
      while (left > 0 && performance.now() - drainStart < S.drainMs) {
        await Bun.sleep(250);
        left = await pendingDeliveries(bench);
      }
      const drainS = (performance.now() - drainStart) / 1000;
      return { stored, result, usage, queued: row!.n as number, backlog, left, drainS, cpu: await stopRoles() };
    };
    const main = await ingestRun("I", S.ingestSeconds);
    const { stored, result, usage, backlog, left, drainS } = main;
    const row = { n: main.queued };
    const rate = (stored * 1000) / result.elapsedMs;
    drainNote = `ingestion left ${backlog} deliveries due; ${left} still due after ${drainS.toFixed(1)} s`;
    // More (shorter) runs for the CPU rows' min and median, while the scenario has time.
    const runs = [main];
    for (let r = 1; r < (quick ? 1 : 3) && performance.now() - scenarioStart < 240_000; r++) {
      runs.push(await ingestRun(`C${r}`, Math.max(3, Math.round(S.ingestSeconds / 3))));
    }
    // The ceiling: the inbound transaction's own SQL replayed by pgbench at the same concurrency, with
    // no HTTP, no JavaScript and no delivery work at all. Ingestion cannot beat this on this machine.
    await bench`create table bench_convs as select (row_number() over ())::int as n, v.id as conv_id, v.contact_id, c.phone
      from conversations v join contacts c on c.id = v.contact_id where v.instance_id = ${instance!.id}`;
    const [{ convs }] = (await bench`select count(*)::int as convs from bench_convs`) as unknown as [{ convs: number }];
    await bench.unsafe("alter table bench_convs add primary key (n)");
    // The replay's events are not for the subscribers: the endpoints are paused while it runs (the app's
    // workers leave them alone, as the replay measures Postgres alone) and their cursors then skip to the head.
    await bench`update webhooks set active = false where organization_id = ${org.id}`;
    await bench`checkpoint`;
    const stopReplayCpu = await cpuByRole({}, sampler);
    let replayTps = Number.NaN;
    try {
      if (convs > REPLAY_BATCH) replayTps = await runPgbench(inboundReplay(inboundBatchSql), { org: org.id, inst: instance!.id, convs: String(convs) });
    } finally {
      await bench`update webhook_cursors set tx_id = pg_current_xact_id(), event_id = '00000000-0000-0000-0000-000000000000'
        where webhook_id in (select id from webhooks where organization_id = ${org.id})`;
      await bench`update webhooks set active = true where organization_id = ${org.id}`;
    }
    const replayPgMs = ((await stopReplayCpu()).postgres! * 1000) / (replayTps * S.pgbenchSeconds * REPLAY_BATCH);
    // The replay's unfinished deliveries (due an hour ahead) would otherwise read as a backlog and hold up the next scenario.
    await bench`delete from webhook_deliveries where status = 'pending' and next_attempt_at > now() + interval '30 minutes'`;
    put({
      scenario: "inbound.ingest_rate",
      figure: rate,
      baseline: tps,
      unit: "events/s",
      baselineLabel: `pgbench single-row INSERT tps (${S.ingestConcurrency} clients)`,
      target: "≥ 2000 events/s",
      limit: 2000,
      detail: `${cpuPerEvent(usage, stored)}; ceiling: pgbench replay of the batched inbound SQL with its delivery lifecycle (no app, no HTTP) ${Math.round(replayTps * REPLAY_BATCH)} events/s (${Math.round(replayTps)} tps × ${REPLAY_BATCH}), with Postgres alone on the cores; ${stored} stored of ${result.sent} sent (${result.failed} failed, statuses ${JSON.stringify(result.statuses)}), ${S.ingestConcurrency} concurrent, p99 ${round(percentile(result.latencies, 0.99), 1)} ms; ${row!.n} deliveries queued; ${drainNote}`,
    });
    // CPU per stored event by process: the median of the runs (each: ingestion, then its deliveries sent).
    const runsNote = `${runs.length} run${runs.length === 1 ? "" : "s"} (${runs.map((r) => `${r.stored} events${r.left > 0 ? `, ${r.left} deliveries still due after ${r.drainS.toFixed(0)} s` : ""}`).join("; ")}), each ingestion plus the delivery of its backlog × 3 endpoints, utime+stime from /proc`;
    const cpuRow = (id: BenchRowId, role: string, who: string, limit?: number, floor?: { ms: number; label: string }) => {
      const values = runs.filter((r) => r.stored > 0).map((r) => ((r.cpu[role] ?? 0) * 1000) / r.stored);
      const figure = values.length > 0 ? median(values) : null;
      put({
        scenario: id,
        figure,
        baseline: floor && Number.isFinite(floor.ms) ? floor.ms : null,
        unit: "ms/event",
        baselineLabel: floor?.label ?? "",
        target: limit === undefined ? "reported" : `≤ ${limit} ms`,
        pass: figure !== null && (limit === undefined || figure <= limit),
        detail: `${who}; median of ${values.map((v) => round(v, 3)).join(" / ")} ms, min ${round(Math.min(...values), 3)}; ${runsNote}`,
      });
    };
    cpuRow(
      "inbound.cpu_postgres_ms_per_event",
      "postgres",
      "the bench database's backends and autovacuum workers plus the server's shared processes (walwriter, checkpointer, background writer)",
      0.7,
      {
        ms: replayPgMs,
        label: "the floor of today's statements: Postgres CPU ms per event replaying the inbound SQL and its delivery lifecycle alone (pgbench, no app)",
      },
    );
    cpuRow("inbound.cpu_app_ms_per_event", "app", "app A (HTTP in, inbound pipeline, delivery workers, HTTP out)", 0.6);
    cpuRow("inbound.cpu_subscribers_ms_per_event", "subscribers", "the 3 subscribers (each verifies its signature with standardwebhooks)");
    cpuRow("inbound.cpu_load_generator_ms_per_event", "load generator", "the bench runner posting the provider webhooks (Bun fetch)");
  });

  // 6. Inbound → subscriber latency at a fixed 500 events/s, loss and duplicates.
  await scenario(["inbound.e2e_p50", "inbound.e2e_p99", "inbound.e2e_lost", "inbound.e2e_duplicated"], "inbound → subscriber latency", 300_000, async () => {
    phase = "inbound e2e";
    // A backlog left by the ingestion run would be measured as latency: give it more time, and say so.
    const backlogStart = performance.now();
    let left = await pendingDeliveries(bench);
    while (left > 0 && performance.now() - backlogStart < S.drainMs) {
      await Bun.sleep(250);
      left = await pendingDeliveries(bench);
    }
    const backlogNote = left > 0 ? `; started with ${left} deliveries of the ingestion run still due` : "";
    // Baseline: the same open loop straight to a subscriber (HTTP on this machine, no LivChat).
    const echo = await openLoop({
      rate: E2E_RATE,
      count: E2E_RATE * S.echoSeconds,
      request: () => ({ url: `${control}/echo`, init: { method: "POST", body: "{}" } }),
    });
    await fetch(`${control}/reset`, { method: "POST" });
    const count = E2E_RATE * S.e2eSeconds;
    const sentAt = new Float64Array(count);
    const accepted = new Uint8Array(count);
    const load = await openLoop({
      rate: E2E_RATE,
      count,
      request: (i) => wuzapiRequest(appA.base, `BENCH-E-${i}`, i, `bench e2e ${i}`),
      onSent: (i, at) => (sentAt[i] = at),
      onResult: (i, ok) => (accepted[i] = ok ? 1 : 0),
    });
    // Loss counts events LivChat accepted (2xx to the provider) whose delivery never arrived; a
    // request that timed out or failed is the provider's to retry and is reported separately.
    const acceptedN = accepted.reduce((n, v) => n + v, 0);
    const expected = acceptedN * 3;
    const waitStart = performance.now();
    type Stat = { received: number; invalid: number; duplicates: number; unique: number; e2e?: [number, number][] };
    let stats: Stat[] = [];
    while (performance.now() - waitStart < S.e2eWaitMs) {
      stats = (await (await fetch(`${control}/stats`)).json()) as Stat[];
      if (stats.reduce((n, s) => n + s.unique, 0) >= expected) break;
      await Bun.sleep(200);
    }
    await Bun.sleep(500); // late duplicates would arrive now
    stats = (await (await fetch(`${control}/stats?e2e`)).json()) as Stat[];
    const latencies: number[] = [];
    let lost = 0;
    let duplicated = 0;
    let invalid = 0;
    for (const s of stats) {
      const seen = new Uint8Array(count);
      for (const [seq, at] of s.e2e ?? []) {
        if (seq >= count) continue;
        if (seen[seq]) duplicated++;
        else latencies.push(at - sentAt[seq]!);
        seen[seq] = 1;
      }
      for (let i = 0; i < count; i++) if (accepted[i] && !seen[i]) lost++;
      duplicated += s.duplicates;
      invalid += s.invalid;
    }
    // Latency by quarter of the run shows queueing (a rising trend) apart from a fixed delay.
    const quarters: number[][] = [[], [], [], []];
    for (const s of stats) for (const [seq, at] of s.e2e ?? []) if (seq < count) quarters[Math.floor((seq * 4) / count)]!.push(at - sentAt[seq]!);
    const trend = `p50 by quarter of the run ${quarters.map((l) => round(percentile(l, 0.5), 1)).join(" / ")} ms`;
    const common = `${count} events at ${E2E_RATE}/s × 3 endpoints; inbound HTTP ${load.ok}/${load.sent} accepted (p50 ${round(percentile(load.latencies, 0.5), 1)} ms, p99 ${round(percentile(load.latencies, 0.99), 1)} ms, ${load.sent - load.ok} failed or timed out after 10 s)${invalid ? `; ${invalid} bad signatures` : ""}${backlogNote}`;
    put({
      scenario: "inbound.e2e_p50",
      figure: percentile(latencies, 0.5),
      baseline: percentile(echo.latencies, 0.5),
      unit: "ms",
      baselineLabel: "direct HTTP to a subscriber p50 ms",
      target: "< 20 ms",
      limit: 20,
      lowerIsBetter: true,
      detail: `${common}; ${trend}`,
    });
    put({
      scenario: "inbound.e2e_p99",
      figure: percentile(latencies, 0.99),
      baseline: percentile(echo.latencies, 0.99),
      unit: "ms",
      baselineLabel: "direct HTTP to a subscriber p99 ms",
      target: "< 100 ms",
      limit: 100,
      lowerIsBetter: true,
      detail: `max ${round(Math.max(...latencies), 1)} ms`,
    });
    const waited = `waited ${((performance.now() - waitStart) / 1000).toFixed(1)} s after the last send`;
    put({
      scenario: "inbound.e2e_lost",
      figure: lost,
      baseline: expected,
      unit: "deliveries",
      baselineLabel: "deliveries expected (accepted events × 3)",
      target: "0",
      pass: lost === 0 && acceptedN > 0,
      detail: `${acceptedN} of ${count} events accepted; ${waited}`,
    });
    put({
      scenario: "inbound.e2e_duplicated",
      figure: duplicated,
      baseline: expected,
      unit: "deliveries",
      baselineLabel: "deliveries expected (accepted events × 3)",
      target: "0",
      pass: duplicated === 0 && acceptedN > 0,
    });
  });

  // A month of history in the partitioned tables (tests/bench/history.ts): ingestion and the events page before and after.
  await scenario(["history.ingest_rate", "history.events_page_p95"], "history (a month in partitions)", quick ? 90_000 : 900_000, async () => {
    phase = "history";
    const { historyRows } = await import("./history");
    /**
     * Events/s, the better of two short runs, each started from a checkpoint: the seeding ends with one,
     * and the run after it paid every page's first full-page image in WAL while the run before did not.
     */
    const ingest = async (tag: string) => {
      const rates: number[] = [];
      for (const round of [1, 2]) {
        await bench`checkpoint`;
        let stored = 0;
        const result = await closedLoop({
          concurrency: S.ingestConcurrency,
          durationMs: (quick ? 2 : 10) * 1000,
          request: (i) => wuzapiRequest(appA.base, `BENCH-${tag}${round}-${i}`, i, `bench history ${tag} ${i}`),
          accept: async (res) => {
            const body = (await res.json().catch(() => ({}))) as { stored?: number };
            if (res.ok && body.stored === 1) stored++;
            return res.ok && body.stored === 1;
          },
        });
        rates.push((stored * 1000) / result.elapsedMs);
      }
      return Math.max(...rates);
    };
    const out = await historyRows({
      sql: bench,
      base: appA.base,
      cookie: `${SESSION_COOKIE}=${sessionToken}`,
      organizationId: org.id,
      instanceId: instance!.id,
      webhookId: hooks[0]!.webhook.id,
      events: quick ? 20_000 : 300_000,
      days: quick ? 3 : 30,
      pageRequests: S.pageRequests,
      ingest,
      mark: (step) => {
        phase = step;
      },
    });
    for (const row of out) put(row);
  });

  clearInterval(rssTimer);
  const finalRss = rssMb(appA.child.pid);
  if (finalRss !== null && finalRss > peakRss) peakRss = finalRss;
  put({
    scenario: "app.rss_peak",
    figure: peakRss,
    baseline: idleRss,
    unit: "MB",
    baselineLabel: "app RSS idle after boot MB",
    target: "< 250 MB",
    limit: 250,
    lowerIsBetter: true,
    detail: `peak of app A sampled every 100 ms over the whole run; peak per phase: ${[...phasePeaks.entries()].map(([p, mb]) => `${p} ${Math.round(mb)} MB`).join(", ")}; ${finalRss === null ? "process gone" : `${round(finalRss, 1)} MB at the end`}`,
  });
  if (appA.child.exitCode !== null) failRows([...BENCH_ROWS], new Error(`app exited with ${appA.child.exitCode}: ${tails.get(appA.child.pid) ?? ""}`));

  // Contacts CSV import (tests/bench/contacts-import.ts): 100 000 rows (5 000 quick) uploaded to an app of its own, its
  // worker runs the job; rows/s and that process's peak RSS. Last, with app A stopped: A's workers would race it for the job.
  await stopChild(appA.child);
  await scenario(["contacts.import_rows_per_s", "contacts.import_rss_peak"], "contacts-import", quick ? 90_000 : 600_000, async () => {
    const { contactImportRows } = await import("./contacts-import");
    const rowsOut = await contactImportRows({
      rows: quick ? 5000 : 100_000,
      root: ROOT,
      createOrganization: (name) => createOrganization(user.id, name),
      startApp: () => startApp(freePort()).then((app) => (roles.set(app.child.pid, "import app"), app)),
      stopApp: stopChild,
    });
    for (const row of rowsOut) put(row);
  });
  await bench.end({ timeout: 2 });
  await sampler.end({ timeout: 2 });
} catch (err) {
  console.error("bench: harness failed:", err);
  failRows([...BENCH_ROWS], err);
  exitCode = 1;
} finally {
  await cleanup();
}

// ——— Report ———

failRows([...BENCH_ROWS], new Error("not measured"));
const report: BenchReport = {
  generatedAt: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadAverage: loadavg().map((n) => round(n, 2)),
    bun: Bun.version,
    postgres: postgresVersion,
    postgresSettings,
    loadTool,
  },
  durationSeconds: round((performance.now() - started) / 1000, 1),
  rows: BENCH_ROWS.map((id) => rows.get(id)!),
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
printTable(report);
if (strict && report.rows.some((r) => !r.pass)) exitCode = 1;
process.exit(exitCode);

function printTable(r: BenchReport) {
  const fmt = (n: number | null) => (n === null ? "—" : Math.abs(n) >= 100 ? Math.round(n).toLocaleString("en") : String(round(n, Math.abs(n) < 1 ? 4 : 2)));
  const lines = r.rows.map((row) => [
    row.scenario,
    `${fmt(row.figure)} ${row.unit}`,
    fmt(row.baseline),
    row.ratio === null ? "—" : String(row.ratio),
    row.target,
    row.pass ? "PASS" : "FAIL",
  ]);
  const header = ["scenario", "figure", "baseline", "ratio", "target", "pass"];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(
    `\nLivChat bench (${r.mode}) — ${r.machine.cpus} cores (${r.machine.cpuModel ?? "?"}), load ${r.machine.loadAverage.join(" ")}, Postgres ${r.machine.postgres ?? "?"} (${r.machine.postgresSettings ?? "?"}), Bun ${r.machine.bun}, ${r.machine.loadTool}, ${r.durationSeconds} s`,
  );
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const l of lines) console.log(line(l));
  console.log("");
  for (const row of r.rows) {
    console.log(`  ${row.scenario}: baseline = ${row.baselineLabel || "—"}${row.detail ? `; ${row.detail}` : ""}${row.error ? `; ERROR: ${row.error}` : ""}`);
  }
  console.log(`\nwritten to ${OUT}`);
}

/**
 * Where the cores went per stored event during the ingestion run (its deliveries included, since the
 * workers send them meanwhile), and the rate the machine's cores allow at that cost.
 */
function cpuPerEvent({ groups }: CpuUsage, stored: number): string {
  if (stored === 0) return "no event stored";
  const named = ["postgres", "app A", "subscribers", "bench runner (load generator)"];
  const perEvent = new Map(named.map((name) => [name, 0]));
  let other = 0;
  for (const [name, g] of groups) {
    const ms = ((g.user + g.system) * 1000) / stored;
    if (perEvent.has(name)) perEvent.set(name, ms);
    else other += ms;
  }
  const total = [...perEvent.values()].reduce((a, b) => a + b, other);
  const parts = [...perEvent].map(([name, ms]) => `${name} ${ms.toFixed(2)}`).concat(`other ${other.toFixed(2)}`);
  return `CPU per stored event: ${parts.join(", ")} = ${total.toFixed(2)} ms, so ${cpus().length} cores allow at most ${Math.round((cpus().length * 1000) / total)} events/s at this cost`;
}

/** Runs a custom pgbench script against the bench database (no -i: our own tables) and returns its tps. */
async function runPgbench(script: string, defines: Record<string, string>): Promise<number> {
  const file = resolve(ROOT, `data/bench/.pgbench-${process.pid}-${randomBytes(3).toString("hex")}.sql`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, script);
  const args = ["pgbench", "-n", "-M", "prepared", "-f", file, "-c", String(S.ingestConcurrency), "-j", "1", "-T", String(S.pgbenchSeconds)];
  for (const [k, v] of Object.entries(defines)) args.push("-D", `${k}=${v}`);
  args.push("-h", dbUrl.hostname, "-p", dbUrl.port || "5432", "-U", decodeURIComponent(dbUrl.username || "postgres"), dbName);
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", env: childEnv(dbUrl.password ? { PGPASSWORD: decodeURIComponent(dbUrl.password) } : {}) });
  const timer = setTimeout(() => proc.kill(), (S.pgbenchSeconds + 30) * 1000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(timer);
  await Bun.file(file)
    .delete()
    .catch(() => {});
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
  if (!Number.isFinite(tps)) throw new Error(`pgbench failed: ${(err || out).slice(0, 400)}`);
  return tps;
}

/**
 * The SQL of the batched inbound path for REPLAY_BATCH messages from known contacts, with no
 * JavaScript and no HTTP: the product's own batch statement (message-store.ts), its jsonb input built
 * in SQL from `bench_convs`, then the deliveries' lifecycle, recorded as answered (each carrying its
 * attempt with a request body) one statement each, as the workers batch them. The only edit to the
 * product statement: its deliveries fall due an hour ahead, so the app's own workers leave them to the
 * replay. Its tps × REPLAY_BATCH is what Postgres alone can ingest on this machine: the ceiling of
 * the real path, which also runs HTTP and JavaScript.
 */
function inboundReplay(inboundBatchSql: (input: SQL) => SQL): string {
  const last = REPLAY_BATCH - 1;
  // pgbench sends each :variable as an untyped parameter (every use is cast) and takes ":word" for a
  // variable even inside a string literal, so topics are joined with concat_ws here as in the product.
  const k = "(:k)::int";
  const input = sql.raw(`(select jsonb_agg(jsonb_build_object('ord', n - ${k}, 'organization_id', (:org)::text, 'device_id', null,
    'instance_id', (:inst)::text, 'phone', phone, 'name', null, 'direction', 'inbound', 'provider_message_id', ((:n)::int + n - ${k})::text, 'type', 'text',
    'body', 'pgbench replay', 'media', null, 'sent_at', now()::text, 'at', now(), 'preview', 'pgbench replay',
    'live_topic', concat_ws(':', 'org', (:org)::text, 'inbox'))) from bench_convs where n between ${k} and ${k} + ${last})`);
  const product = new PgDialect().sqlToQuery(inboundBatchSql(input)).sql;
  // Collapsed to one line for pgbench's script format: a line comment would swallow the rest.
  if (product.includes("insert into webhook_deliveries") || product.includes("--"))
    throw new Error("inbound replay: the batch statement queues deliveries again; update the replay");
  const batch = product.replace(/\s+/g, " ").trim();
  // Then the deliveries as the endpoint cursors make them (src/features/webhooks/delivery.cursor.ts): per
  // endpoint one read of the batch from the log below the horizon, and one write of the succeeded
  // deliveries, each carrying its attempt (request body included). Replay clients pick overlapping events,
  // hence the ON CONFLICT; the cursor's own one-row update per batch is left out (16 clients updating the
  // same three cursors would serialise on them, which one worker per cursor never does).
  const read = `SELECT e.id, e.tx_id, e.type, e.data FROM events e WHERE e.organization_id = (:org)::uuid AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY e.tx_id DESC, e.id DESC LIMIT ${REPLAY_BATCH};`;
  const write = `WITH v AS (SELECT e.id, e.type, e.organization_id FROM events e WHERE e.organization_id = (:org)::uuid ORDER BY e.tx_id DESC, e.id DESC LIMIT ${REPLAY_BATCH}) INSERT INTO webhook_deliveries (organization_id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_duration_ms, delivered_at, first_attempt) SELECT v.organization_id, w.id, v.id, v.type, 'succeeded', 1, null, 204, 2, now(), jsonb_build_object('id', gen_random_uuid(), 'at', now(), 'statusCode', 204, 'error', null, 'durationMs', 2, 'requestHeaders', '{"content-type": "application/json", "webhook-id": "replay"}'::jsonb, 'requestBody', repeat('x', 600), 'responseExcerpt', null) FROM v JOIN webhooks w ON w.organization_id = v.organization_id ON CONFLICT (webhook_id, event_id, expires_on) DO NOTHING;`;
  return `\\set k random(1, :convs - ${last})
\\set n random(1, 2000000000)
${batch};
${read}
${read}
${read}
${write}
`;
}

/**
 * Bulk volume for the page scenarios, in SQL (generate_series): contacts with one conversation each,
 * `messages` spread over them with one busy conversation holding a tenth, and `deliveries` split over
 * the three endpoints (one event per three deliveries, as the product fans out). Timestamps are spread
 * over the last 30 days. Deliveries are already succeeded, so the workers leave them alone.
 */
async function seedVolume(
  sqlc: postgres.Sql,
  opts: { organizationId: string; instanceId: string; webhookIds: string[]; messages: number; deliveries: number },
): Promise<{ conversationId: string }> {
  const contactsN = Math.max(100, Math.min(50_000, Math.floor(opts.messages / 20)));
  const org = opts.organizationId;
  const inst = opts.instanceId;
  await sqlc`
    insert into contacts (organization_id, phone, name, last_interaction_at)
    select ${org}, '+5521' || lpad(g::text, 9, '0'), 'Seed contact ' || g, now() - (g || ' seconds')::interval
    from generate_series(1, ${contactsN}) g`;
  await sqlc`
    insert into conversations (organization_id, instance_id, contact_id, status, last_message_at, last_message_preview, unread_count)
    select ${org}, ${inst}, c.id, case when random() < 0.3 then 'resolved' else 'open' end, c.last_interaction_at, 'Seed message preview', (random() * 3)::int
    from contacts c where c.organization_id = ${org} and c.phone like '+5521%'`;
  const [busy] = await sqlc`
    select v.id, v.contact_id from conversations v join contacts c on c.id = v.contact_id
    where c.phone = '+5521000000001' and v.organization_id = ${org}`;
  await sqlc`
    with convs as (
      select array_agg(v.id order by v.id) as ids, array_agg(v.contact_id order by v.id) as contact_ids, count(*)::int as n
      from conversations v join contacts c on c.id = v.contact_id
      where v.organization_id = ${org} and c.phone like '+5521%'
    ), picked as (
      select g, case when g % 10 = 0 then -1 else 1 + (g % convs.n) end as k, convs.ids, convs.contact_ids
      from generate_series(1, ${opts.messages}) g, convs
    )
    insert into messages (organization_id, instance_id, conversation_id, contact_id, direction, provider_message_id, type, body, status, sent_by, sent_at, delivered_at, created_at, updated_at)
    select ${org}, ${inst},
      case when k = -1 then ${busy!.id}::uuid else ids[k] end,
      case when k = -1 then ${busy!.contact_id}::uuid else contact_ids[k] end,
      case when g % 2 = 0 then 'inbound' else 'outbound' end,
      'SEED-' || g, 'text', 'Seed message number ' || g || ' with a little text to look like a chat line',
      case when g % 2 = 0 then 'delivered' else 'read' end,
      case when g % 2 = 0 then null else 'api' end,
      ts, ts, ts, ts
    from picked, lateral (select now() - ((${opts.messages}::int - g) * (interval '30 days' / ${opts.messages}::float8)) as ts) t`;
  const eventsN = Math.ceil(opts.deliveries / opts.webhookIds.length);
  // The seeded events are history that was delivered (their delivery rows follow): inserted in one
  // transaction that also moves the endpoints' cursors past them, or the delivery workers would send a
  // month of events again and race the seeded delivery rows (the full run failed on their unique key).
  await sqlc.begin(async (tx) => {
    await seedDeliveredEvents(tx, org, inst, opts.webhookIds, eventsN, opts.deliveries);
    await moveCursorsPastThisTransaction(tx, org);
  });
  await settleBulkLoad(sqlc);
  return { conversationId: busy!.id as string };
}

async function seedDeliveredEvents(sqlc: postgres.TransactionSql, org: string, inst: string, webhookIds: string[], eventsN: number, deliveries: number) {
  await sqlc`
    insert into events (organization_id, instance_id, type, data, at)
    select ${org}, ${inst}, 'message.received', jsonb_build_object('seed', g, 'message', jsonb_build_object('body', 'Seed message number ' || g)),
      now() - ((${eventsN}::int - g) * (interval '30 days' / ${eventsN}::float8))
    from generate_series(1, ${eventsN}) g`;
  const hookIds = `{${webhookIds.join(",")}}`;
  await sqlc`
    insert into webhook_deliveries (organization_id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_duration_ms, delivered_at, created_at, updated_at)
    select ${org}, w.id, e.id, e.type, 'succeeded', 1, null, 204, 3, e.at, e.at, e.at
    from (select id, type, at from events where organization_id = ${org} and data ? 'seed' order by at limit ${eventsN}) e
    cross join unnest(${hookIds}::uuid[]) as w(id)
    limit ${deliveries}`;
}
