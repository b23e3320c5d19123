import { eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { evictionChannel } from "@/db/notified-cache";
import { apiKeys, devices, organizations } from "@/db/schema";
import { port } from "@/lib/port";
import { sha256Hex } from "@/lib/crypto";
import { log } from "@/lib/logger";

export const API_KEY_PREFIX = "lc_live_";
export const API_KEY_PATTERN = /^lc_live_[0-9A-Za-z]{32}$/;
/** Channel on which every process hears of revoked keys (payload: the key hash). */
export const API_KEY_REVOKED_CHANNEL = "livchat_api_key_revoked";

/** What a request authenticated by an API key may act as; cached in process. */
export type VerifiedApiKey = {
  id: string;
  /** Null for a visitor's key before sign-up: scope its queries by `deviceId` (lib/tenant `tenantOf`). */
  organizationId: string | null;
  /** Set when the key belongs to a device: revoking the device revokes the key. */
  deviceId: string | null;
  /**
   * Set when the key is bound to one instance: routes must act on that instance only (a different
   * instance id → 404) and may default `instanceId` to it. Null = every instance of the organization.
   */
  instanceId: string | null;
  scopes: string[];
  expiresAt: Date | null;
  /** Effective requests per minute: key override ?? organization plan (instance overrides apply to messages). */
  requestsPerMinute: number;
  maxMessagesPerDay: number | null;
};

const POSITIVE_TTL_MS = 60_000;
const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;
const DEFAULT_ANONYMOUS_RPM = 60;

/**
 * Key hash → verdict (null: unknown, revoked or device revoked). Cached even while not listening: this
 * process's own revocations evict at once (revokeApiKey, rotateTryKey), other processes' by NOTIFY.
 */
const verdicts = evictionChannel(API_KEY_REVOKED_CHANNEL, evictApiKey).cache<VerifiedApiKey | null>({
  ttlMs: (key) => (key ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS),
  maxEntries: MAX_ENTRIES,
  evenWhenNotListening: true,
});
/** Key id → when it was last used (ms); flushed to api_keys.last_used_at every 10 s. */
const lastUsed = new Map<string, number>();

const findKeyByHash = db
  .select({
    id: apiKeys.id,
    organizationId: apiKeys.organizationId,
    deviceId: apiKeys.deviceId,
    instanceId: apiKeys.instanceId,
    scopes: apiKeys.scopes,
    expiresAt: apiKeys.expiresAt,
    revokedAt: apiKeys.revokedAt,
    requestsPerMinute: apiKeys.requestsPerMinute,
    maxMessagesPerDay: apiKeys.maxMessagesPerDay,
    orgRequestsPerMinute: organizations.apiRequestsPerMinute,
    deviceRevokedAt: devices.revokedAt,
  })
  .from(apiKeys)
  .leftJoin(organizations, eq(organizations.id, apiKeys.organizationId))
  .leftJoin(devices, eq(devices.id, apiKeys.deviceId))
  .where(eq(apiKeys.keyHash, sql.placeholder("hash")))
  .limit(1)
  .prepare("find_api_key_by_hash");

/**
 * The cached verdict on a presented key: the key, null when it is malformed, unknown, revoked or
 * expired, or undefined when the cache cannot tell (verifyApiKey then reads the database). Synchronous
 * because it runs on every /v1 request, where the verdict is nearly always cached.
 */
export function verifyApiKeyFromCache(presented: string): VerifiedApiKey | null | undefined {
  if (!API_KEY_PATTERN.test(presented)) return null;
  // One clock read for the entry's lifetime and the key's expiry (a second one showed in the /v1 hot path).
  const now = Date.now();
  const cached = verdicts.peek(sha256Hex(presented), now);
  return cached === undefined ? undefined : admit(cached, now);
}

/**
 * Verifies a presented key. Served from the in-process cache when warm, so the hot path does not
 * touch the database; revocations evict entries on every process through LISTEN/NOTIFY.
 */
export async function verifyApiKey(presented: string): Promise<VerifiedApiKey | null> {
  if (!API_KEY_PATTERN.test(presented)) return null;
  const hash = sha256Hex(presented);
  const now = Date.now();
  const cached = verdicts.peek(hash, now);
  if (cached !== undefined) return admit(cached, now);
  return admit(await verdicts.get(hash, () => loadVerdict(hash)));
}

async function loadVerdict(hash: string): Promise<VerifiedApiKey | null> {
  const [row] = await findKeyByHash.execute({ hash });
  const valid = row && !row.revokedAt && !row.deviceRevokedAt;
  return valid
    ? {
        id: row.id,
        organizationId: row.organizationId,
        deviceId: row.deviceId,
        instanceId: row.instanceId,
        scopes: row.scopes,
        expiresAt: row.expiresAt,
        requestsPerMinute: row.requestsPerMinute ?? row.orgRequestsPerMinute ?? DEFAULT_ANONYMOUS_RPM,
        maxMessagesPerDay: row.maxMessagesPerDay,
      }
    : null;
}

/** A known key is usable until it expires; its use is noted for the batched lastUsedAt write. */
function admit(key: VerifiedApiKey | null, now = Date.now()): VerifiedApiKey | null {
  if (!key) return null;
  if (key.expiresAt && key.expiresAt.getTime() <= now) return null;
  lastUsed.set(key.id, now);
  return key;
}

/** True when the key grants `scope` ("*" grants all; "contacts:*" grants every contacts scope). */
export function hasScope(key: Pick<VerifiedApiKey, "scopes">, scope: string): boolean {
  const [resource] = scope.split(":");
  return key.scopes.includes("*") || key.scopes.includes(scope) || key.scopes.includes(`${resource}:*`);
}

/** Drops cached entries; called on NOTIFY from any process (payload = key hash, or "*" for all). */
export function evictApiKey(hashOrAll: string): void {
  if (hashOrAll === "*") verdicts.clear();
  else verdicts.evict(hashOrAll);
}

/** Writes the batched lastUsedAt values in one statement instead of one write per request. */
export async function flushApiKeyLastUsed(): Promise<void> {
  if (lastUsed.size === 0) return;
  const batch = [...lastUsed.entries()];
  lastUsed.clear();
  // One timestamp per flush is precise enough for "last used" and keeps it to a single UPDATE.
  const at = new Date(Math.max(...batch.map(([, usedAt]) => usedAt)));
  const touched = await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(
      inArray(
        apiKeys.id,
        batch.map(([id]) => id),
      ),
    )
    .returning({ deviceId: apiKeys.deviceId });
  // A device is "seen" whenever one of its keys is used; same batch, one more statement at most.
  const deviceIds = [...new Set(touched.map((k) => k.deviceId).filter((d): d is string => d !== null))];
  if (deviceIds.length > 0) await noteDevicesSeen(deviceIds, at);
}

/**
 * Devices are "seen" when one of their keys is used. The devices feature owns that row and sits
 * above this one (it issues device keys): src/routes.ts plugs in its service.
 */
export const noteDevicesSeen = port<(deviceIds: string[], at: Date) => Promise<void>>("api-keys: devices seen through their keys");

let flushTimer: ReturnType<typeof setInterval> | undefined;

/** Starts the lastUsedAt flusher (revocations are heard through startCacheSync). */
export function startApiKeyLastUsedFlush(): void {
  if (flushTimer) return;
  flushTimer = setInterval(() => {
    flushApiKeyLastUsed().catch((err) => log.warn("api key lastUsedAt flush failed", { err }));
  }, 10_000);
  flushTimer.unref?.();
}

/** Stops the flusher and writes what is pending (graceful shutdown). */
export async function stopApiKeyLastUsedFlush(): Promise<void> {
  clearInterval(flushTimer);
  flushTimer = undefined;
  await flushApiKeyLastUsed().catch(() => {});
}
