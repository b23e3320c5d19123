import { and, eq, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { crmSyncConfigs, crmSyncRuns, organizations, type CrmSkipCounts, type CrmSyncConfig, type CrmSyncRun } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { parseDocument } from "@/features/contacts/contact-fields";
import { systemCaller } from "@/lib/caller";
import { decryptSecret } from "@/lib/crypto";
import { AppError } from "@/lib/errors";
import { isoDateInZone, tText, withLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { guardedFetch, OutboundError, TargetRefused } from "@/lib/outbound";
import { parsePhone } from "@/lib/phone";
import { claimDue, releaseLeases, runJobsOnce, type JobKind, type JobQueue } from "@/workers/jobs";
import { CRM_LIMITS } from "./crm-sync.schema";
import { applyDebts, type Debt } from "./target.service";
import { TARGET_LIMITS } from "./target.schema";

/*
 * A CRM sync run: GET the configured URL through the outbound guard (public addresses only, the
 * connection pinned to the checked address, no redirects, upstream bodies never echoed), with the
 * decrypted key in the configured header, page after page, and turn records into collection targets
 * of the configured campaign.
 *
 * Accepted shape of each page (JSON):
 *   - an array of records (one page, nothing follows), or
 *   - an object `{ "data": [records], "next": "<url>" | null }`; `next` is absolute or relative to the
 *     page's URL and must stay on the configured URL's origin (the key is not sent anywhere else).
 * A record is an object; the mapping names where each field is (key or dot path). Bounded: 5 MiB per
 * page, 50 pages and 20 000 records per run, 20 s per request.
 *
 * One process at a time per config: the schedule claims due configs with the job mechanism's lease
 * (workers/jobs.ts claimDue), "sync now" takes the same lease with tryLease; the run renews it page by
 * page and stops if it was lost.
 */

export const LEASE_MS = 5 * 60_000;

export const crmSyncQueue: JobQueue = {
  table: "crm_sync_configs",
  lease: "lease_until",
  due: (row, now) => sql`${row}.enabled and ${row}.next_run_at <= ${now}`,
  order: (row) => [sql`${row}.next_run_at`],
  returning: sql`u.id, u.lease_until::text as lease_until`,
};

type Job = { id: string; lease_until: string };

/** Records skipped because they are not usable (the run is then `partial`); other skips are the filters and dedupe at work. */
const INVALID = new Set(["not_an_object", "invalid_phone", "invalid_document", "invalid_amount", "invalid_due_date", "missing_document"]);

class SyncFailure extends Error {}
class LeaseLost extends Error {}

/** A new run row; runs a crashed process left `running` for this config are closed as interrupted. */
export async function startRun(config: CrmSyncConfig, trigger: "schedule" | "manual"): Promise<CrmSyncRun> {
  const language = await languageOf(config.organizationId);
  await db
    .update(crmSyncRuns)
    .set({ status: "failed", error: withLocale(language, () => tText("collections:sync.errors.interrupted")), finishedAt: new Date() })
    .where(and(eq(crmSyncRuns.configId, config.id), eq(crmSyncRuns.status, "running")));
  const [run] = await db.insert(crmSyncRuns).values({ organizationId: config.organizationId, configId: config.id, trigger }).returning();
  return run!;
}

async function languageOf(organizationId: string) {
  const [org] = await db
    .select({ locale: organizations.language, timeZone: organizations.timeZone })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  return org ?? { locale: "pt-BR" as const, timeZone: "America/Sao_Paulo" };
}

/** The value at a key or dot path of a record. */
function at(record: Record<string, unknown>, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function validDay(y: string, m: string, d: string): string | null {
  const iso = `${y}-${m}-${d}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso ? iso : null;
}

/** `2026-03-10`, an ISO date-time (its calendar day as written), or `10/03/2026`. */
export function parseDueDate(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const v = value.trim();
  const iso = v.match(/^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/);
  if (iso) return validDay(iso[1]!, iso[2]!, iso[3]!);
  const br = v.match(/^(\d{2})\/(\d{2})\/(\d{4})$/);
  if (br) return validDay(br[3]!, br[2]!, br[1]!);
  return null;
}

/** Cents from integers (`cents`) or reais: 1234.56, "1234.56", "1.234,56", "R$ 1.234,56". */
export function parseAmount(value: unknown, unit: "cents" | "reais"): number | null {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string") {
    let v = value.replace(/R\$|\s/g, "");
    if (v.includes(",")) v = v.replace(/\./g, "").replace(",", ".");
    if (!/^-?\d+(\.\d+)?$/.test(v)) return null;
    n = Number(v);
  } else return null;
  if (!Number.isFinite(n)) return null;
  const cents = unit === "cents" ? n : Math.round(n * 100);
  if (!Number.isInteger(cents) || cents < 1 || cents > TARGET_LIMITS.maxAmountCents) return null;
  return cents;
}

function addDays(isoDay: string, days: number): string {
  const d = new Date(`${isoDay}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A source record as a debt, or the reason it is skipped (invalid, or outside the filters). */
export function recordToDebt(record: unknown, config: CrmSyncConfig, today: string): Debt | { skip: string } {
  if (record === null || typeof record !== "object" || Array.isArray(record)) return { skip: "not_an_object" };
  const r = record as Record<string, unknown>;
  const m = config.mapping;
  const rawPhone = at(r, m.phone);
  const phone = typeof rawPhone === "string" || typeof rawPhone === "number" ? parsePhone(String(rawPhone)) : null;
  if (!phone) return { skip: "invalid_phone" };
  let document: ReturnType<typeof parseDocument> = null;
  const rawDocument = m.document ? at(r, m.document) : undefined;
  if (rawDocument !== undefined && rawDocument !== null && rawDocument !== "") {
    document = typeof rawDocument === "string" || typeof rawDocument === "number" ? parseDocument(String(rawDocument)) : null;
    if (!document) return { skip: "invalid_document" };
  }
  const amountCents = parseAmount(at(r, m.amount), m.amountUnit);
  if (amountCents === null) return { skip: "invalid_amount" };
  const dueDate = parseDueDate(at(r, m.dueDate));
  if (!dueDate) return { skip: "invalid_due_date" };
  if (config.minAmountCents !== null && amountCents < config.minAmountCents) return { skip: "below_min" };
  if (config.maxAmountCents !== null && amountCents > config.maxAmountCents) return { skip: "above_max" };
  if (config.dateRangeType === "relative" && config.dateRangeDays) {
    if (dueDate < addDays(today, -config.dateRangeDays) || dueDate > today) return { skip: "out_of_range" };
  }
  if (config.dateRangeType === "fixed" && config.dateRangeFrom && config.dateRangeTo) {
    if (dueDate < config.dateRangeFrom || dueDate > config.dateRangeTo) return { skip: "out_of_range" };
  }
  const rawName = m.name ? at(r, m.name) : undefined;
  const debtorName = typeof rawName === "string" && rawName.trim() ? rawName.trim().slice(0, TARGET_LIMITS.debtorName) : null;
  const metadata: Record<string, unknown> = {};
  for (const path of m.metadata) {
    const v = at(r, path);
    if (v !== undefined) metadata[path] = v;
  }
  if (JSON.stringify(metadata).length > TARGET_LIMITS.metadataBytes) return { skip: "metadata_too_large" };
  return { phone, debtorName, document: document?.document ?? null, documentType: document?.documentType ?? null, amountCents, dueDate, metadata };
}

/** The body read up to `limit` bytes (a bigger one fails: the run must stay bounded). */
async function readCapped(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw new SyncFailure(tText("collections:sync.errors.tooLarge", { mb: Math.round(limit / 1024 / 1024) }));
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new SyncFailure(tText("collections:sync.errors.tooLarge", { mb: Math.round(limit / 1024 / 1024) }));
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** One page: its records and the next page's URL (same origin only). Failures are SyncFailure with our own words. */
async function fetchPage(url: string, origin: string, headers: Headers): Promise<{ records: unknown[]; next: string | null; nextError?: string }> {
  let res: Response;
  try {
    res = await guardedFetch(url, { method: "GET", headers }, { timeoutMs: CRM_LIMITS.timeoutMs });
  } catch (err) {
    if (err instanceof TargetRefused) throw new SyncFailure(tText("collections:sync.errors.refused"));
    if (err instanceof OutboundError) {
      if (err.timedOut) throw new SyncFailure(tText("collections:sync.errors.timeout", { seconds: CRM_LIMITS.timeoutMs / 1000 }));
      if (err.status !== null && err.status >= 300 && err.status < 400)
        throw new SyncFailure(tText("collections:sync.errors.redirect", { status: err.status }));
      if (err.status !== null) throw new SyncFailure(tText("collections:sync.errors.http", { status: err.status }));
      throw new SyncFailure(tText("collections:sync.errors.unreachable"));
    }
    throw err;
  }
  const text = await readCapped(res, CRM_LIMITS.pageBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SyncFailure(tText("collections:sync.errors.notJson"));
  }
  if (Array.isArray(body)) return { records: body, next: null };
  if (body && typeof body === "object" && Array.isArray((body as { data?: unknown }).data)) {
    const rawNext = (body as { next?: unknown }).next;
    if (rawNext === undefined || rawNext === null || rawNext === "") return { records: (body as { data: unknown[] }).data, next: null };
    const records = (body as { data: unknown[] }).data;
    // A bad `next` stops the run after this page's records (they were fine).
    let next: URL;
    try {
      if (typeof rawNext !== "string") throw new Error("not a string");
      next = new URL(rawNext, url);
    } catch {
      return { records, next: null, nextError: tText("collections:sync.errors.badNext") };
    }
    if (next.origin !== origin) return { records, next: null, nextError: tText("collections:sync.errors.nextOrigin") };
    return { records, next: next.toString() };
  }
  throw new SyncFailure(tText("collections:sync.errors.shape"));
}

/** Keeps the lease while the run goes on; a lost lease (another process took the config) stops it. */
async function renewLease(configId: string, lease: Date): Promise<Date> {
  const [row] = await db
    .update(crmSyncConfigs)
    .set({ leaseUntil: sql`date_trunc('milliseconds', now() + make_interval(secs => ${LEASE_MS / 1000}))` })
    .where(and(eq(crmSyncConfigs.id, configId), eq(crmSyncConfigs.leaseUntil, lease)))
    .returning({ leaseUntil: crmSyncConfigs.leaseUntil });
  if (!row?.leaseUntil) throw new LeaseLost();
  return row.leaseUntil;
}

/**
 * Runs one sync of a config whose lease the caller holds: pages, records, targets; then the run row,
 * the config's last-sync fields, its next time and the lease released, and an audit row with the counts.
 * `now` is the clock of the date-range filter and the next run (tests).
 */
export async function runCrmSync(configId: string, lease: Date, run: CrmSyncRun, now = new Date()): Promise<CrmSyncRun> {
  const [config] = await db.select().from(crmSyncConfigs).where(eq(crmSyncConfigs.id, configId));
  if (!config) throw new AppError("not_found", "crm sync config gone");
  const language = await languageOf(config.organizationId);
  return withLocale(language, async () => {
    const counts = { pages: 0, fetched: 0, created: 0, updated: 0, skipped: 0 };
    const reasons: CrmSkipCounts = {};
    const samples: { record: number; reason: string }[] = [];
    let invalid = 0;
    let error: string | null = null;
    let held = lease;
    const skipped = (record: number, reason: string) => {
      counts.skipped++;
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      if (INVALID.has(reason)) invalid++;
      if (samples.length < CRM_LIMITS.samples) samples.push({ record, reason });
    };
    const caller = systemCaller("crm-sync", config.organizationId);
    try {
      const url = decryptSecret(config.urlEncrypted);
      const origin = new URL(url).origin;
      const headers = new Headers({ accept: "application/json" });
      if (config.apiKeyEncrypted) {
        const key = decryptSecret(config.apiKeyEncrypted);
        headers.set(config.authHeader, config.authHeader.toLowerCase() === "authorization" ? `Bearer ${key}` : key);
      }
      const today = isoDateInZone(now, language.timeZone);
      const seen = new Set<string>();
      let next: string | null = url;
      while (next) {
        if (counts.pages >= CRM_LIMITS.pages) throw new SyncFailure(tText("collections:sync.errors.tooManyPages", { pages: CRM_LIMITS.pages }));
        const page = await fetchPage(next, origin, headers);
        counts.pages++;
        const debts: (Debt & { index: number })[] = [];
        for (const record of page.records) {
          if (counts.fetched >= CRM_LIMITS.records) throw new SyncFailure(tText("collections:sync.errors.tooManyRecords", { records: CRM_LIMITS.records }));
          const index = ++counts.fetched;
          const debt = recordToDebt(record, config, today);
          if ("skip" in debt) skipped(index, debt.skip);
          else debts.push({ ...debt, index });
        }
        if (debts.length) {
          const outcome = await applyDebts(caller, config.campaignId, debts, {
            dedupeBy: config.dedupeBy,
            updateExisting: config.updateExisting,
            crmSyncId: config.id,
            now,
            seen,
          });
          counts.created += outcome.created;
          counts.updated += outcome.updated;
          for (const s of outcome.skipped.sort((a, b) => a.index - b.index)) skipped(s.index, s.reason);
        }
        held = await renewLease(config.id, held);
        if (page.nextError) throw new SyncFailure(page.nextError);
        next = page.next;
      }
    } catch (err) {
      if (err instanceof LeaseLost) {
        log.warn("crm sync lease lost; another process has the config", { configId });
        error = tText("collections:sync.errors.leaseLost");
      } else if (err instanceof SyncFailure) error = err.message;
      else if (err instanceof AppError && (err.code === "conflict" || err.code === "not_found")) error = err.message;
      else {
        log.error("crm sync failed unexpectedly", { configId, err });
        error = tText("collections:sync.errors.unexpected");
      }
    }
    const status = error ? (counts.pages > 0 ? "partial" : "failed") : invalid > 0 ? "partial" : "success";
    const finishedAt = new Date();
    return inTransaction(undefined, async (tx) => {
      const [saved] = await tx
        .update(crmSyncRuns)
        .set({ status, error, ...counts, skipReasons: reasons, skippedSamples: samples, finishedAt })
        .where(eq(crmSyncRuns.id, run.id))
        .returning();
      await tx
        .update(crmSyncConfigs)
        .set({
          lastSyncAt: finishedAt,
          lastSyncStatus: status,
          lastSyncError: error,
          lastFetched: counts.fetched,
          lastCreated: counts.created,
          lastUpdated: counts.updated,
          lastSkipped: counts.skipped,
          nextRunAt: new Date(now.getTime() + config.intervalMinutes * 60_000),
          leaseUntil: null,
        })
        .where(and(eq(crmSyncConfigs.id, config.id), eq(crmSyncConfigs.leaseUntil, held)));
      await auditChange(
        tx,
        config.organizationId,
        caller,
        "crm_sync.synced",
        { type: "crm_sync", id: config.id },
        { runId: run.id, status, fetched: counts.fetched, created: counts.created, updated: counts.updated, skipped: counts.skipped },
      );
      return saved!;
    });
  });
}

/** The scheduled syncs as jobs of the one job mechanism: due enabled configs, claimed under a lease. */
export function crmSyncJobs(now?: () => Date): JobKind<Job, CrmSyncRun> {
  return {
    name: "crm-syncs",
    claim: (limit) => claimDue<Job>(crmSyncQueue, { limit, leaseMs: LEASE_MS, now: now?.() }),
    run: async (job) => {
      const [config] = await db.select().from(crmSyncConfigs).where(eq(crmSyncConfigs.id, job.id));
      if (!config) throw new AppError("not_found", "crm sync config gone");
      return runCrmSync(job.id, new Date(job.lease_until), await startRun(config, "schedule"), now?.());
    },
    release: async (jobs) => {
      await releaseLeases(
        crmSyncQueue,
        jobs.map((j) => ({ id: j.id, leaseUntil: new Date(j.lease_until) })),
      );
    },
    idOf: (job) => job.id,
  };
}

/** One scheduler pass (the periodic worker, tests): every due config, a few at a time. */
export async function runDueCrmSyncs(limit = 3, now?: Date): Promise<CrmSyncRun[]> {
  const { results } = await runJobsOnce(crmSyncJobs(now ? () => now : undefined), limit);
  return results.filter((r): r is CrmSyncRun => r !== undefined);
}
