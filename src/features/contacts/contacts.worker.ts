import { log } from "@/lib/logger";
import { registerWorker } from "@/workers/registry";
import { refreshStaleProfiles } from "./contact.whatsapp";
import { canonicalizeStoredPhones } from "./identity.service";

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

/** How often stale WhatsApp profiles (pictures older than a day) are looked for (mutable for tests). */
export const profileRefresh = { intervalMs: 5 * 60 * 1000, batch: 20 };

let timer: ReturnType<typeof setTimeout> | null = null;
let running: Promise<unknown> | null = null;
let stopped = false;

function schedule(delayMs: number) {
  if (stopped) return;
  timer = setTimeout(() => {
    running = refreshStaleProfiles(profileRefresh.batch)
      .then((stored) => {
        if (stored > 0) log.info("contact profiles refreshed", { stored });
      })
      .catch((err) => log.error("contact profile refresh crashed", { err }))
      .finally(() => schedule(profileRefresh.intervalMs));
  }, delayMs);
  timer.unref?.();
}

/** Pictures of active contacts, kept current in small batches (WhatsApp's picture links also expire). */
registerWorker({
  name: "contact-profiles",
  start() {
    stopped = false;
    schedule(60_000);
  },
  async stop() {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  },
});
