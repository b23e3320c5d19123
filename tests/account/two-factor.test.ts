import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import * as OTPAuth from "otpauth";
import { createApp } from "@/app";
import { SESSION_COOKIE, validateSessionToken } from "@/auth/session";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, oauthAccounts, organizations, recoveryCodes, signInChallenges, users } from "@/db/schema";
import { CHALLENGE_LIMIT, STEP_UP_LIMIT } from "@/features/account/two-factor.service";
import { encryptSecret, sha256Hex } from "@/lib/crypto";
import { TestClient } from "../helpers/client";
import { createMember, createOwner, signIn } from "../helpers/factories";

const app = createApp();
const PASSWORD = "correct horse battery";
let ipSeq = 0;
const freshIp = () => `203.0.113.${++ipSeq}`;

/** The code an authenticator app shows for `secret` at `at` (computed with the same RFC 6238 library). */
function codeFor(secret: string, at = Date.now()): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });
}

/** Two-factor on for the user without the pages (the enrolment test covers those). */
async function enableTotp(userId: string): Promise<string> {
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  await db
    .update(users)
    .set({ totpSecretEnc: encryptSecret(secret), totpEnabledAt: new Date() })
    .where(eq(users.id, userId));
  return secret;
}

function passwordStep(client: TestClient, email: string, next?: string) {
  return client.postForm("/login", { email, password: PASSWORD, ...(next ? { next } : {}) }, { headers: { "x-forwarded-for": freshIp() } });
}

describe("enrolment", () => {
  test("QR code and key shown, seed encrypted at rest, confirmed by a code; ten recovery codes shown once and stored hashed", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    const off = await (await client.get("/account/two-factor")).text();
    expect(off).toContain('action="/account/two-factor/setup"');

    const setup = await client.postForm("/account/two-factor/setup", {});
    expect(setup.status).toBe(303);
    expect(setup.headers.get("location")).toBe("/account/two-factor");
    const page = await (await client.get("/account/two-factor")).text();
    expect(page).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"[^>]*id="totp-qr"/);
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(page)![1]!;
    expect(secret.length).toBe(32); // 160 bits
    const [pending] = await db.select().from(users).where(eq(users.id, user.id));
    expect(pending!.totpPendingSecretEnc!.startsWith("v1.")).toBe(true);
    expect(pending!.totpPendingSecretEnc).not.toContain(secret);
    expect(pending!.totpEnabledAt).toBeNull();

    const wrong = await client.postForm("/account/two-factor/confirm", { code: "000000" === codeFor(secret) ? "111111" : "000000" });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain("That code is not valid.");

    const confirm = await client.postForm("/account/two-factor/confirm", { code: codeFor(secret) });
    expect(confirm.status).toBe(303);
    expect(confirm.headers.get("location")).toBe("/account/two-factor");
    const shown = await client.get("/account/two-factor");
    const html = await shown.text();
    expect(html).toContain("Two-factor authentication is on.");
    const list = /<pre id="recovery-code-list"[^>]*>([\s\S]*?)<\/pre>/.exec(html)![1]!.trim().split("\n");
    expect(list.length).toBe(10);
    for (const code of list) expect(code).toMatch(/^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
    expect(new Set(list).size).toBe(10);
    // Shown once: the next visit no longer has them.
    const again = await (await client.get("/account/two-factor")).text();
    expect(again).not.toContain("recovery-code-list");
    expect(again).toContain("10 unused recovery codes left.");

    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row!.totpEnabledAt).toBeInstanceOf(Date);
    expect(row!.totpPendingSecretEnc).toBeNull();
    expect(row!.totpSecretEnc!.startsWith("v1.")).toBe(true);
    expect(row!.totpSecretEnc).not.toContain(secret);
    const stored = await db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
    expect(stored.length).toBe(10);
    const storedText = JSON.stringify(stored);
    for (const code of list) {
      expect(storedText).not.toContain(code);
      expect(storedText).not.toContain(code.replace("-", ""));
    }
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "account.two_factor_enabled"), eq(auditLogs.actorId, user.id)));
    expect(audit!.organizationId).toBe(organization.id);
    expect((await client.postForm("/account/two-factor/setup", {})).status).toBe(409);
  });

  test("cancelling drops the waiting seed", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    await client.postForm("/account/two-factor/setup", {});
    expect((await client.postForm("/account/two-factor/cancel", {})).status).toBe(303);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row!.totpPendingSecretEnc).toBeNull();
    expect((await client.postForm("/account/two-factor/confirm", { code: "123456" })).status).toBe(422);
  });
});

describe("sign-in with two-factor on", () => {
  test("the password step yields a short-lived challenge, not a session; the right code opens the session and goes on", async () => {
    const { user, organization } = await createOwner();
    const secret = await enableTotp(user.id);
    const client = new TestClient(app);
    const res = await passwordStep(client, user.email, "/instances");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/two-factor");
    const cookies = res.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    const challengeCookie = cookies.find((c) => c.startsWith("lc_2fa="))!;
    expect(challengeCookie).toMatch(/Path=\/two-factor/);
    expect(challengeCookie).toMatch(/HttpOnly/i);
    expect(challengeCookie).toMatch(new RegExp(`Max-Age=${CHALLENGE_LIMIT.ttlMs / 1000}`));

    // The challenge is no session: the admin still wants a sign-in, even presented as one.
    expect((await client.get("/instances")).status).toBe(303);
    expect(await validateSessionToken(client.cookies.get("lc_2fa")!)).toBeNull();
    const [challenge] = await db.select().from(signInChallenges).where(eq(signInChallenges.userId, user.id));
    expect(challenge!.id).toBe(sha256Hex(client.cookies.get("lc_2fa")!));
    expect(challenge!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(CHALLENGE_LIMIT.ttlMs);

    expect((await client.get("/two-factor")).status).toBe(200);
    const wrong = await client.postForm("/two-factor", { code: codeFor(secret, Date.now() - 5 * 60_000) });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain(`${CHALLENGE_LIMIT.maxAttempts - 1} attempts left`);
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);

    const code = codeFor(secret);
    const ok = await client.postForm("/two-factor", { code: `${code.slice(0, 3)} ${code.slice(3)}` });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/instances");
    expect(client.cookies.has("lc_2fa")).toBe(false);
    const session = await validateSessionToken(client.cookies.get(SESSION_COOKIE)!);
    expect(session!.user.id).toBe(user.id);
    expect(session!.session.activeOrganizationId).toBe(organization.id);
    expect((await client.get("/instances")).status).toBe(200);
    expect(await db.select().from(signInChallenges).where(eq(signInChallenges.userId, user.id))).toEqual([]);
    const signIns = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_in"), eq(auditLogs.actorId, user.id)));
    expect(signIns.map((a) => a.details)).toEqual([{ method: "password", secondFactor: "totp" }]);
    const failed = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.second_factor_failed"), eq(auditLogs.actorId, user.id)));
    expect(failed.length).toBe(1);

    // The same code cannot be replayed within its window.
    const replay = new TestClient(app);
    await passwordStep(replay, user.email);
    expect((await replay.postForm("/two-factor", { code })).status).toBe(422);
  });

  test("a recovery code signs in once", async () => {
    const { user, organization } = await createOwner();
    const first = await signIn(app, user.id, organization.id);
    await first.postForm("/account/two-factor/setup", {});
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(await (await first.get("/account/two-factor")).text())![1]!;
    await first.postForm("/account/two-factor/confirm", { code: codeFor(secret) });
    const codes = /<pre id="recovery-code-list"[^>]*>([\s\S]*?)<\/pre>/
      .exec(await (await first.get("/account/two-factor")).text())![1]!
      .trim()
      .split("\n");

    const client = new TestClient(app);
    await passwordStep(client, user.email);
    const ok = await client.postForm("/two-factor", { code: codes[3]!.toLowerCase() });
    expect(ok.status).toBe(303);
    expect(client.cookies.has(SESSION_COOKIE)).toBe(true);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_in"), eq(auditLogs.actorId, user.id)));
    expect(audit!.details).toEqual({ method: "password", secondFactor: "recovery_code" });

    const again = new TestClient(app);
    await passwordStep(again, user.email);
    expect((await again.postForm("/two-factor", { code: codes[3]! })).status).toBe(422);
    expect(again.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(await (await first.get("/account/two-factor")).text()).toContain("9 unused recovery codes left.");
  });

  test("five wrong codes spend the challenge; parallel guesses cannot multiply the tries", async () => {
    const { user } = await createOwner();
    const secret = await enableTotp(user.id);
    const client = new TestClient(app);
    await passwordStep(client, user.email);
    const wrongCode = codeFor(secret, Date.now() - 10 * 60_000);
    const storm = await Promise.all(Array.from({ length: 30 }, () => client.postForm("/two-factor", { code: wrongCode })));
    const statuses = storm.map((r) => r.status);
    // Five tries: four answered "wrong, n left", the fifth and every later one sent back to sign in.
    expect(statuses.filter((s) => s === 422).length).toBe(CHALLENGE_LIMIT.maxAttempts - 1);
    expect(statuses.filter((s) => s === 303).length).toBe(30 - (CHALLENGE_LIMIT.maxAttempts - 1));
    for (const r of storm.filter((r) => r.status === 303)) expect(r.headers.get("location")).toBe("/login");
    // Spent: even the right code now goes back to the password step.
    const late = await client.postForm("/two-factor", { code: codeFor(secret) });
    expect(late.status).toBe(303);
    expect(late.headers.get("location")).toBe("/login");
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row!.verifyAttempts).toBe(CHALLENGE_LIMIT.maxAttempts);
  });

  test("the user's budget spans challenges: after ten wrong codes even a fresh sign-in is 429 with Retry-After", async () => {
    const { user } = await createOwner();
    const secret = await enableTotp(user.id);
    const wrongCode = codeFor(secret, Date.now() - 10 * 60_000);
    for (let round = 0; round < 2; round++) {
      const client = new TestClient(app);
      await passwordStep(client, user.email);
      for (let i = 0; i < CHALLENGE_LIMIT.maxAttempts; i++) await client.postForm("/two-factor", { code: wrongCode });
    }
    const client = new TestClient(app);
    await passwordStep(client, user.email);
    const limited = await client.postForm("/two-factor", { code: codeFor(secret) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(STEP_UP_LIMIT.windowSeconds - 60);
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  test("an expired challenge or none at all goes back to sign in", async () => {
    const { user } = await createOwner();
    const secret = await enableTotp(user.id);
    expect((await new TestClient(app).get("/two-factor")).headers.get("location")).toBe("/login");
    expect((await new TestClient(app).postForm("/two-factor", { code: "123456" })).headers.get("location")).toBe("/login");
    const client = new TestClient(app);
    await passwordStep(client, user.email);
    await db
      .update(signInChallenges)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(signInChallenges.userId, user.id));
    const page = await client.get("/two-factor");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login");
    const post = await client.postForm("/two-factor", { code: codeFor(secret) });
    expect(post.headers.get("location")).toBe("/login");
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  test("turning two-factor off needs the password and a code; then sign-in is one step again", async () => {
    const { user, organization } = await createOwner();
    const secret = await enableTotp(user.id);
    const client = await signIn(app, user.id, organization.id);
    const noPassword = await client.postForm("/account/two-factor/disable", { password: "wrong", code: codeFor(secret) });
    expect(noPassword.status).toBe(422);
    expect(await noPassword.text()).toContain("Incorrect password.");
    const noCode = await client.postForm("/account/two-factor/disable", { password: PASSWORD, code: "12345" });
    expect(noCode.status).toBe(422);
    const ok = await client.postForm("/account/two-factor/disable", { password: PASSWORD, code: codeFor(secret) });
    expect(ok.status).toBe(303);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row!.totpSecretEnc).toBeNull();
    expect(row!.totpEnabledAt).toBeNull();
    expect(await db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id))).toEqual([]);
    const login = await passwordStep(new TestClient(app), user.email);
    expect(login.headers.get("location")).toBe("/");
    expect(login.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(true);
  });

  test("new recovery codes replace the old ones", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    await client.postForm("/account/two-factor/setup", {});
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(await (await client.get("/account/two-factor")).text())![1]!;
    await client.postForm("/account/two-factor/confirm", { code: codeFor(secret) });
    const old = /<pre id="recovery-code-list"[^>]*>([\s\S]*?)<\/pre>/
      .exec(await (await client.get("/account/two-factor")).text())![1]!
      .trim()
      .split("\n");
    expect((await client.postForm("/account/two-factor/recovery-codes", { code: "000000" })).status).toBe(422);
    const res = await client.postForm("/account/two-factor/recovery-codes", { code: old[0]! });
    expect(res.status).toBe(303);
    const fresh = /<pre id="recovery-code-list"[^>]*>([\s\S]*?)<\/pre>/
      .exec(await (await client.get("/account/two-factor")).text())![1]!
      .trim()
      .split("\n");
    expect(fresh.length).toBe(10);
    const signInWith = async (code: string) => {
      const c = new TestClient(app);
      await passwordStep(c, user.email);
      return (await c.postForm("/two-factor", { code })).status;
    };
    expect(await signInWith(old[1]!)).toBe(422);
    expect(await signInWith(fresh[0]!)).toBe(303);
  });
});

describe("OpenID Connect sign-in goes through the second factor too", () => {
  const CLIENT_ID = "livchat-2fa";
  const CLIENT_SECRET = "idp-secret";
  const grants = new Map<string, { sub: string; email: string; challenge: string }>();
  const tokens = new Map<string, { sub: string; email: string }>();
  let person = { sub: "", email: "" };
  const idp = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/authorize") {
        const code = randomBytes(12).toString("base64url");
        grants.set(code, { ...person, challenge: url.searchParams.get("code_challenge")! });
        const back = new URL(url.searchParams.get("redirect_uri")!);
        back.searchParams.set("code", code);
        back.searchParams.set("state", url.searchParams.get("state")!);
        return new Response(null, { status: 302, headers: { location: back.toString() } });
      }
      if (url.pathname === "/token") {
        const form = new URLSearchParams(await req.text());
        const grant = grants.get(form.get("code") ?? "");
        const verifier = form.get("code_verifier") ?? "";
        if (!grant || createHash("sha256").update(verifier).digest("base64url") !== grant.challenge)
          return Response.json({ error: "invalid_grant" }, { status: 400 });
        const accessToken = randomBytes(16).toString("base64url");
        tokens.set(accessToken, grant);
        return Response.json({ access_token: accessToken, token_type: "Bearer", expires_in: 3600 });
      }
      if (url.pathname === "/userinfo") {
        const who = tokens.get((req.headers.get("authorization") ?? "").replace(/^Bearer /, ""));
        if (!who) return new Response(null, { status: 401 });
        return Response.json({ sub: who.sub, email: who.email, email_verified: true, name: "Via IdP" });
      }
      return new Response("not found", { status: 404 });
    },
  });
  const base = `http://127.0.0.1:${idp.port}`;
  beforeAll(() => {
    config.oauth.oidc = {
      name: "Test IdP",
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      authorizationUrl: `${base}/authorize`,
      tokenUrl: `${base}/token`,
      userinfoUrl: `${base}/userinfo`,
    };
  });
  afterAll(() => {
    config.oauth.oidc = undefined;
    idp.stop(true);
  });

  test("a linked account with two-factor gets a challenge, and the code opens the session", async () => {
    const { user } = await createOwner();
    const secret = await enableTotp(user.id);
    await db.insert(oauthAccounts).values({ provider: "oidc", providerUserId: "idp-user-1", userId: user.id });
    person = { sub: "idp-user-1", email: user.email };
    const client = new TestClient(app);
    const begin = await client.get("/login/oidc?next=/contacts");
    const atIdp = await fetch(begin.headers.get("location")!, { redirect: "manual" });
    const callback = new URL(atIdp.headers.get("location")!);
    const res = await client.get(`${callback.pathname}${callback.search}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/two-factor");
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
    const ok = await client.postForm("/two-factor", { code: codeFor(secret) });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/contacts");
    expect((await validateSessionToken(client.cookies.get(SESSION_COOKIE)!))!.user.id).toBe(user.id);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_in"), eq(auditLogs.actorId, user.id)));
    expect(audit!.details).toEqual({ method: "oidc", secondFactor: "totp" });
  });
});

describe("organization setting: require two-factor for admins and owners", () => {
  test("only an admin who has two-factor may require it; admins and owners without it are sent to enrol, agents are not", async () => {
    const { user: owner, organization } = await createOwner();
    const ownerClient = await signIn(app, owner.id, organization.id);
    const settings = await (await ownerClient.get("/settings")).text();
    expect(settings).toContain('action="/settings/security"');

    const refused = await ownerClient.postForm("/settings/security", { requireTwoFactor: "on" });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("Turn on two-factor authentication for your own account before requiring it.");
    expect((await db.select().from(organizations).where(eq(organizations.id, organization.id)))[0]!.requireTwoFactor).toBe(false);

    await enableTotp(owner.id);
    const ok = await ownerClient.postForm("/settings/security", { requireTwoFactor: "on" });
    expect(ok.status).toBe(303);
    expect((await db.select().from(organizations).where(eq(organizations.id, organization.id)))[0]!.requireTwoFactor).toBe(true);
    expect((await ownerClient.get("/instances")).status).toBe(200);

    const admin = await createMember(organization.id, "admin");
    const adminClient = await signIn(app, admin.id, organization.id);
    for (const path of ["/", "/instances", "/settings"]) {
      const res = await adminClient.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/account/two-factor");
    }
    const htmx = await adminClient.get("/instances", { htmx: true });
    expect(htmx.headers.get("hx-redirect")).toBe("/account/two-factor");
    const enrol = await adminClient.get("/account/two-factor");
    expect(enrol.status).toBe(200);
    expect(await enrol.text()).toContain("requires two-factor authentication for admins and owners");

    const agent = await createMember(organization.id, "agent");
    expect((await (await signIn(app, agent.id, organization.id)).get("/instances")).status).toBe(200);

    // Enrolling lets the admin in.
    await enableTotp(admin.id);
    expect((await adminClient.get("/instances")).status).toBe(200);

    const off = await ownerClient.postForm("/settings/security", {});
    expect(off.status).toBe(303);
    expect((await db.select().from(organizations).where(eq(organizations.id, organization.id)))[0]!.requireTwoFactor).toBe(false);
    const audits = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "organization.two_factor_requirement_changed")));
    expect(audits.map((a) => a.details).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([{ required: false }, { required: true }]);
  });

  test("agents and supervisors cannot change it; signed out is sent to sign in; another organization's setting is untouched", async () => {
    const { user: owner, organization } = await createOwner();
    const other = await createOwner();
    await enableTotp(other.user.id);
    const supervisor = await createMember(organization.id, "supervisor");
    const res = await (await signIn(app, supervisor.id, organization.id)).postForm("/settings/security", { requireTwoFactor: "on" });
    expect(res.status).toBe(403);
    const visitor = await new TestClient(app).postForm("/settings/security", { requireTwoFactor: "on" });
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get("location")).toBe("/login");
    // The other owner's post changes only their own (active) organization.
    await (await signIn(app, other.user.id, other.organization.id)).postForm("/settings/security", { requireTwoFactor: "on" });
    expect((await db.select().from(organizations).where(eq(organizations.id, organization.id)))[0]!.requireTwoFactor).toBe(false);
    expect((await db.select().from(organizations).where(eq(organizations.id, other.organization.id)))[0]!.requireTwoFactor).toBe(true);
    expect((await (await signIn(app, owner.id, organization.id)).get("/instances")).status).toBe(200);
  });
});
