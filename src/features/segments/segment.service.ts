import { and, asc, desc, eq, gt, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { contacts, segments, type ContactFilter } from "@/db/schema";
import { auditChange } from "@/features/audit/audit.service";
import { contactFilterSql, reachableSql } from "@/features/contacts/contact-filter";
import { assertManagesContactBook } from "@/features/contacts/contact-field.service";
import { AppError, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { organizationOf } from "@/lib/tenant";
import type { Caller } from "@/lib/caller";
import { SEGMENT_LIMITS, type SegmentCreateInput, type SegmentFilterInput, type SegmentUpdateInput } from "./segment.schema";

export type Segment = typeof segments.$inferSelect;

export function segmentJson(s: Segment, count?: number) {
  return { id: s.id, name: s.name, filter: s.filter, ...(count === undefined ? {} : { count }), createdAt: s.createdAt, updatedAt: s.updatedAt };
}

/** Segments exclude opted-out and blocked contacts unless told otherwise (campaigns must never reach them). */
function storedFilter(input: SegmentFilterInput): ContactFilter {
  const filter: ContactFilter = { excludeOptedOut: input.excludeOptedOut ?? true };
  if (input.tags?.length) filter.tags = input.tags;
  if (input.city) filter.city = input.city;
  if (input.state) filter.state = input.state;
  if (input.custom && Object.keys(input.custom).length) filter.custom = input.custom as Record<string, string>;
  if (input.lastInteractionAfter) filter.lastInteractionAfter = input.lastInteractionAfter;
  if (input.lastInteractionBefore) filter.lastInteractionBefore = input.lastInteractionBefore;
  return filter;
}

/** The contacts a filter selects in an organization: people with a phone, every condition holding. */
function audienceWhere(organizationId: string, filter: ContactFilter) {
  return and(reachableSql(organizationId), ...contactFilterSql(filter))!;
}

export async function listSegments(caller: Caller, tx: DbOrTx = db): Promise<Segment[]> {
  const orgId = organizationOf(caller);
  return tx.select().from(segments).where(eq(segments.organizationId, orgId)).orderBy(asc(segments.name));
}

export async function getSegment(caller: Caller, id: string, tx: DbOrTx = db): Promise<Segment> {
  return segmentOf(organizationOf(caller), id, tx);
}

async function segmentOf(organizationId: string, id: string, tx: DbOrTx): Promise<Segment> {
  if (!isUuid(id)) throw new AppError("not_found", tText("segments:errors.notFound"));
  const [row] = await tx
    .select()
    .from(segments)
    .where(and(eq(segments.organizationId, organizationId), eq(segments.id, id)))
    .limit(1);
  if (!row) throw new AppError("not_found", tText("segments:errors.notFound"));
  return row;
}

export async function createSegment(caller: Caller, input: SegmentCreateInput): Promise<Segment> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const [{ n }] = (await tx.select({ n: sql<number>`count(*)::int` }).from(segments).where(eq(segments.organizationId, orgId))) as [{ n: number }];
    if (n >= SEGMENT_LIMITS.perOrganization)
      throw validationFailed([{ path: "name", message: tText("segments:schema.tooMany", { count: SEGMENT_LIMITS.perOrganization }) }]);
    const [row] = await tx
      .insert(segments)
      .values({ organizationId: orgId, name: input.name, filter: storedFilter(input.filter) })
      .onConflictDoNothing()
      .returning();
    if (!row) throw nameTaken(input.name);
    await auditChange(tx, orgId, caller, "segment.created", { type: "segment", id: row.id }, { name: row.name });
    return row;
  });
}

function nameTaken(name: string) {
  const message = tText("segments:errors.nameTaken", { name });
  return new AppError("conflict", message, [{ path: "name", message }]);
}

export async function updateSegment(caller: Caller, id: string, input: SegmentUpdateInput): Promise<Segment> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const before = await segmentOf(orgId, id, tx);
    const patch: Partial<typeof segments.$inferInsert> = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.filter !== undefined) patch.filter = storedFilter(input.filter);
    if (Object.keys(patch).length === 0) return before;
    if (patch.name && patch.name !== before.name) {
      const [clash] = await tx
        .select({ id: segments.id })
        .from(segments)
        .where(and(eq(segments.organizationId, orgId), eq(segments.name, patch.name)))
        .limit(1);
      if (clash) throw nameTaken(patch.name);
    }
    const [row] = await tx.update(segments).set(patch).where(eq(segments.id, before.id)).returning();
    await auditChange(tx, orgId, caller, "segment.updated", { type: "segment", id: before.id }, { fields: Object.keys(patch) });
    return row!;
  });
}

export async function deleteSegment(caller: Caller, id: string): Promise<void> {
  assertManagesContactBook(caller);
  const orgId = organizationOf(caller);
  await db.transaction(async (tx) => {
    const before = await segmentOf(orgId, id, tx);
    await tx.delete(segments).where(eq(segments.id, before.id));
    await auditChange(tx, orgId, caller, "segment.deleted", { type: "segment", id: before.id }, { name: before.name });
  });
}

/** How many contacts a filter selects right now (the live count while a segment is edited). */
export async function countAudience(organizationId: string, filter: ContactFilter, tx: DbOrTx = db): Promise<number> {
  const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(contacts).where(audienceWhere(organizationId, filter));
  return row?.n ?? 0;
}

/** The first contacts a filter selects, most recently active first (the preview). */
export async function previewAudience(organizationId: string, filter: ContactFilter, limit: number = SEGMENT_LIMITS.previewSize, tx: DbOrTx = db) {
  return tx
    .select()
    .from(contacts)
    .where(audienceWhere(organizationId, filter))
    .orderBy(sql`${contacts.lastInteractionAt} desc nulls last`, desc(contacts.id))
    .limit(limit);
}

/** A filter as typed in (unsaved): its count and preview, for the live view of the segment form. */
export async function previewFilter(caller: Caller, input: SegmentFilterInput) {
  const orgId = organizationOf(caller);
  const filter = storedFilter(input);
  const [count, preview] = await Promise.all([countAudience(orgId, filter), previewAudience(orgId, filter)]);
  return { count, preview };
}

/**
 * The contact ids of a saved segment, in pages of `pageSize` (keyset by id, so memory stays bounded
 * for any audience size and a page is one indexed query). The filter is read once at the start;
 * contacts that opt out while the pages are read are still dropped (the condition is evaluated per page).
 * For campaigns: `for await (const ids of resolveSegmentContactIds(orgId, segmentId)) …`.
 * Throws not_found for a segment of another organization.
 */
export async function* resolveSegmentContactIds(
  organizationId: string,
  segmentId: string,
  opts: { pageSize?: number; tx?: DbOrTx } = {},
): AsyncGenerator<string[], void, undefined> {
  const tx = opts.tx ?? db;
  const pageSize = opts.pageSize ?? 1000;
  const segment = await segmentOf(organizationId, segmentId, tx);
  const where = audienceWhere(organizationId, segment.filter);
  let after: string | null = null;
  for (;;) {
    const rows: { id: string }[] = await tx
      .select({ id: contacts.id })
      .from(contacts)
      .where(after ? and(where, gt(contacts.id, after)) : where)
      .orderBy(asc(contacts.id))
      .limit(pageSize);
    if (rows.length === 0) return;
    yield rows.map((r) => r.id);
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

/** A saved segment's current count (the segment list and the campaign audience check). */
export async function countSegment(organizationId: string, segmentId: string, tx: DbOrTx = db): Promise<number> {
  const segment = await segmentOf(organizationId, segmentId, tx);
  return countAudience(organizationId, segment.filter, tx);
}
