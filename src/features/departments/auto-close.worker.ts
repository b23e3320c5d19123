import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { autoCloseSettings, runAutoClose } from "./auto-close";

/** Auto-close of idle conversations, every minute in every process (each pass is idempotent). */
registerPeriodicWorker({
  name: "auto-close",
  firstRunMs: 20_000,
  intervalMs: () => autoCloseSettings.intervalMs,
  async run() {
    const closed = await runAutoClose();
    if (closed > 0) log.info("idle conversations auto-closed", { closed });
  },
});
