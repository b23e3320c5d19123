import { and, desc, eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { crmSyncConfigs, crmSyncRuns, type CrmSyncConfig, type CrmSyncRun } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { assertCampaignManager, getCampaign } from "@/features/campaigns/campaign.service";
import type { Caller } from "@/lib/caller";
import { encryptSecret } from "@/lib/crypto";
import { AppError, conflict, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { log } from "@/lib/logger";
import { assertPublicTarget, TargetRefused } from "@/lib/outbound";
import { organizationOf } from "@/lib/tenant";
import { tryLease } from "@/workers/jobs";
import { CRM_LIMITS, rangeIssues, type CreateCrmSyncInput, type UpdateCrmSyncInput } from "./crm-sync.schema";
import { crmSyncQueue, LEASE_MS, runCrmSync, startRun } from "./crm-sync.run";

export type { CrmSyncConfig, CrmSyncRun };

const notFound = () => new AppError("not_found", tText("collections:errors.crmSyncNotFound"));

/** The URL for display: scheme, host and path; query values masked (they may be tokens). */
export function maskUrl(raw: string): string {
  const u = new URL(raw);
  const query = [...u.searchParams.keys()].map((k) => `${k}=•••`).join("&");
  return `${u.protocol}//${u.host}${u.pathname}${query ? `?${query}` : ""}`;
}

/** A config as the API and pages show it: the URL masked, the key never (only whether one is set and its end). */
export function crmSyncJson(c: CrmSyncConfig) {
  return {
    id: c.id,
    name: c.name,
    enabled: c.enabled,
    url: c.urlMasked,
    apiKey: c.apiKeyLast4 ? `••••${c.apiKeyLast4}` : null,
    authHeader: c.authHeader,
    mapping: c.mapping,
    dateRangeType: c.dateRangeType,
    dateRangeDays: c.dateRangeDays,
    dateRangeFrom: c.dateRangeFrom,
    dateRangeTo: c.dateRangeTo,
    minAmountCents: c.minAmountCents,
    maxAmountCents: c.maxAmountCents,
    dedupeBy: c.dedupeBy,
    updateExisting: c.updateExisting,
    intervalMinutes: c.intervalMinutes,
    campaignId: c.campaignId,
    nextRunAt: c.enabled ? c.nextRunAt : null,
    running: c.leaseUntil !== null && c.leaseUntil > new Date(),
    lastSync: {
      at: c.lastSyncAt,
      status: c.lastSyncStatus,
      error: c.lastSyncError,
      fetched: c.lastFetched,
      created: c.lastCreated,
      updated: c.lastUpdated,
      skipped: c.lastSkipped,
    },
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function runJson(r: CrmSyncRun) {
  return {
    id: r.id,
    configId: r.configId,
    trigger: r.trigger,
    status: r.status,
    error: r.error,
    pages: r.pages,
    fetched: r.fetched,
    created: r.created,
    updated: r.updated,
    skipped: r.skipped,
    skipReasons: r.skipReasons,
    skippedSamples: r.skippedSamples,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

export async function listCrmSyncs(caller: Caller, tx: DbOrTx = db): Promise<CrmSyncConfig[]> {
  return tx
    .select()
    .from(crmSyncConfigs)
    .where(eq(crmSyncConfigs.organizationId, organizationOf(caller)))
    .orderBy(desc(crmSyncConfigs.createdAt))
    .limit(200);
}

export async function getCrmSync(caller: Caller, id: string, tx: DbOrTx = db): Promise<CrmSyncConfig> {
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select()
    .from(crmSyncConfigs)
    .where(and(eq(crmSyncConfigs.id, id), eq(crmSyncConfigs.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return row;
}

/** The campaign must be the organization's (422 on `campaignId`, not 404: the id is in the body). */
async function assertCampaign(caller: Caller, campaignId: string, tx: DbOrTx): Promise<void> {
  try {
    await getCampaign(caller, campaignId, tx);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found")
      throw validationFailed([{ path: "campaignId", message: tText("collections:errors.campaignNotFound") }]);
    throw err;
  }
}

/** Save-time guard: a URL pointing at a private address is refused (422 on `url`); the run checks again. */
async function assertUrl(url: string): Promise<void> {
  try {
    await assertPublicTarget(url);
  } catch (err) {
    if (err instanceof TargetRefused) throw validationFailed([{ path: "url", message: tText("collections:errors.urlRefused") }]);
    throw err;
  }
}

const secretColumns = (apiKey: string | null) => ({ apiKeyEncrypted: apiKey ? encryptSecret(apiKey) : null, apiKeyLast4: apiKey ? apiKey.slice(-4) : null });

/** A new CRM sync (supervisors and above). Enabled, it runs at the next scheduler pass. */
export async function createCrmSync(caller: Caller, input: CreateCrmSyncInput): Promise<CrmSyncConfig> {
  assertCampaignManager(caller);
  const organizationId = organizationOf(caller);
  await assertUrl(input.url);
  return inTransaction(undefined, async (tx) => {
    await assertCampaign(caller, input.campaignId, tx);
    const [row] = await tx
      .insert(crmSyncConfigs)
      .values({
        organizationId,
        name: input.name,
        enabled: input.enabled,
        urlEncrypted: encryptSecret(input.url),
        urlMasked: maskUrl(input.url),
        ...secretColumns(input.apiKey ?? null),
        authHeader: input.authHeader,
        mapping: { ...input.mapping, name: input.mapping.name ?? null, document: input.mapping.document ?? null },
        dateRangeType: input.dateRangeType,
        dateRangeDays: input.dateRangeType === "relative" ? (input.dateRangeDays ?? null) : null,
        dateRangeFrom: input.dateRangeType === "fixed" ? (input.dateRangeFrom ?? null) : null,
        dateRangeTo: input.dateRangeType === "fixed" ? (input.dateRangeTo ?? null) : null,
        minAmountCents: input.minAmountCents ?? null,
        maxAmountCents: input.maxAmountCents ?? null,
        dedupeBy: input.dedupeBy,
        updateExisting: input.updateExisting,
        intervalMinutes: input.intervalMinutes,
        campaignId: input.campaignId,
        createdByUserId: caller.type === "user" ? caller.id : null,
      })
      .returning();
    await auditChange(
      tx,
      organizationId,
      caller,
      "crm_sync.created",
      { type: "crm_sync", id: row!.id },
      { name: row!.name, url: row!.urlMasked, campaignId: row!.campaignId, apiKey: row!.apiKeyLast4 ? "set" : "none" },
    );
    return row!;
  });
}

/** Changes a config; omitted fields keep their value (the key too: `apiKey: null` removes it). */
export async function updateCrmSync(caller: Caller, id: string, patch: UpdateCrmSyncInput): Promise<CrmSyncConfig> {
  assertCampaignManager(caller);
  const organizationId = organizationOf(caller);
  // Another organization's id is a 404 whatever the body says.
  await getCrmSync(caller, id);
  if (patch.url !== undefined) await assertUrl(patch.url);
  return inTransaction(undefined, async (tx) => {
    const current = await getCrmSync(caller, id, tx);
    if (patch.campaignId !== undefined) await assertCampaign(caller, patch.campaignId, tx);
    const merged = {
      dateRangeType: patch.dateRangeType ?? current.dateRangeType,
      dateRangeDays: patch.dateRangeDays !== undefined ? patch.dateRangeDays : current.dateRangeDays,
      dateRangeFrom: patch.dateRangeFrom !== undefined ? patch.dateRangeFrom : current.dateRangeFrom,
      dateRangeTo: patch.dateRangeTo !== undefined ? patch.dateRangeTo : current.dateRangeTo,
      minAmountCents: patch.minAmountCents !== undefined ? patch.minAmountCents : current.minAmountCents,
      maxAmountCents: patch.maxAmountCents !== undefined ? patch.maxAmountCents : current.maxAmountCents,
    };
    const issues = rangeIssues(merged);
    if (issues.length) throw validationFailed(issues);
    const next: Partial<typeof crmSyncConfigs.$inferInsert> = {
      ...merged,
      dateRangeDays: merged.dateRangeType === "relative" ? merged.dateRangeDays : null,
      dateRangeFrom: merged.dateRangeType === "fixed" ? merged.dateRangeFrom : null,
      dateRangeTo: merged.dateRangeType === "fixed" ? merged.dateRangeTo : null,
    };
    const details: Record<string, { from: unknown; to: unknown }> = {};
    const plain = ["name", "enabled", "authHeader", "dedupeBy", "updateExisting", "intervalMinutes", "campaignId"] as const;
    for (const k of plain) if (patch[k] !== undefined) (next as Record<string, unknown>)[k] = patch[k];
    if (patch.mapping) next.mapping = { ...patch.mapping, name: patch.mapping.name ?? null, document: patch.mapping.document ?? null };
    for (const [k, v] of Object.entries(next)) {
      const before = current[k as keyof CrmSyncConfig];
      if (JSON.stringify(before ?? null) !== JSON.stringify(v ?? null)) details[k] = { from: before, to: v };
    }
    if (patch.url !== undefined && maskUrl(patch.url) !== current.urlMasked) details.url = { from: current.urlMasked, to: maskUrl(patch.url) };
    if (patch.url !== undefined) Object.assign(next, { urlEncrypted: encryptSecret(patch.url), urlMasked: maskUrl(patch.url) });
    if (patch.apiKey !== undefined) {
      Object.assign(next, secretColumns(patch.apiKey));
      // Never the key itself: only that it changed.
      details.apiKey = { from: current.apiKeyLast4 ? "set" : "none", to: patch.apiKey ? "changed" : "none" };
    }
    // Turned on or given a new interval: due at the next pass.
    if ((patch.enabled === true && !current.enabled) || (patch.intervalMinutes !== undefined && patch.intervalMinutes !== current.intervalMinutes))
      next.nextRunAt = new Date();
    if (Object.keys(details).length === 0) return current;
    const [row] = await tx
      .update(crmSyncConfigs)
      .set({ ...next, updatedAt: new Date() })
      .where(and(eq(crmSyncConfigs.id, current.id), eq(crmSyncConfigs.organizationId, organizationId)))
      .returning();
    await auditChange(tx, organizationId, caller, "crm_sync.updated", { type: "crm_sync", id }, details);
    return row!;
  });
}

export async function deleteCrmSync(caller: Caller, id: string): Promise<void> {
  assertCampaignManager(caller);
  const organizationId = organizationOf(caller);
  await inTransaction(undefined, async (tx) => {
    const current = await getCrmSync(caller, id, tx);
    await tx.delete(crmSyncConfigs).where(and(eq(crmSyncConfigs.id, current.id), eq(crmSyncConfigs.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "crm_sync.deleted", { type: "crm_sync", id }, { name: current.name });
  });
}

/** A config's runs, newest first. */
export async function listRuns(caller: Caller, id: string, tx: DbOrTx = db): Promise<CrmSyncRun[]> {
  const config = await getCrmSync(caller, id, tx);
  return tx.select().from(crmSyncRuns).where(eq(crmSyncRuns.configId, config.id)).orderBy(desc(crmSyncRuns.startedAt)).limit(CRM_LIMITS.runsListed);
}

export async function getRun(caller: Caller, id: string, runId: string, tx: DbOrTx = db): Promise<CrmSyncRun> {
  const config = await getCrmSync(caller, id, tx);
  if (!isUuid(runId)) throw new AppError("not_found", tText("collections:errors.runNotFound"));
  const [run] = await tx
    .select()
    .from(crmSyncRuns)
    .where(and(eq(crmSyncRuns.id, runId), eq(crmSyncRuns.configId, config.id)))
    .limit(1);
  if (!run) throw new AppError("not_found", tText("collections:errors.runNotFound"));
  return run;
}

/**
 * "Sync now": leases the config (409 while a run holds it, in this process or another), records the
 * run and carries it on in the background; the answer is the run, `running`. `wait` finishes it first
 * (tests, scripts).
 */
export async function requestRun(caller: Caller, id: string, opts: { wait?: boolean } = {}): Promise<CrmSyncRun> {
  assertCampaignManager(caller);
  const config = await getCrmSync(caller, id);
  const lease = await tryLease(crmSyncQueue, config.id, { leaseMs: LEASE_MS });
  if (!lease) throw conflict(tText("collections:errors.syncRunning"));
  const run = await startRun(config, "manual");
  await inTransaction(undefined, (tx) =>
    auditChange(tx, config.organizationId, caller, "crm_sync.run_requested", { type: "crm_sync", id: config.id }, { runId: run.id }),
  );
  const done = runCrmSync(config.id, lease, run);
  if (opts.wait) return done;
  done.catch((err) => log.error("crm sync failed", { configId: config.id, err }));
  return run;
}
