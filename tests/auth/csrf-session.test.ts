import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { CSRF_COOKIE, sessionCsrfToken } from "@/auth/csrf";
import { SESSION_COOKIE, validateSessionToken } from "@/auth/session";
import { TestClient } from "../helpers/client";
import { createOwner, signIn } from "../helpers/factories";

const app = createApp();

/** The token a page hands its forms (`_csrf`) and htmx (`hx-headers`). */
async function pageToken(client: TestClient, path = "/"): Promise<string> {
  const html = await (await client.get(path)).text();
  return /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
}

const logout = (client: TestClient, token: string) => client.request("/logout", { method: "POST", headers: { "x-csrf-token": token }, csrf: false });

describe("CSRF token bound to the session", () => {
  test("signed-in pages carry the HMAC of the session id, not the lc_csrf cookie", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    const token = await pageToken(client);
    expect(token).toBe(sessionCsrfToken(client.cookies.get(SESSION_COOKIE)!));
    expect(token).not.toBe(client.cookies.get(CSRF_COOKIE));
  });

  test("a token valid for one session is refused for another session", async () => {
    const { user, organization } = await createOwner();
    const alice = await signIn(app, user.id, organization.id);
    const bob = await signIn(app, user.id, organization.id);
    const aliceToken = await pageToken(alice);
    const bobToken = await pageToken(bob);
    expect(aliceToken).not.toBe(bobToken);

    const refused = await logout(bob, aliceToken);
    expect(refused.status).toBe(403);
    expect(await validateSessionToken(bob.cookies.get(SESSION_COOKIE)!)).not.toBeNull();

    const accepted = await logout(bob, bobToken);
    expect(accepted.status).toBe(303);
    expect(bob.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  test("with a session, a matching double-submit cookie and header are not enough (an injected lc_csrf cookie forges nothing)", async () => {
    const { user, organization } = await createOwner();
    const client = await signIn(app, user.id, organization.id);
    const planted = "planted-by-a-sibling-subdomain-0";
    client.cookies.set(CSRF_COOKIE, planted);
    const res = await logout(client, planted);
    expect(res.status).toBe(403);
    expect(await validateSessionToken(client.cookies.get(SESSION_COOKIE)!)).not.toBeNull();
  });

  test("before sign-in the login form keeps its pre-session token; after sign-out that token works again for the forms", async () => {
    const client = new TestClient(app);
    const preSession = await pageToken(client, "/login");
    expect(preSession).toBe(client.cookies.get(CSRF_COOKIE)!);
    const { user, organization } = await createOwner();
    const signedIn = await signIn(app, user.id, organization.id);
    // The pre-session token of a signed-out browser means nothing to a signed-in one.
    expect((await logout(signedIn, signedIn.cookies.get(CSRF_COOKIE)!)).status).toBe(403);
    expect((await logout(signedIn, await pageToken(signedIn))).status).toBe(303);
    expect(await pageToken(signedIn, "/login")).toBe(signedIn.cookies.get(CSRF_COOKIE)!);
  });
});
