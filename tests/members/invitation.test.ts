import { describe, expect, spyOn, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, invitations, memberships, organizations, sessions } from "@/db/schema";
import { createUser } from "@/features/auth/auth.service";
import { createInvitation } from "@/features/members/invitation.service";
import { sha256Hex } from "@/lib/crypto";
import { TestClient } from "../helpers/client";
import { createMember, createOwner, memberCaller, signIn, uniqueEmail } from "../helpers/factories";
import { linkIn, startSmtpServer } from "../helpers/smtp";

const app = createApp();

function tokenFrom(html: string): string {
  const match = html.match(/http:\/\/localhost:3000\/invitations\/([A-Za-z0-9_-]{43})/);
  if (!match) throw new Error("no invitation link in the page");
  return match[1]!;
}

describe("invitation flow", () => {
  test("admin creates → link (shown and logged) → second user accepts → membership with that role", async () => {
    const { organization } = await createOwner({ orgName: "Acme <Support>" });
    const admin = await createMember(organization.id, "admin");
    const adminClient = await signIn(app, admin.id, organization.id);

    const previousLevel = config.logLevel;
    config.logLevel = "info";
    const logSpy = spyOn(console, "log").mockImplementation(() => {});
    let html: string;
    try {
      const res = await adminClient.postForm("/members/invitations", { email: "Joiner@Example.test", role: "supervisor" });
      expect(res.status).toBe(303);
      html = await (await adminClient.get(res.headers.get("location")!)).text();
    } finally {
      config.logLevel = previousLevel;
    }
    const token = tokenFrom(html);
    const logged = logSpy.mock.calls.map((c) => String(c[0])).find((line) => line.includes('"invitation created"'));
    logSpy.mockRestore();
    expect(logged).toBeDefined();
    expect(JSON.parse(logged!).url).toBe(`http://localhost:3000/invitations/${token}`);

    // Only the hash is stored.
    const [stored] = await db.select().from(invitations).where(eq(invitations.organizationId, organization.id));
    expect(stored!.tokenHash).toBe(sha256Hex(token));
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored!.email).toBe("joiner@example.test");

    // Signed out: the page names the organization and role and offers sign in / sign up.
    const anonymous = new TestClient(app);
    const landing = await anonymous.get(`/invitations/${token}`);
    expect(landing.status).toBe(200);
    expect(landing.headers.get("referrer-policy")).toBe("same-origin");
    const landingHtml = await landing.text();
    expect(landingHtml).toContain("Acme &lt;Support&gt;");
    expect(landingHtml).toContain("<strong>supervisor</strong>");
    expect(landingHtml).toContain(`/login?next=${encodeURIComponent(`/invitations/${token}`)}`);
    expect(landingHtml).toContain(`/signup?invite=${token}`);
    expect(landingHtml).not.toContain("Accept invitation");
    const anonymousAccept = await anonymous.postForm(`/invitations/${token}/accept`, {});
    expect(anonymousAccept.status).toBe(303);
    expect(anonymousAccept.headers.get("location")).toBe(`/login?next=${encodeURIComponent(`/invitations/${token}`)}`);

    // A second user (with an organization of their own) signs in and accepts.
    const second = await createOwner({ email: "joiner@example.test", orgName: "Joiner's own" });
    const client = await signIn(app, second.user.id, second.organization.id);
    const page = await client.get(`/invitations/${token}`);
    const pageHtml = await page.text();
    expect(pageHtml).toContain("Accept invitation");
    expect(pageHtml).toContain(`action="/invitations/${token}/accept"`);
    const accepted = await client.postForm(`/invitations/${token}/accept`, {});
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get("location")).toBe("/");

    const [m] = await db
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, organization.id), eq(memberships.userId, second.user.id)));
    expect(m!.role).toBe("supervisor");
    const [inv] = await db.select().from(invitations).where(eq(invitations.id, stored!.id));
    expect(inv!.acceptedAt).not.toBeNull();
    expect(inv!.acceptedBy).toBe(second.user.id);
    const [session] = await db
      .select()
      .from(sessions)
      .where(eq(sessions.id, sha256Hex(client.cookies.get("lc_session")!)));
    expect(session!.activeOrganizationId).toBe(organization.id);
    const dash = await (await client.get("/")).text();
    expect(dash).toContain("<h1>Acme &lt;Support&gt;</h1>");
    expect(dash).toContain("You joined Acme &lt;Support&gt; as supervisor");

    const [entry] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "invitation.accepted")));
    expect(entry!.actorId).toBe(second.user.id);
    expect(entry!.details).toMatchObject({ role: "supervisor", emailMatched: true, previousRole: null });

    // The link is spent.
    const again = await client.get(`/invitations/${token}`);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain("already been accepted");
    const third = await createUser({ email: uniqueEmail(), password: "correct horse battery" });
    const thirdClient = await signIn(app, third.id);
    const reuse = await thirdClient.postForm(`/invitations/${token}/accept`, {});
    expect(reuse.status).toBe(410);
    expect(await reuse.text()).toContain("Invitation already used");
    const thirdMemberships = await db.select().from(memberships).where(eq(memberships.userId, third.id));
    expect(thirdMemberships.length).toBe(0);
  });

  test("a user without any organization can accept; a different address is allowed but flagged", async () => {
    const { user: owner, organization } = await createOwner();
    const { token } = await createInvitation(memberCaller(owner.id, organization.id, "owner"), { email: "someone@example.test", role: "agent" });
    const user = await createUser({ email: uniqueEmail(), password: "correct horse battery" });
    const client = await signIn(app, user.id);
    const page = await (await client.get(`/invitations/${token}`)).text();
    expect(page).toContain("This invitation was sent to");
    const res = await client.postForm(`/invitations/${token}/accept`, {}, { htmx: true });
    expect(res.status).toBe(204);
    expect(res.headers.get("hx-redirect")).toBe("/");
    const [m] = await db
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, organization.id), eq(memberships.userId, user.id)));
    expect(m!.role).toBe("agent");
    expect((await client.get("/")).status).toBe(200);
    const [entry] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "invitation.accepted")));
    expect(entry!.details).toMatchObject({ emailMatched: false });
  });

  test("accepting never lowers an existing role", async () => {
    const { user: owner, organization } = await createOwner();
    const admin = await createMember(organization.id, "admin");
    const { token } = await createInvitation(memberCaller(owner.id, organization.id, "owner"), { email: "other@example.test", role: "agent" });
    const client = await signIn(app, admin.id, organization.id);
    expect((await client.postForm(`/invitations/${token}/accept`, {})).status).toBe(303);
    const [m] = await db
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, organization.id), eq(memberships.userId, admin.id)));
    expect(m!.role).toBe("admin");
  });

  test("expired, revoked and unknown links give a clear message and change nothing", async () => {
    const { user: owner, organization } = await createOwner();
    const caller = memberCaller(owner.id, organization.id, "owner");
    const expired = await createInvitation(caller, { email: "late@example.test", role: "agent" });
    await db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(invitations.id, expired.invitation.id));
    const revoked = await createInvitation(caller, { email: "gone@example.test", role: "agent" });
    // A new invitation to the same address replaces (revokes) the previous one.
    const replacement = await createInvitation(caller, { email: "gone@example.test", role: "admin" });
    const [old] = await db.select().from(invitations).where(eq(invitations.id, revoked.invitation.id));
    expect(old!.revokedAt).not.toBeNull();

    const user = await createUser({ email: uniqueEmail(), password: "correct horse battery" });
    const client = await signIn(app, user.id);
    const cases: [string, number, string][] = [
      [expired.token, 410, "Invitation expired"],
      [revoked.token, 410, "Invitation revoked"],
      ["A".repeat(43), 404, "Invitation not found"],
      ["short", 404, "Invitation not found"],
    ];
    for (const [token, status, text] of cases) {
      const view = await client.get(`/invitations/${token}`);
      expect(view.status).toBe(status);
      expect(await view.text()).toContain(text);
      const accept = await client.postForm(`/invitations/${token}/accept`, {});
      expect(accept.status).toBe(status);
      expect(await accept.text()).toContain(text);
    }
    expect((await db.select().from(memberships).where(eq(memberships.userId, user.id))).length).toBe(0);
    // The replacement still works.
    expect((await client.postForm(`/invitations/${replacement.token}/accept`, {})).status).toBe(303);
  });
});

describe("invitations by email (SMTP)", () => {
  test("the invitee gets the link by email (organization name escaped); the inviter is told, and the link works", async () => {
    const smtp = await startSmtpServer();
    config.smtpUrl = smtp.url;
    try {
      const { organization } = await createOwner({ orgName: "Acme <b>Support</b>" });
      // Invitations are written in the organization's language (the invitee has no account yet).
      await db.update(organizations).set({ language: "en" }).where(eq(organizations.id, organization.id));
      const admin = await createMember(organization.id, "admin");
      const adminClient = await signIn(app, admin.id, organization.id);
      const email = uniqueEmail("mailed");
      const res = await adminClient.postForm("/members/invitations", { email, role: "agent" });
      expect(res.status).toBe(303);
      const page = await (await adminClient.get(res.headers.get("location")!)).text();
      expect(page).toContain("We emailed them the link");

      const mail = await smtp.waitFor(email, "You are invited to join");
      expect(mail.subject).toContain("Acme <b>Support</b>");
      expect(mail.html).toContain("Acme &lt;b&gt;Support&lt;/b&gt;");
      expect(mail.html).not.toContain("<b>Support</b>");
      expect(mail.text).toContain("as agent");
      const link = linkIn(mail, "/invitations/");
      expect(page).toContain(link);
      const token = link.split("/").pop()!;
      const [stored] = await db
        .select()
        .from(invitations)
        .where(eq(invitations.tokenHash, sha256Hex(token)));
      expect(stored!.email).toBe(email);

      const user = await createUser({ email, password: "correct horse battery" });
      const client = await signIn(app, user.id);
      expect((await client.postForm(`${new URL(link).pathname}/accept`, {})).status).toBe(303);
      const [m] = await db
        .select()
        .from(memberships)
        .where(and(eq(memberships.organizationId, organization.id), eq(memberships.userId, user.id)));
      expect(m!.role).toBe("agent");
    } finally {
      config.smtpUrl = undefined;
      await smtp.stop();
    }
  });

  test("when the SMTP server cannot be reached the invitation still exists and the inviter is told to send the link", async () => {
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = closed.port;
    closed.stop(true);
    config.smtpUrl = `smtp://127.0.0.1:${port}`;
    try {
      const { organization, user } = await createOwner();
      const client = await signIn(app, user.id, organization.id);
      const res = await client.postForm("/members/invitations", { email: uniqueEmail("unreachable"), role: "agent" });
      expect(res.status).toBe(303);
      const page = await (await client.get(res.headers.get("location")!)).text();
      expect(page).toContain("The email could not be sent");
      expect(page).toMatch(/http:\/\/localhost:3000\/invitations\/[A-Za-z0-9_-]{43}/);
    } finally {
      config.smtpUrl = undefined;
    }
  });
});
