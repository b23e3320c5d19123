import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { config } from "@/config";
import { db } from "@/db/client";
import { apiKeys, auditLogs, webhooks } from "@/db/schema";
import { useBrowser } from "../helpers/browser";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { createOwner } from "../helpers/factories";
import { gate, waitFor } from "../helpers/wait";

/**
 * Real Chromium against the real app: the browser's cache, history and form submission are what
 * these behaviours are about, so nothing short of a browser shows them.
 */

const { server, browser } = await useBrowser();
let subscriber: ReturnType<typeof Bun.serve>;
let slow: ReturnType<typeof startSlowLink>;
const PASSWORD = "correct horse battery";
const ORG_NAME = "Acme Confidential Holdings";

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  subscriber = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
  slow = startSlowLink(server.url);
}, 30_000);
afterAll(async () => {
  subscriber?.stop(true);
  slow?.stop();
});

/**
 * The app behind a slow link: a real HTTP hop that hands each POST to the app at once but, after
 * `hold()`, answers the browser only on `release()`: the window in which a person's second click lands.
 */
function startSlowLink(target: string) {
  let holding: ReturnType<typeof gate> | undefined;
  let held = 0;
  const proxy = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const headers = new Headers(req.headers);
      // The app's same-origin check compares Origin with the Host it sees, which is this hop's.
      headers.delete("origin");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(target + url.pathname + url.search, { method: req.method, headers, body, redirect: "manual" });
      const payload = await res.arrayBuffer();
      if (req.method === "POST" && holding) {
        held++;
        await holding.wait;
      }
      return new Response(payload, { status: res.status, headers: res.headers });
    },
  });
  return {
    url: `http://127.0.0.1:${proxy.port}`,
    hold() {
      holding = gate();
      held = 0;
    },
    /** POST answers being held back since hold(). */
    held: () => held,
    release() {
      holding?.open();
      holding = undefined;
    },
    stop: () => {
      holding?.open();
      return proxy.stop(true);
    },
  };
}

/** Every request other than a GET the page sends from now on. */
/** The page's writes, leaving out the availability heartbeat the admin header sends on any activity (a click too). */
function requestsSent(page: Page): string[] {
  const sent: string[] = [];
  page.on("request", (r) => {
    if (r.method() !== "GET" && new URL(r.url()).pathname !== "/availability/heartbeat") sent.push(`${r.method()} ${r.url()}`);
  });
  return sent;
}

/** One rendered frame after the click's handlers ran: whatever they would send has been sent by now. */
const settled = (page: Page) => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));

/** Signs in through the login form, as a person would. */
async function signInThroughForm(page: Page, email: string, base = server.url) {
  await page.goto(`${base}/login`);
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", PASSWORD);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.click("button[type=submit]")]);
}

/** CSP violations and script errors show up as console errors or page errors. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

describe("in a browser", () => {
  test("Back after signing out shows the login page, not the admin page from cache", async () => {
    const { user } = await createOwner({ orgName: ORG_NAME });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signInThroughForm(page, user.email);
    await page.goto(`${server.url}/settings`);
    expect(await page.content()).toContain(ORG_NAME);

    await Promise.all([page.waitForURL((url) => url.pathname === "/login"), page.click("form[action='/logout'] button")]);
    await page.goBack();
    await page.waitForLoadState("load");
    expect(new URL(page.url()).pathname).toBe("/login");
    const html = await page.content();
    expect(html).not.toContain(ORG_NAME);
    expect(html).toContain('name="password"');
    expect(errors).toEqual([]);
    await context.close();
  }, 30_000);

  test("double-clicking Create and refreshing the result makes exactly one webhook endpoint; its secret is shown once", async () => {
    const { user, organization } = await createOwner();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signInThroughForm(page, user.email, slow.url);
    await page.goto(`${slow.url}/webhooks/new`);
    await page.fill("input[name=url]", `http://127.0.0.1:${subscriber.port}/hook`);
    await page.fill("input[name=name]", "Double click");
    // Two real clicks 150 ms apart while the first answer is still on its way.
    const submit = page.locator("#webhook-form button[type=submit]");
    await submit.scrollIntoViewIfNeeded();
    const box = (await submit.boundingBox())!;
    slow.hold();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await waitFor(() => slow.held() > 0, { what: "the first submit to reach the app" });
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    slow.release();
    await page.waitForURL(/\/webhooks\/[0-9a-f-]{36}$/);
    await page.waitForLoadState("load");
    const firstView = await page.content();
    expect(firstView).toContain("whsec_");

    await page.reload();
    await page.waitForLoadState("load");
    const afterRefresh = await page.content();
    // Refresh is a GET of the endpoint page: no second endpoint, and the secret is not shown again.
    expect(afterRefresh).not.toContain("whsec_");
    expect(afterRefresh).toContain("Double click");

    const rows = await db.select().from(webhooks).where(eq(webhooks.organizationId, organization.id));
    expect(rows).toHaveLength(1);
    const audited = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "webhook.created")));
    expect(audited).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  }, 30_000);

  test("an htmx form (API keys) double-clicked makes one key, shown once after the redirect", async () => {
    const { user, organization } = await createOwner();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signInThroughForm(page, user.email, slow.url);
    await page.goto(`${slow.url}/api-keys`);
    await page.fill("#api-key-form input[name=name]", "Double key");
    await page.check("#api-key-form input[name=scopes][value='*']");
    const submit = page.locator("#api-key-form button[type=submit]");
    await submit.scrollIntoViewIfNeeded();
    const box = (await submit.boundingBox())!;
    const shown = page.waitForEvent("load");
    slow.hold();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await waitFor(() => slow.held() > 0, { what: "the first submit to reach the app" });
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    slow.release();
    await shown;
    expect(await page.content()).toMatch(/lc_live_[A-Za-z0-9]{20,}/);
    await page.reload();
    expect(await page.content()).not.toMatch(/lc_live_[A-Za-z0-9]{20,}/);
    const keys = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.organizationId, organization.id), eq(apiKeys.name, "Double key")));
    expect(keys).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  }, 30_000);

  test("an htmx confirmation answered Cancel sends nothing and leaves the button usable", async () => {
    const { user, organization } = await createOwner();
    const { key } = await createApiKey({ organizationId: organization.id, name: "Keep me", scopes: ["*"] });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signInThroughForm(page, user.email);
    await page.goto(`${server.url}/api-keys`);
    const revoke = page.locator(`#api-key-${key.id} button[type=submit]`);
    const sent = requestsSent(page);
    page.once("dialog", (d) => d.dismiss());
    await revoke.click();
    await settled(page);
    expect(sent).toEqual([]);
    expect(await revoke.isEnabled()).toBe(true);
    expect((await db.select().from(apiKeys).where(eq(apiKeys.id, key.id)))[0]!.revokedAt).toBeNull();
    page.once("dialog", (d) => d.accept());
    await revoke.click();
    await page.locator(`#api-key-${key.id}`, { hasText: "revoked" }).waitFor();
    expect((await db.select().from(apiKeys).where(eq(apiKeys.id, key.id)))[0]!.revokedAt).not.toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  }, 30_000);

  test("a confirmation replaces the inline onsubmit: dismissing it sends nothing, accepting it rotates once", async () => {
    const { user, organization } = await createOwner();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signInThroughForm(page, user.email);
    await page.goto(`${server.url}/webhooks/new`);
    await page.fill("input[name=url]", `http://127.0.0.1:${subscriber.port}/hook`);
    await Promise.all([page.waitForURL(/\/webhooks\/[0-9a-f-]{36}$/), page.click("#webhook-form button[type=submit]")]);
    const [hook] = await db.select().from(webhooks).where(eq(webhooks.organizationId, organization.id));
    await page.goto(`${server.url}/webhooks/${hook!.id}`);

    const sent = requestsSent(page);
    page.once("dialog", (d) => d.dismiss());
    await page.click(`form[action$='/rotate'] button`);
    await settled(page);
    expect(sent).toEqual([]);
    expect(new URL(page.url()).pathname).toBe(`/webhooks/${hook!.id}`);
    const [unchanged] = await db.select().from(webhooks).where(eq(webhooks.id, hook!.id));
    expect(unchanged!.secretEnc).toBe(hook!.secretEnc);

    page.once("dialog", (d) => d.accept());
    await Promise.all([page.waitForURL(`${server.url}/webhooks/${hook!.id}`), page.click(`form[action$='/rotate'] button`)]);
    await page.waitForLoadState("load");
    expect(await page.content()).toContain("Secret rotated");
    await page.reload();
    expect(await page.content()).not.toContain("Secret rotated");
    const rotations = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.action, "webhook.secret_rotated")));
    expect(rotations).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  }, 30_000);
});
