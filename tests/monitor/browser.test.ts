// The supervisor's monitor in Chromium: the contact's wait ticks, an SLA breach shows up live on the
// board (alert.created over the event stream, no reload), resolving it removes it; 375 and 1440 px fit.
import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { db } from "@/db/client";
import { conversations, departments } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { checkSlaBreaches } from "@/features/alerts/alert.rules";
import { useBrowser } from "../helpers/browser";
import { createMember, createOwner } from "../helpers/factories";

const { server, newContext } = await useBrowser();

async function v1(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "accept-language": "en" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test("a supervisor watches the wait tick, sees a first-response breach arrive live and resolves it; the page fits 1440 and 375 px", async () => {
  const { organization } = await createOwner({ orgName: "Monitor Browser" });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "browser", scopes: ["*"] });
  const instanceId = (await v1(key, "POST", "/v1/instances", { name: "Sandbox", provider: "sandbox" })).body.id;
  await v1(key, "POST", `/v1/instances/${instanceId}/connect`);
  expect((await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/scan`, {})).status).toBe(200);
  const [department] = await db.insert(departments).values({ organizationId: organization.id, name: "Suporte" }).returning();
  expect((await v1(key, "PUT", `/v1/departments/${department!.id}/sla-targets`, { firstResponseMinutes: 5, resolutionMinutes: null })).status).toBe(200);
  const inbound = await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, {
    from: "+5511944443333",
    name: "Contato Com Um Nome Bem Comprido Para Testar Reticências",
    text: "alguém pode me ajudar?",
  });
  const conversationId = inbound.body.conversationId;
  await db.update(conversations).set({ departmentId: department!.id }).where(eq(conversations.id, conversationId));
  const supervisor = await createMember(organization.id, "supervisor");

  const context = await newContext({ width: 1440, as: { userId: supervisor.id, organizationId: organization.id } });
  const page = await context.newPage();
  await page.goto(`${server.url}/monitor`);
  const card = page.locator(`[data-conversation="${conversationId}"]`);
  await card.waitFor();
  expect(await card.textContent()).toContain("Contato Com Um Nome");
  // The wait is computed by the server and ticks in the browser.
  const wait = card.locator(".monitor-wait");
  const first = await wait.textContent();
  await page.waitForFunction(
    ([selector, before]) => document.querySelector(selector!)?.textContent !== before,
    [`[data-conversation="${conversationId}"] .monitor-wait`, first],
  );
  await page.waitForSelector("#monitor-live[data-live='true']");
  expect(await page.locator("[data-alert]").count()).toBe(0);

  // The SLA worker's pass, five minutes on: the alert reaches the open page by itself.
  expect(await checkSlaBreaches(new Date(Date.now() + 6 * 60_000))).toBe(1);
  const alert = page.locator("[data-alert]");
  await alert.waitFor();
  expect(await alert.textContent()).toContain("First response late");
  expect(await card.textContent()).toContain("1 alert");
  expect(await fitsWidth(page)).toBe(true);

  await alert.locator("button").click();
  await page.waitForFunction(() => document.querySelectorAll("[data-alert]").length === 0);
  await context.close();

  const phone = await newContext({ width: 375, as: { userId: supervisor.id, organizationId: organization.id } });
  const small = await phone.newPage();
  await small.goto(`${server.url}/monitor`);
  await small.locator(`[data-conversation="${conversationId}"]`).waitFor();
  expect(await fitsWidth(small)).toBe(true);
  await small.goto(`${server.url}/satisfaction`);
  expect(await fitsWidth(small)).toBe(true);
  await small.goto(`${server.url}/alerts/settings`);
  expect(await fitsWidth(small)).toBe(true);
  await phone.close();
}, 60_000);
