import { and, asc, eq, inArray, isNull, lt, ne, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import {
  agentAvailability,
  apiKeys,
  availabilitySettings,
  conversations,
  departmentAssignment,
  departmentMembers,
  departments,
  memberships,
  users,
  type AvailabilityStatus,
  type Role,
} from "@/db/schema";
import { roleAtLeast } from "@/auth/roles";
import { systemCaller, type Caller } from "@/lib/caller";
import { AppError, forbidden } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { publishLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { organizationOf } from "@/lib/tenant";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { assignWaitingConversation } from "@/features/conversations/auto-assign";
import { log } from "@/lib/logger";
import type { AssignmentSettingsInput, AvailabilitySettingsInput } from "./availability.schema";

export type AvailabilityRow = typeof agentAvailability.$inferSelect;
export const DEFAULT_AWAY_AFTER_MINUTES = 15;
export const DEFAULT_CAPACITY = 5;

const notFound = () => new AppError("not_found", tText("availability:errors.notFound"));

/** Supervisors and above see the team's availability and set capacities and auto-assignment; a key's scope was checked by its route. */
function assertSupervisor(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && roleAtLeast(caller.role, "supervisor"))) throw forbidden(tText("availability:errors.forbidden"));
}

/**
 * The member whose own availability a caller reads or sets: the signed-in user, or for a `/v1` key the
 * member who created it (a key of a creator no longer in the organization has no "own" availability: 403).
 */
async function selfOf(caller: Caller, tx: DbOrTx): Promise<string> {
  const organizationId = organizationOf(caller);
  let userId: string | null = null;
  if (caller.type === "user") userId = caller.id;
  else if (caller.type === "api_key") {
    const [key] = await tx.select({ userId: apiKeys.createdByUserId }).from(apiKeys).where(eq(apiKeys.id, caller.id)).limit(1);
    userId = key?.userId ?? null;
  }
  if (userId) {
    const [member] = await tx
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
      .limit(1);
    if (member) return userId;
  }
  throw forbidden(tText("availability:errors.noMember"));
}

export type OwnAvailability = { userId: string; status: AvailabilityStatus; statusChangedAt: Date | null; lastSeenAt: Date | null; capacity: number | null };

export function availabilityJson(a: OwnAvailability) {
  return { userId: a.userId, status: a.status, statusChangedAt: a.statusChangedAt, lastSeenAt: a.lastSeenAt, capacity: a.capacity };
}

async function readAvailability(organizationId: string, userId: string, tx: DbOrTx): Promise<OwnAvailability> {
  const [row] = await tx
    .select()
    .from(agentAvailability)
    .where(and(eq(agentAvailability.organizationId, organizationId), eq(agentAvailability.userId, userId)))
    .limit(1);
  return row ?? { userId, status: "offline", statusChangedAt: null, lastSeenAt: null, capacity: null };
}

/** The caller's own availability (offline when never set). */
export async function getOwnAvailability(caller: Caller, tx: DbOrTx = db): Promise<OwnAvailability> {
  return readAvailability(organizationOf(caller), await selfOf(caller, tx), tx);
}

/**
 * Sets the caller's own availability. Going online (or any change) tells the supervisors' pages live;
 * an agent coming online receives waiting conversations of their auto-assigned departments.
 */
export async function setOwnAvailability(caller: Caller, status: AvailabilityStatus): Promise<OwnAvailability> {
  const organizationId = organizationOf(caller);
  const result = await db.transaction(async (tx) => {
    const userId = await selfOf(caller, tx);
    const before = await readAvailability(organizationId, userId, tx);
    const now = new Date();
    const [row] = await tx
      .insert(agentAvailability)
      .values({ organizationId, userId, status, statusChangedAt: now, lastSeenAt: now })
      .onConflictDoUpdate({
        target: [agentAvailability.organizationId, agentAvailability.userId],
        set: {
          status,
          lastSeenAt: now,
          statusChangedAt: sql`case when ${agentAvailability.status} = ${status} then ${agentAvailability.statusChangedAt} else ${now.toISOString()}::timestamptz end`,
        },
      })
      .returning();
    if (before.status !== status) {
      await auditChange(tx, organizationId, caller, "availability.changed", { type: "user", id: userId }, { from: before.status, to: status });
      await publishLive(liveTopics.orgAvailability(organizationId), { userId, status }, tx);
    }
    return { row: row!, changed: before.status !== status };
  });
  if (status === "online" && result.changed) await requestAutoAssign(organizationId);
  return result.row;
}

/**
 * A request or heartbeat of a signed-in member's admin page: inactivity is measured from it. Written at
 * most once a minute per member (a heartbeat every few seconds would otherwise be a write each).
 */
export async function noteActivity(organizationId: string, userId: string, now = new Date()): Promise<void> {
  await db
    .update(agentAvailability)
    .set({ lastSeenAt: now })
    .where(
      and(
        eq(agentAvailability.organizationId, organizationId),
        eq(agentAvailability.userId, userId),
        lt(agentAvailability.lastSeenAt, new Date(now.getTime() - 60_000)),
      ),
    );
}

/**
 * Online members without a request or heartbeat for their organization's inactivity limit turn away
 * (a periodic worker runs this; tests pass the clock). Returns how many changed.
 */
export async function markInactiveAway(now = new Date()): Promise<number> {
  const changed = await db
    .update(agentAvailability)
    .set({ status: "away", statusChangedAt: now })
    .where(
      and(
        eq(agentAvailability.status, "online"),
        sql`${agentAvailability.lastSeenAt} < ${now.toISOString()}::timestamptz - make_interval(mins => coalesce(
          (select s.away_after_minutes from ${availabilitySettings} s where s.organization_id = ${agentAvailability.organizationId}),
          ${DEFAULT_AWAY_AFTER_MINUTES}))`,
      ),
    )
    .returning({ organizationId: agentAvailability.organizationId, userId: agentAvailability.userId });
  for (const row of changed) {
    await auditChange(
      db,
      row.organizationId,
      systemCaller("availability: inactivity", row.organizationId),
      "availability.changed",
      { type: "user", id: row.userId },
      {
        from: "online",
        to: "away",
        reason: "inactivity",
      },
    );
    await publishLive(liveTopics.orgAvailability(row.organizationId), { userId: row.userId, status: "away" });
  }
  return changed.length;
}

/** Signing out turns the member offline in every organization (they no longer receive conversations). */
export async function markSignedOutOffline(userId: string): Promise<void> {
  const changed = await db
    .update(agentAvailability)
    .set({ status: "offline", statusChangedAt: new Date() })
    .where(and(eq(agentAvailability.userId, userId), ne(agentAvailability.status, "offline")))
    .returning({ organizationId: agentAvailability.organizationId });
  for (const row of changed) await publishLive(liveTopics.orgAvailability(row.organizationId), { userId, status: "offline" });
}

export type TeamMemberAvailability = {
  membershipId: string;
  userId: string;
  name: string | null;
  email: string;
  role: Role;
  status: AvailabilityStatus;
  statusChangedAt: Date | null;
  lastSeenAt: Date | null;
  capacity: number | null;
  /** Conversations assigned to them and not resolved. */
  openConversations: number;
};

/** Every member's availability and load (supervisors and above). */
export async function listTeamAvailability(caller: Caller, tx: DbOrTx = db): Promise<TeamMemberAvailability[]> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  const rows = await tx
    .select({
      membershipId: memberships.id,
      userId: memberships.userId,
      name: users.name,
      email: users.email,
      role: memberships.role,
      status: agentAvailability.status,
      statusChangedAt: agentAvailability.statusChangedAt,
      lastSeenAt: agentAvailability.lastSeenAt,
      capacity: agentAvailability.capacity,
      openConversations: sql<number>`(select count(*)::int from ${conversations} c
        where c.organization_id = ${memberships.organizationId} and c.assigned_user_id = ${memberships.userId} and c.status <> 'resolved')`,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .leftJoin(agentAvailability, and(eq(agentAvailability.organizationId, memberships.organizationId), eq(agentAvailability.userId, memberships.userId)))
    .where(eq(memberships.organizationId, organizationId))
    .orderBy(asc(sql`lower(coalesce(nullif(${users.name}, ''), ${users.email}))`), asc(memberships.id));
  return rows.map((r) => ({ ...r, status: r.status ?? "offline" }));
}

/**
 * Every member's status, for a live page that may have missed updates (its stream's catch-up): only
 * ids and statuses, which the stream already sends every member of the organization one by one.
 */
export async function listMemberStatuses(organizationId: string): Promise<{ userId: string; status: AvailabilityStatus }[]> {
  const rows = await db
    .select({ userId: memberships.userId, status: agentAvailability.status })
    .from(memberships)
    .leftJoin(agentAvailability, and(eq(agentAvailability.organizationId, memberships.organizationId), eq(agentAvailability.userId, memberships.userId)))
    .where(eq(memberships.organizationId, organizationId));
  return rows.map((r) => ({ userId: r.userId, status: r.status ?? "offline" }));
}

export function teamMemberJson(m: TeamMemberAvailability) {
  return {
    membershipId: m.membershipId,
    userId: m.userId,
    name: m.name,
    email: m.email,
    role: m.role,
    status: m.status,
    statusChangedAt: m.statusChangedAt,
    lastSeenAt: m.lastSeenAt,
    capacity: m.capacity,
    openConversations: m.openConversations,
  };
}

/** A member's own capacity (null: each department's default), by membership id; another organization's id is a 404. */
export async function setMemberCapacity(caller: Caller, membershipId: string, capacity: number | null): Promise<TeamMemberAvailability> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  if (!isUuid(membershipId)) throw notFound();
  await db.transaction(async (tx) => {
    const [member] = await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.id, membershipId), eq(memberships.organizationId, organizationId)))
      .limit(1);
    if (!member) throw notFound();
    await tx
      .insert(agentAvailability)
      .values({ organizationId, userId: member.userId, capacity })
      .onConflictDoUpdate({ target: [agentAvailability.organizationId, agentAvailability.userId], set: { capacity } });
    await auditChange(tx, organizationId, caller, "availability.capacity_changed", { type: "user", id: member.userId }, { capacity });
  });
  await requestAutoAssign(organizationId);
  const member = (await listTeamAvailability(caller)).find((m) => m.membershipId === membershipId);
  if (!member) throw notFound();
  return member;
}

export async function getAvailabilitySettings(caller: Caller, tx: DbOrTx = db): Promise<{ awayAfterMinutes: number }> {
  const [row] = await tx
    .select()
    .from(availabilitySettings)
    .where(eq(availabilitySettings.organizationId, organizationOf(caller)))
    .limit(1);
  return { awayAfterMinutes: row?.awayAfterMinutes ?? DEFAULT_AWAY_AFTER_MINUTES };
}

export async function setAvailabilitySettings(caller: Caller, input: AvailabilitySettingsInput): Promise<{ awayAfterMinutes: number }> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const before = await getAvailabilitySettings(caller, tx);
    await tx
      .insert(availabilitySettings)
      .values({ organizationId, awayAfterMinutes: input.awayAfterMinutes })
      .onConflictDoUpdate({ target: availabilitySettings.organizationId, set: { awayAfterMinutes: input.awayAfterMinutes } });
    await auditChange(
      tx,
      organizationId,
      caller,
      "availability.settings_changed",
      { type: "organization", id: organizationId },
      {
        awayAfterMinutes: { from: before.awayAfterMinutes, to: input.awayAfterMinutes },
      },
    );
    return { awayAfterMinutes: input.awayAfterMinutes };
  });
}

export type DepartmentAssignment = { departmentId: string; departmentName: string; autoAssign: boolean; defaultCapacity: number };

async function departmentOf(caller: Caller, departmentId: string, tx: DbOrTx): Promise<{ id: string; name: string }> {
  if (!isUuid(departmentId)) throw notFound();
  const [row] = await tx
    .select({ id: departments.id, name: departments.name })
    .from(departments)
    .where(and(eq(departments.id, departmentId), eq(departments.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return row;
}

/** Every department's auto-assignment settings (defaults for a department never configured). */
export async function listDepartmentAssignment(caller: Caller, tx: DbOrTx = db): Promise<DepartmentAssignment[]> {
  const rows = await tx
    .select({ id: departments.id, name: departments.name, autoAssign: departmentAssignment.autoAssign, defaultCapacity: departmentAssignment.defaultCapacity })
    .from(departments)
    .leftJoin(departmentAssignment, eq(departmentAssignment.departmentId, departments.id))
    .where(eq(departments.organizationId, organizationOf(caller)))
    .orderBy(asc(departments.name));
  return rows.map((r) => ({
    departmentId: r.id,
    departmentName: r.name,
    autoAssign: r.autoAssign ?? false,
    defaultCapacity: r.defaultCapacity ?? DEFAULT_CAPACITY,
  }));
}

export async function getDepartmentAssignment(caller: Caller, departmentId: string, tx: DbOrTx = db): Promise<DepartmentAssignment> {
  const department = await departmentOf(caller, departmentId, tx);
  const [row] = await tx.select().from(departmentAssignment).where(eq(departmentAssignment.departmentId, department.id)).limit(1);
  return {
    departmentId: department.id,
    departmentName: department.name,
    autoAssign: row?.autoAssign ?? false,
    defaultCapacity: row?.defaultCapacity ?? DEFAULT_CAPACITY,
  };
}

export function departmentAssignmentJson(d: DepartmentAssignment) {
  return { departmentId: d.departmentId, autoAssign: d.autoAssign, defaultCapacity: d.defaultCapacity };
}

/** Turns a department's auto-assignment on or off and sets its default capacity; turning it on assigns what waits. */
export async function setDepartmentAssignment(
  caller: Caller,
  departmentId: string,
  input: AssignmentSettingsInput,
  tx?: DbOrTx,
): Promise<DepartmentAssignment> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  const saved = await inTransaction(tx, async (tx) => {
    const department = await departmentOf(caller, departmentId, tx);
    const values = { autoAssign: input.autoAssign, defaultCapacity: input.defaultCapacity };
    await tx
      .insert(departmentAssignment)
      .values({ departmentId: department.id, organizationId, ...values })
      .onConflictDoUpdate({ target: departmentAssignment.departmentId, set: values });
    await auditChange(tx, organizationId, caller, "department.assignment_changed", { type: "department", id: department.id }, values);
    return { departmentId: department.id, departmentName: department.name, ...values };
  });
  if (!tx) await requestAutoAssign(organizationId);
  return saved;
}

/**
 * After a change committed (a conversation queued in a department, one resolved, an agent online, a
 * capacity raised): runs auto-assignment, logging a failure so the change itself stands.
 */
export async function requestAutoAssign(organizationId: string | null | undefined): Promise<void> {
  if (!organizationId) return;
  try {
    await autoAssign(organizationId);
  } catch (err) {
    log.warn("auto-assignment failed", { organizationId, err });
  }
}

/** At most this many waiting conversations are handed out per run (the next trigger continues). */
const ASSIGN_BATCH = 200;

/**
 * Round-robin auto-assignment for one organization: the open, unassigned conversations of its
 * auto-assigned departments, oldest first (by when the conversation began), each go to the online member
 * of that department whose last auto-assignment is oldest among those below their capacity (their own,
 * else the department's default; counted over every conversation assigned to them and not resolved).
 *
 * Concurrency: the whole run holds a transaction-scoped advisory lock of the organization, so two
 * processes (or two triggers at once) run one after the other, and each counts loads only after the
 * previous run committed — nobody is ever given more than their capacity by auto-assignment. Manual
 * assignment stays possible at any time (it may exceed a capacity on purpose). Returns the assignments.
 */
export async function autoAssign(organizationId: string): Promise<{ conversationId: string; userId: string }[]> {
  const assigned = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`livchat:auto-assign:${organizationId}`}, 0))`);
    const enabled = await tx
      .select({ departmentId: departmentAssignment.departmentId, defaultCapacity: departmentAssignment.defaultCapacity })
      .from(departmentAssignment)
      .innerJoin(departments, eq(departments.id, departmentAssignment.departmentId))
      .where(and(eq(departmentAssignment.organizationId, organizationId), eq(departmentAssignment.autoAssign, true), eq(departments.active, true)));
    if (enabled.length === 0) return [];
    const departmentIds = enabled.map((d) => d.departmentId);
    const waiting = await tx
      .select({ id: conversations.id, departmentId: conversations.departmentId })
      .from(conversations)
      .where(
        and(
          eq(conversations.organizationId, organizationId),
          inArray(conversations.departmentId, departmentIds),
          eq(conversations.status, "open"),
          isNull(conversations.assignedUserId),
        ),
      )
      .orderBy(asc(conversations.createdAt), asc(conversations.id))
      .limit(ASSIGN_BATCH);
    if (waiting.length === 0) return [];
    const candidates = await tx
      .select({
        departmentId: departmentMembers.departmentId,
        userId: departmentMembers.userId,
        capacity: agentAvailability.capacity,
        lastAssignedAt: agentAvailability.lastAssignedAt,
      })
      .from(departmentMembers)
      .innerJoin(
        agentAvailability,
        and(eq(agentAvailability.organizationId, departmentMembers.organizationId), eq(agentAvailability.userId, departmentMembers.userId)),
      )
      .innerJoin(memberships, and(eq(memberships.organizationId, departmentMembers.organizationId), eq(memberships.userId, departmentMembers.userId)))
      .where(
        and(
          eq(departmentMembers.organizationId, organizationId),
          inArray(departmentMembers.departmentId, departmentIds),
          eq(agentAvailability.status, "online"),
        ),
      );
    if (candidates.length === 0) return [];
    const loads = new Map<string, number>();
    const loadRows = await tx
      .select({ userId: conversations.assignedUserId, open: sql<number>`count(*)::int` })
      .from(conversations)
      .where(
        and(
          eq(conversations.organizationId, organizationId),
          inArray(conversations.assignedUserId, [...new Set(candidates.map((c) => c.userId))]),
          ne(conversations.status, "resolved"),
        ),
      )
      .groupBy(conversations.assignedUserId);
    for (const r of loadRows) if (r.userId) loads.set(r.userId, r.open);
    const lastAssigned = new Map<string, number>();
    for (const c of candidates) lastAssigned.set(c.userId, c.lastAssignedAt?.getTime() ?? 0);
    const defaultCapacity = new Map(enabled.map((d) => [d.departmentId, d.defaultCapacity]));
    const actor = systemCaller("auto-assign", organizationId);
    // Each assignment is stamped a millisecond after the previous one, so the rotation order survives within one run.
    let clock = Date.now();
    const out: { conversationId: string; userId: string }[] = [];
    for (const conversation of waiting) {
      const pick = candidates
        .filter((c) => c.departmentId === conversation.departmentId)
        .filter((c) => (loads.get(c.userId) ?? 0) < (c.capacity ?? defaultCapacity.get(c.departmentId) ?? DEFAULT_CAPACITY))
        .sort((a, b) => lastAssigned.get(a.userId)! - lastAssigned.get(b.userId)! || a.userId.localeCompare(b.userId))[0];
      if (!pick) continue;
      if (!(await assignWaitingConversation(tx, organizationId, conversation.id, pick.userId, actor, { departmentId: conversation.departmentId }))) continue;
      clock = Math.max(clock + 1, Date.now());
      loads.set(pick.userId, (loads.get(pick.userId) ?? 0) + 1);
      lastAssigned.set(pick.userId, clock);
      await tx
        .update(agentAvailability)
        .set({ lastAssignedAt: new Date(clock) })
        .where(and(eq(agentAvailability.organizationId, organizationId), eq(agentAvailability.userId, pick.userId)));
      out.push({ conversationId: conversation.id, userId: pick.userId });
    }
    return out;
  });
  return assigned;
}

/** Organizations with an open, unassigned conversation in a department whose auto-assignment is on and an online member. */
export async function organizationsWithWaitingConversations(): Promise<string[]> {
  const rows = await db
    .selectDistinct({ organizationId: departmentAssignment.organizationId })
    .from(departmentAssignment)
    .where(
      and(
        eq(departmentAssignment.autoAssign, true),
        sql`exists (select 1 from ${conversations} c where c.organization_id = ${departmentAssignment.organizationId} and c.department_id = ${departmentAssignment.departmentId}
          and c.status = 'open' and c.assigned_user_id is null)`,
        sql`exists (select 1 from ${departmentMembers} dm join ${agentAvailability} a
          on a.organization_id = dm.organization_id and a.user_id = dm.user_id
          where dm.department_id = ${departmentAssignment.departmentId} and a.status = 'online')`,
      ),
    );
  return rows.map((r) => r.organizationId);
}
