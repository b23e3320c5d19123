import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { checkSlaBreaches } from "./alert.rules";

/** How often open conversations are checked against their department's targets (a target is in minutes). */
export const slaCheck = { intervalMs: 30_000 };

/** SLA breaches: one alert per breach, safe in several processes (alerts are deduplicated). */
registerPeriodicWorker({
  name: "sla-alerts",
  firstRunMs: 15_000,
  intervalMs: () => slaCheck.intervalMs,
  async run() {
    const raised = await checkSlaBreaches();
    if (raised > 0) log.info("sla alerts raised", { raised });
  },
});
