import { expect, test } from "bun:test";
import { useBrowser } from "../helpers/browser";
import { setupOrg, signIn } from "../helpers/factories";
import { SESSION_COOKIE } from "@/auth/session";

const { server, browser, newContext } = await useBrowser();

test("phone-sized visitor: /try → sandbox number with QR → simulate scan → connected live; key and curl shown", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/try`);
  await Promise.all([page.waitForLoadState("load"), page.click("text=Create my sandbox number")]);

  const qr = page.locator("#connection img[alt^='QR code']");
  await qr.waitFor({ timeout: 10_000 });
  expect(await qr.getAttribute("src")).toStartWith("data:image/png;base64,");
  const secret = (await page.locator("#try-key-secret").textContent())!.trim();
  expect(secret).toMatch(/^lc_live_[0-9A-Za-z]{32}$/);
  expect(await page.locator("#try-curl").textContent()).toContain(`Bearer ${secret}`);
  // Nothing overflows the phone width.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);

  await page.click("#connection button:has-text('Simulate scan')");
  await page.locator("#connection [data-status=connected]").waitFor({ timeout: 10_000 });

  // The key from the page sends through the paired number.
  const res = await fetch(`${server.url}/v1/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ to: "+5511999990001", type: "text", text: "Olá" }),
  });
  expect(res.status).toBe(202);
  await context.close();
});

test("admin at 1440 px: the QR panel flips to Connected by itself when the phone pairs elsewhere", async () => {
  const { app } = server;
  const { user, organization, key } = await setupOrg(app);
  const client = await signIn(app, user.id, organization.id);
  const token = client.cookies.get(SESSION_COOKIE)!;
  const context = await newContext({ width: 1440, token });
  const page = await context.newPage();

  const created = await fetch(`${server.url}/v1/instances`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Front desk" }),
  });
  const data = (await created.json()) as { id: string };
  await page.goto(`${server.url}/instances/${data.id}`);
  await page.click("#connection button:has-text('Connect')");
  await page.locator("#connection img[alt^='QR code']").waitFor({ timeout: 10_000 });

  // The phone "scans" through the API, not through this page: polling must notice.
  const scan = await fetch(`${server.url}/v1/sandbox/instances/${data.id}/scan`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: "{}",
  });
  expect(scan.status).toBe(200);
  await page.locator("#connection [data-status=connected]").waitFor({ timeout: 10_000 });
  expect(await page.locator("#connection img").count()).toBe(0);
  await context.close();
});
