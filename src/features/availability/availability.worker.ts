import { registerPeriodicWorker } from "@/workers/registry";
import { log } from "@/lib/logger";
import { autoAssign, markInactiveAway, organizationsWithWaitingConversations } from "./availability.service";

/** How often inactive members are turned away and waiting conversations looked for. */
export const availabilitySweep = { intervalMs: 60_000 };

/**
 * Inactivity → away, and a safety net for auto-assignment: a conversation that entered an
 * auto-assigned department by a path that did not trigger it is handed out within a minute.
 */
registerPeriodicWorker({
  name: "availability",
  firstRunMs: 15_000,
  intervalMs: () => availabilitySweep.intervalMs,
  async run() {
    const away = await markInactiveAway();
    if (away > 0) log.info("inactive members turned away", { away });
    for (const organizationId of await organizationsWithWaitingConversations()) await autoAssign(organizationId);
  },
});
