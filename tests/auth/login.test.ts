import { describe, expect, test } from "bun:test";
import { and, eq, like } from "drizzle-orm";
import { Elysia } from "elysia";
import { createApp, type App } from "@/app";
import { authPlugin } from "@/auth/plugin";
import { validateSessionToken } from "@/auth/session";
import { db } from "@/db/client";
import { config } from "@/config";
import { auditLogs, loginAttempts, sessions, users } from "@/db/schema";
import { safeNextPath } from "@/lib/next-path";
import { LOGIN_THROTTLE, pairBucket } from "@/features/auth/login-throttle";
import { TestClient } from "../helpers/client";
import { createOwner, uniqueEmail } from "../helpers/factories";
import { served } from "../helpers/served";

// Over a real socket with loopback as the trusted proxy, so each test's X-Forwarded-For is its client address.
config.trustedProxies = ["loopback"];
const app = served(
  createApp().use(
    new Elysia().use(authPlugin).get("/__whoami", ({ admin }) => ({ user: admin.user.email, org: admin.organization.id }), { member: "agent" }),
  ) as unknown as App,
);

const PASSWORD = "correct horse battery";
let ipSeq = 0;
/** Each test gets its own client IP so the per-IP bucket of one test does not leak into another. */
const freshIp = () => `203.0.113.${++ipSeq}`;

function login(client: TestClient, email: string, password: string, ip: string, extra: Record<string, string> = {}) {
  return client.postForm("/login", { email, password, ...extra }, { headers: { "x-forwarded-for": ip } });
}

describe("password sign-in", () => {
  test("right password: session cookie for the user's organization, lastLoginAt and audit", async () => {
    const { user, organization } = await createOwner();
    const client = new TestClient(app);
    const page = await client.get("/login");
    expect(page.status).toBe(200);
    const ip = freshIp();
    const res = await login(client, user.email, PASSWORD, ip);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("lc_session="))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);

    const session = await validateSessionToken(client.cookies.get("lc_session")!);
    expect(session!.user.id).toBe(user.id);
    expect(session!.session.activeOrganizationId).toBe(organization.id);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row!.lastLoginAt).toBeInstanceOf(Date);
    expect((await client.get("/__whoami")).status).toBe(200);

    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_in"), eq(auditLogs.actorId, user.id)));
    expect(audit!.organizationId).toBe(organization.id);
    expect(audit!.ip).toBe(ip);
    expect(session!.session.ip).toBe(ip);
  });

  test("email is matched case-insensitively", async () => {
    const { user } = await createOwner();
    const client = new TestClient(app);
    expect((await login(client, `  ${user.email.toUpperCase()} `, PASSWORD, freshIp())).status).toBe(303);
  });

  test("wrong password and unknown email get the same generic 422, no session, and an audit row", async () => {
    const { user, organization } = await createOwner();
    const ip = freshIp();
    const wrong = await login(new TestClient(app), user.email, "not the password", ip);
    const unknown = await login(new TestClient(app), uniqueEmail("nobody"), "not the password", ip);
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(422);
      expect(res.headers.getSetCookie().some((c) => c.startsWith("lc_session="))).toBe(false);
      const html = await res.text();
      expect(html).toContain("Incorrect email or password.");
      expect(html).not.toContain("not the password");
    }
    const failed = await db.select().from(auditLogs).where(eq(auditLogs.action, "auth.sign_in_failed"));
    const forUser = failed.find((a) => a.actorId === user.id);
    expect(forUser!.organizationId).toBe(organization.id);
    expect(failed.some((a) => a.actorType === "system" && a.organizationId === null)).toBe(true);
  });

  test("empty fields re-render with 422 field errors and keep the email", async () => {
    const client = new TestClient(app);
    const res = await client.postForm("/login", { email: "typo@", password: "" });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("Enter a valid email address");
    expect(html).toContain("Enter your password");
    expect(html).toContain('value="typo@"');
  });

  test("an OAuth-only account (no password) cannot sign in with a password", async () => {
    const email = uniqueEmail("oauth-only");
    const { createUser } = await import("@/features/auth/auth.service");
    await createUser({ email, password: null, name: "No Password" });
    const res = await login(new TestClient(app), email, "anything at all", freshIp());
    expect(res.status).toBe(422);
  });
});

describe("throttling", () => {
  test(`after ${LOGIN_THROTTLE.maxPerPair} failures for one email from one IP: 429 with Retry-After there, even with the right password; the owner still signs in from a clean IP`, async () => {
    const { user } = await createOwner();
    const attacker = freshIp();
    for (let i = 0; i < LOGIN_THROTTLE.maxPerPair; i++) {
      expect((await login(new TestClient(app), user.email, `wrong ${i}`, attacker)).status).toBe(422);
    }
    const blocked = await login(new TestClient(app), user.email, PASSWORD, attacker);
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LOGIN_THROTTLE.windowMs / 1000);
    expect(await blocked.text()).toContain("Too many failed sign-in attempts");
    expect(blocked.headers.getSetCookie().some((c) => c.startsWith("lc_session="))).toBe(false);
    // The real owner, elsewhere, is not locked out; other accounts from the attacker's address neither.
    expect((await login(new TestClient(app), user.email, PASSWORD, freshIp())).status).toBe(303);
    const other = await createOwner();
    expect((await login(new TestClient(app), other.user.email, PASSWORD, attacker)).status).toBe(303);
  }, 60_000);

  test("a flood of wrong passwords from many addresses cannot lock the owner out", async () => {
    const { user } = await createOwner();
    for (let i = 0; i < 3 * LOGIN_THROTTLE.maxPerPair; i++) await login(new TestClient(app), user.email, `wrong ${i}`, freshIp());
    expect((await login(new TestClient(app), user.email, PASSWORD, freshIp())).status).toBe(303);
  }, 60_000);

  test(`40 parallel wrong passwords are counted atomically: only ${LOGIN_THROTTLE.maxPerPair} are checked, the rest get 429`, async () => {
    const { user } = await createOwner();
    const ip = freshIp();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => login(new TestClient(app), user.email, `parallel ${i}`, ip)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 422)).toHaveLength(LOGIN_THROTTLE.maxPerPair);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40 - LOGIN_THROTTLE.maxPerPair);
    const checked = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_in_failed"), eq(auditLogs.actorId, user.id)));
    expect(checked).toHaveLength(LOGIN_THROTTLE.maxPerPair);
    expect((await login(new TestClient(app), user.email, PASSWORD, freshIp())).status).toBe(303);
  }, 60_000);

  test(`after ${LOGIN_THROTTLE.maxPerIp} failures from one IP: 429 for any email from that IP`, async () => {
    const ip = freshIp();
    for (let i = 0; i < LOGIN_THROTTLE.maxPerIp; i++) {
      expect((await login(new TestClient(app), uniqueEmail("spray"), "guess", ip)).status).toBe(422);
    }
    const { user } = await createOwner();
    const blocked = await login(new TestClient(app), user.email, PASSWORD, ip);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await login(new TestClient(app), user.email, PASSWORD, freshIp())).status).toBe(303);
  }, 60_000);

  test("a successful sign-in forgives the pair's failures and is not itself counted", async () => {
    const { user } = await createOwner();
    const ip = freshIp();
    for (let i = 0; i < 3; i++) await login(new TestClient(app), user.email, "wrong", ip);
    const bucket = pairBucket(user.email, ip);
    expect(await db.select().from(loginAttempts).where(eq(loginAttempts.bucket, bucket))).toHaveLength(3);
    expect((await login(new TestClient(app), user.email, PASSWORD, ip)).status).toBe(303);
    expect(await db.select().from(loginAttempts).where(eq(loginAttempts.bucket, bucket))).toHaveLength(0);
    // The IP bucket keeps the 3 failures (it covers other accounts too), not the success.
    expect(
      await db
        .select()
        .from(loginAttempts)
        .where(eq(loginAttempts.bucket, `ip:${ip}`)),
    ).toHaveLength(3);
  });

  test("without trusted proxies X-Forwarded-For is ignored: a forged header cannot buy fresh attempts", async () => {
    const { user } = await createOwner();
    config.trustedProxies = [];
    try {
      for (let i = 0; i < LOGIN_THROTTLE.maxPerPair; i++) await login(new TestClient(app), user.email, "wrong", freshIp());
      const blocked = await login(new TestClient(app), user.email, PASSWORD, freshIp());
      expect(blocked.status).toBe(429);
      expect(
        await db
          .select()
          .from(loginAttempts)
          .where(eq(loginAttempts.bucket, pairBucket(user.email, "127.0.0.1"))),
      ).toHaveLength(LOGIN_THROTTLE.maxPerPair);
    } finally {
      config.trustedProxies = ["loopback"];
      await db.delete(loginAttempts).where(like(loginAttempts.bucket, "%127.0.0.1%"));
    }
  }, 60_000);
});

describe("sign-out", () => {
  test("POST /logout deletes the session, clears the cookie, records it; the old token no longer works", async () => {
    const { user, organization } = await createOwner();
    const client = new TestClient(app);
    await login(client, user.email, PASSWORD, freshIp());
    const token = client.cookies.get("lc_session")!;
    const before = await validateSessionToken(token);
    expect(before).not.toBeNull();

    const res = await client.postForm("/logout", {});
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login");
    expect(client.cookies.has("lc_session")).toBe(false);
    expect(await db.select().from(sessions).where(eq(sessions.id, before!.session.id))).toHaveLength(0);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.sign_out"), eq(auditLogs.actorId, user.id)));
    expect(audit!.organizationId).toBe(organization.id);

    // Replaying the stolen cookie gets the login redirect.
    const replay = new TestClient(app);
    replay.cookies.set("lc_session", token);
    const denied = await replay.get("/__whoami");
    expect(denied.status).toBe(303);
    expect(denied.headers.get("location")).toStartWith("/login");
  });

  test("logout via htmx answers with HX-Redirect", async () => {
    const { user } = await createOwner();
    const client = new TestClient(app);
    await login(client, user.email, PASSWORD, freshIp());
    const res = await client.request("/logout", { method: "POST", htmx: true });
    expect(res.status).toBe(204);
    expect(res.headers.get("hx-redirect")).toBe("/login");
  });

  test("logout without a session just goes to the login page", async () => {
    const res = await new TestClient(app).postForm("/logout", {});
    expect(res.status).toBe(303);
  });
});

describe("CSRF", () => {
  test("POST /login without the token is refused with 403", async () => {
    const { user } = await createOwner();
    const client = new TestClient(app);
    const res = await client.postForm("/login", { email: user.email, password: PASSWORD }, { csrf: false });
    expect(res.status).toBe(403);
    expect(client.cookies.has("lc_session")).toBe(false);
  });

  test("the hidden _csrf form field is accepted instead of the header", async () => {
    const { user } = await createOwner();
    const client = new TestClient(app);
    const html = await (await client.get("/login")).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    const res = await client.postForm(
      "/login",
      { email: user.email, password: PASSWORD, _csrf: token },
      { csrf: false, headers: { "x-forwarded-for": freshIp() } },
    );
    expect(res.status).toBe(303);
  });

  test("POST /login and /signup from a foreign Origin are refused with 403", async () => {
    const { user } = await createOwner();
    const client = new TestClient(app);
    const headers = { origin: "https://evil.example" };
    expect((await client.postForm("/login", { email: user.email, password: PASSWORD }, { headers })).status).toBe(403);
    expect((await client.postForm("/signup", { name: "x", email: uniqueEmail(), password: PASSWORD, organizationName: "x" }, { headers })).status).toBe(403);
    expect((await client.postForm("/logout", {}, { headers })).status).toBe(403);
    expect(client.cookies.has("lc_session")).toBe(false);
  });
});

describe("next redirect", () => {
  test("a local next is followed after sign-in", async () => {
    const { user } = await createOwner();
    const client = new TestClient(app);
    const page = await (await client.get("/login?next=%2Fwebhooks%2Fabc%3Fpage%3D2")).text();
    expect(page).toContain('name="next" value="/webhooks/abc?page=2"');
    const res = await login(client, user.email, PASSWORD, freshIp(), { next: "/webhooks/abc?page=2" });
    expect(res.headers.get("location")).toBe("/webhooks/abc?page=2");
  });

  test("open redirects are refused", async () => {
    const { user } = await createOwner();
    for (const next of ["//evil.example/x", "https://evil.example", "/\\evil.example", "/%0d%0aLocation:x", "javascript:alert(1)", " /x"]) {
      const res = await login(new TestClient(app), user.email, PASSWORD, freshIp(), { next });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(next === "/%0d%0aLocation:x" ? "/%0d%0aLocation:x" : "/");
    }
  });

  test("safeNextPath keeps local paths and drops everything else", () => {
    expect(safeNextPath("/instances?x=1#top")).toBe("/instances?x=1#top");
    expect(safeNextPath("/")).toBe("/");
    for (const bad of [undefined, null, 42, "", "instances", "//evil", "/\\evil", "\\\\evil", "http://evil", "/\tx", "/\nx", "/x y", "/".repeat(1001)]) {
      expect(safeNextPath(bad)).toBe("/");
    }
  });
});
