import { createHmac, timingSafeEqual } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { config } from "@/config";
import { db, listen } from "@/db/client";
import { instances, type Instance } from "@/db/schema";
import { isUuid } from "@/lib/ids";

/** Timing-safe comparison of a presented hex HMAC-SHA256 with the computed `digest` (also for streamed bodies, oversized.ts). */
export function digestMatches(digest: Buffer, presentedHex: string): boolean {
  return /^[0-9a-f]{64}$/i.test(presentedHex) && timingSafeEqual(digest, Buffer.from(presentedHex, "hex"));
}

/** Timing-safe comparison of a presented hex HMAC-SHA256 with the one computed over `raw`. */
function hmacMatches(raw: string, key: string, presentedHex: string): boolean {
  return digestMatches(createHmac("sha256", key).update(raw, "utf8").digest(), presentedHex);
}

/** WuzAPI: `x-hmac-signature` = hex HMAC-SHA256 of the raw body with WUZAPI_HMAC_KEY. No key configured → refuse. */
export function verifyWuzapiSignature(raw: string, header: string | null): boolean {
  const key = config.wuzapi.hmacKey;
  if (!key || !header) return false;
  return hmacMatches(raw, key, header.trim());
}

/** Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. */
export function verifyCloudSignature(raw: string, header: string | null, appSecret: string): boolean {
  if (!header || !appSecret) return false;
  const value = header.trim();
  if (!value.startsWith("sha256=")) return false;
  return hmacMatches(raw, appSecret, value.slice(7));
}

// Every provider webhook starts with one of these lookups: built once as prepared queries, so a
// request pays neither drizzle's query building nor a parse.
const wuzapiInstanceByUser = db
  .select()
  .from(instances)
  .where(and(eq(instances.provider, "wuzapi"), eq(instances.providerInstanceId, sql.placeholder("userID"))))
  .limit(1)
  .prepare("wuzapi_instance_by_user");
const cloudInstanceById = db
  .select()
  .from(instances)
  .where(and(eq(instances.id, sql.placeholder("instanceId")), eq(instances.provider, "cloud")))
  .limit(1)
  .prepare("cloud_instance_by_id");

/**
 * The instance a provider webhook names, cached per process: every inbound event starts with this
 * lookup. Entries are evicted on every process by the `instances_changed` trigger's NOTIFY (any change
 * but the 15-second activity stamp) and expire after a minute in any case, in case a notification was
 * missed while the listening connection reconnected. Only a process that listens caches (src/index.ts
 * starts it); misses are not cached, so a new instance is found at once.
 */
export const INSTANCE_CHANGED_CHANNEL = "instance_changed";
const INSTANCE_CACHE_TTL_MS = 60_000;
const INSTANCE_CACHE_MAX = 10_000;
const instanceCache = new Map<string, { row: Instance; until: number }>();
let stopListening: (() => Promise<void>) | undefined;

async function cachedInstance(key: string, load: () => Promise<Instance | undefined>): Promise<Instance | undefined> {
  if (!stopListening) return load();
  const hit = instanceCache.get(key);
  if (hit && hit.until > Date.now()) return hit.row;
  const row = await load();
  if (row) {
    if (instanceCache.size >= INSTANCE_CACHE_MAX) instanceCache.delete(instanceCache.keys().next().value as string);
    instanceCache.set(key, { row, until: Date.now() + INSTANCE_CACHE_TTL_MS });
  } else instanceCache.delete(key);
  return row;
}

/** Drops the cached entries of an instance (NOTIFY payload: its id). */
export function evictInstance(instanceId: string): void {
  for (const [key, entry] of instanceCache) if (entry.row.id === instanceId) instanceCache.delete(key);
}

export async function startInstanceCacheSync(): Promise<void> {
  stopListening ??= await listen(INSTANCE_CHANGED_CHANNEL, evictInstance);
}

export async function stopInstanceCacheSync(): Promise<void> {
  const stop = stopListening;
  stopListening = undefined;
  instanceCache.clear();
  await stop?.().catch(() => {});
}

export async function findWuzapiInstance(userID: string): Promise<Instance | undefined> {
  return cachedInstance(`wuzapi:${userID}`, async () => (await wuzapiInstanceByUser.execute({ userID }))[0]);
}

export async function findCloudInstance(instanceId: string): Promise<Instance | undefined> {
  if (!isUuid(instanceId)) return undefined;
  return cachedInstance(`cloud:${instanceId}`, async () => (await cloudInstanceById.execute({ instanceId }))[0]);
}
