import { expect, test } from "bun:test";
import * as OTPAuth from "otpauth";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";

const { server, browser } = await useBrowser();

const codeFor = (secret: string, at: number) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });

test("a real browser enrols in two-factor from the account page, then signs in with password and code", async () => {
  const { user } = await createOwner({ password: "correct horse battery" });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  await page.goto(`${server.url}/login`);
  await page.fill("input[name=email]", user.email);
  await page.fill("input[name=password]", "correct horse battery");
  await page.click("form[action='/login'] button[type=submit]");
  await page.waitForURL(`${server.url}/`);

  await page.click(".topbar a.user");
  await page.waitForURL(`${server.url}/account`);
  await page.click("nav.account-tabs a[href='/account/two-factor']");
  await page.click("#totp-setup-form button[type=submit]");
  // The QR code is a data: image; it must load under the page's Content-Security-Policy.
  await page.locator("#totp-qr").waitFor();
  expect(await page.evaluate(() => (document.getElementById("totp-qr") as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  const secret = (await page.textContent("#totp-secret"))!.trim();
  await page.fill("#totp-confirm-form input[name=code]", codeFor(secret, Date.now()));
  await page.click("#totp-confirm-form button[type=submit]");
  await page.locator("#recovery-code-list").waitFor();
  expect((await page.textContent("#recovery-code-list"))!.trim().split("\n").length).toBe(10);
  // A reload does not show the codes again.
  await page.reload();
  expect(await page.locator("#recovery-code-list").count()).toBe(0);

  await page.click(".topbar form[action='/logout'] button");
  await page.waitForURL(/\/login$/);
  await page.fill("input[name=email]", user.email);
  await page.fill("input[name=password]", "correct horse battery");
  await page.click("form[action='/login'] button[type=submit]");
  await page.waitForURL(`${server.url}/two-factor`);
  // Without the second step the admin is still closed.
  const probe = await context.newPage();
  await probe.goto(`${server.url}/instances`);
  expect(new URL(probe.url()).pathname).toBe("/login");
  await probe.close();

  // The enrolment used this step's code; the next step's is within the accepted drift.
  await page.fill("#second-factor-form input[name=code]", codeFor(secret, Date.now() + 30_000));
  await page.click("#second-factor-form button[type=submit]");
  await page.waitForURL(`${server.url}/`);
  await page.goto(`${server.url}/account/sessions`);
  expect(await page.locator("tr.current-session").count()).toBe(1);
  await context.close();
});
