// A fresh start on the embedded PGlite (no DATABASE_URL): every migration, the partitioned tables included,
// then the partitions of today's rows before the first request; the app then records into them.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "lc-pglite-boot-"));
let child: ReturnType<typeof Bun.spawn> | undefined;
afterAll(async () => {
  child?.kill("SIGTERM");
  await child?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

test("a first start on PGlite migrates, creates today's partitions before listening, and serves", async () => {
  const env: Record<string, string | undefined> = { ...process.env, PORT: "0", HOST: "127.0.0.1", WORKERS: "false", LOG_LEVEL: "info", DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  child = Bun.spawn(["bun", join(ROOT, "src/index.ts")], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  let out = "";
  // A first PGlite start takes 20–40 s on the shared 2-core machine (README).
  const deadline = Date.now() + 170_000;
  while (Date.now() < deadline && !out.includes('"LivChat listening"')) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const lines = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { msg: string; created?: number; port?: number });
  const maintained = lines.findIndex((l) => l.msg === "partitions maintained");
  const listening = lines.findIndex((l) => l.msg === "LivChat listening");
  expect(listening).toBeGreaterThan(-1);
  // Partitions first (3 tables × the default retention and the days ahead, and the usage months), then traffic.
  expect(maintained).toBeGreaterThan(-1);
  expect(maintained).toBeLessThan(listening);
  expect(lines[maintained]!.created).toBeGreaterThanOrEqual(12);
  const health = await fetch(`http://127.0.0.1:${lines[listening]!.port}/health`);
  expect(health.status).toBe(200);
}, 200_000);
