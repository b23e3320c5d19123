import { and, asc, eq, sql } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { agentAvailability, departments, memberships, users, type AvailabilityStatus } from "@/db/schema";
import type { Caller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { organizationOf } from "@/lib/tenant";
import { assertSupervisor, recordSupervisorAction } from "@/features/alerts/alert.service";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { assignConversation, getConversation, handoffConversation, resolveConversation } from "@/features/conversations/conversation.service";
import { setConversationVerified } from "@/features/conversations/supervision";
import { MONITOR_LIMITS, type MonitorFilters } from "./monitor.schema";

/** One open conversation on the board. `waitingSince`: the contact's oldest message not yet answered (null: nothing waiting). */
export type BoardConversation = {
  id: string;
  contactName: string | null;
  contactPhone: string | null;
  departmentId: string | null;
  departmentName: string | null;
  departmentColor: string | null;
  assignedUserId: string | null;
  assignedName: string | null;
  handledBy: "bot" | "human";
  status: string;
  lastMessageAt: Date | null;
  lastMessagePreview: string | null;
  waitingSince: Date | null;
  verifiedAt: Date | null;
  openAlerts: number;
};

export type BoardAgent = {
  userId: string;
  name: string;
  role: string;
  status: AvailabilityStatus;
  statusChangedAt: Date | null;
  openConversations: number;
  capacity: number | null;
};

export type Board = { conversations: BoardConversation[]; agents: BoardAgent[]; departments: { id: string; name: string; color: string }[]; now: Date };

type BoardRow = {
  id: string;
  contact_name: string | null;
  contact_phone: string | null;
  department_id: string | null;
  department_name: string | null;
  department_color: string | null;
  assigned_user_id: string | null;
  assigned_name: string | null;
  handled_by: "bot" | "human";
  status: string;
  last_message_at: string | null;
  last_message_preview: string | null;
  waiting_since: string | null;
  verified_at: string | null;
  open_alerts: number;
};

const dateOrNull = (s: string | null) => (s ? new Date(s) : null);

/**
 * The supervisor's live board: open conversations (newest activity first, at most MONITOR_LIMITS.board)
 * with their department, agent, how long the contact has waited and open alerts; every member with their
 * availability and load (open conversations assigned). Supervisors and admins only.
 */
export async function monitorBoard(caller: Caller, filters: MonitorFilters, tx: DbOrTx = db): Promise<Board> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  const conditions = [sql`c.organization_id = ${organizationId}::uuid`, sql`c.status <> 'resolved'`];
  if (filters.departmentId === "none") conditions.push(sql`c.department_id is null`);
  else if (filters.departmentId) conditions.push(sql`c.department_id = ${filters.departmentId}::uuid`);
  if (filters.assigned === "none") conditions.push(sql`c.assigned_user_id is null`);
  else if (filters.assigned) conditions.push(sql`c.assigned_user_id = ${filters.assigned}::uuid`);
  if (filters.waiting) conditions.push(sql`w.created_at is not null`);
  const rows = rowsOf<BoardRow>(
    await tx.execute(sql`
      select c.id, ct.name as contact_name, ct.phone as contact_phone, c.department_id, d.name as department_name, d.color as department_color,
        c.assigned_user_id, coalesce(u.name, u.email) as assigned_name, c.handled_by, c.status, c.last_message_at::text, c.last_message_preview,
        w.created_at::text as waiting_since, c.verified_at::text,
        (select count(*)::int from alerts a where a.conversation_id = c.id and a.resolved_at is null) as open_alerts
      from conversations c
      join contacts ct on ct.id = c.contact_id
      left join departments d on d.id = c.department_id
      left join users u on u.id = c.assigned_user_id
      left join lateral (
        select x.created_at from messages x
        where x.conversation_id = c.id and x.direction = 'outbound' and not x.is_private_note
        order by x.created_at desc, x.id desc limit 1
      ) answered on true
      left join lateral (
        select m.created_at from messages m
        where m.conversation_id = c.id and m.direction = 'inbound' and m.created_at > coalesce(answered.created_at, '-infinity'::timestamptz)
        order by m.created_at, m.id limit 1
      ) w on true
      where ${sql.join(conditions, sql` and `)}
      order by w.created_at asc nulls last, c.last_message_at desc
      limit ${MONITOR_LIMITS.board}`),
  );
  const agents = await tx
    .select({
      userId: users.id,
      name: sql<string>`coalesce(${users.name}, ${users.email})`,
      role: memberships.role,
      status: agentAvailability.status,
      statusChangedAt: agentAvailability.statusChangedAt,
      capacity: agentAvailability.capacity,
      openConversations: sql<number>`(select count(*)::int from conversations c where c.organization_id = ${organizationId}::uuid and c.assigned_user_id = ${users.id} and c.status <> 'resolved')`,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .leftJoin(agentAvailability, and(eq(agentAvailability.organizationId, memberships.organizationId), eq(agentAvailability.userId, users.id)))
    .where(eq(memberships.organizationId, organizationId))
    .orderBy(asc(sql`coalesce(${users.name}, ${users.email})`));
  const departmentList = await tx
    .select({ id: departments.id, name: departments.name, color: departments.color })
    .from(departments)
    .where(eq(departments.organizationId, organizationId))
    .orderBy(asc(departments.name));
  return {
    now: new Date(),
    departments: departmentList,
    agents: agents.map((a) => ({ ...a, status: a.status ?? "offline", statusChangedAt: a.statusChangedAt ?? null, capacity: a.capacity ?? null })),
    conversations: rows.map((r) => ({
      id: r.id,
      contactName: r.contact_name,
      contactPhone: r.contact_phone,
      departmentId: r.department_id,
      departmentName: r.department_name,
      departmentColor: r.department_color,
      assignedUserId: r.assigned_user_id,
      assignedName: r.assigned_name,
      handledBy: r.handled_by,
      status: r.status,
      lastMessageAt: dateOrNull(r.last_message_at),
      lastMessagePreview: r.last_message_preview,
      waitingSince: dateOrNull(r.waiting_since),
      verifiedAt: dateOrNull(r.verified_at),
      openAlerts: r.open_alerts,
    })),
  };
}

const notFound = () => new AppError("not_found", tText("monitor:errors.conversationNotFound"));

/** A supervisor marks a conversation verified (or clears it): conversations.verifiedAt/By, a supervisor action and audit. */
export async function verifyConversation(caller: Caller, conversationId: string, verified: boolean, notes?: string | null, tx?: DbOrTx): Promise<void> {
  assertSupervisor(caller);
  if (!isUuid(conversationId)) throw notFound();
  const organizationId = organizationOf(caller);
  const userId = caller.type === "user" ? caller.id : null;
  if (verified && !userId) throw new AppError("forbidden", tText("monitor:errors.usersOnly"));
  await inTransaction(tx, async (tx) => {
    if (!(await setConversationVerified(organizationId, conversationId, verified ? userId : null, tx))) throw notFound();
    await recordSupervisorAction(tx, organizationId, caller, { action: verified ? "verify" : "unverify", conversationId, notes: notes ?? null });
    await auditChange(
      tx,
      organizationId,
      caller,
      verified ? "monitor.verified" : "monitor.unverified",
      { type: "conversation", id: conversationId },
      notes ? { notes } : {},
    );
  });
}

/** What a supervisor may do to a conversation from the board; each is logged as a supervisor action (the conversation's own audit and events come from conversations). */
export async function superviseConversation(
  caller: Caller,
  conversationId: string,
  action: { kind: "take_over" } | { kind: "assign"; userId: string | null } | { kind: "resolve" },
): Promise<void> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  await getConversation(caller, conversationId);
  if (action.kind === "take_over") {
    if (caller.type !== "user") throw new AppError("forbidden", tText("monitor:errors.usersOnly"));
    await assignConversation(caller, conversationId, { userId: caller.id });
    await handoffConversation(caller, conversationId, "human");
  } else if (action.kind === "assign") {
    await assignConversation(caller, conversationId, { userId: action.userId });
  } else {
    await resolveConversation(caller, conversationId);
  }
  const kind = action.kind === "resolve" ? "resolve_conversation" : action.kind === "assign" ? "transfer" : "take_over";
  await db.transaction(async (tx) => {
    await recordSupervisorAction(tx, organizationId, caller, {
      action: kind,
      conversationId,
      notes: action.kind === "assign" ? (action.userId ?? "unassigned") : null,
    });
    await auditChange(tx, organizationId, caller, `monitor.${kind}`, { type: "conversation", id: conversationId });
  });
}
