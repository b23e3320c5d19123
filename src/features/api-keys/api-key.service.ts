import { and, asc, desc, eq, isNull } from "drizzle-orm";
import { db, notify, type DbOrTx } from "@/db/client";
import { apiKeys, devices, instances } from "@/db/schema";
import { randomBase62, sha256Hex } from "@/lib/crypto";
import { notFound, validationFailed, type FieldError } from "@/lib/errors";
import { recordAudit } from "@/features/audit/audit.service";
import type { CreateApiKeyInput } from "./api-key.schema";
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
  if (!key) throw notFound("API key");
  return key;
}

/** What can be bound to a key in the create form: the organization's instances and live devices. */
export async function listKeyBindingOptions(organizationId: string, tx: DbOrTx = db) {
  const [instanceRows, deviceRows] = await Promise.all([
    tx
      .select({ id: instances.id, name: instances.name })
      .from(instances)
      .where(eq(instances.organizationId, organizationId))
      .orderBy(asc(instances.name)),
    tx
      .select({ id: devices.id, name: devices.name })
      .from(devices)
      .where(and(eq(devices.organizationId, organizationId), isNull(devices.revokedAt)))
      .orderBy(asc(devices.name)),
  ]);
  return { instances: instanceRows, devices: deviceRows };
}

export type KeyActor = { type: "user" | "api_key"; id: string };

/**
 * Creates a key for the organization after checking that the instance/device it is bound to belong to
 * the same organization (a foreign id is a field error, never a cross-tenant binding), and audits it.
 */
export async function createOrganizationApiKey(
  organizationId: string,
  input: CreateApiKeyInput,
  actor: KeyActor,
  request?: Request,
  tx?: DbOrTx,
): Promise<{ key: ApiKey; secret: string }> {
  const run = async (t: DbOrTx) => {
    const errors: FieldError[] = [];
    if (input.instanceId) {
      const [instance] = await t
        .select({ id: instances.id })
        .from(instances)
        .where(and(eq(instances.id, input.instanceId), eq(instances.organizationId, organizationId)))
        .limit(1);
      if (!instance) errors.push({ path: "instanceId", message: "Choose one of this organization's instances" });
    }
    if (input.deviceId) {
      const [device] = await t
        .select({ id: devices.id })
        .from(devices)
        .where(and(eq(devices.id, input.deviceId), eq(devices.organizationId, organizationId), isNull(devices.revokedAt)))
        .limit(1);
      if (!device) errors.push({ path: "deviceId", message: "Choose one of this organization's active devices" });
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
        createdByUserId: actor.type === "user" ? actor.id : null,
      },
      t,
    );
    await recordAudit(
      {
        organizationId,
        actor,
        action: "api_key.created",
        target: { type: "api_key", id: created.key.id },
        request,
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
 * Revokes an organization's key with an audit row (only the first revocation is audited; revoking an
 * already revoked key is a no-op that returns it). Another organization's id → 404.
 */
export async function revokeOrganizationApiKey(
  organizationId: string,
  keyId: string,
  actor: KeyActor | { type: "system" | "device"; id?: string | null },
  request?: Request,
  tx?: DbOrTx,
): Promise<ApiKey> {
  const run = async (t: DbOrTx) => {
    const existing = await getApiKey(organizationId, keyId, t);
    if (existing.revokedAt) return existing;
    const key = await revokeApiKey(organizationId, keyId, t);
    await recordAudit(
      { organizationId, actor, action: "api_key.revoked", target: { type: "api_key", id: key.id }, request, details: { name: key.name, displayPrefix: key.displayPrefix } },
      t,
    );
    return key;
  };
  if (tx) return run(tx);
  const key = await db.transaction(run);
  // revokeApiKey evicted inside the transaction; a request in between could have re-cached the
  // still-uncommitted row, so evict once more now that the revocation is visible.
  evictApiKey(key.keyHash);
  return key;
}
