import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { validateSessionToken } from "@/auth/session";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, devices, instances, invitations, memberships, oauthAccounts, organizations, users } from "@/db/schema";
import { randomToken, sha256Hex, signValue } from "@/lib/crypto";
import { TestClient } from "../helpers/client";
import { createOwner, uniqueEmail } from "../helpers/factories";

/**
 * A small but real OAuth 2.0 / OpenID Connect provider on 127.0.0.1: authorization endpoint that
 * redirects back with code + state, token endpoint that checks client credentials (HTTP Basic) and
 * the PKCE S256 verifier, and a userinfo endpoint behind the issued bearer token.
 */
type Person = { sub: string; email?: string; email_verified?: unknown; name?: string };
const CLIENT_ID = "livchat-test";
const CLIENT_SECRET = "s3cret-value";
const codes = new Map<string, { person: Person; challenge: string; redirectUri: string }>();
const accessTokens = new Map<string, Person>();
const tokenRequests: { ok: boolean; reason?: string }[] = [];
let nextPerson: Person = { sub: "u-1" };

const b64url = (buf: Buffer) => buf.toString("base64url");
const oauthError = (status: number, error: string) => Response.json({ error }, { status });

const idp = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/authorize" && req.method === "GET") {
      const q = url.searchParams;
      if (q.get("client_id") !== CLIENT_ID || q.get("response_type") !== "code") return new Response("bad client", { status: 400 });
      if (q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) return new Response("PKCE required", { status: 400 });
      if (!q.get("scope")?.split(" ").includes("openid")) return new Response("openid scope required", { status: 400 });
      const redirectUri = q.get("redirect_uri")!;
      const code = b64url(randomBytes(16));
      codes.set(code, { person: nextPerson, challenge: q.get("code_challenge")!, redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state")!);
      return new Response(null, { status: 302, headers: { location: back.toString() } });
    }
    if (url.pathname === "/token" && req.method === "POST") {
      const auth = req.headers.get("authorization") ?? "";
      const [id, secret] = Buffer.from(auth.replace(/^Basic /, ""), "base64")
        .toString()
        .split(":")
        .map(decodeURIComponent);
      const form = new URLSearchParams(await req.text());
      const fail = (status: number, reason: string) => (
        tokenRequests.push({ ok: false, reason }), oauthError(status, reason === "client" ? "invalid_client" : "invalid_grant")
      );
      if (id !== CLIENT_ID || secret !== CLIENT_SECRET) return fail(401, "client");
      if (form.get("grant_type") !== "authorization_code") return fail(400, "grant_type");
      const grant = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? ""); // single use
      if (!grant) return fail(400, "code");
      if (form.get("redirect_uri") !== grant.redirectUri) return fail(400, "redirect_uri");
      const verifier = form.get("code_verifier") ?? "";
      if (b64url(createHash("sha256").update(verifier).digest()) !== grant.challenge) return fail(400, "pkce");
      const accessToken = b64url(randomBytes(24));
      accessTokens.set(accessToken, grant.person);
      tokenRequests.push({ ok: true });
      return Response.json({ access_token: accessToken, token_type: "Bearer", expires_in: 3600, scope: "openid profile email" });
    }
    if (url.pathname === "/userinfo" && req.method === "GET") {
      const person = accessTokens.get((req.headers.get("authorization") ?? "").replace(/^Bearer /, ""));
      if (!person) return new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
      return Response.json(person);
    }
    return new Response("not found", { status: 404 });
  },
});

const IDP = `http://127.0.0.1:${idp.port}`;
const app = createApp();

beforeAll(() => {
  config.oauth.oidc = {
    name: "Test IdP",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    authorizationUrl: `${IDP}/authorize`,
    tokenUrl: `${IDP}/token`,
    userinfoUrl: `${IDP}/userinfo`,
  };
});
afterEach(() => {
  config.signup = "open";
});
afterAll(() => {
  idp.stop(true);
});

/** /login/oidc → IdP authorize → back to our callback, following each redirect by hand. */
async function oidcSignIn(client: TestClient, person: Person, start = "/login/oidc") {
  nextPerson = person;
  const begin = await client.get(start);
  expect(begin.status).toBe(302);
  const authorize = new URL(begin.headers.get("location")!);
  expect(authorize.origin).toBe(IDP);
  expect(authorize.searchParams.get("redirect_uri")).toBe(`${config.appUrl}/login/oidc/callback`);
  const atIdp = await fetch(authorize, { redirect: "manual" });
  expect(atIdp.status).toBe(302);
  const callback = new URL(atIdp.headers.get("location")!);
  expect(`${callback.origin}${callback.pathname}`).toBe(`${config.appUrl}/login/oidc/callback`);
  return client.get(`${callback.pathname}${callback.search}`);
}

describe("generic OpenID Connect provider", () => {
  test("the login page shows a button only for configured providers", async () => {
    const html = await (await new TestClient(app).get("/login")).text();
    expect(html).toContain("Continue with Test IdP");
    expect(html).toContain('href="/login/oidc"');
    expect(html).not.toContain("/login/github");
    expect(html).not.toContain("/login/google");
    expect((await new TestClient(app).get("/login/github")).status).toBe(404);
    expect((await new TestClient(app).get("/login/github/callback?code=x&state=y")).status).toBe(404);
  });

  test("end to end: PKCE + state, first visit creates user, organization and link; the next visit signs in", async () => {
    const person = { sub: "idp-user-1", email: uniqueEmail("sso"), email_verified: true, name: "Grace Hopper" };
    const client = new TestClient(app);
    const before = tokenRequests.length;
    const res = await oidcSignIn(client, person, "/login/oidc?next=%2Finstances");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/instances");
    expect(tokenRequests.slice(before)).toEqual([{ ok: true }]);
    // The round-trip cookies are spent.
    for (const name of ["lc_oauth_state", "lc_oauth_verifier", "lc_oauth_next"]) expect(client.cookies.has(name)).toBe(false);

    const session = await validateSessionToken(client.cookies.get("lc_session")!);
    expect(session!.user.email).toBe(person.email);
    expect(session!.user.name).toBe("Grace Hopper");
    expect(session!.user.passwordHash).toBeNull();
    const [link] = await db.select().from(oauthAccounts).where(eq(oauthAccounts.userId, session!.user.id));
    expect([link!.provider, link!.providerUserId]).toEqual(["oidc", "idp-user-1"]);
    const [org] = await db.select().from(organizations).where(eq(organizations.ownerId, session!.user.id));
    expect(org!.name).toBe("Grace Hopper's organization");
    expect(session!.session.activeOrganizationId).toBe(org!.id);
    const [signUp] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_up"), eq(auditLogs.actorId, session!.user.id)));
    expect(signUp!.details).toMatchObject({ method: "oidc" });

    // Second visit (even with a changed email at the IdP) finds the same account through the link.
    const again = new TestClient(app);
    const second = await oidcSignIn(again, { ...person, email: uniqueEmail("changed") });
    expect(second.status).toBe(303);
    const s2 = await validateSessionToken(again.cookies.get("lc_session")!);
    expect(s2!.user.id).toBe(session!.user.id);
    expect(await db.select().from(users).where(eq(users.email, person.email))).toHaveLength(1);
    const signIns = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_in"), eq(auditLogs.actorId, session!.user.id)));
    expect(signIns).toHaveLength(1);
    expect(signIns[0]!.details).toMatchObject({ method: "oidc" });
  });

  test("a verified email links to the existing password account", async () => {
    const { user, organization } = await createOwner();
    const client = new TestClient(app);
    const res = await oidcSignIn(client, { sub: "idp-link", email: user.email.toUpperCase(), email_verified: true, name: "Owner" });
    expect(res.status).toBe(303);
    const session = await validateSessionToken(client.cookies.get("lc_session")!);
    expect(session!.user.id).toBe(user.id);
    expect(session!.session.activeOrganizationId).toBe(organization.id);
    const links = await db.select().from(oauthAccounts).where(eq(oauthAccounts.userId, user.id));
    expect(links.map((l) => l.providerUserId)).toEqual(["idp-link"]);
  });

  test("an unverified email is never linked to an existing account (and the refusal does not say the account exists)", async () => {
    const { user } = await createOwner();
    const client = new TestClient(app);
    const res = await oidcSignIn(client, { sub: "idp-squatter", email: user.email, email_verified: false, name: "Squatter" });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain("no verified email address");
    expect(html).not.toContain("already exists");
    expect(client.cookies.has("lc_session")).toBe(false);
    expect(await db.select().from(oauthAccounts).where(eq(oauthAccounts.userId, user.id))).toHaveLength(0);
  });

  test('email_verified must be exactly true: absent, false or the string "true" create no account', async () => {
    for (const [i, claim] of [undefined, false, "true", 1].entries()) {
      const email = uniqueEmail(`unverified-${i}`);
      const person: Person = { sub: `idp-unverified-${i}`, email, name: "Nobody Verified" };
      if (claim !== undefined) person.email_verified = claim;
      const client = new TestClient(app);
      const res = await oidcSignIn(client, person);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("Verify your email there, then sign in again.");
      expect(client.cookies.has("lc_session")).toBe(false);
      expect(await db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
      expect(await db.select().from(oauthAccounts).where(eq(oauthAccounts.providerUserId, person.sub))).toHaveLength(0);
    }
  });

  test("an already linked account no longer signs in once the provider stops vouching for its email", async () => {
    const person = { sub: "idp-linked-then-unverified", email: uniqueEmail("was-verified"), email_verified: true, name: "Linked" };
    expect((await oidcSignIn(new TestClient(app), person)).status).toBe(303);
    const client = new TestClient(app);
    const { email_verified: _dropped, ...withoutClaim } = person;
    const res = await oidcSignIn(client, withoutClaim);
    expect(res.status).toBe(403);
    expect(client.cookies.has("lc_session")).toBe(false);
  });

  test("a tampered or replayed state is refused before any token exchange", async () => {
    const client = new TestClient(app);
    nextPerson = { sub: "idp-state", email: uniqueEmail("state"), email_verified: true };
    const begin = await client.get("/login/oidc");
    const authorize = new URL(begin.headers.get("location")!);
    const back = new URL((await fetch(authorize, { redirect: "manual" })).headers.get("location")!);
    const before = tokenRequests.length;

    back.searchParams.set("state", "forged-state");
    const forged = await client.get(`${back.pathname}${back.search}`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain("did not come from this browser");
    expect(tokenRequests.length).toBe(before);
    expect(client.cookies.has("lc_session")).toBe(false);

    // A callback in a browser that never started the sign-in (no state cookie) is refused too.
    const stranger = new TestClient(app);
    const res = await stranger.get(`/login/oidc/callback?code=abc&state=${authorize.searchParams.get("state")}`);
    expect(res.status).toBe(400);
  });

  test("a wrong PKCE verifier is rejected by the token endpoint and shown as a failed sign-in", async () => {
    const client = new TestClient(app);
    nextPerson = { sub: "idp-pkce", email: uniqueEmail("pkce"), email_verified: true };
    const begin = await client.get("/login/oidc");
    const back = new URL((await fetch(new URL(begin.headers.get("location")!), { redirect: "manual" })).headers.get("location")!);
    client.cookies.set("lc_oauth_verifier", "an-attacker-guessed-verifier-that-does-not-match-0000");
    const res = await client.get(`${back.pathname}${back.search}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("refused the sign-in (invalid_grant)");
    expect(tokenRequests.at(-1)).toEqual({ ok: false, reason: "pkce" });
    expect(client.cookies.has("lc_session")).toBe(false);
  });

  test("wrong client credentials are refused by the IdP and never crash the page", async () => {
    const original = config.oauth.oidc!.clientSecret;
    config.oauth.oidc!.clientSecret = "wrong";
    try {
      const res = await oidcSignIn(new TestClient(app), { sub: "idp-client", email: uniqueEmail("client"), email_verified: true });
      expect(res.status).toBe(400);
      expect(tokenRequests.at(-1)).toEqual({ ok: false, reason: "client" });
    } finally {
      config.oauth.oidc!.clientSecret = original;
    }
  });

  test("an unreachable IdP is a 502 page, not a 500", async () => {
    const original = config.oauth.oidc!.tokenUrl;
    const dead = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const deadUrl = `http://127.0.0.1:${dead.port}/token`;
    dead.stop(true);
    config.oauth.oidc!.tokenUrl = deadUrl;
    try {
      const res = await oidcSignIn(new TestClient(app), { sub: "idp-dead", email: uniqueEmail("dead"), email_verified: true });
      expect(res.status).toBe(502);
      expect(await res.text()).toContain("Could not reach the sign-in provider");
    } finally {
      config.oauth.oidc!.tokenUrl = original;
    }
  });

  test("the user refusing consent at the IdP lands on the login page with a message", async () => {
    const client = new TestClient(app);
    await client.get("/login/oidc");
    const res = await client.get("/login/oidc/callback?error=access_denied&state=whatever");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("cancelled or refused");
  });

  test("new accounts through OIDC follow SIGNUP=closed; existing linked accounts still sign in", async () => {
    const linked = { sub: "idp-closed-linked", email: uniqueEmail("linked"), email_verified: true, name: "Linked" };
    expect((await oidcSignIn(new TestClient(app), linked)).status).toBe(303);
    config.signup = "closed";
    const stranger = { sub: "idp-closed-new", email: uniqueEmail("newcomer"), email_verified: true, name: "Newcomer" };
    const refused = await oidcSignIn(new TestClient(app), stranger);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("Sign-up is closed");
    expect(await db.select().from(users).where(eq(users.email, stranger.email))).toHaveLength(0);
    expect((await oidcSignIn(new TestClient(app), linked)).status).toBe(303);
  });

  test("SIGNUP=invite: the invitation link carries through the provider round trip", async () => {
    config.signup = "invite";
    const { organization, user } = await createOwner({ orgName: "SSO Inviters" });
    const token = randomToken(24);
    const email = uniqueEmail("sso-invitee");
    await db.insert(invitations).values({
      organizationId: organization.id,
      email,
      role: "admin",
      tokenHash: sha256Hex(token),
      invitedBy: user.id,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const signupPage = await (await new TestClient(app).get(`/signup?invite=${token}`)).text();
    expect(signupPage).toContain(`href="/login/oidc?invite=${token}"`);

    // Without the invitation the IdP account cannot create a user…
    const uninvited = await oidcSignIn(new TestClient(app), { sub: "idp-inv", email, email_verified: true, name: "Invitee" });
    expect(uninvited.status).toBe(403);
    // …with it, the user joins the inviting organization with the invited role.
    const client = new TestClient(app);
    const res = await oidcSignIn(client, { sub: "idp-inv", email, email_verified: true, name: "Invitee" }, `/login/oidc?invite=${token}`);
    expect(res.status).toBe(303);
    const session = await validateSessionToken(client.cookies.get("lc_session")!);
    const rows = await db.select().from(memberships).where(eq(memberships.userId, session!.user.id));
    expect(rows.map((r) => [r.organizationId, r.role])).toEqual([[organization.id, "admin"]]);
    expect(session!.session.activeOrganizationId).toBe(organization.id);
    const [inv] = await db
      .select()
      .from(invitations)
      .where(eq(invitations.tokenHash, sha256Hex(token)));
    expect(inv!.acceptedBy).toBe(session!.user.id);
  });

  test("an OIDC sign-up claims the visitor device too", async () => {
    const [device] = await db.insert(devices).values({ name: "Visitor", kind: "browser" }).returning();
    await db.insert(instances).values({ name: "Trial", createdByDeviceId: device!.id });
    const client = new TestClient(app);
    client.cookies.set("lc_device", signValue(device!.id));
    const res = await oidcSignIn(client, { sub: "idp-claim", email: uniqueEmail("claim"), email_verified: true, name: "Claimer" });
    expect(res.status).toBe(303);
    const session = await validateSessionToken(client.cookies.get("lc_session")!);
    const [m] = await db.select().from(memberships).where(eq(memberships.userId, session!.user.id));
    const [inst] = await db.select().from(instances).where(eq(instances.createdByDeviceId, device!.id));
    expect(inst!.organizationId).toBe(m!.organizationId);
  });
});

describe("GitHub and Google", () => {
  test("buttons and authorization redirects appear only when their credentials are configured", async () => {
    config.oauth.github = { clientId: "gh-client", clientSecret: "gh-secret" };
    config.oauth.google = { clientId: "g-client.apps.googleusercontent.com", clientSecret: "g-secret" };
    try {
      const html = await (await new TestClient(app).get("/login?next=%2Fusage")).text();
      expect(html).toContain("Continue with GitHub");
      expect(html).toContain("Continue with Google");
      expect(html).toContain('href="/login/github?next=%2Fusage"');

      const client = new TestClient(app);
      const gh = new URL((await client.get("/login/github")).headers.get("location")!);
      expect(`${gh.origin}${gh.pathname}`).toBe("https://github.com/login/oauth/authorize");
      expect(gh.searchParams.get("client_id")).toBe("gh-client");
      expect(gh.searchParams.get("redirect_uri")).toBe(`${config.appUrl}/login/github/callback`);
      expect(gh.searchParams.get("scope")).toBe("read:user user:email");
      expect(gh.searchParams.get("state")).toBe(client.cookies.get("lc_oauth_state")!);

      const go = new URL((await client.get("/login/google")).headers.get("location")!);
      expect(go.hostname).toBe("accounts.google.com");
      expect(go.searchParams.get("redirect_uri")).toBe(`${config.appUrl}/login/google/callback`);
      expect(go.searchParams.get("code_challenge_method")).toBe("S256");
      const verifier = client.cookies.get("lc_oauth_verifier")!;
      expect(go.searchParams.get("code_challenge")).toBe(createHash("sha256").update(verifier).digest("base64url"));
      expect(go.searchParams.get("scope")).toBe("openid profile email");
    } finally {
      config.oauth.github = undefined;
      config.oauth.google = undefined;
    }
    expect((await new TestClient(app).get("/login/google")).status).toBe(404);
  });
});
