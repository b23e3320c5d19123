import { log } from "@/lib/logger";
import { registerWorker } from "@/workers/registry";
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
