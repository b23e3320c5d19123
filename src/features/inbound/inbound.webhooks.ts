import { createHmac, timingSafeEqual } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { evictionChannel, type KeyedCache } from "@/db/notified-cache";
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
 * The instance a provider webhook names, cached per process (src/db/notified-cache.ts): every inbound
 * event starts with this lookup. The `instances_changed` trigger's NOTIFY (drizzle/0037: any change but
 * the 15-second activity stamp; payload the instance id) evicts every key that cached the instance.
 * Misses are not cached, so a new instance is found at once.
 */
export const INSTANCE_CHANGED_CHANNEL = "instance_changed";
const instanceCache: KeyedCache<Instance | undefined> = evictionChannel(INSTANCE_CHANGED_CHANNEL, (instanceId) =>
  instanceCache.evictWhere((row) => row?.id === instanceId),
).cache({ keep: (row) => row !== undefined });

export async function findWuzapiInstance(userID: string): Promise<Instance | undefined> {
  return instanceCache.get(`wuzapi:${userID}`, async () => (await wuzapiInstanceByUser.execute({ userID }))[0]);
}

export async function findCloudInstance(instanceId: string): Promise<Instance | undefined> {
  if (!isUuid(instanceId)) return undefined;
  return instanceCache.get(`cloud:${instanceId}`, async () => (await cloudInstanceById.execute({ instanceId }))[0]);
}
