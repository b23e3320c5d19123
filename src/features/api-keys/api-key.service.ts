import { and, desc, eq, isNull } from "drizzle-orm";
import { db, notify, type DbOrTx } from "@/db/client";
import { apiKeys } from "@/db/schema";
import { randomBase62, sha256Hex } from "@/lib/crypto";
import { notFound } from "@/lib/errors";
import { API_KEY_PREFIX, API_KEY_REVOKED_CHANNEL, evictApiKey } from "./api-key.verify";

export type ApiKey = typeof apiKeys.$inferSelect;

export type NewApiKey = {
  organizationId: string | null;
  name: string;
  scopes: string[];
  deviceId?: string | null;
  instanceId?: string | null;
  expiresAt?: Date | null;
  requestsPerMinute?: number | null;
  maxMessagesPerDay?: number | null;
  createdByUserId?: string | null;
};

/** Creates a key; the returned `secret` is the only time the full key exists outside the caller. */
export async function createApiKey(input: NewApiKey, tx: DbOrTx = db): Promise<{ key: ApiKey; secret: string }> {
  const secret = `${API_KEY_PREFIX}${randomBase62(32)}`;
  const [key] = await tx
    .insert(apiKeys)
    .values({
      organizationId: input.organizationId,
      name: input.name,
      scopes: input.scopes,
      deviceId: input.deviceId ?? null,
      instanceId: input.instanceId ?? null,
      expiresAt: input.expiresAt ?? null,
      requestsPerMinute: input.requestsPerMinute ?? null,
      maxMessagesPerDay: input.maxMessagesPerDay ?? null,
      createdByUserId: input.createdByUserId ?? null,
      displayPrefix: secret.slice(0, API_KEY_PREFIX.length + 6),
      keyHash: sha256Hex(secret),
    })
    .returning();
  return { key: key!, secret };
}

export async function listApiKeys(organizationId: string, tx: DbOrTx = db): Promise<ApiKey[]> {
  return tx.select().from(apiKeys).where(eq(apiKeys.organizationId, organizationId)).orderBy(desc(apiKeys.createdAt));
}

/** Revokes a key of the organization and tells every process to drop it from its cache. */
export async function revokeApiKey(organizationId: string, keyId: string, tx?: DbOrTx): Promise<ApiKey> {
  const run = async (t: DbOrTx) => {
    const [key] = await t
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.organizationId, organizationId), isNull(apiKeys.revokedAt)))
      .returning();
    if (!key) {
      const [existing] = await t
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.organizationId, organizationId)));
      if (!existing) throw notFound("API key");
      return existing;
    }
    await notify(API_KEY_REVOKED_CHANNEL, key.keyHash, t);
    return key;
  };
  const key = await (tx ? run(tx) : db.transaction(run));
  // This process need not wait for its own NOTIFY; other processes evict when it arrives.
  evictApiKey(key.keyHash);
  return key;
}
