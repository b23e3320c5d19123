import { and, asc, eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { conversationActivities, users, type ActivityKind } from "@/db/schema";
import { auditChange } from "@/features/audit/audit.service";
import type { Actor } from "@/lib/caller";
import { publishLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";

export type Activity = typeof conversationActivities.$inferSelect;
/** An activity line as the timeline renders it: the acting member's name read at render time. */
export type ActivityLine = Activity & { actorName: string | null };

/**
 * The audit action of each activity kind (literal codes, so tests/audit/i18n.test.ts finds their labels);
 * a kind not listed is audited as `conversation.<kind>` (give it a label in src/i18n/audit.ts).
 */
const AUDIT_ACTION: Partial<Record<ActivityKind, string>> = {
  assigned: "conversation.assigned",
  unassigned: "conversation.unassigned",
  department_changed: "conversation.department_changed",
  transferred: "conversation.transferred",
  routed: "conversation.routed",
  handed_off: "conversation.handed_off",
  returned_to_bot: "conversation.returned_to_bot",
  resolved: "conversation.resolved",
  reopened: "conversation.reopened",
  auto_closed: "conversation.auto_closed",
  bot_failed: "conversation.bot_failed",
  out_of_hours: "conversation.out_of_hours",
};

/**
 * Records one activity line of a conversation (an assignment, a transfer, a hand-off, a resolution, a bot
 * failure…) with its audit row, in the change's own transaction, and tells open inbox pages (live). Call
 * it from the service that made the change; `details` carries what the line shows (department and user
 * ids and names, a reason), copied at the time so a later rename does not rewrite history.
 */
export async function recordActivity(
  tx: DbOrTx,
  organizationId: string,
  conversationId: string,
  caller: Actor,
  kind: ActivityKind,
  details: Record<string, unknown> = {},
): Promise<Activity> {
  const [row] = await tx
    .insert(conversationActivities)
    .values({
      organizationId,
      conversationId,
      kind,
      actorType: caller.type,
      actorId: caller.id ?? null,
      actorUserId: caller.type === "user" ? caller.id : null,
      details,
    })
    .returning();
  await auditChange(tx, organizationId, caller, AUDIT_ACTION[kind] ?? `conversation.${kind}`, { type: "conversation", id: conversationId }, details);
  await publishLive(liveTopics.orgInbox(organizationId), { conversationId, activityId: row!.id }, tx);
  return row!;
}

/** One activity line of the organization's, as the timeline renders it (the live inbox draws a new one with it). */
export async function getActivityLine(organizationId: string, activityId: string, tx: DbOrTx = db): Promise<ActivityLine | null> {
  const [row] = await tx
    .select({ activity: conversationActivities, actorName: users.name, actorEmail: users.email })
    .from(conversationActivities)
    .leftJoin(users, eq(users.id, conversationActivities.actorUserId))
    .where(and(eq(conversationActivities.organizationId, organizationId), eq(conversationActivities.id, activityId)))
    .limit(1);
  return row ? { ...row.activity, actorName: row.actorName ?? row.actorEmail } : null;
}

/** The activity lines of a conversation, oldest first (the timeline interleaves them with messages by time). */
export async function listActivities(organizationId: string, conversationId: string, tx: DbOrTx = db): Promise<ActivityLine[]> {
  const rows = await tx
    .select({ activity: conversationActivities, actorName: users.name, actorEmail: users.email })
    .from(conversationActivities)
    .leftJoin(users, eq(users.id, conversationActivities.actorUserId))
    .where(and(eq(conversationActivities.organizationId, organizationId), eq(conversationActivities.conversationId, conversationId)))
    .orderBy(asc(conversationActivities.createdAt), asc(conversationActivities.id));
  return rows.map((r) => ({ ...r.activity, actorName: r.actorName ?? r.actorEmail }));
}
