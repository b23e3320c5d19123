import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, invitations, memberships } from "@/db/schema";
import { createInvitation } from "@/features/members/invitation.service";
import { TestClient } from "../helpers/client";
import { createMember, createOwner, memberCaller, signIn } from "../helpers/factories";

const app = createApp();

async function membershipOf(organizationId: string, userId: string) {
  const [m] = await db
    .select()
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)));
  return m;
}

describe("members page", () => {
  test("logged out: every route redirects to /login", async () => {
    const client = new TestClient(app);
    const id = crypto.randomUUID();
    expect((await client.get("/members")).headers.get("location")).toBe("/login?next=%2Fmembers");
    for (const path of [`/members/${id}/role`, `/members/${id}/remove`, "/members/invitations", `/members/invitations/${id}/revoke`]) {
      const res = await client.postForm(path, { role: "agent", email: "a@b.co" });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/login");
    }
  });

  test("agents and supervisors read the list; every manage action is 403", async () => {
    const { organization, user: owner } = await createOwner();
    const ownerM = await membershipOf(organization.id, owner.id);
    const { invitation } = await createInvitation(memberCaller(owner.id, organization.id, "owner"), { email: "pending@example.test", role: "agent" });
    for (const role of ["agent", "supervisor"] as const) {
      const user = await createMember(organization.id, role);
      const client = await signIn(app, user.id, organization.id);
      const page = await client.get("/members");
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain(owner.email);
      expect(html).not.toContain('/role"');
      expect(html).not.toContain("/members/invitations");
      expect(html).not.toContain("pending@example.test");
      expect((await client.postForm(`/members/${ownerM!.id}/role`, { role: "agent" })).status).toBe(403);
      expect((await client.postForm(`/members/${ownerM!.id}/remove`, {})).status).toBe(403);
      expect((await client.postForm("/members/invitations", { email: "x@example.test", role: "agent" })).status).toBe(403);
      expect((await client.postForm(`/members/invitations/${invitation.id}/revoke`, {})).status).toBe(403);
      expect((await client.postForm(`/members/${ownerM!.id}/role`, { role: "agent" }, { htmx: true })).status).toBe(403);
    }
    expect((await membershipOf(organization.id, owner.id))!.role).toBe("owner");
    const [inv] = await db.select().from(invitations).where(eq(invitations.id, invitation.id));
    expect(inv!.revokedAt).toBeNull();
  });

  test("admins change roles and remove members (htmx and plain); audit entries are written", async () => {
    const { organization } = await createOwner();
    const admin = await createMember(organization.id, "admin");
    const agent = await createMember(organization.id, "agent");
    const client = await signIn(app, admin.id, organization.id);
    const agentM = await membershipOf(organization.id, agent.id);

    const page = await (await client.get("/members")).text();
    expect(page).toContain(`action="/members/${agentM!.id}/role"`);
    // Admins are not offered the owner role.
    expect(page).not.toContain('<option value="owner"');

    const hx = await client.postForm(`/members/${agentM!.id}/role`, { role: "supervisor" }, { htmx: true });
    expect(hx.status).toBe(204);
    expect(hx.headers.get("hx-redirect")).toBe("/members");
    expect((await membershipOf(organization.id, agent.id))!.role).toBe("supervisor");

    const invalid = await client.postForm(`/members/${agentM!.id}/role`, { role: "emperor" }, { htmx: true });
    expect(invalid.status).toBe(422);
    const fragment = await invalid.text();
    expect(fragment).toStartWith('<div id="members-page">');
    expect(fragment).toContain("Choose a role");

    const grantOwner = await client.postForm(`/members/${agentM!.id}/role`, { role: "owner" });
    expect(grantOwner.status).toBe(403);

    const removed = await client.postForm(`/members/${agentM!.id}/remove`, {});
    expect(removed.status).toBe(303);
    expect(removed.headers.get("location")).toBe("/members");
    expect(await membershipOf(organization.id, agent.id)).toBeUndefined();
    expect(await (await client.get("/members")).text()).toContain("Member removed");

    const actions = (await db.select().from(auditLogs).where(eq(auditLogs.organizationId, organization.id))).map((a) => a.action).sort();
    expect(actions).toEqual(["member.removed", "member.role_changed"]);
  });

  test("the last owner cannot be demoted or removed through the page: 422 on the row", async () => {
    const { organization, user: owner } = await createOwner();
    const client = await signIn(app, owner.id, organization.id);
    const ownerM = await membershipOf(organization.id, owner.id);
    const res = await client.postForm(`/members/${ownerM!.id}/role`, { role: "admin" });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("This is the last owner");
    expect(html).toContain("<title>Members · LivChat</title>");
    const rm = await client.postForm(`/members/${ownerM!.id}/remove`, {}, { htmx: true });
    expect(rm.status).toBe(422);
    expect(await rm.text()).toContain("The last owner cannot be removed");
    expect((await membershipOf(organization.id, owner.id))!.role).toBe("owner");
  });

  test("another organization's member or invitation id is 404", async () => {
    const { organization, user: owner } = await createOwner();
    const other = await createOwner();
    const otherM = await membershipOf(other.organization.id, other.user.id);
    const { invitation } = await createInvitation(memberCaller(other.user.id, other.organization.id, "owner"), { email: "victim@example.test", role: "admin" });
    const client = await signIn(app, owner.id, organization.id);
    expect((await client.postForm(`/members/${otherM!.id}/role`, { role: "agent" })).status).toBe(404);
    expect((await client.postForm(`/members/${otherM!.id}/remove`, {})).status).toBe(404);
    expect((await client.postForm(`/members/invitations/${invitation.id}/revoke`, {})).status).toBe(404);
    expect((await client.postForm("/members/not-a-uuid/remove", {})).status).toBe(404);
    expect((await client.postForm("/members/invitations/not-a-uuid/revoke", {})).status).toBe(404);
    expect((await membershipOf(other.organization.id, other.user.id))!.role).toBe("owner");
    const [inv] = await db.select().from(invitations).where(eq(invitations.id, invitation.id));
    expect(inv!.revokedAt).toBeNull();
  });

  test("invitation form: 422 with field errors; existing member; admins cannot invite owners; revoke", async () => {
    const { organization, user: owner } = await createOwner();
    const admin = await createMember(organization.id, "admin");
    const client = await signIn(app, admin.id, organization.id);

    const bad = await client.postForm("/members/invitations", { email: "<b>nope", role: "agent" });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain("Enter a valid email address");
    expect(badHtml).not.toContain("<b>nope");
    expect(badHtml).toContain("&lt;b&gt;nope");

    const member = await client.postForm("/members/invitations", { email: owner.email.toUpperCase(), role: "agent" }, { htmx: true });
    expect(member.status).toBe(422);
    expect(await member.text()).toContain("already a member");

    const asOwner = await client.postForm("/members/invitations", { email: "boss@example.test", role: "owner" });
    expect(asOwner.status).toBe(422);
    expect(await asOwner.text()).toContain("Only owners can invite owners");

    const created = await client.postForm("/members/invitations", { email: "new@example.test", role: "supervisor" }, { htmx: true });
    // Post → redirect → get: the members page shows the link this once.
    expect(created.status).toBe(204);
    expect(created.headers.get("hx-redirect")).toBe("/members");
    const html = await (await client.get("/members")).text();
    expect(html).toMatch(/http:\/\/localhost:3000\/invitations\/[A-Za-z0-9_-]{43}/);
    const [inv] = await db.select().from(invitations).where(eq(invitations.organizationId, organization.id));
    expect(inv!.email).toBe("new@example.test");
    expect(inv!.expiresAt.getTime() - Date.now()).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(inv!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);

    // Pending list shows it with a revoke button; revoking removes it.
    const list = await (await client.get("/members")).text();
    expect(list).toContain(`/members/invitations/${inv!.id}/revoke`);
    expect(list).not.toContain(`/invitations/${html.match(/invitations\/([A-Za-z0-9_-]{43})/)![1]}`);
    const revoke = await client.postForm(`/members/invitations/${inv!.id}/revoke`, {}, { htmx: true });
    expect(revoke.status).toBe(204);
    expect(await (await client.get("/members")).text()).not.toContain(`/members/invitations/${inv!.id}/revoke`);
    expect((await client.postForm(`/members/invitations/${inv!.id}/revoke`, {})).status).toBe(404);

    const actions = (await db.select().from(auditLogs).where(eq(auditLogs.organizationId, organization.id))).map((a) => a.action).sort();
    expect(actions).toEqual(["invitation.created", "invitation.revoked"]);
  });

  test("member names and emails render escaped", async () => {
    const { organization, user: owner } = await createOwner();
    const { createUser } = await import("@/features/auth/auth.service");
    const { addMember } = await import("@/features/organizations/organization.service");
    const evil = await createUser({ email: "evil@example.test", password: "correct horse battery", name: "<script>alert(1)</script>" });
    await addMember(organization.id, evil.id, "agent");
    const html = await (await (await signIn(app, owner.id, organization.id)).get("/members")).text();
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("&lt;script&gt;alert(1)");
  });
});
