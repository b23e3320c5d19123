import { log } from "@/lib/logger";

/**
 * A background loop that every process runs. Workers that claim rows (outbound sends, webhook
 * deliveries, automation turns and follow-ups, media, transcriptions) are `jobLoop`s of src/workers/jobs.ts.
 */
export type Worker = {
  name: string;
  start(): void | Promise<void>;
  /** Stop claiming new work and finish or release what is in flight. */
  stop(): Promise<void>;
};

const workers: Worker[] = [];

export function registerWorker(worker: Worker): void {
  workers.push(worker);
}

export async function startWorkers(): Promise<void> {
  for (const w of workers) {
    await w.start();
    log.info("worker started", { worker: w.name });
  }
}

export async function stopWorkers(): Promise<void> {
  await Promise.allSettled(workers.map((w) => w.stop()));
}

/**
 * A task every process runs on a timer, not per claimed row (the media retention sweep, stale contact
 * profiles, Cloud template sync): first after `firstRunMs`, then `intervalMs()` after each run ends, so
 * runs never overlap; a failing run is logged and the next one still comes. Stopping waits for a run
 * in progress. Its work must be safe to run in several processes at once (each is idempotent).
 */
export function registerPeriodicWorker(task: { name: string; firstRunMs: number; intervalMs: () => number; run: () => Promise<void> }): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = task
        .run()
        .catch((err) => log.error("periodic worker run failed", { worker: task.name, err }))
        .finally(() => schedule(task.intervalMs()));
    }, delayMs);
    timer.unref?.();
  };
  registerWorker({
    name: task.name,
    start() {
      stopped = false;
      schedule(task.firstRunMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  });
}
