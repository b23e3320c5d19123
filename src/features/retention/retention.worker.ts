import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { sweepExpiredMessages } from "./retention.messages";
import { maintainPartitions } from "./retention.partitions";

/**
 * Hourly: partitions ahead for the bounded tables, rows caught by DEFAULT partitions moved out, partitions
 * past retention dropped, then expired messages of organizations that chose a message retention. Boot runs
 * `maintainPartitions` once before listening (src/index.ts), so the current partitions exist before traffic.
 */
registerPeriodicWorker({
  name: "retention",
  firstRunMs: 60_000,
  intervalMs: () => 3_600_000,
  async run() {
    await maintainPartitions();
    const messages = await sweepExpiredMessages();
    if (messages > 0) log.info("retention: expired messages deleted", { messages });
  },
});
