import { createApp } from "@/app";
import { config } from "@/config";
import { closeDatabase, migrateDatabase } from "@/db/client";
import { startApiKeyCacheSync, stopApiKeyCacheSync } from "@/features/api-keys/api-key.verify";
import { log } from "@/lib/logger";
import { startWorkers, stopWorkers } from "@/workers/registry";
import "@/workers";

await migrateDatabase();
await startApiKeyCacheSync();
// The server accepts the larger of the two limits; app.ts enforces the per-path one.
const app = createApp().listen({ port: config.port, maxRequestBodySize: Math.max(config.maxBodyBytes, config.hooksMaxBodyBytes) });
if (config.workers) await startWorkers();
log.info("LivChat listening", { url: config.appUrl, port: app.server?.port, database: config.databaseUrl ? "postgres" : "pglite" });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("shutting down", { signal });
  // Stop accepting first, then let workers finish or release their leases, then close the pool.
  await app.server?.stop(false);
  await stopWorkers();
  await stopApiKeyCacheSync();
  await closeDatabase();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
