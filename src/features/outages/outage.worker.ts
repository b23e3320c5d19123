import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { dispatchOutages } from "./outage.dispatch";

/**
 * The outage notice sender, every second in every process: each pass takes the due pacing slots with
 * row locks (outage.dispatch.ts), so processes share an outage without exceeding its pace.
 */
export const outageWorkerSettings = { intervalMs: 1000 };

registerPeriodicWorker({
  name: "outages",
  firstRunMs: 2_000,
  intervalMs: () => outageWorkerSettings.intervalMs,
  async run() {
    const sent = await dispatchOutages();
    if (sent > 0) log.info("outage messages queued", { sent });
  },
});
