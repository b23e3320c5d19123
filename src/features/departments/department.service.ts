import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { departmentMembers, departments, memberships, users } from "@/db/schema";
import { can } from "@/auth/roles";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden, pgCode, validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { organizationOf } from "@/lib/tenant";
import type { DepartmentInput, DepartmentPatch } from "./department.schema";

export type Department = typeof departments.$inferSelect;
export type DepartmentMember = { id: string; name: string | null; email: string };
export type DepartmentWithMembers = Department & { members: DepartmentMember[] };

export function departmentJson(d: DepartmentWithMembers) {
  return {
    id: d.id,
    name: d.name,
    color: d.color,
    active: d.active,
    autoCloseMinutes: d.autoCloseMinutes,
    autoCloseMessage: d.autoCloseMessage,
    memberIds: d.members.map((m) => m.id),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

const notFound = () => new AppError("not_found", tText("departments:errors.notFound"));

/** Admins and owners manage departments; a `/v1` key's scope was checked by its route. */
export function assertManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.manageDepartments(caller.role))) throw forbidden(tText("departments:errors.forbidden"));
}

async function membersOf(ids: string[], tx: DbOrTx): Promise<Map<string, DepartmentMember[]>> {
  const byDepartment = new Map<string, DepartmentMember[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byDepartment;
  const rows = await tx
    .select({ departmentId: departmentMembers.departmentId, id: users.id, name: users.name, email: users.email })
    .from(departmentMembers)
    .innerJoin(users, eq(users.id, departmentMembers.userId))
    .where(inArray(departmentMembers.departmentId, ids))
    .orderBy(asc(users.name), asc(users.email));
  for (const r of rows) byDepartment.get(r.departmentId)?.push({ id: r.id, name: r.name, email: r.email });
  return byDepartment;
}

/** The organization's departments by name, with their members; `activeOnly` for menus and transfers. */
export async function listDepartments(caller: Caller, opts: { activeOnly?: boolean } = {}, tx: DbOrTx = db): Promise<DepartmentWithMembers[]> {
  const organizationId = organizationOf(caller);
  const rows = await tx
    .select()
    .from(departments)
    .where(and(eq(departments.organizationId, organizationId), opts.activeOnly ? eq(departments.active, true) : undefined))
    .orderBy(asc(sql`lower(${departments.name})`));
  const members = await membersOf(
    rows.map((r) => r.id),
    tx,
  );
  return rows.map((r) => ({ ...r, members: members.get(r.id) ?? [] }));
}

export async function getDepartment(caller: Caller, id: string, tx: DbOrTx = db): Promise<DepartmentWithMembers> {
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select()
    .from(departments)
    .where(and(eq(departments.id, id), eq(departments.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return { ...row, members: (await membersOf([row.id], tx)).get(row.id) ?? [] };
}

/** A taken name (any case) is a 422 on `name`. */
async function uniqueName<T>(write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (pgCode(err) === "23505") throw validationFailed([{ path: "name", message: tText("departments:errors.nameTaken") }]);
    throw err;
  }
}

/** Replaces the members: every id must be a member of the organization (422 on `memberIds` otherwise). */
async function setMembers(tx: DbOrTx, organizationId: string, departmentId: string, userIds: string[]): Promise<void> {
  const unique = [...new Set(userIds)];
  if (unique.length) {
    const found = await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.organizationId, organizationId), inArray(memberships.userId, unique)));
    if (found.length !== unique.length) throw validationFailed([{ path: "memberIds", message: tText("departments:errors.members") }]);
  }
  await tx.delete(departmentMembers).where(eq(departmentMembers.departmentId, departmentId));
  if (unique.length) await tx.insert(departmentMembers).values(unique.map((userId) => ({ departmentId, userId, organizationId })));
}

export async function createDepartment(caller: Caller, input: DepartmentInput, tx?: DbOrTx): Promise<DepartmentWithMembers> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const { memberIds, ...fields } = input;
    const [row] = await uniqueName(
      tx
        .insert(departments)
        .values({
          organizationId,
          name: fields.name,
          ...(fields.color ? { color: fields.color } : {}),
          active: fields.active ?? true,
          autoCloseMinutes: fields.autoCloseMinutes ?? null,
          autoCloseMessage: fields.autoCloseMessage ?? null,
        })
        .returning(),
    );
    if (memberIds?.length) await setMembers(tx, organizationId, row!.id, memberIds);
    await auditChange(tx, organizationId, caller, "department.created", { type: "department", id: row!.id }, { name: row!.name, memberIds: memberIds ?? [] });
    return getDepartment(caller, row!.id, tx);
  });
}

export async function updateDepartment(caller: Caller, id: string, patch: DepartmentPatch, tx?: DbOrTx): Promise<DepartmentWithMembers> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getDepartment(caller, id, tx);
    const { memberIds, ...fields } = patch;
    const changed = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    if (Object.keys(changed).length) {
      await uniqueName(
        tx
          .update(departments)
          .set(changed)
          .where(and(eq(departments.id, id), eq(departments.organizationId, organizationId))),
      );
      await auditChange(tx, organizationId, caller, "department.updated", { type: "department", id }, { name: current.name, fields: Object.keys(changed) });
    }
    if (memberIds !== undefined) {
      const before = current.members.map((m) => m.id).sort();
      const after = [...new Set(memberIds)].sort();
      if (before.join() !== after.join()) {
        await setMembers(tx, organizationId, id, after);
        await auditChange(
          tx,
          organizationId,
          caller,
          "department.members_changed",
          { type: "department", id },
          { name: current.name, from: before, to: after },
        );
      }
    }
    return getDepartment(caller, id, tx);
  });
}

/** Deletes the department: its conversations are left without one (the foreign key sets null), menus drop it. */
export async function deleteDepartment(caller: Caller, id: string, tx?: DbOrTx): Promise<void> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    const current = await getDepartment(caller, id, tx);
    await tx.delete(departments).where(and(eq(departments.id, id), eq(departments.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "department.deleted", { type: "department", id }, { name: current.name });
  });
}

/** The department ids a member belongs to (the inbox's department filter, visibility hints). */
export async function departmentIdsOf(organizationId: string, userId: string, tx: DbOrTx = db): Promise<string[]> {
  const rows = await tx
    .select({ id: departmentMembers.departmentId })
    .from(departmentMembers)
    .where(and(eq(departmentMembers.organizationId, organizationId), eq(departmentMembers.userId, userId)));
  return rows.map((r) => r.id);
}

/** The organization's members, for the department form's member list and the transfer form. */
export async function memberOptions(caller: Caller, tx: DbOrTx = db): Promise<{ id: string; name: string | null; email: string; role: string }[]> {
  return tx
    .select({ id: users.id, name: users.name, email: users.email, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, organizationOf(caller)))
    .orderBy(asc(users.name), asc(users.email));
}
