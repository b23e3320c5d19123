import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { runDueCrmSyncs } from "./crm-sync.run";
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

/**
 * CRM syncs on their schedule: every minute each process claims the due configs under the job
 * mechanism's lease (claimDue), so two processes never sync the same config at once.
 */
registerPeriodicWorker({
  name: "crm-syncs",
  firstRunMs: 45_000,
  intervalMs: () => 60_000,
  async run() {
    const runs = await runDueCrmSyncs();
    for (const run of runs) log.info("crm sync ran", { configId: run.configId, status: run.status, created: run.created, updated: run.updated });
  },
});
