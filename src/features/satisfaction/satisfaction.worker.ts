import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { closeExpiredSurveys } from "./satisfaction.service";

/** Surveys past their answer or comment window stop waiting, so the contact's next message is an ordinary one. */
registerPeriodicWorker({
  name: "satisfaction-surveys",
  firstRunMs: 60_000,
  intervalMs: () => 5 * 60_000,
  async run() {
    const closed = await closeExpiredSurveys();
    if (closed > 0) log.info("satisfaction surveys expired", { closed });
  },
});
