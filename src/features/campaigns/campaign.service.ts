import { stringify } from "csv-stringify/sync";
import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import {
  campaigns,
  campaignTargets,
  contacts,
  instances,
  segments,
  type Campaign,
  type CampaignStatus,
  type CampaignTarget,
  type ContactFilter,
  type TargetState,
} from "@/db/schema";
import { roleAtLeast } from "@/auth/roles";
import type { Caller } from "@/lib/caller";
import { AppError, conflict, forbidden, validationFailed, zodDetails } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { publishLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { organizationOf } from "@/lib/tenant";
import { keysetPage, type Page } from "@/lib/pager";
import { auditChange } from "@/features/audit/audit.service";
import { contactFilterSql, reachableSql } from "@/features/contacts/contact-filter";
import { campaignCreateSchema, campaignUpdateSchema, type CampaignCreateInput, type CampaignUpdateInput } from "./campaign.schema";
import { finishedImport, importAudience, importInlineCsv, type AudienceRow } from "./campaign.audience";
import { debtVariablesOf, openSlots, renderFor } from "./campaign.dispatch";
import { ageInDays, dailyCapFor, minutesOf } from "./campaign.pacing";

export type { Campaign, CampaignTarget };

export function campaignJson(c: Campaign) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    audienceSource: c.audienceSource,
    segmentId: c.segmentId,
    audienceTag: c.audienceTag,
    audienceImportId: c.audienceImportId,
    message: c.message,
    instanceIds: c.instanceIds,
    startsAt: c.startsAt,
    endsAt: c.endsAt,
    activeHours: c.activeHours,
    pacing: c.pacing,
    maxAttempts: c.maxAttempts,
    attemptSpacingMinutes: c.attemptSpacingMinutes,
    stopOnReply: c.stopOnReply,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

const notFound = () => new AppError("not_found", tText("campaigns:errors.notFound"));

/** Supervisors and above run campaigns (they speak for the business's numbers); a key's scope was checked by its route. */
export function assertCampaignManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && roleAtLeast(caller.role, "supervisor"))) throw forbidden(tText("campaigns:errors.forbidden"));
}

export async function listCampaigns(caller: Caller, tx: DbOrTx = db, opts: { status?: CampaignStatus } = {}): Promise<Campaign[]> {
  return tx
    .select()
    .from(campaigns)
    .where(and(eq(campaigns.organizationId, organizationOf(caller)), opts.status ? eq(campaigns.status, opts.status) : undefined))
    .orderBy(desc(campaigns.createdAt))
    .limit(200);
}

export async function getCampaign(caller: Caller, id: string, tx: DbOrTx = db): Promise<Campaign> {
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select()
    .from(campaigns)
    .where(and(eq(campaigns.id, id), eq(campaigns.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return row;
}

async function filterAudience(organizationId: string, filter: ContactFilter, tx: DbOrTx): Promise<AudienceRow[]> {
  // Opted-out and blocked contacts stay in the audience so the report shows them skipped with the reason.
  const rows = await tx
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(reachableSql(organizationId), ...contactFilterSql({ ...filter, excludeOptedOut: false })))
    .orderBy(asc(contacts.createdAt))
    .limit(100_000);
  return rows.map((r) => ({ contactId: r.id, variables: {} }));
}

/**
 * An audience a batch at a time (an import's 100 000 rows are never held whole), read in the transaction
 * that writes the targets (PGlite has one connection), and the contact import it came from.
 */
type Audience = { batches: (tx: DbOrTx) => AsyncIterable<AudienceRow[]>; importId: string | null };

async function* once(rows: Promise<AudienceRow[]>): AsyncGenerator<AudienceRow[]> {
  yield await rows;
}

async function audienceOf(caller: Caller, audience: CampaignCreateInput["audience"]): Promise<Audience> {
  const organizationId = organizationOf(caller);
  if (audience.source === "csv" || audience.source === "import") {
    // CSV audiences go through the contacts import (campaign.audience.ts): streamed, chunked, deduplicated, rejects reported.
    const imp = audience.source === "csv" ? await importInlineCsv(caller, audience.csv) : await finishedImport(caller, audience.importId);
    return { batches: (tx) => importAudience(caller, imp.id, tx), importId: imp.id };
  }
  if (audience.source === "tag") return { batches: (tx) => once(filterAudience(organizationId, { tags: [audience.tag] }, tx)), importId: null };
  const [segment] = await db
    .select()
    .from(segments)
    .where(and(eq(segments.id, audience.segmentId), eq(segments.organizationId, organizationId)))
    .limit(1);
  if (!segment) throw validationFailed([{ path: "audience.segmentId", message: tText("campaigns:errors.segmentNotFound") }]);
  return { batches: (tx) => once(filterAudience(organizationId, segment.filter as ContactFilter, tx)), importId: null };
}

export function parseCampaignInput(values: unknown): CampaignCreateInput {
  const parsed = campaignCreateSchema.safeParse(values);
  if (!parsed.success) throw validationFailed(zodDetails(parsed.error.issues));
  return parsed.data;
}

async function assertOwnInstances(organizationId: string, instanceIds: string[]): Promise<void> {
  const owned = await db
    .select({ id: instances.id })
    .from(instances)
    .where(and(eq(instances.organizationId, organizationId), inArray(instances.id, instanceIds)));
  if (owned.length !== new Set(instanceIds).size) throw validationFailed([{ path: "instanceIds", message: tText("campaigns:errors.instanceNotFound") }]);
}

/** The columns a create or a draft's edit writes (everything but the audience's targets). */
function campaignColumns(input: CampaignUpdateInput) {
  return {
    name: input.name,
    message: {
      body: input.message.body,
      variants: input.message.variants.filter((v) => v),
      mediaUrl: input.message.mediaUrl ?? null,
      rotation: input.message.rotation,
    },
    instanceIds: [...new Set(input.instanceIds)],
    startsAt: input.startsAt ? new Date(input.startsAt) : null,
    endsAt: input.endsAt ? new Date(input.endsAt) : null,
    activeHours: input.activeHours,
    pacing: input.pacing,
    maxAttempts: input.maxAttempts,
    attemptSpacingMinutes: input.attemptSpacingMinutes,
    stopOnReply: input.stopOnReply,
  };
}

function audienceColumns(audience: CampaignCreateInput["audience"], importId: string | null) {
  return {
    audienceSource: audience.source,
    segmentId: audience.source === "segment" ? audience.segmentId : null,
    audienceTag: audience.source === "tag" ? audience.tag : null,
    audienceImportId: importId,
  };
}

/**
 * Inserts the targets in audience order, 1000 a statement, one per contact (the first row of a contact
 * wins: the unique (campaign, contact) index drops later ones, leaving a gap in `position`, which only
 * orders). Returns how many; none is a 422 that rolls the caller's transaction back.
 */
async function insertTargets(tx: DbOrTx, organizationId: string, campaignId: string, audience: Audience): Promise<number> {
  let position = 0;
  let inserted = 0;
  for await (const batch of audience.batches(tx)) {
    const seen = new Set<string>();
    const rows = batch.filter((a) => !seen.has(a.contactId) && seen.add(a.contactId));
    for (let i = 0; i < rows.length; i += 1000) {
      const slice = rows.slice(i, i + 1000);
      // One jsonb parameter per 1000 targets (a multi-row insert built 5 parameters a target: most of the time and garbage of a 100 000-row audience).
      const payload = JSON.stringify(slice.map((a, j) => ({ contact_id: a.contactId, position: position + j, variables: a.variables })));
      const written = rowsOf<{ id: string }>(
        await tx.execute(sql`
          insert into campaign_targets (organization_id, campaign_id, contact_id, position, variables)
          select ${organizationId}::uuid, ${campaignId}::uuid, v.contact_id, v.position, v.variables
          from jsonb_to_recordset(${payload}::jsonb) as v(contact_id uuid, position integer, variables jsonb)
          on conflict do nothing
          returning id`),
      );
      position += slice.length;
      inserted += written.length;
    }
  }
  if (inserted === 0) throw validationFailed([{ path: "audience", message: tText("campaigns:errors.audienceEmpty") }]);
  return inserted;
}

/** Creates a draft campaign with its audience materialised as targets (deduplicated by contact). */
export async function createCampaign(caller: Caller, values: unknown): Promise<Campaign> {
  assertCampaignManager(caller);
  const input = parseCampaignInput(values);
  const organizationId = organizationOf(caller);
  await assertOwnInstances(organizationId, input.instanceIds);
  const audience = await audienceOf(caller, input.audience);
  return db.transaction(async (tx) => {
    const [campaign] = await tx
      .insert(campaigns)
      .values({
        organizationId,
        ...campaignColumns(input),
        ...audienceColumns(input.audience, audience.importId),
        createdByUserId: caller.type === "user" ? caller.id : null,
      })
      .returning();
    const targets = await insertTargets(tx, organizationId, campaign!.id, audience);
    await auditChange(tx, organizationId, caller, "campaign.created", { type: "campaign", id: campaign!.id }, { name: input.name, targets });
    return campaign!;
  });
}

/**
 * Edits a draft (a campaign that started cannot change under its targets). A new audience replaces the
 * targets; without one they are kept.
 */
export async function updateCampaign(caller: Caller, id: string, values: unknown): Promise<Campaign> {
  assertCampaignManager(caller);
  const parsed = campaignUpdateSchema.safeParse(values);
  if (!parsed.success) throw validationFailed(zodDetails(parsed.error.issues));
  const input = parsed.data;
  const current = await getCampaign(caller, id);
  await assertOwnInstances(current.organizationId, input.instanceIds);
  const audience = input.audience ? await audienceOf(caller, input.audience) : null;
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(campaigns)
      .set({ ...campaignColumns(input), ...(input.audience && audience ? audienceColumns(input.audience, audience.importId) : {}), updatedAt: new Date() })
      .where(and(eq(campaigns.id, current.id), eq(campaigns.status, "draft")))
      .returning();
    if (!updated) throw conflict(tText("campaigns:errors.badTransition", { status: tText(`campaigns:status.${current.status}`) }));
    let targets: number | undefined;
    if (audience) {
      await tx.delete(campaignTargets).where(eq(campaignTargets.campaignId, current.id));
      targets = await insertTargets(tx, current.organizationId, current.id, audience);
    }
    await auditChange(
      tx,
      current.organizationId,
      caller,
      "campaign.updated",
      { type: "campaign", id: current.id },
      { name: input.name, ...(targets === undefined ? {} : { targets }) },
    );
    return updated;
  });
}

async function transition(caller: Caller, id: string, action: "start" | "pause" | "resume" | "cancel", now: Date = new Date()): Promise<Campaign> {
  assertCampaignManager(caller);
  return db.transaction(async (tx) => {
    const [campaign] = await tx
      .select()
      .from(campaigns)
      .where(and(eq(campaigns.id, isUuid(id) ? id : "00000000-0000-0000-0000-000000000000"), eq(campaigns.organizationId, organizationOf(caller))))
      .for("update");
    if (!campaign) throw notFound();
    const allowed: Record<typeof action, Campaign["status"][]> = {
      start: ["draft"],
      pause: ["running"],
      resume: ["paused"],
      cancel: ["draft", "running", "paused"],
    };
    if (!allowed[action].includes(campaign.status))
      throw conflict(tText("campaigns:errors.badTransition", { status: tText(`campaigns:status.${campaign.status}`) }));
    const status = action === "pause" ? "paused" : action === "cancel" ? "cancelled" : "running";
    const [updated] = await tx
      .update(campaigns)
      .set({ status, updatedAt: now, ...(action === "start" ? { startedAt: now } : {}), ...(action === "cancel" ? { finishedAt: now } : {}) })
      .where(eq(campaigns.id, campaign.id))
      .returning();
    if (action === "start" || action === "resume") await openSlots(tx, campaign, now);
    if (action === "cancel") {
      await tx
        .update(campaignTargets)
        .set({ state: "skipped", skipReason: "cancelled", nextAttemptAt: null, updatedAt: now })
        .where(and(eq(campaignTargets.campaignId, campaign.id), inArray(campaignTargets.state, ["pending", "scheduled"])));
    }
    await auditChange(
      tx,
      campaign.organizationId,
      caller,
      `campaign.${action === "start" ? "started" : action === "pause" ? "paused" : action === "resume" ? "resumed" : "cancelled"}`,
      {
        type: "campaign",
        id: campaign.id,
      },
    );
    await publishLive(liveTopics.campaign(campaign.id), { status }, tx);
    return updated!;
  });
}

/**
 * Targets appended to an existing campaign (collections: debtors from a CRM sync or the API), after its
 * last position, one per contact (a contact already targeted is left out). The campaign row is locked so
 * concurrent appends get distinct positions. A completed campaign runs again for the new targets; a
 * cancelled one takes none (409). Returns the new targets' ids by contact.
 */
export async function appendCampaignTargets(
  tx: DbOrTx,
  caller: Caller,
  campaignId: string,
  contactIds: string[],
  now: Date = new Date(),
): Promise<Map<string, string>> {
  const [campaign] = await tx
    .select()
    .from(campaigns)
    .where(
      and(eq(campaigns.id, isUuid(campaignId) ? campaignId : "00000000-0000-0000-0000-000000000000"), eq(campaigns.organizationId, organizationOf(caller))),
    )
    .for("update");
  if (!campaign) throw notFound();
  if (campaign.status === "cancelled") throw conflict(tText("campaigns:errors.badTransition", { status: tText("campaigns:status.cancelled") }));
  const unique = [...new Set(contactIds)];
  if (unique.length === 0) return new Map();
  const [last] = await tx
    .select({ max: sql<number | null>`max(${campaignTargets.position})` })
    .from(campaignTargets)
    .where(eq(campaignTargets.campaignId, campaign.id));
  const start = (last?.max ?? -1) + 1;
  const inserted = await tx
    .insert(campaignTargets)
    .values(unique.map((contactId, i) => ({ organizationId: campaign.organizationId, campaignId: campaign.id, contactId, position: start + i })))
    .onConflictDoNothing()
    .returning({ id: campaignTargets.id, contactId: campaignTargets.contactId });
  if (inserted.length > 0 && campaign.status === "completed") {
    await tx.update(campaigns).set({ status: "running", finishedAt: null, updatedAt: now }).where(eq(campaigns.id, campaign.id));
    await openSlots(tx, campaign, now);
    await auditChange(tx, campaign.organizationId, caller, "campaign.reopened", { type: "campaign", id: campaign.id }, { targets: inserted.length });
    await publishLive(liveTopics.campaign(campaign.id), { status: "running" }, tx);
  }
  return new Map(inserted.map((r) => [r.contactId, r.id]));
}

export const startCampaign = (caller: Caller, id: string, now?: Date) => transition(caller, id, "start", now);
export const pauseCampaign = (caller: Caller, id: string, now?: Date) => transition(caller, id, "pause", now);
export const resumeCampaign = (caller: Caller, id: string, now?: Date) => transition(caller, id, "resume", now);
export const cancelCampaign = (caller: Caller, id: string, now?: Date) => transition(caller, id, "cancel", now);

/** The first targets' messages as they will be sent (variant by rotation, variables filled). */
export async function previewCampaign(caller: Caller, id: string, limit = 5) {
  const campaign = await getCampaign(caller, id);
  const rows = await db
    .select({ target: campaignTargets, contact: contacts })
    .from(campaignTargets)
    .innerJoin(contacts, eq(contacts.id, campaignTargets.contactId))
    .where(eq(campaignTargets.campaignId, campaign.id))
    .orderBy(asc(campaignTargets.position))
    .limit(limit);
  const debts = await debtVariablesOf(rows.map((r) => r.target.id));
  return rows.map(({ target, contact }) => {
    const rendered = renderFor(campaign, contact, target, 0, debts.get(target.id));
    return { targetId: target.id, contactId: contact.id, phone: contact.phone, name: contact.name, variantIndex: rendered.variantIndex, body: rendered.body };
  });
}

export const TARGET_STATE_ORDER = ["pending", "scheduled", "sending", "sent", "delivered", "read", "replied", "failed", "skipped"] as const;

/** Targets per state (every state present, zero when none). */
export async function campaignProgress(caller: Caller, id: string, tx: DbOrTx = db): Promise<{ total: number; states: Record<string, number> }> {
  const campaign = await getCampaign(caller, id, tx);
  const rows = await tx
    .select({ state: campaignTargets.state, n: count() })
    .from(campaignTargets)
    .where(eq(campaignTargets.campaignId, campaign.id))
    .groupBy(campaignTargets.state);
  const states: Record<string, number> = Object.fromEntries(TARGET_STATE_ORDER.map((s) => [s, 0]));
  for (const r of rows) states[r.state] = r.n;
  return { total: rows.reduce((a, r) => a + r.n, 0), states };
}

export type RiskWarning = { code: "capacity" | "young_number" | "opt_out_rate" | "rate_high"; message: string };

/**
 * The pre-send risk check: can the numbers' caps (and active hours) reach the audience before the end,
 * are any numbers still warming up, and did earlier campaigns of the organization see many opt-outs.
 */
export async function riskCheck(caller: Caller, id: string, now: Date = new Date()) {
  const campaign = await getCampaign(caller, id);
  const [{ n: audience } = { n: 0 }] = await db
    .select({ n: count() })
    .from(campaignTargets)
    .where(and(eq(campaignTargets.campaignId, campaign.id), inArray(campaignTargets.state, ["pending", "scheduled"])));
  const numbers = await db.select().from(instances).where(inArray(instances.id, campaign.instanceIds));
  const windowMinutes = minutesOf(campaign.activeHours.end) - minutesOf(campaign.activeHours.start);
  const warnings: RiskWarning[] = [];
  let perDay = 0;
  for (const number of numbers) {
    const age = ageInDays(number.createdAt, now);
    const cap = dailyCapFor(campaign.pacing, age);
    perDay += Math.min(cap, campaign.pacing.perMinute * windowMinutes);
    if (age < campaign.pacing.warmupDays) {
      warnings.push({ code: "young_number", message: tText("campaigns:risk.youngNumber", { name: number.name, days: age, cap }) });
    }
  }
  const activeDaysPerWeek = campaign.activeHours.weekdays.length;
  const daysNeeded = perDay > 0 ? Math.ceil(audience / perDay) : Number.POSITIVE_INFINITY;
  const from = campaign.startsAt && campaign.startsAt > now ? campaign.startsAt : now;
  const calendarDays = campaign.endsAt ? Math.max(0, (campaign.endsAt.getTime() - from.getTime()) / 86_400_000) : null;
  const daysAvailable = calendarDays === null ? null : Math.floor((calendarDays * activeDaysPerWeek) / 7);
  if (daysAvailable !== null && daysNeeded > daysAvailable) {
    warnings.push({ code: "capacity", message: tText("campaigns:risk.capacity", { audience, perDay, days: daysAvailable, reach: perDay * daysAvailable }) });
  }
  if (campaign.pacing.perMinute > 20) warnings.push({ code: "rate_high", message: tText("campaigns:risk.rateHigh", { rate: campaign.pacing.perMinute }) });
  const [history] = rowsOf<{ sent: number; opted_out: number }>(
    await db.execute(sql`
      select (select count(*)::int from campaign_targets t join campaigns c on c.id = t.campaign_id
               where c.organization_id = ${campaign.organizationId} and c.id <> ${campaign.id} and t.sent_at is not null) as sent,
             (select count(*)::int from consent_records r
               where r.organization_id = ${campaign.organizationId} and r.kind = 'opt_out' and r.campaign_id is not null and r.campaign_id <> ${campaign.id}) as opted_out`),
  );
  const optOutRate = history && history.sent > 0 ? history.opted_out / history.sent : 0;
  if (history && history.sent >= 20 && optOutRate > 0.02) {
    warnings.push({ code: "opt_out_rate", message: tText("campaigns:risk.optOutRate", { percent: (optOutRate * 100).toFixed(1) }) });
  }
  return { audience, perDay, daysNeeded: Number.isFinite(daysNeeded) ? daysNeeded : null, daysAvailable, optOutRate, warnings };
}

export type ReportRow = {
  targetId: string;
  phone: string | null;
  name: string | null;
  state: CampaignTarget["state"];
  skipReason: CampaignTarget["skipReason"];
  error: string | null;
  attempts: number;
  variantIndex: number | null;
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  repliedAt: Date | null;
  optedOutAt: Date | null;
};

/** Who got what: every target with its state, reason, times, and when it opted out (in answer to this campaign or otherwise). */
export async function campaignReport(caller: Caller, id: string, opts: { limit?: number; offset?: number } = {}): Promise<ReportRow[]> {
  const campaign = await getCampaign(caller, id);
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select t.id, c.phone, c.name, t.state, t.skip_reason, t.error, t.attempts, t.variant_index, t.sent_at, t.delivered_at, t.read_at, t.replied_at,
             (select max(r.created_at) from consent_records r where r.contact_id = t.contact_id and r.kind = 'opt_out') as opted_out_at
      from campaign_targets t join contacts c on c.id = t.contact_id
      where t.campaign_id = ${campaign.id}
      order by t.position
      limit ${opts.limit ?? 100_000} offset ${opts.offset ?? 0}`),
  );
  const date = (v: unknown) => (v ? new Date(v as string) : null);
  return rows.map((r) => ({
    targetId: r.id as string,
    phone: r.phone as string | null,
    name: r.name as string | null,
    state: r.state as CampaignTarget["state"],
    skipReason: r.skip_reason as CampaignTarget["skipReason"],
    error: r.error as string | null,
    attempts: r.attempts as number,
    variantIndex: r.variant_index as number | null,
    sentAt: date(r.sent_at),
    deliveredAt: date(r.delivered_at),
    readAt: date(r.read_at),
    repliedAt: date(r.replied_at),
    optedOutAt: date(r.opted_out_at),
  }));
}

/** The report as CSV (csv-stringify), headers and states in the caller's language. */
export async function campaignReportCsv(caller: Caller, id: string): Promise<string> {
  const rows = await campaignReport(caller, id);
  const iso = (d: Date | null) => (d ? d.toISOString() : "");
  return stringify(
    rows.map((r) => [
      r.phone ?? "",
      r.name ?? "",
      tText(`campaigns:state.${r.state}`),
      r.skipReason ? tText(`campaigns:skip.${r.skipReason}`) : "",
      r.error ?? "",
      r.attempts,
      r.variantIndex === null ? "" : r.variantIndex + 1,
      iso(r.sentAt),
      iso(r.deliveredAt),
      iso(r.readAt),
      iso(r.repliedAt),
      iso(r.optedOutAt),
    ]),
    {
      header: true,
      columns: ["phone", "name", "state", "skipReason", "error", "attempts", "variant", "sentAt", "deliveredAt", "readAt", "repliedAt", "optedOutAt"].map((k) =>
        tText(`campaigns:report.${k}`),
      ),
    },
  );
}

/** Targets per state of several campaigns of the caller's organization at once (the list page's progress column). */
export async function campaignCounts(caller: Caller, campaignIds: string[]): Promise<Map<string, { total: number; states: Record<string, number> }>> {
  const out = new Map<string, { total: number; states: Record<string, number> }>();
  if (campaignIds.length === 0) return out;
  const rows = await db
    .select({ campaignId: campaignTargets.campaignId, state: campaignTargets.state, n: count() })
    .from(campaignTargets)
    .where(and(eq(campaignTargets.organizationId, organizationOf(caller)), inArray(campaignTargets.campaignId, campaignIds)))
    .groupBy(campaignTargets.campaignId, campaignTargets.state);
  for (const id of campaignIds) out.set(id, { total: 0, states: Object.fromEntries(TARGET_STATE_ORDER.map((s) => [s, 0])) });
  for (const r of rows) {
    const entry = out.get(r.campaignId)!;
    entry.states[r.state] = r.n;
    entry.total += r.n;
  }
  return out;
}

/** The report's figures beyond states: skipped targets by reason, and contacts who opted out in answer to this campaign. */
export async function campaignSummary(caller: Caller, id: string): Promise<{ skipReasons: Record<string, number>; optedOut: number }> {
  const campaign = await getCampaign(caller, id);
  const reasons = await db
    .select({ reason: campaignTargets.skipReason, n: count() })
    .from(campaignTargets)
    .where(and(eq(campaignTargets.campaignId, campaign.id), eq(campaignTargets.state, "skipped")))
    .groupBy(campaignTargets.skipReason);
  const [optOuts] = rowsOf<{ n: number }>(
    await db.execute(sql`
      select count(distinct r.contact_id)::int as n from consent_records r
      where r.campaign_id = ${campaign.id} and r.kind = 'opt_out'`),
  );
  return { skipReasons: Object.fromEntries(reasons.map((r) => [r.reason ?? "rejected", r.n])), optedOut: optOuts?.n ?? 0 };
}

export const TARGETS_PAGE_SIZE = 50;

/**
 * One page of the report (the detail page's target table), optionally of one state, through the app's
 * pager: targets go in audience order, so the keyset is their position read as a timestamp.
 */
export async function campaignTargetsPage(
  caller: Caller,
  id: string,
  opts: { state?: TargetState; cursor?: string | null; limit?: number } = {},
): Promise<Page<ReportRow>> {
  const campaign = await getCampaign(caller, id);
  const positionKey = sql`to_timestamp(${campaignTargets.position})` as unknown as typeof campaignTargets.updatedAt;
  const date = (v: unknown) => (v ? new Date(v as string) : null);
  return keysetPage(
    { sortBy: positionKey, id: campaignTargets.id, order: "asc" },
    { limit: opts.limit ?? TARGETS_PAGE_SIZE, cursor: opts.cursor },
    async (q) =>
      rowsOf<Record<string, unknown> & { sortKey: string }>(
        await db.execute(sql`
          select ${campaignTargets.id} as id, c.phone, c.name, ${campaignTargets.state} as state, ${campaignTargets.skipReason} as skip_reason,
                 ${campaignTargets.error} as error, ${campaignTargets.attempts} as attempts, ${campaignTargets.variantIndex} as variant_index,
                 ${campaignTargets.sentAt} as sent_at, ${campaignTargets.deliveredAt} as delivered_at, ${campaignTargets.readAt} as read_at,
                 ${campaignTargets.repliedAt} as replied_at, ${q.sortKey} as "sortKey",
                 (select max(r.created_at) from consent_records r where r.contact_id = ${campaignTargets.contactId} and r.kind = 'opt_out') as opted_out_at
          from ${campaignTargets} join contacts c on c.id = ${campaignTargets.contactId}
          where ${campaignTargets.campaignId} = ${campaign.id}
            ${opts.state ? sql`and ${campaignTargets.state} = ${opts.state}` : sql``}
            ${q.after ? sql`and ${q.after}` : sql``}
          order by ${sql.join(q.orderBy, sql`, `)}
          limit ${q.limit}`),
      ),
    (r): ReportRow => ({
      targetId: r.id as string,
      phone: r.phone as string | null,
      name: r.name as string | null,
      state: r.state as CampaignTarget["state"],
      skipReason: r.skip_reason as CampaignTarget["skipReason"],
      error: r.error as string | null,
      attempts: r.attempts as number,
      variantIndex: r.variant_index as number | null,
      sentAt: date(r.sent_at),
      deliveredAt: date(r.delivered_at),
      readAt: date(r.read_at),
      repliedAt: date(r.replied_at),
      optedOutAt: date(r.opted_out_at),
    }),
    (r) => r.id as string,
  );
}
