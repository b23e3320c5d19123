import { log } from "@/lib/logger";
import { registerPeriodicWorker, registerWorker } from "@/workers/registry";
import { refreshStaleProfiles } from "./contact.whatsapp";
import { canonicalizeStoredPhones } from "./identity.service";
import { contactImportJobs, IMPORT_DUE_CHANNEL } from "./contact-import.service";
import { jobLoop } from "@/workers/jobs";

let pass: Promise<void> | null = null;

/**
 * Once per start, in the background: contacts stored before phones were canonical (a Brazilian mobile
 * without its ninth digit) take the canonical phone or merge with the contact that has it.
 */
registerWorker({
  name: "contact-phones",
  start() {
    pass = canonicalizeStoredPhones()
      .then((fixed) => {
        if (fixed > 0) log.info("stored phones made canonical", { fixed });
      })
      .catch((err) => log.error("making stored phones canonical failed", { err }));
  },
  async stop() {
    await pass;
  },
});

/** How often stale WhatsApp profiles (pictures older than a day) are looked for, and how many per pass. */
const profileRefresh = { intervalMs: 5 * 60 * 1000, batch: 20 };

/** Pictures of active contacts, kept current in small batches (WhatsApp's picture links also expire). */
registerPeriodicWorker({
  name: "contact-profiles",
  firstRunMs: 60_000,
  intervalMs: () => profileRefresh.intervalMs,
  async run() {
    const stored = await refreshStaleProfiles(profileRefresh.batch);
    if (stored > 0) log.info("contact profiles refreshed", { stored });
  },
});

/** CSV imports: one at a time per process (each streams its file and writes batches of 1000). */
registerWorker(jobLoop(contactImportJobs(), () => ({ pollMs: 2000, maxInFlight: 1, drainTimeoutMs: 10_000, channel: IMPORT_DUE_CHANNEL })));
