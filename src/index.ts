import { createApp } from "@/app";
import { config } from "@/config";
import { closeDatabase, migrateDatabase } from "@/db/client";
import { startApiKeyLastUsedFlush, stopApiKeyLastUsedFlush } from "@/features/api-keys/api-key.verify";
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
import { boundHeapGrowth } from "@/lib/heap";

async function boot() {
  await migrateDatabase();
  // The partitions today's rows go to exist before the first request (events, deliveries, usage; issue 21).
  await maintainPartitionsAtBoot();
  // Before anything reads or writes a secret: a wrong or lost key stops here.
  await verifyAppSecret();
  await sealPlaintextWebhookHeaders();
  startApiKeyLastUsedFlush();
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
  await stopApiKeyLastUsedFlush();
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
