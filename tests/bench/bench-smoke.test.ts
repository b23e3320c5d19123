// Keeps `bun run bench` from rotting: the quick mode must run end to end and write every row.
// It asserts that each scenario ran (a number, no error), never how fast anything was.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BENCH_ROWS, type BenchReport } from "./rows";

const ROOT = resolve(import.meta.dir, "../..");

test("bun run bench --quick writes the table with every scenario row", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lc-bench-"));
  const out = join(dir, "latest.json");
  try {
    // The bench makes its own database; the test file's DATABASE_URL must not leak into it.
    const { DATABASE_URL: _ignored, ...env } = process.env;
    const proc = Bun.spawn([process.execPath, "run", "bench", "--quick", `--out=${out}`], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill(), 240_000);
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    const code = await proc.exited;
    clearTimeout(timer);
    if (code !== 0) console.error(stdout, stderr);
    expect(code).toBe(0);
    expect(stdout).toContain("scenario");

    const report = JSON.parse(readFileSync(out, "utf8")) as BenchReport;
    expect(report.mode).toBe("quick");
    expect(report.rows.map((r) => r.scenario)).toEqual([...BENCH_ROWS]);
    for (const row of report.rows) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining(["scenario", "figure", "baseline", "ratio", "target", "pass"]));
      expect({ scenario: row.scenario, error: row.error }).toEqual({ scenario: row.scenario, error: undefined });
      expect(Number.isFinite(row.figure)).toBe(true);
      expect(typeof row.pass).toBe("boolean");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 270_000);
