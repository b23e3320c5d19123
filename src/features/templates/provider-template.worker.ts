import { log } from "@/lib/logger";
import { registerPeriodicWorker } from "@/workers/registry";
import { syncAllProviderTemplates } from "./provider-template.service";

/** How often every Cloud instance's WABA templates are refreshed (mutable for tests). */
export const providerTemplateSync = { intervalMs: 60 * 60 * 1000 };

/** A periodic refresh of Cloud message templates (approvals and rejections happen at Meta, not here). */
registerPeriodicWorker({
  name: "provider-templates",
  // A first pass shortly after start, then every interval.
  firstRunMs: 30_000,
  intervalMs: () => providerTemplateSync.intervalMs,
  async run() {
    const r = await syncAllProviderTemplates();
    if (r.instances > 0) log.info("provider templates synced", r);
  },
});
