import { createApp } from "@/app";
import { config } from "@/config";
import { closeDatabase, migrateDatabase } from "@/db/client";
import { startApiKeyCacheSync, stopApiKeyCacheSync } from "@/features/api-keys/api-key.verify";
import { sealPlaintextWebhookHeaders } from "@/features/webhooks/webhook.service";
import { maintainPartitionsAtBoot } from "@/features/retention/retention.partitions";
import { verifyAppSecret } from "@/lib/app-secret";
import { BootFailure, listenExclusively } from "@/lib/boot";
import { log } from "@/lib/logger";
import { OVERSIZED_HOOK_FACTOR } from "@/features/inbound/oversized";
import { startCacheSync, stopCacheSync } from "@/db/notified-cache";
import { uploadBodyLimit } from "@/lib/media-url";
import { startWorkers, stopWorkers } from "@/workers/registry";
import "@/workers";

/**
 * Under sustained load JSC promotes whatever is in flight at each young collection (requests, event rows,
 * delivery bodies) to its old generation and defers the full collection until the heap has grown several
 * times over. Inbound bench (issue 21): heap 38 → 140 MB and RSS 150 → 357 MB, nearly all garbage (the first
 * full collection once idle took the heap back to 40 MB). A full collection once the heap grew by
 * GC_HEADROOM_BYTES since the lowest point after the last one held the same run at 232–241 MB. Each pauses
 * 60–110 ms and costs ~105 ms of CPU with its helper threads (a ~40 MB live heap), about one per 4 000 events:
 * ~0.025 ms of app CPU per event. Here rather than in app.ts: it is the server process's policy, not that of
 * tests or scripts that build the app.
 */
const GC_HEADROOM_BYTES = 24 * 1024 * 1024;

function boundHeapGrowth(): void {
  // The lowest heap since the last forced collection: one of JSC's own lowers it too.
  let mark = process.memoryUsage().heapUsed;
  setInterval(() => {
    const used = process.memoryUsage().heapUsed;
    mark = Math.min(mark, used);
    if (used - mark < GC_HEADROOM_BYTES) return;
    Bun.gc(true);
    mark = process.memoryUsage().heapUsed;
  }, 250).unref();
}

async function boot() {
  await migrateDatabase();
  // The partitions today's rows go to exist before the first request (events, deliveries, usage; issue 21).
  await maintainPartitionsAtBoot();
  // Before anything reads or writes a secret: a wrong or lost key stops here.
  await verifyAppSecret();
  await sealPlaintextWebhookHeaders();
  await startApiKeyCacheSync();
  // Every cache module is imported by now (through app.ts): each of their channels is listened to.
  await startCacheSync();
  // The server accepts the larger of the two limits; app.ts enforces the per-path one.
  const maxRequestBodySize = Math.max(config.maxBodyBytes, config.hooksMaxBodyBytes * OVERSIZED_HOOK_FACTOR, uploadBodyLimit());
  return listenExclusively((options) => createApp().listen({ ...options, maxRequestBodySize }), config.host, config.port);
}

let stopping = false;
let app: Awaited<ReturnType<typeof boot>> | undefined;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("shutting down", { signal });
  // Stop accepting first, then let workers finish or release their leases, then close the pool.
  await app?.server?.stop(false);
  await stopWorkers();
  await stopApiKeyCacheSync();
  await stopCacheSync();
  await closeDatabase();
  process.exit(0);
}
// Registered before booting: a SIGTERM during boot, or right after the listening line, must still shut
// down cleanly (registered after it, a signal sent at once still met the default handler, exit 143).
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

app = await boot().catch(async (err) => {
  if (!(err instanceof BootFailure)) throw err;
  // Always printed, whatever LOG_LEVEL: the operator must see why the process exits.
  console.error(`LivChat cannot start: ${err.message}`);
  await closeDatabase().catch(() => {});
  process.exit(1);
});
if (config.workers && !stopping) await startWorkers();
boundHeapGrowth();
log.info("LivChat listening", { url: config.appUrl, host: config.host, port: app.server?.port, database: config.databaseUrl ? "postgres" : "pglite" });
