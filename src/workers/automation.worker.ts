import { processDueFollowUps, processDueReplies } from "@/features/automation/automation.service";
import { log } from "@/lib/logger";
import { registerWorker } from "./registry";

const POLL_MS = 500;
let timer: ReturnType<typeof setTimeout> | undefined;
let running: Promise<void> | undefined;
let stopped = true;

async function tick() {
  try {
    await processDueReplies();
    await processDueFollowUps();
  } catch (err) {
    log.error("automation worker tick failed", { err });
  }
}

function schedule() {
  if (stopped) return;
  timer = setTimeout(() => {
    running = tick().finally(() => {
      running = undefined;
      schedule();
    });
  }, POLL_MS);
}

/** Debounced workflow replies and follow-ups: every process polls, SKIP LOCKED splits the work. */
registerWorker({
  name: "automation",
  start() {
    stopped = false;
    schedule();
  },
  async stop() {
    stopped = true;
    clearTimeout(timer);
    await running;
  },
});
