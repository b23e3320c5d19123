import { expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { incrementUsage } from "@/features/usage/usage.service";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";

const { server, newContext } = await useBrowser();

async function signedInPage(width: number): Promise<{ page: Page; userId: string; organizationId: string; close: () => Promise<void> }> {
  const { user, organization } = await createOwner();
  const context = await newContext({ width, as: { userId: user.id, organizationId: organization.id } });
  return { page: await context.newPage(), userId: user.id, organizationId: organization.id, close: () => context.close() };
}

/** No horizontal scrolling of the page itself (wide tables scroll inside their .table-wrap). */
async function expectNoPageOverflow(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(1);
}

test("live tail: an event recorded on the server appears at the top of the open log", async () => {
  const { page, userId, organizationId, close } = await signedInPage(1440);
  const [inst] = await db.insert(instances).values({ organizationId, name: "Front desk" }).returning();
  await recordEvent({ organizationId, instanceId: inst!.id, type: "message.received", data: { text: "older" } });
  await page.goto(`${server.url}/events`);
  await page.locator("#live-status", { hasText: "live" }).waitFor({ timeout: 10_000 });
  expect(await page.locator("#event-rows tr").count()).toBe(1);

  const fresh = await recordEvent({ organizationId, instanceId: inst!.id, type: "message.sent", data: { text: "<i>fresh</i>" } });
  const row = page.locator(`#event-${fresh.id}`);
  await row.waitFor({ timeout: 10_000 });
  expect(await page.locator("#event-rows tr").first().getAttribute("id")).toBe(`event-${fresh.id}`);
  expect(await row.textContent()).toContain("<i>fresh</i>"); // shown as text, not markup
  expect(await row.textContent()).toContain("Front desk");
  await expectNoPageOverflow(page);

  // Pausing stops new rows: a second page of the same organization, still live, shows the next event
  // (so it was sent to live pages); the paused one does not.
  await page.uncheck("#live-tail");
  const witnessContext = await newContext({ width: 1440, as: { userId, organizationId } });
  const witness = await witnessContext.newPage();
  await witness.goto(`${server.url}/events`);
  await witness.locator("#live-status", { hasText: "live" }).waitFor({ timeout: 10_000 });
  const whilePaused = await recordEvent({ organizationId, type: "contact.created", data: {} });
  await witness.locator(`#event-${whilePaused.id}`).waitFor({ timeout: 10_000 });
  expect(await page.locator("#event-rows tr").count()).toBe(2);
  await witnessContext.close();
  await close();
}, 30_000);

test("events and usage pages read well at 375 px and 1440 px", async () => {
  for (const width of [375, 1440]) {
    const { page, organizationId, close } = await signedInPage(width);
    for (let i = 0; i < 3; i++) {
      await recordEvent({ organizationId, type: "message.received", data: { text: "a long message body ".repeat(20) } });
    }
    await incrementUsage({ organizationId, metric: "api_calls", by: 120 });
    await incrementUsage({ organizationId, metric: "messages_sent", by: 7 });

    await page.goto(`${server.url}/events`);
    await expectNoPageOverflow(page);
    expect(await page.locator("#event-rows tr").count()).toBe(3);

    await page.goto(`${server.url}/usage`);
    await expectNoPageOverflow(page);
    const charts = page.locator("figure.usage-chart svg");
    // API calls, messages, deliveries and AI tokens.
    expect(await charts.count()).toBe(4);
    const box = await charts.first().boundingBox();
    expect(box!.width).toBeLessThanOrEqual(width);
    expect(box!.width).toBeGreaterThan(200);
    await page.click("text=7 days");
    await page.waitForURL(/from=/);
    expect(await page.locator(".usage-table tbody tr").count()).toBe(7);
    await close();
  }
}, 60_000);
