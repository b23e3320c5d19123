import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { dispatchDue } from "./campaign.dispatch";

/**
 * The campaign sender, every second in every process: each pass takes the due pacing slots with row
 * locks (campaign.dispatch.ts), so processes share campaigns without exceeding their pace.
 */
export const campaignWorkerSettings = { intervalMs: 1000 };

registerPeriodicWorker({
  name: "campaigns",
  firstRunMs: 2_000,
  intervalMs: () => campaignWorkerSettings.intervalMs,
  async run() {
    const sent = await dispatchDue();
    if (sent > 0) log.info("campaign messages queued", { sent });
  },
});
