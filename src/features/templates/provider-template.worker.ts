import { log } from "@/lib/logger";
import { registerWorker } from "@/workers/registry";
import { syncAllProviderTemplates } from "./provider-template.service";

/** How often every Cloud instance's WABA templates are refreshed (mutable for tests). */
export const providerTemplateSync = { intervalMs: 60 * 60 * 1000 };

let timer: ReturnType<typeof setTimeout> | null = null;
let running: Promise<unknown> | null = null;
let stopped = false;

function schedule(delayMs: number) {
  if (stopped) return;
  timer = setTimeout(() => {
    running = syncAllProviderTemplates()
      .then((r) => {
        if (r.instances > 0) log.info("provider templates synced", r);
      })
      .catch((err) => log.error("provider template sync crashed", { err }))
      .finally(() => schedule(providerTemplateSync.intervalMs));
  }, delayMs);
  timer.unref?.();
}

/** A periodic refresh of Cloud message templates (approvals and rejections happen at Meta, not here). */
registerWorker({
  name: "provider-templates",
  start() {
    stopped = false;
    // A first pass shortly after start, then every interval.
    schedule(30_000);
  },
  async stop() {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  },
});
