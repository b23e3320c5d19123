import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, invitations, memberships, organizations, registrationRequests, users } from "@/db/schema";
import { randomToken, sha256Hex } from "@/lib/crypto";
import { TestClient } from "../helpers/client";
import { createMember, createOwner, signIn, uniqueEmail } from "../helpers/factories";
import { linkIn, startSmtpServer, type SmtpServer } from "../helpers/smtp";

const app = createApp();
const PASSWORD = "correct horse battery";

let smtp: SmtpServer;
let platformAdmin: TestClient;
let orgAdmin: TestClient;

beforeAll(async () => {
  smtp = await startSmtpServer();
  // The file's first account is the install's platform admin.
  const first = await createOwner({ orgName: "Operator" });
  expect(first.user.isPlatformAdmin).toBe(true);
  platformAdmin = await signIn(app, first.user.id, first.organization.id);
  const other = await createOwner({ orgName: "Tenant" });
  orgAdmin = await signIn(app, other.user.id, other.organization.id);
});
afterAll(() => smtp.stop());
afterEach(() => {
  config.signup = "open";
  config.smtpUrl = undefined;
});

const form = (over: Record<string, string> = {}) => ({
  name: "Ada Lovelace",
  email: uniqueEmail("applicant"),
  password: PASSWORD,
  organizationName: "Analytical Engines",
  ...over,
});

async function requestFor(email: string) {
  const rows = await db
    .select()
    .from(registrationRequests)
    .where(eq(sql`lower(${registrationRequests.email})`, email.toLowerCase()));
  return rows;
}

describe("SIGNUP=approval", () => {
  test("a sign-up becomes a waiting request: no account, and signing in says it waits", async () => {
    config.signup = "approval";
    const data = form();
    const client = new TestClient(app);
    expect(await (await client.get("/signup")).text()).toContain("reviewed by an administrator");
    const res = await client.postForm("/signup", data);
    expect([res.status, res.headers.get("location")]).toEqual([303, "/signup/requested"]);
    expect(await (await client.get("/signup/requested")).text()).toContain("An administrator reviews new accounts");
    expect(client.cookies.has("lc_session")).toBe(false);
    expect(await db.select().from(users).where(eq(users.email, data.email))).toHaveLength(0);
    const [request] = await requestFor(data.email);
    expect(request!.status).toBe("pending");
    expect(request!.passwordHash).toStartWith("$argon2id$");
    expect(request!.organizationName).toBe("Analytical Engines");

    const login = await client.postForm("/login", { email: data.email, password: PASSWORD });
    expect(login.status).toBe(403);
    expect(await login.text()).toContain("waiting for an administrator");
    // Without the password nothing is revealed.
    const wrong = await client.postForm("/login", { email: data.email, password: "something else" });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain("Incorrect email or password");
  });

  test("a registered address and a second request for a waiting address get the same answer and change nothing", async () => {
    config.signup = "approval";
    const { user } = await createOwner();
    const taken = await new TestClient(app).postForm("/signup", form({ email: user.email }));
    expect([taken.status, taken.headers.get("location")]).toEqual([303, "/signup/requested"]);
    expect(await requestFor(user.email)).toHaveLength(0);

    const data = form();
    await new TestClient(app).postForm("/signup", data);
    const again = await new TestClient(app).postForm("/signup", form({ email: data.email, password: "attacker password", organizationName: "Hijack" }));
    expect([again.status, again.headers.get("location")]).toEqual([303, "/signup/requested"]);
    const rows = await requestFor(data.email);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.organizationName).toBe("Analytical Engines");
    expect(await Bun.password.verify(PASSWORD, rows[0]!.passwordHash)).toBe(true);
  });

  test("an invitation skips the approval queue", async () => {
    config.signup = "approval";
    const { organization, user } = await createOwner({ orgName: "Inviting" });
    const token = randomToken(24);
    const email = uniqueEmail("invitee");
    await db.insert(invitations).values({
      organizationId: organization.id,
      email,
      role: "agent",
      tokenHash: sha256Hex(token),
      invitedBy: user.id,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const client = new TestClient(app);
    const res = await client.postForm("/signup", { name: "Invitee", email, password: PASSWORD, invite: token });
    expect([res.status, res.headers.get("location")]).toEqual([303, "/"]);
    expect(await requestFor(email)).toHaveLength(0);
  });

  test("only platform admins see the requests page; signed out goes to sign-in", async () => {
    const out = await new TestClient(app).get("/platform/registrations");
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toStartWith("/login");
    expect((await orgAdmin.get("/platform/registrations")).status).toBe(403);
    expect((await orgAdmin.get("/platform/users")).status).toBe(403);
    const page = await platformAdmin.get("/platform/registrations");
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    // The platform link shows for platform admins only.
    expect(await page.text()).toContain('href="/platform/users"');
    expect(await (await orgAdmin.get("/members")).text()).not.toContain('href="/platform/users"');
  });

  test("approving creates the account and its organization with the chosen password; without SMTP it signs in at once", async () => {
    config.signup = "approval";
    const data = form({ name: "<b>Bold</b> Applicant", organizationName: "Approved & Co" });
    await new TestClient(app).postForm("/signup", data);
    const [request] = await requestFor(data.email);
    const list = await (await platformAdmin.get("/platform/registrations")).text();
    expect(list).toContain("&lt;b&gt;Bold&lt;/b&gt; Applicant");
    expect(list).not.toContain("<b>Bold</b>");
    expect(list).toContain(`/platform/registrations/${request!.id}/approve`);

    // Not an org admin's call, whatever their role.
    expect((await orgAdmin.postForm(`/platform/registrations/${request!.id}/approve`, {})).status).toBe(403);

    const res = await platformAdmin.postForm(`/platform/registrations/${request!.id}/approve`, {});
    expect([res.status, res.headers.get("location")]).toEqual([303, "/platform/registrations"]);
    const [user] = await db.select().from(users).where(eq(users.email, data.email));
    expect(user!.isPlatformAdmin).toBe(false);
    expect(user!.emailVerifiedAt).toBeInstanceOf(Date);
    const [org] = await db.select().from(organizations).where(eq(organizations.ownerId, user!.id));
    expect(org!.name).toBe("Approved & Co");
    const [m] = await db.select().from(memberships).where(eq(memberships.userId, user!.id));
    expect(m!.role).toBe("owner");
    const [after] = await requestFor(data.email);
    expect(after!.status).toBe("approved");
    expect(after!.userId).toBe(user!.id);
    expect(after!.reviewedAt).toBeInstanceOf(Date);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "registration.approved"), eq(auditLogs.targetId, request!.id)));
    expect(audit!.organizationId).toBe(org!.id);

    const client = new TestClient(app);
    expect((await client.postForm("/login", { email: data.email, password: PASSWORD })).status).toBe(303);

    // A second approval of the same request is refused, not a second account.
    const twice = await platformAdmin.postForm(`/platform/registrations/${request!.id}/approve`, {});
    expect(twice.status).toBe(409);
    expect(await twice.text()).toContain("already approved");
  });

  test("with SMTP the applicant is emailed the approval with a confirmation link, and confirms before signing in", async () => {
    config.signup = "approval";
    config.smtpUrl = smtp.url;
    const data = form({ organizationName: "Mailed <Org>" });
    await new TestClient(app).postForm("/signup", data);
    const [request] = await requestFor(data.email);
    expect((await platformAdmin.postForm(`/platform/registrations/${request!.id}/approve`, {})).status).toBe(303);
    const mail = await smtp.waitFor(data.email, "was approved");
    expect(mail.html).toContain("Mailed &lt;Org&gt;");
    const client = new TestClient(app);
    expect((await client.postForm("/login", { email: data.email, password: PASSWORD })).status).toBe(403);
    expect((await client.get(new URL(linkIn(mail, "/verify-email/")).pathname)).status).toBe(303);
    expect((await client.postForm("/login", { email: data.email, password: PASSWORD })).status).toBe(303);
  });

  test("rejecting needs a reason; the applicant is emailed it (escaped) and cannot sign in", async () => {
    config.signup = "approval";
    config.smtpUrl = smtp.url;
    const data = form();
    await new TestClient(app).postForm("/signup", data);
    const [request] = await requestFor(data.email);
    const empty = await platformAdmin.postForm(`/platform/registrations/${request!.id}/reject`, { reason: "  " });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain("Say why the request is declined");
    expect((await requestFor(data.email))[0]!.status).toBe("pending");

    const reason = "We only serve <b>schools</b> & clinics";
    const res = await platformAdmin.postForm(`/platform/registrations/${request!.id}/reject`, { reason });
    expect([res.status, res.headers.get("location")]).toEqual([303, "/platform/registrations"]);
    const [after] = await requestFor(data.email);
    expect(after!.status).toBe("rejected");
    expect(after!.rejectionReason).toBe(reason);
    const mail = await smtp.waitFor(data.email, "declined");
    expect(mail.text).toContain(reason);
    expect(mail.html).toContain("&lt;b&gt;schools&lt;/b&gt; &amp; clinics");
    const rejectedList = await (await platformAdmin.get("/platform/registrations?status=rejected")).text();
    expect(rejectedList).toContain("&lt;b&gt;schools&lt;/b&gt;");

    const login = await new TestClient(app).postForm("/login", { email: data.email, password: PASSWORD });
    expect(login.status).toBe(403);
    expect(await login.text()).toContain("was declined");
    expect(await db.select().from(users).where(eq(users.email, data.email))).toHaveLength(0);
    // Declined people may apply again.
    await new TestClient(app).postForm("/signup", data);
    expect((await requestFor(data.email)).map((r) => r.status).sort()).toEqual(["pending", "rejected"]);
  });

  test("unknown or malformed request ids are 404", async () => {
    for (const id of [crypto.randomUUID(), "not-a-uuid"]) {
      expect((await platformAdmin.postForm(`/platform/registrations/${id}/approve`, {})).status).toBe(404);
      expect((await platformAdmin.postForm(`/platform/registrations/${id}/reject`, { reason: "no" })).status).toBe(404);
    }
  });

  test("a provider sign-in cannot skip the queue: SIGNUP=approval asks for the password form", async () => {
    const { approvalNeedsPassword, signInWithOAuth } = await import("@/features/auth/auth.service");
    config.signup = "approval";
    const result = await signInWithOAuth(
      { provider: "oidc", providerUserId: randomToken(8), email: uniqueEmail("oauth"), emailVerified: true, name: "OAuth Person", avatarUrl: null },
      {},
    );
    expect(result).toEqual({ ok: false, message: approvalNeedsPassword() });
  });

  test("members of other roles in the operator's organization are not platform admins", async () => {
    const [opOrg] = await db.select().from(organizations).where(eq(organizations.name, "Operator"));
    const admin = await createMember(opOrg!.id, "admin");
    const client = await signIn(app, admin.id, opOrg!.id);
    expect((await client.get("/platform/registrations")).status).toBe(403);
  });
});
