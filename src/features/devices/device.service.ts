import { and, desc, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { apiKeys, devices } from "@/db/schema";
import { auditActor, type Caller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { keysetPage, type Page } from "@/lib/pager";
import { organizationOf } from "@/lib/tenant";
import { recordAudit } from "@/features/audit/audit.service";
import { clientIp } from "@/lib/client-ip";
import { VISITOR_KEY_SCOPES } from "@/features/api-keys/api-key.schema";
import {
  createApiKey,
  evictRevokedApiKey,
  inheritFromParent,
  revokeOrganizationApiKey,
  type ApiKey,
  type MintLimits,
  type RevokedApiKey,
} from "@/features/api-keys/api-key.service";
import { hasScope, type VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { DEFAULT_DEVICE_KEY_SCOPES, type CreateDeviceInput } from "./device.schema";

export type Device = typeof devices.$inferSelect;
export type DeviceStatus = "active" | "revoked";

/**
 * The devices a caller sees. An organization admin (or an org key not bound to a device) sees all of
 * the organization's devices; a key bound to a device sees only that device; a visitor key (no
 * organization) is refused with the 403 that says to sign up.
 */
function viewerFilter(caller: Pick<Caller, "organizationId" | "deviceId">): SQL {
  const org = eq(devices.organizationId, organizationOf(caller));
  return caller.deviceId ? and(org, eq(devices.id, caller.deviceId))! : org;
}

const USER_AGENT_MAX = 500;

export function deviceStatus(device: Pick<Device, "revokedAt">): DeviceStatus {
  return device.revokedAt ? "revoked" : "active";
}

export async function listDevices(caller: Caller, page: { limit?: number; cursor?: string } = {}, tx: DbOrTx = db): Promise<Page<Device>> {
  return keysetPage(
    { sortBy: devices.createdAt, id: devices.id },
    { limit: page.limit ?? 50, cursor: page.cursor },
    (q) =>
      tx
        .select({ device: devices, sortKey: q.sortKey })
        .from(devices)
        .where(and(viewerFilter(caller), q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.device,
    (r) => r.device.id,
  );
}

export type DeviceListItem = Device & { activeKeys: number };

/** The admin list: the organization's devices with how many live keys each has, newest first. */
export async function listDevicesWithKeyCounts(organizationId: string, onlyDeviceId?: string, tx: DbOrTx = db): Promise<DeviceListItem[]> {
  const rows = await tx
    .select({
      device: devices,
      activeKeys: sql<number>`(count(${apiKeys.id}) filter (where ${apiKeys.revokedAt} is null))::int`,
    })
    .from(devices)
    .leftJoin(apiKeys, and(eq(apiKeys.deviceId, devices.id), eq(apiKeys.organizationId, organizationId)))
    .where(and(eq(devices.organizationId, organizationId), onlyDeviceId ? eq(devices.id, onlyDeviceId) : undefined))
    .groupBy(devices.id)
    .orderBy(desc(devices.createdAt), desc(devices.id))
    // An organization's devices are few; a generous cap keeps one bad actor from making the page huge.
    .limit(500);
  return rows.map((r) => ({ ...r.device, activeKeys: r.activeKeys }));
}

/** One device the caller sees; another organization's id (or another device, for a device key) → 404. */
export async function getDevice(caller: Caller, deviceId: string, tx: DbOrTx = db): Promise<Device> {
  const [device] = await tx
    .select()
    .from(devices)
    .where(and(viewerFilter(caller), eq(devices.id, deviceId)))
    .limit(1);
  if (!device) throw new AppError("not_found", tText("devices:errors.notFound"));
  return device;
}

export type CreatedDevice = { device: Device; apiKey?: { key: ApiKey; secret: string } };

/**
 * Registers a device of the organization and, when asked, a key bound to it in the same transaction.
 * When an API key does this (`grantingKey`), the new key can never exceed it: every scope must be one
 * the granting key holds; it inherits the granting key's instance binding, expires no later and has
 * no higher limits than it, and is revoked with it (`parentKeyId`).
 */
export async function createDevice(
  caller: Caller<"user" | "api_key">,
  input: CreateDeviceInput,
  opts: { grantingKey?: VerifiedApiKey } = {},
): Promise<CreatedDevice> {
  const organizationId = organizationOf(caller);
  if (caller.deviceId) throw new AppError("forbidden", tText("devices:errors.boundKeyCannotRegister"));
  const actor = auditActor(caller);
  const scopes = [...(input.keyScopes ?? DEFAULT_DEVICE_KEY_SCOPES)];
  const granting = opts.grantingKey;
  if (granting && input.createKey) {
    if (granting.deviceId) throw new AppError("forbidden", tText("devices:errors.boundKeyCannotMint"));
    const exceeding = scopes.filter((s) => (s === "*" ? !granting.scopes.includes("*") : !hasScope(granting, s)));
    if (exceeding.length > 0) throw new AppError("forbidden", tText("devices:errors.scopesExceed", { scopes: exceeding.join(", ") }));
  }
  return db.transaction(async (tx) => {
    const requested: MintLimits = {
      expiresAt: input.keyExpiresAt ?? null,
      requestsPerMinute: input.keyRequestsPerMinute ?? null,
      maxMessagesPerDay: input.keyMaxMessagesPerDay ?? null,
    };
    // Before anything is written: a granting key revoked meanwhile creates nothing.
    const limits = granting && input.createKey ? await inheritFromParent(granting.id, requested, tx) : { ...requested, parentKeyId: null };
    const [device] = await tx
      .insert(devices)
      .values({ organizationId, name: input.name, kind: input.kind ?? "server" })
      .returning();
    await recordAudit(
      {
        organizationId,
        actor,
        action: "device.created",
        target: { type: "device", id: device!.id },
        request: caller.request,
        details: { name: device!.name, kind: device!.kind },
      },
      tx,
    );
    if (!input.createKey) return { device: device! };
    const created = await createApiKey(
      {
        organizationId,
        name: `${input.name} key`.slice(0, 100),
        scopes: scopes.includes("*") ? ["*"] : [...new Set(scopes)],
        deviceId: device!.id,
        instanceId: granting?.instanceId ?? null,
        createdByUserId: caller.type === "user" ? caller.id : null,
        ...limits,
      },
      tx,
    );
    await recordAudit(
      {
        organizationId,
        actor,
        action: "api_key.created",
        target: { type: "api_key", id: created.key.id },
        request: caller.request,
        details: {
          name: created.key.name,
          displayPrefix: created.key.displayPrefix,
          scopes: created.key.scopes,
          deviceId: device!.id,
          instanceId: created.key.instanceId,
          expiresAt: created.key.expiresAt?.toISOString() ?? null,
          parentKeyId: created.key.parentKeyId,
        },
      },
      tx,
    );
    return { device: device!, apiKey: created };
  });
}

/**
 * Revokes a device and every key bound to it. Each key goes through the key revocation (NOTIFY), so
 * every process drops it from its cache within a second; verification also refuses keys of a revoked
 * device once the cache entry expires. Revoking an already revoked device changes nothing.
 */
export async function revokeDevice(caller: Caller<"user" | "api_key">, deviceId: string): Promise<{ device: Device; revokedKeys: number }> {
  const organizationId = organizationOf(caller);
  const result = await db.transaction(async (tx) => {
    const current = await getDevice(caller, deviceId, tx);
    if (current.revokedAt) return { device: current, keys: [] as RevokedApiKey[] };
    const [device] = await tx.update(devices).set({ revokedAt: new Date() }).where(eq(devices.id, current.id)).returning();
    const live = await tx
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.deviceId, current.id), eq(apiKeys.organizationId, organizationId), isNull(apiKeys.revokedAt)));
    const keys: RevokedApiKey[] = [];
    for (const { id } of live) {
      keys.push(await revokeOrganizationApiKey(caller, id, tx));
    }
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        action: "device.revoked",
        target: { type: "device", id: current.id },
        request: caller.request,
        details: { name: current.name, revokedKeys: keys.map((k) => k.id) },
      },
      tx,
    );
    return { device: device!, keys };
  });
  // Evicted inside the transaction already; once more after commit in case a request re-cached a key.
  for (const key of result.keys) evictRevokedApiKey(key);
  return { device: result.device, revokedKeys: result.keys.length };
}

// ——— Visitor devices (try before sign-up) ———

/** An org-less browser device for a visitor, remembering where it came from. */
export async function createVisitorDevice(request?: Request, tx: DbOrTx = db): Promise<Device> {
  const [device] = await tx
    .insert(devices)
    .values({
      organizationId: null,
      // Named in the visitor's language: it keeps this name in the devices list once they sign up.
      name: tText("devices:visitor.deviceName"),
      kind: "browser",
      ip: clientIp(request),
      userAgent: request?.headers.get("user-agent")?.slice(0, USER_AGENT_MAX) ?? null,
      lastSeenAt: new Date(),
    })
    .returning();
  return device!;
}

/**
 * The visitor device behind a cookie, only while it is still an unclaimed, unrevoked visitor device:
 * once claimed it belongs to an organization, and a signed-out browser must not act as that org.
 */
export async function findVisitorDevice(deviceId: string, tx: DbOrTx = db): Promise<Device | null> {
  const [device] = await tx
    .select()
    .from(devices)
    .where(and(eq(devices.id, deviceId), isNull(devices.organizationId), isNull(devices.revokedAt)))
    .limit(1);
  return device ?? null;
}

/** Devices whose keys were used (a batch of api-key.verify's lastUsedAt flush) were seen at `at`. */
export async function markDevicesSeen(deviceIds: string[], at: Date): Promise<void> {
  if (deviceIds.length === 0) return;
  await db.update(devices).set({ lastSeenAt: at }).where(inArray(devices.id, deviceIds));
}

const TOUCH_INTERVAL_MS = 5 * 60_000;

/** Records last seen / ip / user agent, at most every few minutes so page views do not each write. */
export async function touchDevice(device: Device, request?: Request, tx: DbOrTx = db): Promise<Device> {
  if (device.lastSeenAt && Date.now() - device.lastSeenAt.getTime() < TOUCH_INTERVAL_MS) return device;
  const [updated] = await tx
    .update(devices)
    .set({
      lastSeenAt: new Date(),
      ip: clientIp(request) ?? device.ip,
      userAgent: request?.headers.get("user-agent")?.slice(0, USER_AGENT_MAX) ?? device.userAgent,
    })
    .where(eq(devices.id, device.id))
    .returning();
  return updated ?? device;
}

/**
 * An org-less key for a visitor's instance, bound to both the device and the instance, with only the
 * scopes needed to drive that instance (VISITOR_KEY_SCOPES). Claimed with the device on sign-up.
 */
export async function createVisitorKey(deviceId: string, instanceId: string, tx: DbOrTx = db): Promise<{ key: ApiKey; secret: string }> {
  return createApiKey({ organizationId: null, name: tText("devices:visitor.keyName"), scopes: [...VISITOR_KEY_SCOPES], deviceId, instanceId }, tx);
}

/** JSON shape of a device (dates as ISO strings). */
export function serializeDevice(device: Device) {
  return {
    id: device.id,
    name: device.name,
    kind: device.kind,
    ip: device.ip,
    userAgent: device.userAgent,
    lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
    revokedAt: device.revokedAt?.toISOString() ?? null,
    claimedAt: device.claimedAt?.toISOString() ?? null,
    createdAt: device.createdAt.toISOString(),
    status: deviceStatus(device),
  };
}
