import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { config } from "@/config";
import { recordEvent } from "@/features/events/event.service";
import { drainDueDeliveries } from "@/features/webhooks/delivery.send";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { startSubscriber } from "./subscriber";

const { server, newContext } = await useBrowser();
let fail = true;
const sub = startSubscriber(() => (fail ? new Response("maintenance", { status: 503 }) : new Response("ok")));

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
});
afterAll(async () => {
  sub.stop();
});

async function signedInPage(width: number): Promise<{ page: Page; organizationId: string }> {
  const { user, organization } = await createOwner({ orgName: `Browser ${width}` });
  const context = await newContext({ width, as: { userId: user.id, organizationId: organization.id } });
  return { page: await context.newPage(), organizationId: organization.id };
}

/** The page fits the viewport: nothing forces sideways scrolling of the whole document. */
async function fitsWidth(page: Page, width: number) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scroll).toBeLessThanOrEqual(width + 1);
}

for (const width of [375, 1440]) {
  test(`create → secret once → failing deliveries in the log → attempt detail → retry (${width} px)`, async () => {
    fail = true;
    const { page, organizationId } = await signedInPage(width);
    await page.goto(`${server.url}/webhooks`);
    expect(await page.locator("h1").textContent()).toBe("Webhooks");
    await fitsWidth(page, width);

    await page.click("a:has-text('New endpoint')");
    await page.fill("#f-url", sub.url);
    await page.fill("#f-name", "Browser endpoint");
    await page.check("input[name=eventTypes][value='message.received']");
    await page.fill("#f-headers", "X-From: browser");
    await fitsWidth(page, width);
    await page.click("#webhook-form button[type=submit]");

    const secretEl = page.locator("#webhook-secret");
    await secretEl.waitFor({ timeout: 10_000 });
    const secret = (await secretEl.textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    sub.secrets.push(secret);
    await fitsWidth(page, width);
    await page.click("a:has-text('Continue to the endpoint')");
    expect(await page.content()).not.toContain(secret);

    await recordEvent({ organizationId, type: "message.received", data: { text: "hello from the browser test" } });
    await drainDueDeliveries();
    await page.reload();
    const row = page.locator("#delivery-table tbody tr").first();
    expect(await row.textContent()).toContain("message.received");
    expect(await row.locator(".badge").textContent()).toBe("failed");
    await fitsWidth(page, width);
    await page.screenshot({ path: `/tmp/livchat-webhook-show-${width}.png`, fullPage: true });

    await row.locator("a").click();
    await page.locator("article.attempt").first().waitFor();
    expect(await page.locator("article.attempt").first().textContent()).toContain("HTTP 503");
    expect(await page.locator("article.attempt details").last().textContent()).toContain("maintenance");
    await fitsWidth(page, width);
    await page.screenshot({ path: `/tmp/livchat-webhook-delivery-${width}.png`, fullPage: true });

    fail = false;
    await page.click("button:has-text('Retry now')");
    await page.locator(".flash-success").waitFor();
    await drainDueDeliveries();
    await page.reload();
    expect(await page.locator("h1 + .badge, .row .badge").first().textContent()).toBe("succeeded");
    expect(await page.locator("article.attempt").count()).toBe(2);
    expect(sub.verified().some((r) => r.payload?.data?.text === "hello from the browser test")).toBe(true);

    await page.goto(`${server.url}/webhooks`);
    expect(await page.locator("#webhook-table").textContent()).toContain("Browser endpoint");
    await fitsWidth(page, width);
    await page.screenshot({ path: `/tmp/livchat-webhooks-${width}.png`, fullPage: true });
    await page.context().close();
  }, 60_000);
}
