import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { db, notifyMany, rowsOf, type DbOrTx } from "@/db/client";
import { apiKeys, devices, instances, organizations } from "@/db/schema";
import { randomBase62, sha256Hex } from "@/lib/crypto";
import { AppError, validationFailed, type FieldError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { recordAudit } from "@/features/audit/audit.service";
import type { CreateApiKeyInput } from "./api-key.schema";
import { API_KEY_PREFIX, API_KEY_REVOKED_CHANNEL, evictApiKey } from "./api-key.verify";
import { auditActor, type Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";

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
  /** The key that minted this one; set it through `inheritFromParent`. */
  parentKeyId?: string | null;
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
      parentKeyId: input.parentKeyId ?? null,
      displayPrefix: secret.slice(0, API_KEY_PREFIX.length + 6),
      keyHash: sha256Hex(secret),
    })
    .returning();
  return { key: key!, secret };
}

export type MintLimits = { expiresAt?: Date | null; requestsPerMinute?: number | null; maxMessagesPerDay?: number | null };

/** The stricter of two optional bounds (null/undefined = unbounded). */
function tighter<T extends number | Date>(requested: T | null | undefined, parent: T | null): T | null {
  if (requested == null) return parent;
  if (parent == null) return requested;
  return requested <= parent ? requested : parent;
}

/**
 * What a key minted by another key may be: it expires no later than its parent and its limits never
 * exceed the parent's (the parent's effective rate, its organization's plan when it has no override).
 * The parent row is share-locked in `tx`, so a concurrent revocation of the parent either waits until
 * the new key exists (and then revokes it with the parent) or commits first and the mint is refused.
 */
export async function inheritFromParent(parentKeyId: string, requested: MintLimits, tx: DbOrTx): Promise<Required<MintLimits> & { parentKeyId: string }> {
  const [parent] = await tx
    .select({ key: apiKeys, planRequestsPerMinute: organizations.apiRequestsPerMinute })
    .from(apiKeys)
    .leftJoin(organizations, eq(organizations.id, apiKeys.organizationId))
    .where(eq(apiKeys.id, parentKeyId))
    .for("share", { of: apiKeys });
  const key = parent?.key;
  if (!key || key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= Date.now())) {
    throw new AppError("unauthorized", tText("api-keys:errors.invalidKey"));
  }
  const parentRate = key.requestsPerMinute ?? parent.planRequestsPerMinute ?? null;
  return {
    parentKeyId: key.id,
    expiresAt: tighter(requested.expiresAt, key.expiresAt),
    // No override on either side: the child follows the same organization plan as its parent.
    requestsPerMinute: requested.requestsPerMinute == null && key.requestsPerMinute == null ? null : tighter(requested.requestsPerMinute, parentRate),
    maxMessagesPerDay: tighter(requested.maxMessagesPerDay, key.maxMessagesPerDay),
  };
}

export type RevokedApiKey = ApiKey & {
  /** Keys minted by this one (and by those, recursively) that this revocation revoked too. */
  revokedDescendants: { id: string; keyHash: string }[];
};

/**
 * Revokes a key of the organization together with every key it minted (recursively), and tells every
 * process to drop all of them from its cache.
 */
export async function revokeApiKey(organizationId: string, keyId: string, tx?: DbOrTx): Promise<RevokedApiKey> {
  const run = async (t: DbOrTx): Promise<RevokedApiKey> => {
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
      if (!existing) throw new AppError("not_found", tText("api-keys:errors.notFound"));
      return { ...existing, revokedDescendants: [] };
    }
    // A statement of its own after the parent's: its snapshot sees every child minted before the parent's row lock was ours.
    const revokedDescendants = rowsOf<{ id: string; keyHash: string }>(
      await t.execute(sql`
        with recursive minted as (
          select id from api_keys where parent_key_id = ${key.id}
          union
          select k.id from api_keys k join minted m on k.parent_key_id = m.id
        )
        update api_keys set revoked_at = now()
        where id in (select id from minted) and revoked_at is null
        returning id, key_hash as "keyHash"`),
    );
    await notifyMany(
      [key, ...revokedDescendants].map((k) => ({ channel: API_KEY_REVOKED_CHANNEL, payload: k.keyHash })),
      t,
    );
    return { ...key, revokedDescendants };
  };
  const key = await (tx ? run(tx) : db.transaction(run));
  // This process need not wait for its own NOTIFY; other processes evict when it arrives.
  evictRevokedApiKey(key);
  return key;
}

/** Drops a revoked key and the keys revoked with it from this process's cache. */
export function evictRevokedApiKey(key: RevokedApiKey): void {
  evictApiKey(key.keyHash);
  for (const child of key.revokedDescendants) evictApiKey(child.keyHash);
}

// ——— Organization-facing operations (admin page, devices API): validation, bindings, audit ———

export type ApiKeyStatus = "active" | "expired" | "revoked";

export function apiKeyStatus(key: Pick<ApiKey, "revokedAt" | "expiresAt">, now = new Date()): ApiKeyStatus {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

export type ApiKeyListItem = ApiKey & { instanceName: string | null; deviceName: string | null; status: ApiKeyStatus };

/** The organization's keys (or just `onlyKeyId`) with the names of what they are bound to, newest first. */
export async function listApiKeysWithBindings(organizationId: string, onlyKeyId?: string, tx: DbOrTx = db): Promise<ApiKeyListItem[]> {
  const rows = await tx
    .select({ key: apiKeys, instanceName: instances.name, deviceName: devices.name })
    .from(apiKeys)
    .leftJoin(instances, and(eq(instances.id, apiKeys.instanceId), eq(instances.organizationId, organizationId)))
    .leftJoin(devices, and(eq(devices.id, apiKeys.deviceId), eq(devices.organizationId, organizationId)))
    .where(and(eq(apiKeys.organizationId, organizationId), onlyKeyId ? eq(apiKeys.id, onlyKeyId) : undefined))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  const now = new Date();
  return rows.map((r) => ({ ...r.key, instanceName: r.instanceName, deviceName: r.deviceName, status: apiKeyStatus(r.key, now) }));
}

export async function getApiKey(organizationId: string, keyId: string, tx: DbOrTx = db): Promise<ApiKey> {
  const [key] = await tx
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.organizationId, organizationId)))
    .limit(1);
  if (!key) throw new AppError("not_found", tText("api-keys:errors.notFound"));
  return key;
}

/** What can be bound to a key in the create form: the organization's instances and live devices. */
export async function listKeyBindingOptions(organizationId: string, tx: DbOrTx = db) {
  const [instanceRows, deviceRows] = await Promise.all([
    tx.select({ id: instances.id, name: instances.name }).from(instances).where(eq(instances.organizationId, organizationId)).orderBy(asc(instances.name)),
    tx
      .select({ id: devices.id, name: devices.name })
      .from(devices)
      .where(and(eq(devices.organizationId, organizationId), isNull(devices.revokedAt)))
      .orderBy(asc(devices.name)),
  ]);
  return { instances: instanceRows, devices: deviceRows };
}

/**
 * Creates a key for the caller's organization after checking that the instance/device it is bound to
 * belong to the same organization (a foreign id is a field error, never a cross-tenant binding), and
 * audits it.
 */
export async function createOrganizationApiKey(
  caller: Caller<"user" | "api_key">,
  input: CreateApiKeyInput,
  tx?: DbOrTx,
): Promise<{ key: ApiKey; secret: string }> {
  const organizationId = organizationOf(caller);
  const run = async (t: DbOrTx) => {
    const errors: FieldError[] = [];
    if (input.instanceId) {
      const [instance] = await t
        .select({ id: instances.id })
        .from(instances)
        .where(and(eq(instances.id, input.instanceId), eq(instances.organizationId, organizationId)))
        .limit(1);
      if (!instance) errors.push({ path: "instanceId", message: tText("api-keys:validation.instanceNotInOrganization") });
    }
    if (input.deviceId) {
      const [device] = await t
        .select({ id: devices.id })
        .from(devices)
        .where(and(eq(devices.id, input.deviceId), eq(devices.organizationId, organizationId), isNull(devices.revokedAt)))
        .limit(1);
      if (!device) errors.push({ path: "deviceId", message: tText("api-keys:validation.deviceNotInOrganization") });
    }
    if (errors.length > 0) throw validationFailed(errors);
    const created = await createApiKey(
      {
        organizationId,
        name: input.name,
        scopes: input.scopes,
        instanceId: input.instanceId ?? null,
        deviceId: input.deviceId ?? null,
        expiresAt: input.expiresAt ?? null,
        requestsPerMinute: input.requestsPerMinute ?? null,
        maxMessagesPerDay: input.maxMessagesPerDay ?? null,
        createdByUserId: caller.type === "user" ? caller.id : null,
      },
      t,
    );
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        action: "api_key.created",
        target: { type: "api_key", id: created.key.id },
        request: caller.request,
        details: {
          name: created.key.name,
          displayPrefix: created.key.displayPrefix,
          scopes: created.key.scopes,
          instanceId: created.key.instanceId,
          deviceId: created.key.deviceId,
          expiresAt: created.key.expiresAt?.toISOString() ?? null,
        },
      },
      t,
    );
    return created;
  };
  return tx ? run(tx) : db.transaction(run);
}

/**
 * Revokes a key of the caller's organization with an audit row (only the first revocation is audited;
 * revoking an already revoked key is a no-op that returns it). Another organization's id → 404.
 */
export async function revokeOrganizationApiKey(caller: Caller, keyId: string, tx?: DbOrTx): Promise<RevokedApiKey> {
  const organizationId = organizationOf(caller);
  const run = async (t: DbOrTx): Promise<RevokedApiKey> => {
    const existing = await getApiKey(organizationId, keyId, t);
    if (existing.revokedAt) return { ...existing, revokedDescendants: [] };
    const key = await revokeApiKey(organizationId, keyId, t);
    const minted = key.revokedDescendants.map((k) => k.id);
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        action: "api_key.revoked",
        target: { type: "api_key", id: key.id },
        request: caller.request,
        details: { name: key.name, displayPrefix: key.displayPrefix, ...(minted.length > 0 ? { revokedMintedKeys: minted } : {}) },
      },
      t,
    );
    return key;
  };
  if (tx) return run(tx);
  const key = await db.transaction(run);
  // revokeApiKey evicted inside the transaction; a request in between could have re-cached the
  // still-uncommitted rows, so evict once more now that the revocation is visible.
  evictRevokedApiKey(key);
  return key;
}

/**
 * Sign-up claims a visitor device's keys for the new organization (inside the claim's transaction).
 * Every process may hold them cached as org-less: they are evicted once the claim commits (a NOTIFY
 * inside a transaction is delivered only on commit).
 */
export async function claimDeviceApiKeys(deviceId: string, organizationId: string, tx: DbOrTx): Promise<number> {
  const keys = await tx
    .update(apiKeys)
    .set({ organizationId })
    .where(and(eq(apiKeys.deviceId, deviceId), isNull(apiKeys.organizationId)))
    .returning({ keyHash: apiKeys.keyHash });
  if (keys.length)
    await notifyMany(
      keys.map((k) => ({ channel: API_KEY_REVOKED_CHANNEL, payload: k.keyHash })),
      tx,
    );
  return keys.length;
}

/**
 * Revokes a visitor's live keys for one instance (the try page's "new key"), inside the caller's
 * transaction; other processes evict them on commit. Returns their hashes so this process can evict too.
 */
export async function revokeVisitorKeys(deviceId: string, instanceId: string, tx: DbOrTx): Promise<string[]> {
  const revoked = await tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.deviceId, deviceId), eq(apiKeys.instanceId, instanceId), isNull(apiKeys.organizationId), isNull(apiKeys.revokedAt)))
    .returning({ keyHash: apiKeys.keyHash });
  if (revoked.length)
    await notifyMany(
      revoked.map((k) => ({ channel: API_KEY_REVOKED_CHANNEL, payload: k.keyHash })),
      tx,
    );
  return revoked.map((k) => k.keyHash);
}
