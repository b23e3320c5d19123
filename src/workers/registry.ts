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
