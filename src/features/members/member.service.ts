import { and, asc, count, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { db, type DbOrTx, type Tx } from "@/db/client";
import { memberships, organizations, users, type Role } from "@/db/schema";
import { can } from "@/auth/roles";
import { recordAudit } from "@/features/audit/audit.service";
import { deleteMembership, reassignOwnerIfLeaving, setMembershipRole } from "@/features/organizations/organization.service";
import { auditActor, roleOf, type Caller } from "@/lib/caller";
import { AppError, forbidden, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { organizationOf } from "@/lib/tenant";

export type MemberRow = {
  id: string;
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
};

const ROLE_ORDER = sql`case ${memberships.role} when 'owner' then 0 when 'admin' then 1 when 'supervisor' then 2 else 3 end`;

/** Members of the organization, owners first, then by name/email. */
export async function listMembers(organizationId: string): Promise<MemberRow[]> {
  return db
    .select({
      id: memberships.id,
      userId: memberships.userId,
      email: users.email,
      name: users.name,
      role: memberships.role,
      createdAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, organizationId))
    .orderBy(ROLE_ORDER, asc(sql`lower(coalesce(nullif(${users.name}, ''), ${users.email}))`), asc(memberships.id));
}

/**
 * 422 on `path` unless `userId` is a member of the organization: someone a record is handed to (an
 * assignee) must be able to see it. Nothing to check when nobody is named; an unclaimed device's
 * records (no organization) have no members to hand them to.
 */
export async function assertMember(organizationId: string | null, userId: string | null | undefined, tx: DbOrTx = db, path = "assignedUserId"): Promise<void> {
  if (!userId) return;
  const [member] = organizationId
    ? await tx
        .select({ id: memberships.id })
        .from(memberships)
        .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
        .limit(1)
    : [];
  if (!member) throw validationFailed([{ path, message: tText("members:errors.notMember") }]);
}

/**
 * A list's `assignee` filter on `column`: "none" (unassigned), "me" (the signed-in member; 422 for a key,
 * which is nobody's), or a user id. Undefined when the list is not filtered by assignee.
 */
export function assigneeFilter(column: AnyPgColumn, assignee: string | undefined, caller: Caller): SQL | undefined {
  if (!assignee) return undefined;
  if (assignee === "none") return isNull(column);
  if (assignee !== "me") return eq(column, assignee);
  if (caller.type !== "user") throw validationFailed([{ path: "assignee", message: tText("members:errors.meNeedsUser") }]);
  return eq(column, caller.id);
}

/**
 * Locks the organization row so concurrent role changes and removals in one organization run one at
 * a time: two admins demoting the last two owners at once cannot both pass the last-owner check.
 */
async function lockOrganization(tx: Tx, organizationId: string) {
  const [org] = await tx
    .select({ id: organizations.id, ownerId: organizations.ownerId })
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .for("update");
  if (!org) throw new AppError("not_found", tText("members:errors.organizationNotFound"));
  return org;
}

const memberNotFound = () => new AppError("not_found", tText("members:errors.memberNotFound"));

async function loadTarget(tx: Tx, organizationId: string, membershipId: string) {
  if (!isUuid(membershipId)) throw memberNotFound();
  const [target] = await tx
    .select({ id: memberships.id, userId: memberships.userId, role: memberships.role, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.id, membershipId), eq(memberships.organizationId, organizationId)))
    .limit(1);
  if (!target) throw memberNotFound();
  return target;
}

async function ownerCount(tx: Tx, organizationId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.role, "owner")));
  return Number(row?.n ?? 0);
}

function assertMayTouch(role: Role, targetRole: Role, newRole?: Role) {
  if (!can.manageMembers(role)) throw forbidden();
  if ((targetRole === "owner" || newRole === "owner") && !can.manageOwners(role)) {
    throw forbidden(tText("members:errors.ownersOnly"));
  }
}

/**
 * Changes a member's role. Rules: admin+ only; only owners grant owner or change an owner; the
 * last owner cannot be demoted (422 on `role`). Another organization's membership id → 404.
 */
export async function changeMemberRole(caller: Caller<"user">, input: { membershipId: string; role: Role }): Promise<MemberRow> {
  const callerRole = roleOf(caller);
  if (!can.manageMembers(callerRole)) throw forbidden();
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const org = await lockOrganization(tx, organizationId);
    const target = await loadTarget(tx, organizationId, input.membershipId);
    assertMayTouch(callerRole, target.role, input.role);
    if (target.role === "owner" && input.role !== "owner" && (await ownerCount(tx, organizationId)) <= 1) {
      throw validationFailed([{ path: "role", message: tText("members:errors.lastOwner") }], tText("members:errors.needsOwner"));
    }
    await setMembershipRole(organizationId, target.id, input.role, tx);
    if (target.role !== input.role) {
      if (target.role === "owner") await reassignOwnerIfLeaving(org, target.userId, tx);
      await recordAudit(
        {
          organizationId,
          actor: auditActor(caller),
          action: "member.role_changed",
          target: { type: "membership", id: target.id },
          request: caller.request,
          details: { userId: target.userId, email: target.email, from: target.role, to: input.role },
        },
        tx,
      );
    }
    const [row] = await tx
      .select({
        id: memberships.id,
        userId: memberships.userId,
        email: users.email,
        name: users.name,
        role: memberships.role,
        createdAt: memberships.createdAt,
      })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.id, target.id));
    return row!;
  });
}

/**
 * Removes a member from the organization (their account stays). Same rules as role changes: admin+,
 * owners only by owners, never the last owner.
 */
export async function removeMember(caller: Caller<"user">, membershipId: string): Promise<void> {
  const callerRole = roleOf(caller);
  if (!can.manageMembers(callerRole)) throw forbidden();
  const organizationId = organizationOf(caller);
  await db.transaction(async (tx) => {
    const org = await lockOrganization(tx, organizationId);
    const target = await loadTarget(tx, organizationId, membershipId);
    assertMayTouch(callerRole, target.role);
    if (target.role === "owner" && (await ownerCount(tx, organizationId)) <= 1) {
      throw validationFailed([{ path: "member", message: tText("members:errors.lastOwnerRemove") }], tText("members:errors.needsOwner"));
    }
    await deleteMembership(organizationId, target.id, tx);
    if (target.role === "owner") await reassignOwnerIfLeaving(org, target.userId, tx);
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        action: "member.removed",
        target: { type: "membership", id: target.id },
        request: caller.request,
        details: { userId: target.userId, email: target.email, role: target.role },
      },
      tx,
    );
  });
}
