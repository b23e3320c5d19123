import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { runPromiseSweep } from "./promise.service";

/** Promise reminders and broken tracking, every minute in every process (each pass is idempotent). */
registerPeriodicWorker({
  name: "payment-promises",
  firstRunMs: 30_000,
  intervalMs: () => 60_000,
  async run() {
    const done = await runPromiseSweep();
    if (done.reminded + done.broken > 0) log.info("payment promises swept", done);
  },
});
