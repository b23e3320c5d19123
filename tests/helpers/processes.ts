import { join } from "node:path";

/**
 * Starts tests/helpers/app-process.ts as a real `bun` child against the test's database and waits
 * for its port. `stop()` sends SIGTERM and waits for the exit.
 */
export async function startAppProcess(env: Record<string, string | undefined> = {}) {
  const child = Bun.spawn(["bun", join(import.meta.dir, "app-process.ts")], {
    cwd: join(import.meta.dir, "../.."),
    env: { ...process.env, WORKERS: "false", LOG_LEVEL: "error", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const stop = async () => {
    child.kill("SIGTERM");
    await child.exited;
  };
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  let buffered = "";
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += new TextDecoder().decode(value);
    const match = buffered.match(/READY (\d+)/);
    if (match) {
      reader.releaseLock();
      return { url: `http://127.0.0.1:${match[1]}`, child, stop };
    }
  }
  await stop();
  throw new Error(`second process did not start: ${buffered}`);
}
