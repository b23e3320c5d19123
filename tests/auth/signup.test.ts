import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { Elysia } from "elysia";
import { createApp, type App } from "@/app";
import { authPlugin } from "@/auth/plugin";
import { validateSessionToken } from "@/auth/session";
import { config } from "@/config";
import { db } from "@/db/client";
import { apiKeys, auditLogs, devices, instances, invitations, memberships, organizations, users, userTokens } from "@/db/schema";
import { randomToken, sha256Hex, signValue } from "@/lib/crypto";
import { backgroundMailSettled } from "@/lib/mailer";
import { signInWithOAuth } from "@/features/auth/auth.service";
import { TestClient } from "../helpers/client";
import { createOwner, signIn, uniqueEmail } from "../helpers/factories";
import { linkIn, startSmtpServer, type SmtpServer } from "../helpers/smtp";
import { waitFor } from "../helpers/wait";

// A route that needs a signed-in member, to prove the sign-up cookie opens the admin whatever the
// dashboard looks like.
const app = createApp().use(
  new Elysia()
    .use(authPlugin)
    .get("/__whoami", ({ admin }) => ({ user: admin.user.email, org: admin.organization.name, role: admin.role }), { member: "agent" }),
) as unknown as App;

const PASSWORD = "correct horse battery";
const form = (over: Record<string, string> = {}) => ({
  name: "Ada Lovelace",
  email: uniqueEmail("ada"),
  password: PASSWORD,
  organizationName: "Analytical Engines",
  ...over,
});

let smtp: SmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(() => smtp.stop());

afterEach(() => {
  config.signup = "open";
  config.smtpUrl = undefined;
});

async function userByEmail(email: string) {
  const [u] = await db.select().from(users).where(eq(users.email, email));
  return u;
}

describe("sign-up (first account on an empty install)", () => {
  test("SIGNUP=closed still lets the very first account in, and it becomes platform admin", async () => {
    config.signup = "closed";
    // Even with SMTP the operator's own first account is confirmed and signed in at once: a broken
    // SMTP_URL must not lock them out of their install.
    config.smtpUrl = smtp.url;
    const client = new TestClient(app);
    const page = await client.get("/signup");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("first account on this server");

    const data = form({ email: "first@example.test" });
    const res = await client.postForm("/signup", data);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const token = client.cookies.get("lc_session");
    expect(token).toBeTruthy();

    const first = await userByEmail("first@example.test");
    expect(first!.isPlatformAdmin).toBe(true);
    expect(first!.emailVerifiedAt).toBeInstanceOf(Date);
    expect(first!.lastLoginAt).toBeInstanceOf(Date);
    expect(first!.passwordHash).toStartWith("$argon2id$");

    const session = await validateSessionToken(token!);
    const [org] = await db.select().from(organizations).where(eq(organizations.ownerId, first!.id));
    expect(org!.name).toBe("Analytical Engines");
    expect(session!.session.activeOrganizationId).toBe(org!.id);
    const [m] = await db.select().from(memberships).where(eq(memberships.userId, first!.id));
    expect(m!.role).toBe("owner");

    const who = await client.get("/__whoami");
    expect(who.status).toBe(200);
    expect(await who.json()).toEqual({ user: "first@example.test", org: "Analytical Engines", role: "owner" });
    // The dashboard does not bounce a signed-in user back to the login page.
    const dash = await client.get("/");
    expect(dash.headers.get("location") ?? "").not.toContain("/login");
    expect(dash.status).toBeLessThan(500);

    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_up"), eq(auditLogs.actorId, first!.id)));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.organizationId).toBe(org!.id);
  });

  test("after the first account, SIGNUP=closed refuses: the page says so and POST is 403", async () => {
    config.signup = "closed";
    const client = new TestClient(app);
    const page = await client.get("/signup");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Sign-up is closed");
    expect(html).not.toContain('name="password"');
    const email = uniqueEmail("closed");
    const res = await client.postForm("/signup", form({ email }));
    expect(res.status).toBe(403);
    expect(await userByEmail(email)).toBeUndefined();
    expect(client.cookies.has("lc_session")).toBe(false);
    // Nor does the login page advertise a sign-up that cannot happen.
    expect(await (await client.get("/login")).text()).not.toContain('href="/signup');
  });

  test("the second account is not platform admin", async () => {
    const client = new TestClient(app);
    const data = form();
    expect((await client.postForm("/signup", data)).status).toBe(303);
    expect((await userByEmail(data.email))!.isPlatformAdmin).toBe(false);
  });
});

describe("sign-up form validation", () => {
  test("invalid fields re-render with 422, field errors and the values kept (never the password)", async () => {
    const client = new TestClient(app);
    const res = await client.postForm("/signup", { name: "", email: "not-an-email", password: "short", organizationName: "" });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("Enter your name");
    expect(html).toContain("Enter a valid email address");
    expect(html).toContain("Too short: use at least 8 characters</small>");
    expect(html).toContain("Name your organization");
    expect(html).toContain('value="not-an-email"');
    expect(html).not.toContain('value="short"');
    expect(client.cookies.has("lc_session")).toBe(false);
  });

  test("user input is escaped when re-rendered", async () => {
    const client = new TestClient(app);
    const res = await client.postForm("/signup", { name: "<script>alert(1)</script>", email: "x", password: "longenough", organizationName: '"><img src=x>' });
    expect(res.status).toBe(422);
    // Count the elements a browser would build: only the page's own two scripts, no injected img.
    const seen = { script: 0, img: 0 };
    await new HTMLRewriter()
      .on("script", { element: () => void seen.script++ })
      .on("img", { element: () => void seen.img++ })
      .transform(res)
      .text();
    expect(seen).toEqual({ script: 2, img: 0 });
  });

  test("a taken email (any case) gets exactly the answer a new one gets: nothing says it is registered", async () => {
    const { user } = await createOwner();
    const taken = new TestClient(app);
    const fresh = new TestClient(app);
    const a = await taken.postForm("/signup", form({ email: user.email.toUpperCase(), name: "Someone Else" }));
    const b = await fresh.postForm("/signup", form({ name: "Someone Else" }));
    expect([a.status, a.headers.get("location")]).toEqual([303, "/login"]);
    expect([b.status, b.headers.get("location")]).toEqual([a.status, a.headers.get("location")]);
    expect(await a.text()).toBe(await b.text());
    expect(taken.cookies.get("lc_flash")).toBe(fresh.cookies.get("lc_flash")!);
    expect(taken.cookies.has("lc_session")).toBe(false);
    // The existing account is untouched: still one row, same password.
    const rows = await db.select().from(users).where(eq(users.id, user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.name).not.toBe("Someone Else");
  });

  test("a taken email is never reported among field errors", async () => {
    const { user } = await createOwner();
    const client = new TestClient(app);
    const res = await client.postForm("/signup", form({ email: user.email, password: "short" }));
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).not.toContain("already exists");
    expect(html).toContain("Too short: use at least 8 characters</small>");
  });

  test("without SMTP, a new account is ready at once: the visitor signs in with it", async () => {
    const client = new TestClient(app);
    const data = form();
    const res = await client.postForm("/signup", data);
    expect(res.headers.get("location")).toBe("/login");
    const user = await userByEmail(data.email);
    expect(user!.emailVerifiedAt).toBeInstanceOf(Date);
    const login = await client.postForm("/login", { email: data.email, password: PASSWORD });
    expect(login.status).toBe(303);
    expect((await client.get("/__whoami")).status).toBe(200);
  });

  test("signed-in users visiting /signup or /login go to the dashboard", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    for (const path of ["/signup", "/login"]) {
      const res = await client.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/");
    }
  });

  test("?next= is honoured for local paths only (carried to the sign-in that follows)", async () => {
    const local = new TestClient(app);
    const ok = await local.postForm("/signup?next=%2Finstances%3Ftab%3Dnew", form());
    expect(ok.headers.get("location")).toBe("/login?next=%2Finstances%3Ftab%3Dnew");
    const evil = new TestClient(app);
    const refused = await evil.postForm("/signup?next=%2F%2Fevil.example%2Fx", form());
    expect(refused.status).toBe(303);
    expect(refused.headers.get("location")).toBe("/login");
  });
});

describe("SIGNUP=invite", () => {
  async function invite(opts: { email?: string; role?: "admin" | "supervisor" | "agent"; expiresInMs?: number; revoked?: boolean } = {}) {
    const { organization, user } = await createOwner({ orgName: "Inviting Org" });
    const token = randomToken(24);
    const [row] = await db
      .insert(invitations)
      .values({
        organizationId: organization.id,
        email: opts.email ?? uniqueEmail("invitee"),
        role: opts.role ?? "supervisor",
        tokenHash: sha256Hex(token),
        invitedBy: user.id,
        expiresAt: new Date(Date.now() + (opts.expiresInMs ?? 86_400_000)),
        revokedAt: opts.revoked ? new Date() : null,
      })
      .returning();
    return { token, invitation: row!, organization };
  }

  test("without an invitation the page says so and POST is refused", async () => {
    config.signup = "invite";
    const client = new TestClient(app);
    const page = await client.get("/signup");
    expect(await page.text()).toContain("by invitation only");
    const email = uniqueEmail("uninvited");
    expect((await client.postForm("/signup", form({ email }))).status).toBe(403);
    expect(await userByEmail(email)).toBeUndefined();
  });

  test("a valid invitation joins the inviting organization with the invited role, once", async () => {
    config.signup = "invite";
    const { token, invitation, organization } = await invite({ role: "supervisor" });
    const client = new TestClient(app);
    const page = await client.get(`/signup?invite=${token}`);
    const html = await page.text();
    expect(html).toContain("Inviting Org");
    expect(html).toContain(`value="${invitation.email}"`);
    expect(html).not.toContain('name="organizationName"');

    const orgsBefore = (await db.select().from(organizations)).length;
    const res = await client.postForm("/signup", { name: "Invitee", email: invitation.email, password: PASSWORD, invite: token });
    expect(res.status).toBe(303);
    const user = await userByEmail(invitation.email);
    const [m] = await db.select().from(memberships).where(eq(memberships.userId, user!.id));
    expect(m!.organizationId).toBe(organization.id);
    expect(m!.role).toBe("supervisor");
    expect((await db.select().from(organizations)).length).toBe(orgsBefore);
    const [after] = await db.select().from(invitations).where(eq(invitations.id, invitation.id));
    expect(after!.acceptedAt).toBeInstanceOf(Date);
    expect(after!.acceptedBy).toBe(user!.id);
    const session = await validateSessionToken(client.cookies.get("lc_session")!);
    expect(session!.session.activeOrganizationId).toBe(organization.id);

    // The same link cannot be used twice.
    const again = new TestClient(app);
    const reuse = await again.postForm("/signup", { name: "Other", email: uniqueEmail("reuse"), password: PASSWORD, invite: token });
    expect(reuse.status).toBe(403);
    expect(await reuse.text()).toContain("invalid, expired, revoked or already used");
  });

  test("the invitation only works for the invited email", async () => {
    config.signup = "invite";
    const { token, invitation } = await invite();
    const client = new TestClient(app);
    const res = await client.postForm("/signup", { name: "Impostor", email: uniqueEmail("impostor"), password: PASSWORD, invite: token });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain(`This invitation is for ${invitation.email}`);
    const [row] = await db.select().from(invitations).where(eq(invitations.id, invitation.id));
    expect(row!.acceptedAt).toBeNull();
  });

  test("expired, revoked or unknown invitations are refused", async () => {
    config.signup = "invite";
    const expired = await invite({ expiresInMs: -1000 });
    const revoked = await invite({ revoked: true });
    for (const { token, invitation } of [expired, revoked]) {
      const client = new TestClient(app);
      expect(await (await client.get(`/signup?invite=${token}`)).text()).toContain("invalid, expired, revoked or already used");
      const res = await client.postForm("/signup", { name: "Late", email: invitation.email, password: PASSWORD, invite: token });
      expect(res.status).toBe(403);
    }
    const res = await new TestClient(app).postForm("/signup", form({ invite: "nope" }));
    expect(res.status).toBe(403);
  });

  test("a signed-in user opening an invitation sign-up link is sent to the invitation page", async () => {
    const { token } = await invite();
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    const res = await client.get(`/signup?invite=${token}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/invitations/${token}`);
  });

  test("SIGNUP=open still honours an invitation link", async () => {
    const { token, invitation, organization } = await invite({ role: "agent" });
    const client = new TestClient(app);
    expect((await client.postForm("/signup", { name: "Agent", email: invitation.email, password: PASSWORD, invite: token })).status).toBe(303);
    const user = await userByEmail(invitation.email);
    const rows = await db.select().from(memberships).where(eq(memberships.userId, user!.id));
    expect(rows.map((r) => [r.organizationId, r.role])).toEqual([[organization.id, "agent"]]);
  });
});

describe("try before sign-up", () => {
  test("signing up claims the visitor device's instances and keys into the new organization in one go", async () => {
    const [device] = await db.insert(devices).values({ name: "Visitor browser", kind: "browser" }).returning();
    const made = await db
      .insert(instances)
      .values([
        { name: "Trial 1", createdByDeviceId: device!.id },
        { name: "Trial 2", createdByDeviceId: device!.id },
      ])
      .returning();
    const [key] = await db
      .insert(apiKeys)
      .values({ name: "visitor key", displayPrefix: "lc_live_abcdef", keyHash: sha256Hex(randomToken()), deviceId: device!.id, scopes: ["*"] })
      .returning();
    // Another visitor's rows must stay where they are.
    const [otherDevice] = await db.insert(devices).values({ name: "Someone else", kind: "browser" }).returning();
    const [otherInstance] = await db.insert(instances).values({ name: "Not mine", createdByDeviceId: otherDevice!.id }).returning();

    const client = new TestClient(app);
    client.cookies.set("lc_device", signValue(device!.id));
    const data = form({ organizationName: "Claimers" });
    const res = await client.postForm("/signup", data);
    expect(res.status).toBe(303);
    const [org] = await db.select().from(organizations).where(eq(organizations.name, "Claimers"));

    const [d] = await db.select().from(devices).where(eq(devices.id, device!.id));
    expect(d!.organizationId).toBe(org!.id);
    expect(d!.claimedAt).toBeInstanceOf(Date);
    const claimed = await db.select().from(instances).where(eq(instances.createdByDeviceId, device!.id));
    expect(claimed.map((i) => i.organizationId)).toEqual(made.map(() => org!.id));
    const [k] = await db.select().from(apiKeys).where(eq(apiKeys.id, key!.id));
    expect(k!.organizationId).toBe(org!.id);
    const [other] = await db.select().from(instances).where(eq(instances.id, otherInstance!.id));
    expect(other!.organizationId).toBeNull();

    // The account, the claim and the audit row committed together. (The answer does not mention the
    // claim: it must read the same for a registered address, where nothing is claimed.)
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_up"), eq(auditLogs.organizationId, org!.id)));
    expect(audit!.details).toMatchObject({ claimed: { instances: 2, apiKeys: 1 } });
  });

  test("a forged device cookie claims nothing", async () => {
    const [device] = await db.insert(devices).values({ name: "Victim", kind: "browser" }).returning();
    const client = new TestClient(app);
    client.cookies.set("lc_device", `${device!.id}.forged-signature`);
    expect((await client.postForm("/signup", form())).status).toBe(303);
    const [d] = await db.select().from(devices).where(eq(devices.id, device!.id));
    expect(d!.organizationId).toBeNull();
  });
});

describe("sign-up with SMTP: the address is confirmed by email before the first sign-in", () => {
  test("a new account waits unconfirmed; sign-in is refused with a resend form until the link is followed, once", async () => {
    config.smtpUrl = smtp.url;
    const client = new TestClient(app);
    const data = form({ name: "Grace <Hopper>" });
    const res = await client.postForm("/signup", data);
    expect([res.status, res.headers.get("location")]).toEqual([303, "/signup/confirm-email"]);
    expect(client.cookies.has("lc_session")).toBe(false);
    const page = await client.get("/signup/confirm-email");
    expect(await page.text()).toContain("Check your inbox");
    const user = await userByEmail(data.email);
    expect(user!.emailVerifiedAt).toBeNull();

    const mail = await smtp.waitFor(data.email, "Confirm your email address");
    expect(mail.html).toContain("Grace &lt;Hopper&gt;");
    const link = linkIn(mail, "/verify-email/");
    expect(link).toStartWith(`${config.appUrl}/verify-email/`);

    const blocked = await client.postForm("/login", { email: data.email, password: PASSWORD });
    expect(blocked.status).toBe(403);
    const html = await blocked.text();
    expect(html).toContain("Confirm your email address first");
    expect(html).toContain('action="/verify-email/resend"');
    expect(client.cookies.has("lc_session")).toBe(false);
    // A wrong password still reads as a wrong password.
    expect((await client.postForm("/login", { email: data.email, password: "not the password" })).status).toBe(422);

    const path = new URL(link).pathname;
    const confirmed = await client.get(path);
    expect([confirmed.status, confirmed.headers.get("location")]).toEqual([303, "/login"]);
    expect((await userByEmail(data.email))!.emailVerifiedAt).toBeInstanceOf(Date);
    expect((await client.get(path)).status).toBe(410);

    const login = await client.postForm("/login", { email: data.email, password: PASSWORD });
    expect(login.status).toBe(303);
    expect((await client.get("/__whoami")).status).toBe(200);
  });

  test("a registered address gets the same answer, and its owner an email saying someone tried", async () => {
    config.smtpUrl = smtp.url;
    const { user } = await createOwner();
    const taken = new TestClient(app);
    const fresh = new TestClient(app);
    const freshEmail = uniqueEmail("fresh");
    const a = await taken.postForm("/signup", form({ email: user.email }));
    const b = await fresh.postForm("/signup", form({ email: freshEmail }));
    expect([a.status, a.headers.get("location")]).toEqual([b.status, b.headers.get("location")]);
    expect(a.headers.get("location")).toBe("/signup/confirm-email");
    expect(await a.text()).toBe(await b.text());
    const warning = await smtp.waitFor(user.email, "Someone tried to sign up");
    expect(warning.text).toContain(`${config.appUrl}/password/forgot`);
    await smtp.waitFor(freshEmail, "Confirm your email address");
    expect(smtp.to(user.email).some((m) => m.subject.includes("Confirm"))).toBe(false);
    // Repeated attempts do not turn the server into a mail cannon against the owner.
    await taken.postForm("/signup", form({ email: user.email }));
    await backgroundMailSettled();
    expect(smtp.to(user.email).filter((m) => m.subject.includes("Someone tried"))).toHaveLength(1);
  });

  test("'send the link again' answers the same for any address; a new link replaces the old one", async () => {
    config.smtpUrl = smtp.url;
    const data = form();
    await new TestClient(app).postForm("/signup", data);
    const first = linkIn(await smtp.waitFor(data.email, "Confirm"), "/verify-email/");
    const user = await userByEmail(data.email);
    // Past the once-a-minute limit.
    await db
      .update(userTokens)
      .set({ createdAt: new Date(Date.now() - 120_000) })
      .where(eq(userTokens.userId, user!.id));

    const client = new TestClient(app);
    const known = await client.postForm("/verify-email/resend", { email: data.email });
    const unknown = await client.postForm("/verify-email/resend", { email: uniqueEmail("nobody") });
    expect([known.status, known.headers.get("location")]).toEqual([303, "/signup/confirm-email"]);
    expect([unknown.status, unknown.headers.get("location")]).toEqual([known.status, known.headers.get("location")]);
    const mails = await waitFor(() => smtp.to(data.email).length >= 2 && smtp.to(data.email), { what: "the second confirmation email" });
    expect(mails).toHaveLength(2);
    const second = linkIn(mails[1]!, "/verify-email/");
    expect(second).not.toBe(first);
    expect((await client.get(new URL(first).pathname)).status).toBe(410);
    expect((await client.get(new URL(second).pathname)).status).toBe(303);
    // Only hashes are stored.
    const tokens = await db.select().from(userTokens).where(eq(userTokens.userId, user!.id));
    expect(JSON.stringify(tokens)).not.toContain(new URL(second).pathname.split("/").pop()!);
  });

  test("an expired confirmation link is refused", async () => {
    config.smtpUrl = smtp.url;
    const data = form();
    await new TestClient(app).postForm("/signup", data);
    const link = linkIn(await smtp.waitFor(data.email, "Confirm"), "/verify-email/");
    const user = await userByEmail(data.email);
    await db
      .update(userTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(userTokens.userId, user!.id));
    const res = await new TestClient(app).get(new URL(link).pathname);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain("Send the link again");
    expect((await userByEmail(data.email))!.emailVerifiedAt).toBeNull();
  });

  test("a squatted unconfirmed account: the mailbox owner's verified provider sign-in confirms it and drops the squatter's password", async () => {
    config.smtpUrl = smtp.url;
    const victim = uniqueEmail("victim");
    await new TestClient(app).postForm("/signup", form({ email: victim, password: "squatter password" }));
    expect((await userByEmail(victim))!.emailVerifiedAt).toBeNull();
    const result = await signInWithOAuth(
      { provider: "google", providerUserId: randomToken(8), email: victim, emailVerified: true, name: "Victim", avatarUrl: null },
      {},
    );
    expect(result.ok).toBe(true);
    const after = await userByEmail(victim);
    expect(after!.emailVerifiedAt).toBeInstanceOf(Date);
    expect(after!.passwordHash).toBeNull();
    expect((await new TestClient(app).postForm("/login", { email: victim, password: "squatter password" })).status).toBe(422);
  });

  test("an invited sign-up is signed in at once: the invitation link already proved the mailbox", async () => {
    config.smtpUrl = smtp.url;
    const { organization, user: owner } = await createOwner({ orgName: "Mailbox Proof" });
    const token = randomToken(24);
    const email = uniqueEmail("invited");
    await db.insert(invitations).values({
      organizationId: organization.id,
      email,
      role: "agent",
      tokenHash: sha256Hex(token),
      invitedBy: owner.id,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const client = new TestClient(app);
    const res = await client.postForm("/signup", { name: "Invitee", email, password: PASSWORD, invite: token });
    expect([res.status, res.headers.get("location")]).toEqual([303, "/"]);
    expect(client.cookies.has("lc_session")).toBe(true);
    expect((await userByEmail(email))!.emailVerifiedAt).toBeInstanceOf(Date);
  });
});
