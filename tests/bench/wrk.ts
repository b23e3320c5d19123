import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedLoop } from "./lib";

/**
 * Throughput figures come from wrk (Debian package): a C load generator uses far less CPU per
 * request than a JavaScript client, which matters when it shares 2 cores with the server it
 * measures. Installed on first use; when that is impossible, the Bun closed-loop generator stands
 * in (and the report names the tool that ran).
 */
export async function ensureWrk(): Promise<string | null> {
  const found = Bun.which("wrk");
  if (found) return found;
  if (process.getuid?.() !== 0 || !Bun.which("apt-get")) return null;
  const install = async () => {
    const proc = Bun.spawn(["apt-get", "install", "-y", "-q", "wrk"], {
      stdout: "ignore",
      stderr: "ignore",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    const timer = setTimeout(() => proc.kill(), 120_000);
    await proc.exited;
    clearTimeout(timer);
    return Bun.which("wrk");
  };
  const first = await install();
  if (first) return first;
  // A machine that never ran `apt-get update` has no package lists yet.
  const update = Bun.spawn(["apt-get", "update", "-q"], { stdout: "ignore", stderr: "ignore" });
  const timer = setTimeout(() => update.kill(), 120_000);
  await update.exited;
  clearTimeout(timer);
  return install();
}

export type Throughput = { rps: number; requests: number; non2xx: number; tool: string };

/** Requests per second against `url` with `connections` keep-alive connections for `seconds`. */
export async function measureThroughput(
  wrk: string | null,
  url: string,
  opts: { seconds: number; connections: number; headers?: Record<string, string>; method?: string; body?: string },
): Promise<Throughput> {
  if (!wrk) {
    const r = await closedLoop({
      concurrency: opts.connections,
      durationMs: opts.seconds * 1000,
      request: () => ({ url, init: { headers: opts.headers, method: opts.method, body: opts.body } }),
      accept: async (res) => (await res.arrayBuffer(), true),
    });
    const non2xx = Object.entries(r.statuses).reduce((n, [s, c]) => (Number(s) >= 300 ? n + c : n), 0);
    return { rps: (r.sent * 1000) / r.elapsedMs, requests: r.sent, non2xx, tool: "bun-fetch" };
  }
  // One wrk thread: the server under test keeps the other core.
  const args = [wrk, "-t1", `-c${opts.connections}`, `-d${opts.seconds}s`, "--timeout", "5s"];
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push("-H", `${k}: ${v}`);
  let script: string | undefined;
  if (opts.method || opts.body !== undefined) {
    script = join(tmpdir(), `lc-bench-wrk-${process.pid}-${Math.random().toString(36).slice(2)}.lua`);
    writeFileSync(script, `wrk.method = ${JSON.stringify(opts.method ?? "GET")}\nwrk.body = ${JSON.stringify(opts.body ?? "")}\n`);
    args.push("-s", script);
  }
  args.push(url);
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(), (opts.seconds + 20) * 1000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(timer);
  if (script) rmSync(script, { force: true });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  if (!Number.isFinite(rps)) throw new Error(`wrk failed: ${(err || out).slice(0, 300)}`);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, requests, non2xx, tool: "wrk" };
}
