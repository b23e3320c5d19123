import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { auditLogs, memberships, organizations, type Role } from "@/db/schema";
import { changeMemberRole, listMembers, removeMember } from "@/features/members/member.service";
import { AppError } from "@/lib/errors";
import { createMember, createOwner, memberCaller } from "../helpers/factories";

async function membershipOf(organizationId: string, userId: string) {
  const [m] = await db
    .select()
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)));
  return m;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

describe("member rules", () => {
  test("the last owner can neither be demoted nor removed; with two owners one may step down", async () => {
    const { user: owner, organization } = await createOwner();
    const own = await membershipOf(organization.id, owner.id);
    const actor = memberCaller(owner.id, organization.id, "owner");
    const demote = changeMemberRole(actor, { membershipId: own!.id, role: "admin" });
    await expect(demote).rejects.toMatchObject({ code: "validation_failed", details: [{ path: "role" }] });
    await expect(removeMember(actor, own!.id)).rejects.toMatchObject({ code: "validation_failed" });
    expect((await membershipOf(organization.id, owner.id))!.role).toBe("owner");

    const second = await createMember(organization.id, "owner");
    const updated = await changeMemberRole(actor, { membershipId: own!.id, role: "admin" });
    expect(updated.role).toBe("admin");
    // organizations.owner_id follows the remaining owner.
    const [org] = await db.select().from(organizations).where(eq(organizations.id, organization.id));
    expect(org!.ownerId).toBe(second.id);
    // Now `second` is the last owner.
    const secondM = await membershipOf(organization.id, second.id);
    expect(await codeOf(removeMember(memberCaller(second.id, organization.id, "owner"), secondM!.id))).toBe("validation_failed");

    const entries = await db.select().from(auditLogs).where(eq(auditLogs.organizationId, organization.id));
    expect(entries.map((e) => e.action)).toEqual(["member.role_changed"]);
    expect(entries[0]!.details).toMatchObject({ userId: owner.id, from: "owner", to: "admin" });
  });

  test("two owners demoting each other at the same time leave one owner", async () => {
    const { user: a, organization } = await createOwner();
    const b = await createMember(organization.id, "owner");
    const ma = await membershipOf(organization.id, a.id);
    const mb = await membershipOf(organization.id, b.id);
    const results = await Promise.all([
      codeOf(changeMemberRole(memberCaller(a.id, organization.id, "owner"), { membershipId: mb!.id, role: "agent" })),
      codeOf(changeMemberRole(memberCaller(b.id, organization.id, "owner"), { membershipId: ma!.id, role: "agent" })),
    ]);
    expect(results.sort()).toEqual(["ok", "validation_failed"]);
    const owners = (await listMembers(organization.id)).filter((m) => m.role === "owner");
    expect(owners.length).toBe(1);
  });

  test("only owners grant owner or touch owners; admins manage the rest; agents and supervisors nothing", async () => {
    const { user: owner, organization } = await createOwner();
    const admin = await createMember(organization.id, "admin");
    const agent = await createMember(organization.id, "agent");
    const supervisor = await createMember(organization.id, "supervisor");
    const ownerM = await membershipOf(organization.id, owner.id);
    const agentM = await membershipOf(organization.id, agent.id);
    const asAdmin = memberCaller(admin.id, organization.id, "admin");
    const org = organization.id;

    expect(await codeOf(changeMemberRole(asAdmin, { membershipId: agentM!.id, role: "owner" }))).toBe("forbidden");
    expect(await codeOf(changeMemberRole(asAdmin, { membershipId: ownerM!.id, role: "agent" }))).toBe("forbidden");
    expect(await codeOf(removeMember(asAdmin, ownerM!.id))).toBe("forbidden");
    expect(await codeOf(changeMemberRole(asAdmin, { membershipId: agentM!.id, role: "supervisor" }))).toBe("ok");
    for (const role of ["agent", "supervisor"] as Role[]) {
      const actor = memberCaller(role === "agent" ? agent.id : supervisor.id, org, role);
      expect(await codeOf(changeMemberRole(actor, { membershipId: agentM!.id, role: "agent" }))).toBe("forbidden");
      expect(await codeOf(removeMember(actor, agentM!.id))).toBe("forbidden");
    }
    expect(await codeOf(changeMemberRole(memberCaller(owner.id, org, "owner"), { membershipId: agentM!.id, role: "owner" }))).toBe("ok");
    expect((await membershipOf(org, agent.id))!.role).toBe("owner");
    expect(await codeOf(removeMember(asAdmin, (await membershipOf(org, supervisor.id))!.id))).toBe("ok");
    expect(await membershipOf(org, supervisor.id)).toBeUndefined();
    const [removed] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org), eq(auditLogs.action, "member.removed")));
    expect(removed!.details).toMatchObject({ userId: supervisor.id, role: "supervisor" });
    expect(removed!.actorId).toBe(admin.id);
  });

  test("another organization's membership id, or a malformed one, is not found", async () => {
    const { user: owner, organization } = await createOwner();
    const other = await createOwner();
    const otherM = await membershipOf(other.organization.id, other.user.id);
    const actor = memberCaller(owner.id, organization.id, "owner");
    expect(await codeOf(changeMemberRole(actor, { membershipId: otherM!.id, role: "agent" }))).toBe("not_found");
    expect(await codeOf(removeMember(actor, otherM!.id))).toBe("not_found");
    expect(await codeOf(removeMember(actor, "nope"))).toBe("not_found");
    expect((await membershipOf(other.organization.id, other.user.id))!.role).toBe("owner");
  });

  test("listMembers is scoped and ordered owners first", async () => {
    const { organization } = await createOwner();
    await createMember(organization.id, "agent");
    await createMember(organization.id, "admin");
    await createOwner();
    const roles = (await listMembers(organization.id)).map((m) => m.role);
    expect(roles).toEqual(["owner", "admin", "agent"]);
  });
});
