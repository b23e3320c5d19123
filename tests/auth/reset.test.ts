import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { validateSessionToken } from "@/auth/session";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, sessions, users, userTokens } from "@/db/schema";
import { sha256Hex } from "@/lib/crypto";
import { backgroundMailSettled } from "@/lib/mailer";
import { TestClient } from "../helpers/client";
import { createOwner, signIn, uniqueEmail } from "../helpers/factories";
import { linkIn, startSmtpServer, type SmtpServer } from "../helpers/smtp";
import { waitFor } from "../helpers/wait";

const app = createApp();
const OLD = "correct horse battery";
const NEW = "a brand new passphrase";

let smtp: SmtpServer;
let platformAdmin: Awaited<ReturnType<typeof createOwner>>;
beforeAll(async () => {
  smtp = await startSmtpServer();
  platformAdmin = await createOwner({ orgName: "Operator" });
});
afterAll(() => smtp.stop());
afterEach(() => {
  config.smtpUrl = undefined;
});

const pathOf = (url: string) => new URL(url).pathname;

async function resetLinkByEmail(email: string): Promise<string> {
  const client = new TestClient(app);
  const res = await client.postForm("/password/forgot", { email });
  expect([res.status, res.headers.get("location")]).toEqual([303, "/login"]);
  return pathOf(linkIn(await smtp.waitFor(email, "Reset your LivChat password"), "/password/reset/"));
}

describe("password reset by email (SMTP)", () => {
  test("the same answer whether or not the address has an account; only a registered one gets a link", async () => {
    config.smtpUrl = smtp.url;
    const { user } = await createOwner();
    const nobody = uniqueEmail("nobody");
    const a = new TestClient(app);
    const b = new TestClient(app);
    const known = await a.postForm("/password/forgot", { email: user.email.toUpperCase() });
    const unknown = await b.postForm("/password/forgot", { email: nobody });
    expect([known.status, known.headers.get("location")]).toEqual([303, "/login"]);
    expect([unknown.status, unknown.headers.get("location")]).toEqual([known.status, known.headers.get("location")]);
    expect(await known.text()).toBe(await unknown.text());
    expect(a.cookies.get("lc_flash")).toBe(b.cookies.get("lc_flash")!);
    expect(decodeURIComponent(a.cookies.get("lc_flash")!)).toContain("If an account uses that address");

    const mail = await smtp.waitFor(user.email, "Reset your LivChat password");
    expect(mail.text).toContain("expires in 60 minutes");
    await backgroundMailSettled();
    expect(smtp.to(nobody)).toHaveLength(0);
    // Only the hash of the link's token is stored, valid for one hour.
    const token = linkIn(mail, "/password/reset/").split("/").pop()!;
    const [row] = await db
      .select()
      .from(userTokens)
      .where(eq(userTokens.tokenHash, sha256Hex(token)));
    expect(row!.purpose).toBe("password_reset");
    const ttl = row!.expiresAt.getTime() - row!.createdAt.getTime();
    expect(ttl).toBeGreaterThan(59 * 60_000);
    expect(ttl).toBeLessThanOrEqual(60 * 60_000 + 1000);
  });

  test("the link sets a new password once and ends every session of the account", async () => {
    config.smtpUrl = smtp.url;
    const { user, organization } = await createOwner();
    const laptop = await signIn(app, user.id, organization.id);
    const phone = await signIn(app, user.id, organization.id);
    const path = await resetLinkByEmail(user.email);

    const client = new TestClient(app);
    const form = await client.get(path);
    expect(form.status).toBe(200);
    expect(form.headers.get("cache-control")).toBe("no-store");
    expect(form.headers.get("referrer-policy")).toBe("same-origin");
    expect(await form.text()).toContain(user.email);

    const mismatch = await client.postForm(path, { password: NEW, confirm: "something else" });
    expect(mismatch.status).toBe(422);
    expect(await mismatch.text()).toContain("The two passwords differ");
    const short = await client.postForm(path, { password: "short", confirm: "short" });
    expect(short.status).toBe(422);

    const done = await client.postForm(path, { password: NEW, confirm: NEW });
    expect([done.status, done.headers.get("location")]).toEqual([303, "/login"]);
    for (const device of [laptop, phone]) expect(await validateSessionToken(device.cookies.get("lc_session")!)).toBeNull();
    expect(await db.select().from(sessions).where(eq(sessions.userId, user.id))).toHaveLength(0);

    expect((await new TestClient(app).postForm("/login", { email: user.email, password: OLD })).status).toBe(422);
    expect((await new TestClient(app).postForm("/login", { email: user.email, password: NEW })).status).toBe(303);

    // Single use.
    expect((await client.get(path)).status).toBe(410);
    expect((await client.postForm(path, { password: "yet another one!", confirm: "yet another one!" })).status).toBe(410);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.password_reset"), eq(auditLogs.targetId, user.id)));
    expect(audit!.details).toMatchObject({ sessionsEnded: 2 });
  });

  test("an expired link, a superseded link and a made-up one are refused", async () => {
    config.smtpUrl = smtp.url;
    const { user } = await createOwner();
    const first = await resetLinkByEmail(user.email);
    await db
      .update(userTokens)
      .set({ createdAt: new Date(Date.now() - 120_000) })
      .where(eq(userTokens.userId, user.id));
    await new TestClient(app).postForm("/password/forgot", { email: user.email });
    await waitFor(() => smtp.to(user.email).length >= 2, { what: "the second reset email" });
    const second = pathOf(linkIn(smtp.to(user.email)[1]!, "/password/reset/"));
    expect(second).not.toBe(first);
    const client = new TestClient(app);
    expect((await client.get(first)).status).toBe(410);
    await db
      .update(userTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(userTokens.userId, user.id));
    expect((await client.get(second)).status).toBe(410);
    expect((await client.postForm(second, { password: NEW, confirm: NEW })).status).toBe(410);
    expect((await client.get("/password/reset/made-up-token-that-is-long-enough")).status).toBe(410);
    expect((await client.get("/password/reset/x")).status).toBe(410);
  });

  test("asking again within a minute sends no second email", async () => {
    config.smtpUrl = smtp.url;
    const { user } = await createOwner();
    await resetLinkByEmail(user.email);
    await new TestClient(app).postForm("/password/forgot", { email: user.email });
    await backgroundMailSettled();
    expect(smtp.to(user.email)).toHaveLength(1);
  });

  test("resetting also confirms an address that was waiting for its confirmation link", async () => {
    config.smtpUrl = smtp.url;
    const { user } = await createOwner();
    await db.update(users).set({ emailVerifiedAt: null }).where(eq(users.id, user.id));
    const path = await resetLinkByEmail(user.email);
    expect((await new TestClient(app).postForm(path, { password: NEW, confirm: NEW })).status).toBe(303);
    const [after] = await db.select().from(users).where(eq(users.id, user.id));
    expect(after!.emailVerifiedAt).toBeInstanceOf(Date);
  });

  test("an invalid address re-renders with 422", async () => {
    config.smtpUrl = smtp.url;
    const res = await new TestClient(app).postForm("/password/forgot", { email: "not-an-email" });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("Enter a valid email address");
  });
});

describe("password reset without SMTP: a platform admin hands out the link", () => {
  test("the forgot page says to ask an administrator and sends nothing", async () => {
    const page = await new TestClient(app).get("/password/forgot");
    const html = await page.text();
    expect(html).toContain("cannot send email");
    expect(html).not.toContain('name="email"');
    const { user } = await createOwner();
    const res = await new TestClient(app).postForm("/password/forgot", { email: user.email });
    expect(res.status).toBe(409);
    expect(await db.select().from(userTokens).where(eq(userTokens.userId, user.id))).toHaveLength(0);
  });

  test("a platform admin creates a one-time link for a user; it works like the emailed one", async () => {
    const { user, organization } = await createOwner();
    const victimSession = await signIn(app, user.id, organization.id);
    const admin = await signIn(app, platformAdmin.user.id, platformAdmin.organization.id);
    const list = await admin.get(`/platform/users?q=${encodeURIComponent(user.email)}`);
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain(`/platform/users/${user.id}/reset-link`);
    expect(html).toContain("cannot send email");

    const created = await admin.postForm(`/platform/users/${user.id}/reset-link`, {});
    expect([created.status, created.headers.get("location")]).toEqual([303, `/platform/users?q=${encodeURIComponent(user.email)}`]);
    const shown = await admin.get(created.headers.get("location")!);
    expect(shown.headers.get("cache-control")).toBe("no-store");
    const shownHtml = await shown.text();
    // Shown once: a refresh does not show it again.
    expect(await (await admin.get(created.headers.get("location")!)).text()).not.toContain("/password/reset/");
    const match = shownHtml.match(/http:\/\/localhost:3000(\/password\/reset\/[A-Za-z0-9_-]{43})/);
    expect(match).not.toBeNull();
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.password_reset_link_created"), eq(auditLogs.targetId, user.id)));
    expect(audit!.actorId).toBe(platformAdmin.user.id);

    const client = new TestClient(app);
    expect((await client.postForm(match![1]!, { password: NEW, confirm: NEW })).status).toBe(303);
    expect(await validateSessionToken(victimSession.cookies.get("lc_session")!)).toBeNull();
    expect((await client.postForm("/login", { email: user.email, password: NEW })).status).toBe(303);
  });

  test("only platform admins create links; unknown users are 404; signed out goes to sign-in", async () => {
    const { user, organization } = await createOwner();
    const orgOwner = await signIn(app, user.id, organization.id);
    expect((await orgOwner.postForm(`/platform/users/${platformAdmin.user.id}/reset-link`, {})).status).toBe(403);
    expect((await orgOwner.get("/platform/users")).status).toBe(403);
    expect(await db.select().from(userTokens).where(eq(userTokens.userId, platformAdmin.user.id))).toHaveLength(0);
    const admin = await signIn(app, platformAdmin.user.id, platformAdmin.organization.id);
    expect((await admin.postForm(`/platform/users/${crypto.randomUUID()}/reset-link`, {})).status).toBe(404);
    expect((await admin.postForm(`/platform/users/nope/reset-link`, {})).status).toBe(404);
    const out = await new TestClient(app).postForm(`/platform/users/${user.id}/reset-link`, {});
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toStartWith("/login");
  });
});
