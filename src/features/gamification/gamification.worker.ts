import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { calculateDueScores } from "./gamification.service";

/** Scores of the current period refreshed hourly; a period that just ended gets its top 5 recorded. */
registerPeriodicWorker({
  name: "gamification-scores",
  firstRunMs: 120_000,
  intervalMs: () => 60 * 60_000,
  async run() {
    const runs = await calculateDueScores();
    if (runs > 0) log.info("gamification scores calculated", { runs });
  },
});
