import { expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { db } from "@/db/client";
import { agentAvailability, conversations, departmentMembers, departments } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { autoAssign, markInactiveAway } from "@/features/availability/availability.service";
import { useBrowser } from "../helpers/browser";
import { createMember, createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const { server, newContext } = await useBrowser();

async function v1(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "accept-language": "en" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

/** Nothing sticks out sideways: the page fits the viewport's width. */
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test("an agent goes online from the header and gets a waiting conversation; inactivity shows Away live on the supervisor's page; pages fit 375 and 1440 px", async () => {
  const { user: owner, organization } = await createOwner({ orgName: "Availability Browser" });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "browser", scopes: ["*"] });
  const instance = await v1(key, "POST", "/v1/instances", { name: "Sandbox", provider: "sandbox" });
  await v1(key, "POST", `/v1/instances/${instance.body.id}/connect`);
  expect((await v1(key, "POST", `/v1/sandbox/instances/${instance.body.id}/scan`, {})).status).toBe(200);
  const agent = await createMember(organization.id, "agent");
  const [support] = await db.insert(departments).values({ organizationId: organization.id, name: "Suporte" }).returning();
  await db.insert(departmentMembers).values({ departmentId: support!.id, userId: agent.id, organizationId: organization.id });
  expect((await v1(key, "PUT", `/v1/departments/${support!.id}/assignment`, { autoAssign: true, defaultCapacity: 3 })).status).toBe(200);
  expect(
    (await v1(key, "PUT", "/v1/business-hours/default", { intervals: [{ day: 1, start: "08:00", end: "18:00" }], outOfHoursMessage: "Fora do horário." }))
      .status,
  ).toBe(200);
  const written = await v1(key, "POST", `/v1/sandbox/instances/${instance.body.id}/inbound`, { from: "+5511922221111", name: "Caio", text: "oi" });
  const conversationId = written.body.conversationId;
  await db.update(conversations).set({ departmentId: support!.id }).where(eq(conversations.id, conversationId));
  await autoAssign(organization.id);

  const agentContext = await newContext({ width: 375, as: { userId: agent.id, organizationId: organization.id } });
  const agentPage = await agentContext.newPage();
  await agentPage.goto(`${server.url}/inbox`);
  const select = agentPage.locator("#availability-control select");
  await select.waitFor();
  expect(await select.inputValue()).toBe("offline");
  expect(await fitsWidth(agentPage)).toBe(true);
  await select.selectOption("online");
  await waitFor(async () => (await db.select().from(conversations).where(eq(conversations.id, conversationId)))[0]!.assignedUserId === agent.id, {
    what: "the waiting conversation assigned to the agent who came online",
  });

  for (const width of [1440, 375]) {
    const context = await newContext({ width, as: { userId: owner.id, organizationId: organization.id } });
    const page = await context.newPage();
    await page.goto(`${server.url}/availability`);
    const badge = page.locator(`[data-availability-user="${agent.id}"]`);
    expect(await badge.getAttribute("data-status")).toBe("online");
    expect(await fitsWidth(page)).toBe(true);
    await page.goto(`${server.url}/business-hours`);
    expect(await page.locator("main").textContent()).toContain("Suporte");
    expect(await fitsWidth(page)).toBe(true);
    await page.goto(`${server.url}/departments/${support!.id}/business-hours`);
    expect(await fitsWidth(page)).toBe(true);
    await context.close();
  }

  // The supervisor watches; the agent goes idle past the limit: both pages show Away without a reload.
  const watch = await newContext({ width: 1440, as: { userId: owner.id, organizationId: organization.id } });
  const watchPage = await watch.newPage();
  await watchPage.goto(`${server.url}/availability`);
  // Both pages' streams are subscribed before the change (availability.js marks the ready frame).
  await watchPage.waitForFunction(() => document.documentElement.getAttribute("data-availability-live") === "ready");
  await agentPage.waitForFunction(() => document.documentElement.getAttribute("data-availability-live") === "ready");
  await db
    .update(agentAvailability)
    .set({ lastSeenAt: new Date(Date.now() - 60 * 60_000) })
    .where(and(eq(agentAvailability.organizationId, organization.id), eq(agentAvailability.userId, agent.id)));
  expect(await markInactiveAway()).toBeGreaterThanOrEqual(1);
  await waitFor(async () => (await watchPage.locator(`[data-availability-user="${agent.id}"]`).getAttribute("data-status")) === "away", {
    what: "Away on the supervisor's page",
  });
  await waitFor(async () => (await select.inputValue()) === "away", { what: "Away in the agent's header" });
});
