import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { devices, instances } from "@/db/schema";
import { revokeVisitorKeys } from "@/features/api-keys/api-key.service";
import { evictApiKey } from "@/features/api-keys/api-key.verify";
import { clientIp } from "@/lib/client-ip";
import { createVisitorKey, type Device } from "@/features/devices/device.service";
import { connectInstance, createInstance, type Instance } from "@/features/instances/instance.service";
import { deviceCaller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";

/** Sandbox numbers one IP may start per hour: enough for an office, not for a script. */
export const TRY_INSTANCES_PER_IP_PER_HOUR = 10;

/** The visitor device's sandbox instance, while it is still unclaimed (sign-up moves it to the org). */
export async function findTryInstance(deviceId: string): Promise<Instance | null> {
  const [row] = await db
    .select()
    .from(instances)
    .where(and(isNull(instances.organizationId), eq(instances.createdByDeviceId, deviceId)))
    .orderBy(desc(instances.createdAt))
    .limit(1);
  return row ?? null;
}

async function assertIpAllowance(request: Request) {
  const ip = clientIp(request);
  if (!ip) return;
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(instances)
    .innerJoin(devices, eq(devices.id, instances.createdByDeviceId))
    .where(and(eq(devices.ip, ip), isNull(instances.organizationId), gt(instances.createdAt, sql`now() - interval '1 hour'`)));
  if ((row?.n ?? 0) >= TRY_INSTANCES_PER_IP_PER_HOUR) {
    throw new AppError("rate_limited", tText("try:errors.tooMany"), undefined, { "Retry-After": "3600" });
  }
}

export type TryStart = { instance: Instance; secret?: string; created: boolean };

/**
 * Try before sign-up: the visitor's one sandbox instance, created and put in QR mode on first call,
 * with an API key bound to it (returned once). Later calls return the same instance and no key.
 */
export async function startTry(device: Device, request: Request): Promise<TryStart> {
  const existing = await findTryInstance(device.id);
  if (existing) return { instance: existing, created: false };
  await assertIpAllowance(request);
  const visitor = deviceCaller(device.id, request);
  let instance: Instance;
  try {
    instance = await createInstance(visitor, { name: tText("try:instanceName"), provider: "sandbox" });
  } catch (err) {
    // A double submit lost the race to its twin: show what the winner created.
    const raced = await findTryInstance(device.id);
    if (raced && err instanceof AppError && err.code === "validation_failed") return { instance: raced, created: false };
    throw err;
  }
  const { secret } = await createVisitorKey(device.id, instance.id);
  try {
    await connectInstance(visitor, instance.id);
  } catch (err) {
    // The page shows the connection panel with its own retry; the instance and key are already usable.
    log.warn("try: first connect failed", { instanceId: instance.id, err });
  }
  return { instance: (await findTryInstance(device.id)) ?? instance, secret, created: true };
}

/** Replaces the visitor's key (the old one is revoked everywhere within a second) and returns the new one once. */
export async function rotateTryKey(deviceId: string, instanceId: string): Promise<string> {
  const { revoked, secret } = await db.transaction(async (tx) => {
    const revoked = await revokeVisitorKeys(deviceId, instanceId, tx);
    const { secret } = await createVisitorKey(deviceId, instanceId, tx);
    return { revoked, secret };
  });
  for (const keyHash of revoked) evictApiKey(keyHash);
  return secret;
}
