import { and, count, desc, eq, isNull, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { instances, organizations } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { auditActor, type Caller } from "@/lib/caller";
import { keysetPage, type Page } from "@/lib/pager";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { publishLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { log } from "@/lib/logger";
import { parsePhone } from "@/lib/phone";
import { callerTenant, instanceAccess, instanceOfTenant, tenantFilter, type Tenant } from "@/lib/tenant";
import { encryptCloudConfig, providerFor } from "@/providers";
import type { Instance } from "@/db/schema";
import { ProviderError, type ConnectionState, type InstanceStatus } from "@/providers/provider";
import { applyConnectionState } from "./instance-state";
import { qrDataUrl } from "@/providers/qr";
import { VISITOR_MAX_INSTANCES, type CreateInstanceInput, type UpdateInstanceInput } from "./instance.schema";

export type { Instance };

export type ConnectResult = { status: InstanceStatus; qr?: { code: string; image: string } };

/** Live topic of one instance: status changes and fresh QR codes, for the admin and /try pages. */

/** The caller's instances: its tenant's (organization or unclaimed visitor device); a key bound to one instance sees no other. */
function scopeFilter(caller: Caller) {
  const filters = [tenantFilter(callerTenant(caller), instances.organizationId, instances.createdByDeviceId)];
  if (caller.boundInstanceId) filters.push(eq(instances.id, caller.boundInstanceId));
  return and(...filters)!;
}

/** Runs a provider call; its failures become 502 `provider_error` with the provider's reason. */
export async function callProvider<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProviderError) throw new AppError("provider_error", tText("instances:provider.failed", { what, error: err.message }));
    if (err instanceof AppError) throw err;
    log.error("provider call crashed", { what, err });
    throw new AppError("provider_error", tText("instances:provider.unexpected", { what }));
  }
}

// ——— Reads ———

export async function listInstances(caller: Caller, page: { limit: number; cursor?: string }, tx: DbOrTx = db): Promise<Page<Instance>> {
  return keysetPage(
    { sortBy: instances.createdAt, id: instances.id },
    page,
    (q) =>
      tx
        .select({ instance: instances, sortKey: q.sortKey })
        .from(instances)
        .where(and(scopeFilter(caller), q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.instance,
    (r) => r.instance.id,
  );
}

/** Every instance the caller reaches (admin list, pickers), newest first. */
export async function listAllInstances(caller: Caller, tx: DbOrTx = db): Promise<Instance[]> {
  return tx.select().from(instances).where(scopeFilter(caller)).orderBy(desc(instances.createdAt), desc(instances.id));
}

/** One instance the caller may see, or 404 (also for another tenant's id and malformed ids). */
export async function getInstance(caller: Caller, id: string, tx: DbOrTx = db): Promise<Instance> {
  return instanceOfTenant(instanceAccess(caller), id, { tx });
}

// ——— Writes ———

/** Counts and locks what the limit check needs, so two concurrent creates cannot both pass it. */
async function assertInstanceQuota(tx: DbOrTx, tenant: Tenant, provider: string) {
  if (tenant.organizationId !== null) {
    const [org] = await tx
      .select({ maxInstances: organizations.maxInstances, plan: organizations.plan })
      .from(organizations)
      .where(eq(organizations.id, tenant.organizationId))
      // NO KEY UPDATE serializes creates as well and, unlike UPDATE, lets the organization's
      // inbound messages pass their foreign-key checks meanwhile (src/db/lock-order.ts).
      .for("no key update");
    if (!org) throw new AppError("not_found", tText("instances:errors.orgNotFound"));
    const [used] = await tx.select({ n: count() }).from(instances).where(eq(instances.organizationId, tenant.organizationId));
    if ((used?.n ?? 0) >= org.maxInstances) {
      throw validationFailed(
        [{ path: "(body)", message: tText("instances:errors.limit", { count: org.maxInstances }) }],
        tText("instances:errors.limitSummary", { used: used?.n ?? 0, max: org.maxInstances }),
      );
    }
    return;
  }
  if (provider !== "sandbox") {
    throw validationFailed([{ path: "provider", message: tText("instances:errors.visitorProvider") }]);
  }
  // Serialize creates of one visitor device on its row (there is no organization row to lock yet).
  await tx.execute(sql`select 1 from devices where id = ${tenant.deviceId} for no key update`);
  const [used] = await tx
    .select({ n: count() })
    .from(instances)
    .where(and(isNull(instances.organizationId), eq(instances.createdByDeviceId, tenant.deviceId)));
  if ((used?.n ?? 0) >= VISITOR_MAX_INSTANCES) {
    throw validationFailed([{ path: "(body)", message: tText("instances:errors.visitorLimit") }], tText("instances:errors.visitorLimit"));
  }
}

/**
 * Creates an instance after checking the plan's instance limit, then lets the provider prepare its
 * side (e.g. a WuzAPI user). A provider failure removes the half-created row and answers 502.
 */
export async function createInstance(caller: Caller, input: CreateInstanceInput): Promise<Instance> {
  if (caller.boundInstanceId) throw new AppError("forbidden", tText("instances:errors.keyBound"));
  const tenant = callerTenant(caller);
  // "Created" is written once the instance exists for good: with the row when nothing is left to
  // prepare, else with the provider's answer, so a provider failure leaves no row claiming it.
  const audited = (row: Instance, tx: DbOrTx) =>
    recordAudit(
      {
        organizationId: tenant.organizationId,
        actor: auditActor(caller),
        action: "instance.created",
        target: { type: "instance", id: row.id },
        request: caller.request,
        details: { name: row.name, provider: row.provider },
      },
      tx,
    );
  const created = await db.transaction(async (tx) => {
    await assertInstanceQuota(tx, tenant, input.provider);
    const [row] = await tx
      .insert(instances)
      .values({
        organizationId: tenant.organizationId,
        createdByDeviceId: tenant.deviceId ?? null,
        name: input.name,
        provider: input.provider,
        providerConfig: input.provider === "cloud" && input.config ? encryptCloudConfig(input.config) : {},
        maxMessagesPerDay: input.maxMessagesPerDay ?? null,
      })
      .returning();
    if (!providerFor(row!).provision) await audited(row!, tx);
    return row!;
  });
  const provider = providerFor(created);
  if (!provider.provision) return created;
  let fields: Partial<typeof instances.$inferInsert>;
  try {
    fields = await callProvider(tText("instances:provider.preparing"), () => provider.provision!(created));
  } catch (err) {
    await db.delete(instances).where(eq(instances.id, created.id));
    throw err;
  }
  return db.transaction(async (tx) => {
    const [updated] = Object.keys(fields).length ? await tx.update(instances).set(fields).where(eq(instances.id, created.id)).returning() : [created];
    await audited(updated ?? created, tx);
    return updated ?? created;
  });
}

export async function updateInstance(caller: Caller, id: string, input: UpdateInstanceInput): Promise<Instance> {
  return db.transaction(async (tx) => {
    const instance = await getInstance(caller, id, tx);
    const set: Partial<typeof instances.$inferInsert> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.maxMessagesPerDay !== undefined) {
      // A visitor's sandbox cannot lift its own limit before signing up.
      if (!instance.organizationId && input.maxMessagesPerDay !== null && input.maxMessagesPerDay > 0) {
        throw validationFailed([{ path: "maxMessagesPerDay", message: tText("instances:errors.dailyLimitSignUp") }]);
      }
      set.maxMessagesPerDay = input.maxMessagesPerDay;
    }
    if (input.config !== undefined) {
      if (instance.provider !== "cloud") throw validationFailed([{ path: "config", message: tText("instances:errors.onlyCloudConfig") }]);
      set.providerConfig = encryptCloudConfig(input.config, instance.providerConfig ?? {});
    }
    if (Object.keys(set).length === 0) return instance;
    const [updated] = await tx.update(instances).set(set).where(eq(instances.id, instance.id)).returning();
    await recordAudit(
      {
        organizationId: instance.organizationId,
        actor: auditActor(caller),
        action: "instance.updated",
        target: { type: "instance", id: instance.id },
        request: caller.request,
        details: { fields: Object.keys(set).map((k) => (k === "providerConfig" ? "config" : k)) },
      },
      tx,
    );
    return updated!;
  });
}

/**
 * Deletes an instance and everything under it (conversations, messages). The provider side is removed
 * first; when it fails the instance stays and the caller gets 502, unless `force` is set (the local
 * instance then goes anyway and the failure is logged).
 */
export async function deleteInstance(caller: Caller, id: string, opts: { force?: boolean } = {}): Promise<Instance> {
  const instance = await getInstance(caller, id);
  const provider = providerFor(instance);
  if (provider.deprovision) {
    try {
      await callProvider(tText("instances:provider.removing"), () => provider.deprovision!(instance));
    } catch (err) {
      if (!opts.force) throw err;
      log.warn("deprovision failed; deleting anyway", { instanceId: instance.id, err });
    }
  }
  await db.transaction(async (tx) => {
    await tx.delete(instances).where(and(eq(instances.id, instance.id), scopeFilter(caller)));
    await recordAudit(
      {
        organizationId: instance.organizationId,
        actor: auditActor(caller),
        action: "instance.deleted",
        target: { type: "instance", id: instance.id },
        request: caller.request,
        details: { name: instance.name, provider: instance.provider },
      },
      tx,
    );
    await publishLive(liveTopics.instance(instance.id), { status: "deleted" }, tx);
  });
  return instance;
}

/**
 * Stores the state a provider answered with (adapters write nothing themselves), through the same
 * path as provider webhooks: transitions emit `instance.*` events and reach live pages, in one
 * transaction. Nothing new (same status, no QR code, no number) writes nothing.
 */
export async function applyInstanceStatus(instance: Instance, next: ConnectionState): Promise<Instance> {
  const unchanged =
    next.status === instance.status && !next.qrCode && (!next.jid || next.jid === instance.waJid) && (!next.name || next.name === instance.waName);
  if (unchanged) return instance;
  return (await applyConnectionState(instance, next)).instance ?? instance;
}

async function withQrImage(status: InstanceStatus, qrCode?: string): Promise<ConnectResult> {
  if (!qrCode || status === "connected") return { status };
  return { status, qr: { code: qrCode, image: await qrDataUrl(qrCode) } };
}

/** Starts (or resumes) the WhatsApp session; answers with a QR code to scan unless already paired. */
export async function connectInstance(caller: Caller, id: string): Promise<ConnectResult> {
  const instance = await getInstance(caller, id);
  const result = await callProvider(tText("instances:provider.connecting"), () => providerFor(instance).connect(instance));
  const updated = await applyInstanceStatus(instance, result);
  return withQrImage(updated.status, result.qrCode);
}

/** The current QR code (they rotate every ~20 s at real providers) and status. */
export async function getInstanceQr(caller: Caller, id: string): Promise<ConnectResult> {
  const instance = await getInstance(caller, id);
  const result = await callProvider(tText("instances:provider.readingQr"), () => providerFor(instance).getQr(instance));
  // Polling reads the rotating QR without re-sending it as an event each time.
  const updated = await applyInstanceStatus(instance, { status: result.status });
  return withQrImage(updated.status, result.qrCode);
}

/** Pairing by phone number instead of QR: the provider answers an 8-character code typed on the phone. */
export async function requestPairingCode(caller: Caller, id: string, phone: string): Promise<{ code: string }> {
  const e164 = parsePhone(phone);
  if (!e164) throw validationFailed([{ path: "phone", message: tText("instances:errors.pairingPhone") }]);
  const instance = await getInstance(caller, id);
  if (instance.status === "connected") throw new AppError("conflict", tText("instances:errors.alreadyConnected"));
  const { code, ...state } = await callProvider(tText("instances:provider.requestingCode"), () => providerFor(instance).pairingCode(instance, e164));
  await applyInstanceStatus(instance, state);
  return { code };
}

export async function logoutInstance(caller: Caller, id: string): Promise<Instance> {
  const instance = await getInstance(caller, id);
  const state = await callProvider(tText("instances:provider.loggingOut"), () => providerFor(instance).logout(instance));
  const updated = await applyInstanceStatus(instance, state);
  await recordAudit({
    organizationId: instance.organizationId,
    actor: auditActor(caller),
    action: "instance.logged_out",
    target: { type: "instance", id: instance.id },
    request: caller.request,
  });
  return updated;
}

/** Sign-up claims a visitor device's instances for the new organization (inside the claim's transaction). */
export async function claimDeviceInstances(deviceId: string, organizationId: string, now: Date, tx: DbOrTx): Promise<string[]> {
  const claimed = await tx
    .update(instances)
    .set({ organizationId, claimedAt: now })
    .where(and(eq(instances.createdByDeviceId, deviceId), isNull(instances.organizationId)))
    .returning({ id: instances.id });
  return claimed.map((i) => i.id);
}

/** Rewrites part of a provider's own state in providerConfig: `remove` keys are dropped, `patch` merged in; other keys stay. */
export async function patchProviderConfig(instanceId: string, remove: readonly string[], patch: Record<string, unknown>): Promise<void> {
  const cleared = remove.reduce((acc, key) => sql`${acc} - ${key}::text`, sql`${instances.providerConfig}`);
  await db
    .update(instances)
    .set({ providerConfig: sql`(${cleared}) || ${JSON.stringify(patch)}::jsonb`, updatedAt: new Date() })
    .where(eq(instances.id, instanceId));
}
