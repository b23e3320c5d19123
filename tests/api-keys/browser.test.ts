import { beforeAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { users } from "@/db/schema";
import { useBrowser } from "../helpers/browser";
import { createOwner, uniqueEmail } from "../helpers/factories";

const { server, browser } = await useBrowser();

beforeAll(async () => {
  // Someone already runs this install: the sign-ups below are ordinary ones, not the platform admin's.
  await createOwner({ orgName: "Operator" });
});

const devicesWith = (secret: string) => fetch(`${server.url}/v1/devices`, { headers: { authorization: `Bearer ${secret}` } });

test("sign up → create a key (shown once) → it works → revoke in the UI → 401", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail("browser");

  await page.goto(`${server.url}/signup`);
  await page.fill("input[name=name]", "Browser Owner");
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", "correct horse battery staple");
  await page.fill("input[name=organizationName]", "Browser Org");
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/signup")), page.click("form[action^='/signup'] button[type=submit]")]);
  expect(await db.$count(users, eq(users.email, email))).toBe(1);
  // Without SMTP a sign-up lands on the sign-in page (the same answer whether or not the address was taken).
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", "correct horse battery staple");
  await Promise.all([page.waitForURL((url) => url.pathname !== "/login"), page.click("form[action='/login'] button[type=submit]")]);

  await page.goto(`${server.url}/api-keys`);
  expect(await page.locator("h1").textContent()).toBe("API keys");
  await page.fill("#f-name", "From the browser");
  await page.check("input[name=scopes][value='devices:read']");
  await page.check("input[name=scopes][value='devices:write']");
  await page.click("#api-key-form button[type=submit]");

  const shown = page.locator("#new-key-secret");
  await shown.waitFor({ timeout: 10_000 });
  const secret = (await shown.textContent())!.trim();
  expect(secret).toMatch(/^lc_live_[0-9A-Za-z]{32}$/);
  const row = page.locator("#api-key-table tr", { hasText: "From the browser" });
  expect(await row.locator(".badge").textContent()).toBe("active");
  expect(await row.textContent()).toContain(secret.slice(0, 14));

  // Reload: the key is gone from the page for good, only its prefix remains.
  await page.reload();
  expect(await page.locator("#new-key-secret").count()).toBe(0);
  expect(await page.content()).not.toContain(secret);
  expect(await page.locator("#api-key-table tr", { hasText: "From the browser" }).textContent()).toContain(secret.slice(0, 14));

  const ok = await devicesWith(secret);
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as { data: unknown[] }).data).toEqual([]);

  // Revoke through the UI: confirm the dialog, the row flips to revoked in place.
  page.once("dialog", (dialog) => void dialog.accept());
  await page.locator("#api-key-table tr", { hasText: "From the browser" }).locator("button", { hasText: "Revoke" }).click();
  await page.locator("#api-key-table tr", { hasText: "From the browser" }).locator(".badge-bad").waitFor({ timeout: 10_000 });

  const refused = await devicesWith(secret);
  expect(refused.status).toBe(401);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  await context.close();
}, 60_000);
