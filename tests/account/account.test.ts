import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { createSession, SESSION_COOKIE, validateSessionToken } from "@/auth/session";
import { db } from "@/db/client";
import { auditLogs, sessions, users } from "@/db/schema";
import { STEP_UP_LIMIT } from "@/features/account/two-factor.service";
import { TestClient } from "../helpers/client";
import { createUser } from "@/features/auth/auth.service";
import { createOwner, signIn, uniqueEmail } from "../helpers/factories";

const app = createApp();
const PASSWORD = "correct horse battery";

/** A signed-in client whose session carries an IP and user agent, like one made by /login. */
async function browserSession(userId: string, organizationId: string | null, meta: { ip: string; userAgent: string }) {
  const client = new TestClient(app);
  const { token, session } = await createSession(userId, { activeOrganizationId: organizationId, ...meta });
  client.cookies.set(SESSION_COOKIE, token);
  return { client, session };
}

describe("account pages when signed out", () => {
  test("every page and form sends the visitor to sign in", async () => {
    const visitor = new TestClient(app);
    for (const path of ["/account", "/account/sessions", "/account/two-factor"]) {
      const res = await visitor.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    for (const path of ["/account/profile", "/account/password", "/account/sessions/revoke-others", "/account/two-factor/setup"]) {
      const res = await visitor.postForm(path, {});
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/login");
    }
  });
});

describe("profile", () => {
  test("name, avatar URL, language and an IANA time zone are saved (post → redirect → get) and audited", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    const page = await client.get("/account");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('action="/account/profile"');
    expect(html).toContain('<option value="America/Sao_Paulo"');
    expect(html).toContain('href="/account"'); // the header links here

    const res = await client.postForm("/account/profile", {
      name: "  Ana Souza ",
      avatarUrl: "https://cdn.example.test/ana.png",
      language: "pt-BR",
      timeZone: "america/sao_paulo",
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/account");
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row!.name).toBe("Ana Souza");
    expect(row!.avatarUrl).toBe("https://cdn.example.test/ana.png");
    expect(row!.language).toBe("pt-BR");
    expect(row!.timeZone).toBe("America/Sao_Paulo"); // canonical spelling

    const after = await (await client.get("/account")).text();
    expect(after).toContain("Profile saved.");
    expect(after).toContain('src="https://cdn.example.test/ana.png"');
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "account.profile_updated"), eq(auditLogs.actorId, user.id)));
    expect(audit!.organizationId).toBe(organization.id);
    expect((audit!.details as { fields: string[] }).fields.sort()).toEqual(["avatarUrl", "language", "name", "timeZone"]);
  });

  test("without an avatar URL the initials are shown", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    await client.postForm("/account/profile", { name: "Bruno Lima", avatarUrl: "", language: "en", timeZone: "UTC" });
    const html = await (await client.get("/account")).text();
    expect(html).toContain(">BL</span>");
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row!.avatarUrl).toBeNull();
  });

  test("unknown time zones and languages, offsets and non-https avatars are 422 with field errors; nothing is saved", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    const cases: [Record<string, string>, string][] = [
      [{ name: "X", language: "en", timeZone: "Mars/Olympus_Mons" }, "timeZone"],
      [{ name: "X", language: "en", timeZone: "+03:00" }, "timeZone"],
      [{ name: "X", language: "fr", timeZone: "UTC" }, "language"],
      [{ name: "X", language: "en", timeZone: "UTC", avatarUrl: "javascript:alert(1)" }, "avatarUrl"],
      [{ name: "X", language: "en", timeZone: "UTC", avatarUrl: "http://plain.example.test/a.png" }, "avatarUrl"],
      [{ name: "   ", language: "en", timeZone: "UTC" }, "name"],
    ];
    for (const [form, field] of cases) {
      const res = await client.postForm("/account/profile", form);
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain(`id="f-${field}-error"`);
    }
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row!.name).toBe("Test Owner");
    expect(row!.timeZone).toBeNull(); // still following the organization's zone
    expect(row!.language).toBe("en");
  });

  test("a typed value is re-rendered escaped", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    const res = await client.postForm("/account/profile", { name: `"><script>alert(1)</script>`, language: "xx", timeZone: "UTC" });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).not.toContain("<script>alert(1)</script>");
  });
});

describe("change password", () => {
  test("needs the current password; ends every other session but this one; the new password signs in", async () => {
    const { user, organization } = await createOwner();
    const { client, session: current } = await browserSession(user.id, organization.id, { ip: "198.51.100.1", userAgent: "Firefox" });
    const other = await browserSession(user.id, organization.id, { ip: "198.51.100.2", userAgent: "Chrome" });

    const wrong = await client.postForm("/account/password", {
      currentPassword: "not it",
      newPassword: "a brand new secret",
      confirmPassword: "a brand new secret",
    });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain("Incorrect password.");
    const mismatch = await client.postForm("/account/password", {
      currentPassword: PASSWORD,
      newPassword: "a brand new secret",
      confirmPassword: "another one",
    });
    expect(mismatch.status).toBe(422);
    const short = await client.postForm("/account/password", { currentPassword: PASSWORD, newPassword: "short", confirmPassword: "short" });
    expect(short.status).toBe(422);
    expect(await validateSessionToken(other.client.cookies.get(SESSION_COOKIE)!)).not.toBeNull();

    const ok = await client.postForm("/account/password", {
      currentPassword: PASSWORD,
      newPassword: "a brand new secret",
      confirmPassword: "a brand new secret",
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/account");
    expect(await (await client.get("/account")).text()).toContain("1 other session was signed out.");
    expect(await validateSessionToken(other.client.cookies.get(SESSION_COOKIE)!)).toBeNull();
    expect((await other.client.get("/account")).status).toBe(303);
    expect((await validateSessionToken(client.cookies.get(SESSION_COOKIE)!))!.session.id).toBe(current.id);

    const oldLogin = await new TestClient(app).postForm(
      "/login",
      { email: user.email, password: PASSWORD },
      { headers: { "x-forwarded-for": "198.51.100.9" } },
    );
    expect(oldLogin.status).toBe(422);
    const newLogin = await new TestClient(app).postForm(
      "/login",
      { email: user.email, password: "a brand new secret" },
      { headers: { "x-forwarded-for": "198.51.100.9" } },
    );
    expect(newLogin.status).toBe(303);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "account.password_changed"), eq(auditLogs.actorId, user.id)));
    expect(audit!.details).toEqual({ endedSessions: 1 });
  });

  test("guessing the current password is throttled per user, atomically: 25 parallel guesses are at most 10 checks", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    const guesses = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        client.postForm("/account/password", { currentPassword: `guess ${i}`, newPassword: "a brand new secret", confirmPassword: "a brand new secret" }),
      ),
    );
    const statuses = guesses.map((r) => r.status);
    expect(statuses.filter((s) => s === 422).length).toBe(STEP_UP_LIMIT.maxAttempts);
    expect(statuses.filter((s) => s === 429).length).toBe(25 - STEP_UP_LIMIT.maxAttempts);
    const limited = guesses.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Even the right password waits for the window now.
    const right = await client.postForm("/account/password", {
      currentPassword: PASSWORD,
      newPassword: "a brand new secret",
      confirmPassword: "a brand new secret",
    });
    expect(right.status).toBe(429);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(await Bun.password.verify(PASSWORD, row!.passwordHash!)).toBe(true);
  });

  test("an account created through a provider sets its first password without a current one", async () => {
    const { user, organization } = await createOwner();
    await db.update(users).set({ passwordHash: null }).where(eq(users.id, user.id));
    const client = await signIn(app, user.id, organization.id);
    expect(await (await client.get("/account")).text()).toContain("Set a password");
    const res = await client.postForm("/account/password", { newPassword: "first password here", confirmPassword: "first password here" });
    expect(res.status).toBe(303);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(await Bun.password.verify("first password here", row!.passwordHash!)).toBe(true);
  });
});

describe("sessions", () => {
  test("lists created, last seen, IP and user agent with the current one marked; signs out one, then everywhere else", async () => {
    const { user, organization } = await createOwner();
    const me = await browserSession(user.id, organization.id, { ip: "192.0.2.10", userAgent: "Mozilla/5.0 (X11; Linux) Firefox/140.0" });
    const phone = await browserSession(user.id, organization.id, { ip: "192.0.2.11", userAgent: "Mozilla/5.0 (iPhone) Safari/17" });
    const laptop = await browserSession(user.id, null, { ip: "192.0.2.12", userAgent: "Mozilla/5.0 (Macintosh) Chrome/130" });

    const page = await me.client.get("/account/sessions");
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const s of [me, phone, laptop]) expect(html).toContain(`data-session="${s.session.publicId}"`);
    expect(html).toContain("192.0.2.11");
    expect(html).toContain("iPhone");
    const currentRow = html.slice(html.indexOf(`data-session="${me.session.publicId}"`)).split("</tr>")[0]!;
    expect(currentRow).toContain("This browser");
    expect(currentRow).not.toContain("/revoke");
    // Session ids (hashes of cookie tokens) never reach the page.
    expect(html).not.toContain(me.session.id);

    const one = await me.client.postForm(`/account/sessions/${phone.session.publicId}/revoke`, {});
    expect(one.status).toBe(303);
    expect(one.headers.get("location")).toBe("/account/sessions");
    expect(await validateSessionToken(phone.client.cookies.get(SESSION_COOKIE)!)).toBeNull();
    expect(await validateSessionToken(laptop.client.cookies.get(SESSION_COOKIE)!)).not.toBeNull();

    const rest = await me.client.postForm("/account/sessions/revoke-others", {});
    expect(rest.status).toBe(303);
    expect(await (await me.client.get("/account/sessions")).text()).toContain("Signed out 1 other session.");
    expect(await validateSessionToken(laptop.client.cookies.get(SESSION_COOKIE)!)).toBeNull();
    expect(await validateSessionToken(me.client.cookies.get(SESSION_COOKIE)!)).not.toBeNull();
    const actions = (await db.select().from(auditLogs).where(eq(auditLogs.actorId, user.id))).map((a) => a.action);
    expect(actions).toContain("account.session_revoked");
    expect(actions).toContain("account.other_sessions_revoked");
  });

  test("another user's session, a malformed id and the current session are 404", async () => {
    const a = await createOwner();
    const b = await createOwner();
    const mine = await browserSession(a.user.id, a.organization.id, { ip: "192.0.2.20", userAgent: "A" });
    const theirs = await browserSession(b.user.id, b.organization.id, { ip: "192.0.2.21", userAgent: "B" });
    expect((await mine.client.postForm(`/account/sessions/${theirs.session.publicId}/revoke`, {})).status).toBe(404);
    expect((await mine.client.postForm("/account/sessions/not-a-uuid/revoke", {})).status).toBe(404);
    expect((await mine.client.postForm(`/account/sessions/${mine.session.publicId}/revoke`, {})).status).toBe(404);
    expect(await validateSessionToken(theirs.client.cookies.get(SESSION_COOKIE)!)).not.toBeNull();
    expect(await validateSessionToken(mine.client.cookies.get(SESSION_COOKIE)!)).not.toBeNull();
  });

  test("a hostile user agent is shown as text", async () => {
    const { user, organization } = await createOwner();
    const me = await browserSession(user.id, organization.id, { ip: "192.0.2.40", userAgent: "A" });
    await browserSession(user.id, organization.id, { ip: "192.0.2.41", userAgent: `<img src=x onerror=alert(1)>"><script>alert(2)</script>` });
    const html = await (await me.client.get("/account/sessions")).text();
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<script>alert(2)");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  test("last seen moves when a stale session is used", async () => {
    const { user, organization } = await createOwner();
    const { client, session } = await browserSession(user.id, organization.id, { ip: "192.0.2.30", userAgent: "A" });
    const longAgo = new Date(Date.now() - 60 * 60 * 1000);
    await db.update(sessions).set({ lastSeenAt: longAgo }).where(eq(sessions.id, session.id));
    expect((await client.get("/account")).status).toBe(200);
    const [row] = await db.select().from(sessions).where(eq(sessions.id, session.id));
    expect(Date.now() - row!.lastSeenAt!.getTime()).toBeLessThan(60_000);
  });

  test("a user without an organization can still manage their account", async () => {
    const lone = await createUser({ email: uniqueEmail("lone"), password: PASSWORD, name: "Lone" });
    const client = await signIn(app, lone.id);
    const res = await client.get("/account/sessions");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("This browser");
  });
});
