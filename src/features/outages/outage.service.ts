import { and, asc, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { roleAtLeast } from "@/auth/roles";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import {
  contacts,
  instances,
  organizations,
  outageNotifications,
  outagePacing,
  outageRegions,
  outages,
  type AffectedAreas,
  type Outage,
  type OutageNotification,
  type OutageRegion,
  type Pacing,
} from "@/db/schema";
import { auditChange } from "@/features/audit/audit.service";
import { recordEvent } from "@/features/events/event.service";
import { reachableSql } from "@/features/contacts/contact-filter";
import { fillTemplate } from "@/features/templates/template.render";
import type { Caller } from "@/lib/caller";
import { AppError, conflict, forbidden, pgCode, validationFailed, zodDetails } from "@/lib/errors";
import { formatDateTime, isLocale, tText, withLocale } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { keysetPage, type Page } from "@/lib/pager";
import { organizationOf } from "@/lib/tenant";
import { affectedContactsSql } from "./outage.match";
import {
  declareOutageSchema,
  regionSchema,
  resolveOutageSchema,
  updateOutageSchema,
  type NotificationListQuery,
  type OutageListQuery,
  type RegionInput,
} from "./outage.schema";

export type { Outage, OutageNotification, OutageRegion };

const outageNotFound = () => new AppError("not_found", tText("outages:errors.notFound"));
const regionNotFound = () => new AppError("not_found", tText("outages:errors.regionNotFound"));

/** Supervisors and above declare outages (they speak for the business's numbers); a key's scope was checked by its route. */
export function assertOutageManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && roleAtLeast(caller.role, "supervisor"))) throw forbidden(tText("outages:errors.forbidden"));
}

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } },
  values: unknown,
): T {
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw validationFailed(zodDetails(parsed.error.issues));
  return parsed.data;
}

// ——— JSON ———

export function regionJson(r: OutageRegion) {
  return { id: r.id, name: r.name, cities: r.cities, states: r.states, cepPrefixes: r.cepPrefixes, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

export function outageJson(o: Outage) {
  return {
    id: o.id,
    title: o.title,
    description: o.description,
    severity: o.severity,
    status: o.status,
    affected: o.affected,
    estimatedResolutionAt: o.estimatedResolutionAt,
    noticeMessage: o.noticeMessage,
    resolutionMessage: o.resolutionMessage,
    instanceIds: o.instanceIds,
    pacing: { perMinute: o.pacing.perMinute, jitterPercent: o.pacing.jitterPercent, dailyCap: o.pacing.dailyCap },
    createdByUserId: o.createdByUserId,
    resolvedByUserId: o.resolvedByUserId,
    resolvedAt: o.resolvedAt,
    cancelledAt: o.cancelledAt,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

export function notificationJson(n: OutageNotification) {
  return {
    id: n.id,
    outageId: n.outageId,
    contactId: n.contactId,
    kind: n.kind,
    via: n.via,
    phone: n.phone,
    name: n.name,
    state: n.state,
    skipReason: n.skipReason,
    error: n.error,
    instanceId: n.instanceId,
    messageId: n.messageId,
    body: n.body,
    sentAt: n.sentAt,
    deliveredAt: n.deliveredAt,
    readAt: n.readAt,
    respondedAt: n.respondedAt,
    responseText: n.responseText,
    createdAt: n.createdAt,
  };
}

// ——— Regions ———

export async function listRegions(caller: Caller, tx: DbOrTx = db): Promise<OutageRegion[]> {
  return tx
    .select()
    .from(outageRegions)
    .where(eq(outageRegions.organizationId, organizationOf(caller)))
    .orderBy(asc(outageRegions.name));
}

export async function getRegion(caller: Caller, id: string, tx: DbOrTx = db): Promise<OutageRegion> {
  if (!isUuid(id)) throw regionNotFound();
  const [row] = await tx
    .select()
    .from(outageRegions)
    .where(and(eq(outageRegions.id, id), eq(outageRegions.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw regionNotFound();
  return row;
}

const duplicateRegion = (err: unknown) =>
  pgCode(err) === "23505" ? validationFailed([{ path: "name", message: tText("outages:errors.regionNameTaken") }]) : err;

export async function createRegion(caller: Caller, values: unknown): Promise<OutageRegion> {
  assertOutageManager(caller);
  const input = parse<RegionInput>(regionSchema, values);
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(outageRegions)
      .values({ organizationId, ...input })
      .returning()
      .catch((err) => {
        throw duplicateRegion(err);
      });
    await auditChange(tx, organizationId, caller, "outage_region.created", { type: "outage_region", id: row!.id }, { name: row!.name });
    return row!;
  });
}

export async function updateRegion(caller: Caller, id: string, values: unknown): Promise<OutageRegion> {
  assertOutageManager(caller);
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const current = await getRegion(caller, id, tx);
    const input = parse<RegionInput>(regionSchema, { ...regionJson(current), ...(values as object) });
    const [row] = await tx
      .update(outageRegions)
      .set(input)
      .where(and(eq(outageRegions.id, current.id), eq(outageRegions.organizationId, organizationId)))
      .returning()
      .catch((err) => {
        throw duplicateRegion(err);
      });
    const fields = (["name", "cities", "states", "cepPrefixes"] as const).filter((k) => JSON.stringify(current[k]) !== JSON.stringify(row![k]));
    await auditChange(tx, organizationId, caller, "outage_region.updated", { type: "outage_region", id }, { name: row!.name, fields });
    return row!;
  });
}

/** An outage keeps the areas it was declared with: deleting a region changes no outage's notified contacts. */
export async function deleteRegion(caller: Caller, id: string): Promise<void> {
  assertOutageManager(caller);
  const organizationId = organizationOf(caller);
  await db.transaction(async (tx) => {
    const current = await getRegion(caller, id, tx);
    await tx.delete(outageRegions).where(and(eq(outageRegions.id, current.id), eq(outageRegions.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "outage_region.deleted", { type: "outage_region", id }, { name: current.name });
  });
}

// ——— Outages ———

export async function listOutages(caller: Caller, query: OutageListQuery, tx: DbOrTx = db): Promise<Page<Outage>> {
  const where: SQL[] = [eq(outages.organizationId, organizationOf(caller))];
  if (query.status) where.push(eq(outages.status, query.status));
  return keysetPage(
    { sortBy: outages.createdAt, id: outages.id },
    query,
    (q) =>
      tx
        .select({ outage: outages, sortKey: q.sortKey })
        .from(outages)
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.outage,
    (r) => r.outage.id,
  );
}

export async function getOutage(caller: Caller, id: string, tx: DbOrTx = db, lock = false): Promise<Outage> {
  if (!isUuid(id)) throw outageNotFound();
  const q = tx
    .select()
    .from(outages)
    .where(and(eq(outages.id, id), eq(outages.organizationId, organizationOf(caller))))
    .limit(1);
  const [row] = lock ? await q.for("update") : await q;
  if (!row) throw outageNotFound();
  return row;
}

type OrgText = { language: string; timeZone: string };

async function orgTextOf(organizationId: string, tx: DbOrTx): Promise<OrgText> {
  const [org] = await tx
    .select({ language: organizations.language, timeZone: organizations.timeZone })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  return { language: org?.language ?? "pt-BR", timeZone: org?.timeZone ?? "America/Sao_Paulo" };
}

/** The default notice and resolution texts, in the organization's language. */
export function defaultMessages(language: string): { notice: string; resolution: string } {
  return withLocale({ locale: isLocale(language) ? language : undefined }, () => ({
    notice: tText("outages:defaults.notice"),
    resolution: tText("outages:defaults.resolution"),
  }));
}

/**
 * A notice or resolution message for one contact: {{nome}}/{{name}}, {{titulo}}/{{title}},
 * {{descricao}}/{{description}}, {{previsao}}/{{estimate}} (in the organization's zone and language),
 * {{severidade}}/{{severity}}.
 */
export function renderOutageMessage(
  text: string,
  outage: Pick<Outage, "title" | "description" | "severity" | "estimatedResolutionAt">,
  contact: { name: string | null },
  org: OrgText,
): string {
  return withLocale({ locale: isLocale(org.language) ? org.language : undefined, timeZone: org.timeZone }, () => {
    const estimate = outage.estimatedResolutionAt ? formatDateTime(outage.estimatedResolutionAt) : tText("outages:noEstimate");
    const severity = tText(`outages:severities.${outage.severity}`);
    const name = contact.name ?? "";
    return fillTemplate(text, {
      nome: name,
      name,
      titulo: outage.title,
      title: outage.title,
      descricao: outage.description ?? "",
      description: outage.description ?? "",
      previsao: estimate,
      estimate,
      severidade: severity,
      severity,
    });
  });
}

/** The organization's regions among `ids` (a deleted one is simply missing). */
export async function regionsByIds(organizationId: string, ids: string[], tx: DbOrTx = db): Promise<OutageRegion[]> {
  if (ids.length === 0) return [];
  return tx
    .select()
    .from(outageRegions)
    .where(and(eq(outageRegions.organizationId, organizationId), inArray(outageRegions.id, ids)));
}

/** The regions an outage names must be the organization's (422 on `affected.regionIds` otherwise). */
async function regionsOf(organizationId: string, ids: string[], tx: DbOrTx): Promise<OutageRegion[]> {
  const rows = await regionsByIds(organizationId, ids, tx);
  if (rows.length !== new Set(ids).size) throw validationFailed([{ path: "affected.regionIds", message: tText("outages:errors.regionInvalid") }]);
  return rows;
}

/** How many reachable contacts (people with a phone, not opted out, not blocked) the areas cover now. */
export async function countAffected(caller: Caller, areas: AffectedAreas, tx: DbOrTx = db): Promise<number> {
  const organizationId = organizationOf(caller);
  const regions = await regionsOf(organizationId, areas.regionIds, tx);
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(contacts)
    .where(and(reachableSql(organizationId), eq(contacts.optedOut, false), eq(contacts.blocked, false), affectedContactsSql(areas, regions)));
  return row?.n ?? 0;
}

/** The pacing slots of an outage's numbers, due at once (declared or resolved). */
async function openSlots(tx: DbOrTx, outage: Pick<Outage, "id" | "instanceIds">, now: Date): Promise<void> {
  if (outage.instanceIds.length === 0) return;
  await tx
    .insert(outagePacing)
    .values(outage.instanceIds.map((instanceId) => ({ outageId: outage.id, instanceId, nextAt: now })))
    .onConflictDoNothing();
}

/**
 * Declares an outage: the affected contacts are materialised as pending notices in the same
 * transaction (every person with a phone in the areas; opted-out and blocked ones are skipped with the
 * reason when their turn comes, so the log says why), and the numbers' pacing slots open.
 */
/** What an outage event carries: the outage as the API shows it, minus its messages' text. */
function outageEventData(o: Outage) {
  return {
    id: o.id,
    title: o.title,
    severity: o.severity,
    status: o.status,
    affected: o.affected,
    instanceIds: o.instanceIds,
    estimatedResolutionAt: o.estimatedResolutionAt?.toISOString() ?? null,
    createdAt: o.createdAt.toISOString(),
    resolvedAt: o.resolvedAt?.toISOString() ?? null,
    cancelledAt: o.cancelledAt?.toISOString() ?? null,
  };
}

export async function declareOutage(caller: Caller, values: unknown, now: Date = new Date()): Promise<Outage> {
  assertOutageManager(caller);
  const input = parse(declareOutageSchema, values);
  const organizationId = organizationOf(caller);
  const instanceIds = [...new Set(input.instanceIds)];
  const owned = await db
    .select({ id: instances.id })
    .from(instances)
    .where(and(eq(instances.organizationId, organizationId), inArray(instances.id, instanceIds)));
  if (owned.length !== instanceIds.length) throw validationFailed([{ path: "instanceIds", message: tText("outages:errors.instanceNotFound") }]);
  const affected: AffectedAreas = {
    regionIds: [...new Set(input.affected.regionIds)],
    custom: input.affected.custom.map((c) => ({ city: c.city, neighborhoods: c.neighborhoods })),
  };
  return db.transaction(async (tx) => {
    const regions = await regionsOf(organizationId, affected.regionIds, tx);
    const org = await orgTextOf(organizationId, tx);
    const defaults = defaultMessages(org.language);
    const pacing: Pacing = { ...input.pacing, warmupDays: 0, warmupStartPerDay: input.pacing.dailyCap };
    const [outage] = await tx
      .insert(outages)
      .values({
        organizationId,
        title: input.title,
        description: input.description ?? null,
        severity: input.severity,
        affected,
        estimatedResolutionAt: input.estimatedResolutionAt ? new Date(input.estimatedResolutionAt) : null,
        noticeMessage: input.noticeMessage ?? defaults.notice,
        resolutionMessage: input.resolutionMessage ?? defaults.resolution,
        instanceIds,
        pacing,
        createdByUserId: caller.type === "user" ? caller.id : null,
        createdAt: now,
      })
      .returning();
    const inserted = rowsOf<{ id: string }>(
      await tx.execute(sql`
        insert into outage_notifications (organization_id, outage_id, contact_id, kind, phone, name, created_at, updated_at)
        select ${organizationId}::uuid, ${outage!.id}::uuid, contacts.id, 'notice', contacts.phone, contacts.name, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
        from contacts
        where ${reachableSql(organizationId)} and ${affectedContactsSql(affected, regions)}
        order by contacts.created_at, contacts.id
        on conflict do nothing
        returning id`),
    );
    await openSlots(tx, outage!, now);
    await auditChange(
      tx,
      organizationId,
      caller,
      "outage.declared",
      { type: "outage", id: outage!.id },
      { title: outage!.title, severity: outage!.severity, contacts: inserted.length },
    );
    await recordEvent({ organizationId, type: "outage.declared", data: { outage: outageEventData(outage!), contacts: inserted.length } }, tx);
    return outage!;
  });
}

export async function updateOutage(caller: Caller, id: string, values: unknown): Promise<Outage> {
  assertOutageManager(caller);
  const input = parse(updateOutageSchema, values);
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const current = await getOutage(caller, id, tx, true);
    if (current.status !== "active") throw conflict(tText("outages:errors.notActive"));
    const wanted = {
      ...input,
      estimatedResolutionAt: input.estimatedResolutionAt === undefined ? undefined : input.estimatedResolutionAt ? new Date(input.estimatedResolutionAt) : null,
    };
    const changes: Partial<typeof outages.$inferInsert> = {};
    const fields: string[] = [];
    for (const key of ["title", "description", "severity", "estimatedResolutionAt", "noticeMessage", "resolutionMessage"] as const) {
      const value = wanted[key];
      if (value === undefined) continue;
      const same =
        value instanceof Date || current[key] instanceof Date
          ? String((value as Date | null)?.getTime()) === String((current[key] as Date | null)?.getTime())
          : value === current[key];
      if (same) continue;
      Object.assign(changes, { [key]: value });
      fields.push(key);
    }
    if (fields.length === 0) return current;
    const [row] = await tx
      .update(outages)
      .set(changes)
      .where(and(eq(outages.id, current.id), eq(outages.organizationId, organizationId)))
      .returning();
    await auditChange(tx, organizationId, caller, "outage.updated", { type: "outage", id }, { title: row!.title, fields });
    return row!;
  });
}

/**
 * Resolves an active outage: notices not sent yet are skipped (`resolved`), everyone who was sent the
 * notice gets a pending resolution message (paced on the same slots), and the resolution is stamped.
 */
export async function resolveOutage(caller: Caller, id: string, values: unknown = {}, now: Date = new Date()): Promise<Outage> {
  assertOutageManager(caller);
  const input = parse(resolveOutageSchema, values ?? {});
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const current = await getOutage(caller, id, tx, true);
    if (current.status !== "active") throw conflict(tText("outages:errors.notActive"));
    const [row] = await tx
      .update(outages)
      .set({
        status: "resolved",
        resolvedAt: now,
        resolvedByUserId: caller.type === "user" ? caller.id : null,
        resolutionMessage: input.resolutionMessage ?? current.resolutionMessage,
        updatedAt: now,
      })
      .where(eq(outages.id, current.id))
      .returning();
    await tx
      .update(outageNotifications)
      .set({ state: "skipped", skipReason: "resolved", updatedAt: now })
      .where(and(eq(outageNotifications.outageId, current.id), eq(outageNotifications.kind, "notice"), eq(outageNotifications.state, "pending")));
    const queued = rowsOf<{ id: string }>(
      await tx.execute(sql`
        insert into outage_notifications (organization_id, outage_id, contact_id, kind, via, phone, name, created_at, updated_at)
        select n.organization_id, n.outage_id, n.contact_id, 'resolution', 'broadcast', n.phone, n.name, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
        from outage_notifications n
        where n.outage_id = ${current.id} and n.kind = 'notice' and n.sent_at is not null and n.state <> 'failed'
        order by n.sent_at, n.id
        on conflict do nothing
        returning id`),
    );
    // A number's slot keeps its next time: the first resolution message never follows the last notice sooner than the pace allows.
    await openSlots(tx, current, now);
    await auditChange(tx, organizationId, caller, "outage.resolved", { type: "outage", id }, { title: current.title, resolutionMessages: queued.length });
    await recordEvent({ organizationId, type: "outage.resolved", data: { outage: outageEventData(row!), resolutionMessages: queued.length } }, tx);
    return row!;
  });
}

/** Cancels an active outage (declared by mistake): pending notices are skipped and no resolution message goes out. */
export async function cancelOutage(caller: Caller, id: string, now: Date = new Date()): Promise<Outage> {
  assertOutageManager(caller);
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const current = await getOutage(caller, id, tx, true);
    if (current.status !== "active") throw conflict(tText("outages:errors.notActive"));
    const [row] = await tx.update(outages).set({ status: "cancelled", cancelledAt: now, updatedAt: now }).where(eq(outages.id, current.id)).returning();
    await tx
      .update(outageNotifications)
      .set({ state: "skipped", skipReason: "cancelled", updatedAt: now })
      .where(and(eq(outageNotifications.outageId, current.id), eq(outageNotifications.state, "pending")));
    await tx.delete(outagePacing).where(eq(outagePacing.outageId, current.id));
    await auditChange(tx, organizationId, caller, "outage.cancelled", { type: "outage", id }, { title: current.title });
    await recordEvent({ organizationId, type: "outage.cancelled", data: { outage: outageEventData(row!) } }, tx);
    return row!;
  });
}

/** Deletes a resolved or cancelled outage with its log (an active one is cancelled or resolved first: 409). */
export async function deleteOutage(caller: Caller, id: string): Promise<void> {
  assertOutageManager(caller);
  const organizationId = organizationOf(caller);
  await db.transaction(async (tx) => {
    const current = await getOutage(caller, id, tx, true);
    if (current.status === "active") throw conflict(tText("outages:errors.stillActive"));
    await tx.delete(outages).where(eq(outages.id, current.id));
    await auditChange(tx, organizationId, caller, "outage.deleted", { type: "outage", id }, { title: current.title });
  });
}

export type KindMetrics = {
  total: number;
  pending: number;
  notified: number;
  delivered: number;
  read: number;
  responded: number;
  failed: number;
  skipped: number;
};
export type OutageMetrics = { notice: KindMetrics; resolution: KindMetrics; uniqueContacts: number };

/** The log's counts per kind: notified = sent (queued to the provider), delivered and read from receipts, responded = answered. */
export async function outageMetrics(caller: Caller, id: string, tx: DbOrTx = db): Promise<OutageMetrics> {
  const outage = await getOutage(caller, id, tx);
  const rows = rowsOf<{ kind: "notice" | "resolution" } & Record<keyof KindMetrics, number>>(
    await tx.execute(sql`
      select kind,
        count(*)::int as total,
        count(*) filter (where state = 'pending')::int as pending,
        count(*) filter (where sent_at is not null)::int as notified,
        count(*) filter (where delivered_at is not null)::int as delivered,
        count(*) filter (where read_at is not null)::int as read,
        count(*) filter (where responded_at is not null)::int as responded,
        count(*) filter (where state = 'failed')::int as failed,
        count(*) filter (where state = 'skipped')::int as skipped
      from outage_notifications where outage_id = ${outage.id}
      group by kind`),
  );
  const empty = (): KindMetrics => ({ total: 0, pending: 0, notified: 0, delivered: 0, read: 0, responded: 0, failed: 0, skipped: 0 });
  const pick = (kind: "notice" | "resolution") => {
    const r = rows.find((x) => x.kind === kind);
    if (!r) return empty();
    const { kind: _, ...counts } = r;
    return { ...empty(), ...counts };
  };
  const [unique] = rowsOf<{ n: number }>(
    await tx.execute(sql`select count(distinct phone)::int as n from outage_notifications where outage_id = ${outage.id} and sent_at is not null`),
  );
  return { notice: pick("notice"), resolution: pick("resolution"), uniqueContacts: unique?.n ?? 0 };
}

/** The notification log of an outage, newest first, one keyset page. */
export async function listNotifications(caller: Caller, id: string, query: NotificationListQuery, tx: DbOrTx = db): Promise<Page<OutageNotification>> {
  const outage = await getOutage(caller, id, tx);
  const where: SQL[] = [eq(outageNotifications.outageId, outage.id)];
  if (query.kind) where.push(eq(outageNotifications.kind, query.kind));
  if (query.state) where.push(eq(outageNotifications.state, query.state));
  return keysetPage(
    { sortBy: outageNotifications.createdAt, id: outageNotifications.id },
    query,
    (q) =>
      tx
        .select({ n: outageNotifications, sortKey: q.sortKey })
        .from(outageNotifications)
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.n,
    (r) => r.n.id,
  );
}

/** The organization's active outages, newest first (the inbound claim and the dashboard read these). */
export async function activeOutages(organizationId: string, tx: DbOrTx = db): Promise<Outage[]> {
  return tx
    .select()
    .from(outages)
    .where(and(eq(outages.organizationId, organizationId), eq(outages.status, "active")))
    .orderBy(desc(outages.createdAt));
}

export { orgTextOf };
