import { and, desc, eq, gt, isNull, notExists, or, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { announcementDismissals, announcements, type Role } from "@/db/schema";
import { can } from "@/auth/roles";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { organizationOf } from "@/lib/tenant";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { CreateAnnouncementInput } from "./announcement.schema";

export type Announcement = typeof announcements.$inferSelect;

const notFound = () => new AppError("not_found", tText("announcements:errors.notFound"));

/** Only admins (and owners) write announcements. */
function assertAdmin(caller: Caller): void {
  if (!(caller.role && can.manageAnnouncements(caller.role))) throw forbidden(tText("announcements:errors.forbidden"));
}

/** Every announcement of the organization, newest first (the admin list, expired ones included). */
export async function listAnnouncements(caller: Caller, tx: DbOrTx = db): Promise<Announcement[]> {
  assertAdmin(caller);
  return tx
    .select()
    .from(announcements)
    .where(eq(announcements.organizationId, organizationOf(caller)))
    .orderBy(desc(announcements.createdAt));
}

export async function createAnnouncement(caller: Caller, input: CreateAnnouncementInput, tx?: DbOrTx): Promise<Announcement> {
  assertAdmin(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const [row] = await tx
      .insert(announcements)
      .values({ organizationId, ...input, createdBy: caller.type === "user" ? caller.id : null })
      .returning();
    await auditChange(
      tx,
      organizationId,
      caller,
      "announcement.created",
      { type: "announcement", id: row!.id },
      {
        title: row!.title,
        type: row!.type,
        targetRoles: row!.targetRoles,
      },
    );
    return row!;
  });
}

export async function deleteAnnouncement(caller: Caller, id: string, tx?: DbOrTx): Promise<void> {
  assertAdmin(caller);
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    if (!isUuid(id)) throw notFound();
    const [row] = await tx
      .delete(announcements)
      .where(and(eq(announcements.id, id), eq(announcements.organizationId, organizationId)))
      .returning();
    if (!row) throw notFound();
    await auditChange(tx, organizationId, caller, "announcement.deleted", { type: "announcement", id }, { title: row.title });
  });
}

/** What this member should see: their organization's, aimed at their role, not expired, not dismissed by them. */
function visibleTo(caller: Caller, now: Date) {
  const role: Role | undefined = caller.role;
  return and(
    eq(announcements.organizationId, organizationOf(caller)),
    sql`${role ?? ""} = any(${announcements.targetRoles})`,
    or(isNull(announcements.expiresAt), gt(announcements.expiresAt, now)),
    notExists(
      db
        .select({ one: sql`1` })
        .from(announcementDismissals)
        .where(and(eq(announcementDismissals.announcementId, announcements.id), eq(announcementDismissals.userId, caller.id))),
    ),
  );
}

/** The banners a signed-in member sees now, most urgent first, then newest. */
export async function activeAnnouncementsFor(caller: Caller, now = new Date(), tx: DbOrTx = db): Promise<Announcement[]> {
  if (caller.type !== "user" || !caller.role) return [];
  return tx
    .select()
    .from(announcements)
    .where(visibleTo(caller, now))
    .orderBy(sql`case ${announcements.type} when 'urgent' then 0 when 'warning' then 1 else 2 end`, desc(announcements.createdAt))
    .limit(5);
}

/** The member hides a banner for good; an announcement they cannot see (another organization's, another role's) is a 404. */
export async function dismissAnnouncement(caller: Caller, id: string, tx: DbOrTx = db): Promise<void> {
  if (caller.type !== "user" || !isUuid(id)) throw notFound();
  const [row] = await tx
    .select({ id: announcements.id, targetRoles: announcements.targetRoles })
    .from(announcements)
    .where(and(eq(announcements.id, id), eq(announcements.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row || !caller.role || !row.targetRoles.includes(caller.role)) throw notFound();
  await tx.insert(announcementDismissals).values({ announcementId: id, userId: caller.id }).onConflictDoNothing();
}
