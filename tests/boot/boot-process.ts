import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");

export type Booted = { port: number; stop: () => Promise<number> /** What it printed up to the listening line. */; output: string };
export type Refused = { code: number; stderr: string };

/**
 * Runs `bun src/index.ts` — the real boot: migrations, key check, listen — against the test's
 * database. Resolves with the port once it logs "LivChat listening", or with the exit code and
 * stderr when it stops first.
 */
export async function boot(env: Record<string, string>): Promise<Booted | Refused> {
  const child = Bun.spawn(["bun", join(ROOT, "src/index.ts")], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", WORKERS: "false", LOG_LEVEL: "info", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = new Response(child.stderr).text();
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  let out = "";
  const deadline = Date.now() + 25_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
    const line = out.split("\n").find((l) => l.includes('"LivChat listening"'));
    if (line) {
      reader.releaseLock();
      return {
        port: JSON.parse(line).port as number,
        output: out,
        stop: async () => {
          child.kill("SIGTERM");
          return child.exited;
        },
      };
    }
  }
  const code = await child.exited;
  return { code, stderr: await stderr };
}

export function expectBooted(result: Booted | Refused): Booted {
  if ("stderr" in result) throw new Error(`expected LivChat to start; it exited ${result.code}:\n${result.stderr}`);
  return result;
}

export function expectRefused(result: Booted | Refused): Refused {
  if ("port" in result) {
    void result.stop();
    throw new Error(`expected LivChat to refuse to start; it listens on ${result.port}`);
  }
  return result;
}
