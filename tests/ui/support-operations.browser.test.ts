// Issue 19's "Done when", end to end in Chromium: a contact writes on a sandbox instance → picks Suporte from
// the greeting menu → the online Suporte agent gets it live (auto-assignment) → answers with a canned reply
// (Enter sends) → resolves → the contact answers the survey with 9 → the NPS dashboard counts a promoter for
// that agent and department and the month's gamification ranks the agent first with it; and a supervisor sees a first-response alert arrive live on the monitor.
import { afterAll, expect, test } from "bun:test";
import { and, asc, eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { db } from "@/db/client";
import { conversations, messages, satisfactionFeedback, users } from "@/db/schema";
import { checkSlaBreaches } from "@/features/alerts/alert.rules";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { sandboxTiming } from "@/providers/sandbox";
import "@/workers/outbound.worker";
import { startWorkers, stopWorkers } from "@/workers/registry";
import { useBrowser } from "../helpers/browser";
import { createMember, createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const { server, newContext } = await useBrowser();
// The outbound worker sends what the app queues (menu, reply, survey) through the sandbox, which plays the contact's phone.
Object.assign(sandboxTiming, { sentMs: 5, deliveredMs: 10, readMs: 15 });
await startWorkers();
afterAll(stopWorkers);

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

/** What the contact's phone got on this conversation: outbound messages the sandbox delivered. */
async function delivered(conversationId: string) {
  const rows = await db
    .select({ body: messages.body, type: messages.type, status: messages.status })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "outbound")))
    .orderBy(asc(messages.createdAt));
  return rows.filter((r) => r.status === "delivered" || r.status === "read");
}

async function conversation(id: string) {
  return (await db.select().from(conversations).where(eq(conversations.id, id)))[0]!;
}

async function setup() {
  const { user: owner, organization } = await createOwner({ orgName: "Operação de Suporte" });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "browser", scopes: ["*"] });
  const instanceId = (await v1(key, "POST", "/v1/instances", { name: "WhatsApp Loja", provider: "sandbox" })).body.id;
  await v1(key, "POST", `/v1/instances/${instanceId}/connect`);
  expect((await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/scan`, {})).status).toBe(200);

  const salesAgent = await createMember(organization.id, "agent");
  const supportAgent = await createMember(organization.id, "agent");
  const supervisor = await createMember(organization.id, "supervisor");
  await db.update(users).set({ name: "Vitor Vendas" }).where(eq(users.id, salesAgent.id));
  await db.update(users).set({ name: "Sofia Suporte" }).where(eq(users.id, supportAgent.id));

  const sales = await v1(key, "POST", "/v1/departments", { name: "Vendas", color: "#2f855a", memberIds: [salesAgent.id] });
  expect(sales.status).toBe(201);
  const support = await v1(key, "POST", "/v1/departments", { name: "Suporte", color: "#2b6cb0", memberIds: [supportAgent.id] });
  expect(support.status).toBe(201);
  const menu = await v1(key, "PUT", `/v1/instances/${instanceId}/greeting-menu`, {
    enabled: true,
    greeting: "Olá! Com qual setor você quer falar?",
    options: [sales.body.id, support.body.id],
    maxAttempts: 2,
    fallbackDepartmentId: null,
  });
  expect(menu.status).toBe(200);
  for (const department of [sales.body.id, support.body.id]) {
    expect((await v1(key, "PUT", `/v1/departments/${department}/assignment`, { autoAssign: true, defaultCapacity: 3 })).status).toBe(200);
  }
  expect((await v1(key, "PUT", `/v1/departments/${support.body.id}/sla-targets`, { firstResponseMinutes: 5, resolutionMinutes: null })).status).toBe(200);
  expect(
    (
      await v1(key, "POST", "/v1/canned-replies", {
        shortcut: "obrigado",
        title: "Agradecimento",
        body: "Obrigado pelo contato, {{contact.name}}! Aqui é {{agent.name}}.",
      })
    ).status,
  ).toBe(201);
  const survey = await v1(key, "PUT", `/v1/satisfaction/surveys/${support.body.id}`, {
    enabled: true,
    template: "De 0 a 10, quanto você recomendaria nosso atendimento, {{contact.name}}?",
  });
  expect(survey.status).toBe(200);
  return { owner, organization, key, instanceId, salesAgent, supportAgent, supervisor, salesId: sales.body.id as string, supportId: support.body.id as string };
}

test("a contact picks Suporte from the menu, the online agent gets it live, answers with /obrigado, resolves; the survey's 9 counts as a promoter and in her monthly score; a late first response alerts the supervisor live", async () => {
  const s = await setup();

  // 1. The Suporte agent opens the inbox and goes online from the header.
  const agentContext = await newContext({ width: 1440, as: { userId: s.supportAgent.id, organizationId: s.organization.id } });
  const agentPage = await agentContext.newPage();
  await agentPage.goto(`${server.url}/inbox`);
  await agentPage.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });
  const availability = agentPage.locator("#availability-control select");
  expect(await availability.inputValue()).toBe("offline");
  await availability.selectOption("online");
  await waitFor(async () => (await v1(s.key, "GET", "/v1/availability")).body.data.find((m: any) => m.userId === s.supportAgent.id)?.status === "online", {
    what: "the Suporte agent online",
  });
  await agentPage.evaluate(() => ((window as any).__noReload = true));

  // 2. The contact writes, gets the menu, answers 2: routed to Suporte and auto-assigned to the online agent.
  const phone = "+5511987654321";
  const first = await v1(s.key, "POST", `/v1/sandbox/instances/${s.instanceId}/inbound`, {
    from: phone,
    name: "Carla Mendes",
    text: "Oi, meu pedido não chegou",
  });
  expect(first.status).toBe(201);
  const conversationId = first.body.conversationId as string;
  await waitFor(async () => (await delivered(conversationId)).some((m) => m.body === "Olá! Com qual setor você quer falar?"), {
    timeoutMs: 15_000,
    what: "the greeting menu delivered to the contact",
  });
  await v1(s.key, "POST", `/v1/sandbox/instances/${s.instanceId}/inbound`, { from: phone, name: "Carla Mendes", text: "2" });
  await waitFor(
    async () => {
      const c = await conversation(conversationId);
      return c.departmentId === s.supportId && c.assignedUserId === s.supportAgent.id;
    },
    { what: "the conversation routed to Suporte and assigned to its online agent" },
  );
  const item = agentPage.locator(`#conv-${conversationId}`);
  await item.waitFor({ timeout: 15_000 });
  expect(await item.locator(".conv-name").textContent()).toContain("Carla Mendes");
  expect(await agentPage.evaluate(() => (window as any).__noReload === true)).toBe(true);
  // Routed to Suporte, it is no longer the Vendas agent's to see (unrouted ones are everyone's).
  const salesContext = await newContext({ width: 1440, as: { userId: s.salesAgent.id, organizationId: s.organization.id } });
  const salesPage = await salesContext.newPage();
  expect((await salesPage.goto(`${server.url}/inbox/${conversationId}`))!.status()).toBe(404);
  await salesPage.goto(`${server.url}/inbox`);
  await salesPage.locator("#inbox").waitFor();
  expect(await salesPage.locator(`#conv-${conversationId}`).count()).toBe(0);
  await salesContext.close();

  // 3. The agent opens it, types /obr, picks the canned reply (variables filled) and sends it with Enter.
  await item.locator("a").click();
  await agentPage.locator("#reply-body").waitFor();
  await agentPage.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });
  // The routing and the automatic assignment are activity lines in the conversation.
  expect(await agentPage.locator("#messages .activity-routed").textContent()).toContain("Suporte");
  expect(await agentPage.locator("#messages .activity-assigned").textContent()).toContain("Sofia Suporte");
  // From here on the conversation page stays loaded: sending, resolving and the survey's answer all arrive live.
  await agentPage.evaluate(() => ((window as any).__noReload = true));
  const box = agentPage.locator("#reply-body");
  await box.click();
  await box.pressSequentially("/obr");
  await agentPage.locator("#canned-suggestions [data-canned-url]").first().waitFor();
  expect(await agentPage.locator("#canned-suggestions").textContent()).toContain("/obrigado");
  await box.press("Enter");
  const reply = "Obrigado pelo contato, Carla Mendes! Aqui é Sofia Suporte.";
  await agentPage.waitForFunction((text) => (document.getElementById("reply-body") as HTMLTextAreaElement).value === text, reply);
  await box.press("Enter");
  await waitFor(async () => (await delivered(conversationId)).some((m) => m.body === reply), {
    timeoutMs: 15_000,
    what: "the canned reply delivered to the contact",
  });
  await agentPage.locator(".bubble-outbound", { hasText: reply }).locator(".agent-name", { hasText: "Sofia Suporte" }).waitFor({ timeout: 10_000 });

  // The agent resolves; the contact gets the Suporte survey.
  await agentPage.locator("#conv-header button", { hasText: "Resolve" }).click();
  await waitFor(async () => (await conversation(conversationId)).status === "resolved", { what: "the conversation resolved" });
  await agentPage.locator("#messages .activity-resolved").waitFor({ timeout: 10_000 });
  await waitFor(async () => (await delivered(conversationId)).some((m) => m.body === "De 0 a 10, quanto você recomendaria nosso atendimento, Carla Mendes?"), {
    timeoutMs: 15_000,
    what: "the survey delivered to the contact",
  });

  // 4. The contact answers 9: a promoter for Sofia and Suporte.
  await v1(s.key, "POST", `/v1/sandbox/instances/${s.instanceId}/inbound`, { from: phone, name: "Carla Mendes", text: "9" });
  const feedback = await waitFor(
    async () =>
      (await db.select().from(satisfactionFeedback).where(eq(satisfactionFeedback.conversationId, conversationId)))[0]?.npsScore !== null &&
      (await db.select().from(satisfactionFeedback).where(eq(satisfactionFeedback.conversationId, conversationId)))[0],
    { what: "the survey's answer recorded" },
  );
  expect(feedback).toMatchObject({ npsScore: 9, category: "promoter", agentUserId: s.supportAgent.id, departmentId: s.supportId });
  expect((await conversation(conversationId)).status).toBe("resolved");

  // The agent's open conversation shows the answer in the contact's side panel without a reload, and stays resolved.
  await agentPage.locator("#contact-panel .nps-answer", { hasText: "9" }).waitFor({ timeout: 10_000 });
  // The header is re-rendered by its own live update: it shows Reopen once the resolution reached it.
  await agentPage.locator("#conv-header button", { hasText: "Reopen" }).waitFor({ timeout: 10_000 });
  expect(await agentPage.locator("#conv-header button", { hasText: "Reopen" }).count()).toBe(1);
  expect(await agentPage.evaluate(() => (window as any).__noReload === true)).toBe(true);

  // On the agent's phone (375 px), the contact's side panel shows the answer.
  const agentPhone = await (await newContext({ width: 375, as: { userId: s.supportAgent.id, organizationId: s.organization.id } })).newPage();
  await agentPhone.goto(`${server.url}/inbox/${conversationId}`);
  const answer = agentPhone.locator("#contact-panel .nps-answer");
  await answer.waitFor({ state: "attached" });
  expect(await answer.count()).toBe(1);
  expect(await answer.textContent()).toContain("9");
  expect(await answer.textContent()).toContain("Sofia Suporte");
  expect(await fitsWidth(agentPhone)).toBe(true);

  const supervisorContext = await newContext({ width: 1440, as: { userId: s.supervisor.id, organizationId: s.organization.id } });
  const board = await supervisorContext.newPage();
  await board.goto(`${server.url}/satisfaction`);
  expect(await board.locator("#nps-overall [data-nps]").getAttribute("data-nps")).toBe("100");
  const agentRow = board.locator(`#nps-by-agent tr[data-key="${s.supportAgent.id}"]`);
  expect(await agentRow.textContent()).toContain("Sofia Suporte");
  expect(await agentRow.locator("td[data-label='Promoters']").textContent()).toBe("1");
  const departmentRow = board.locator(`#nps-by-department tr[data-key="${s.supportId}"]`);
  expect(await departmentRow.textContent()).toContain("Suporte");
  expect(await departmentRow.locator("td[data-label='Promoters']").textContent()).toBe("1");
  expect(await board.locator(`#nps-by-agent tr[data-key="${s.salesAgent.id}"]`).count()).toBe(0);
  expect(await fitsWidth(board)).toBe(true);

  // The month's gamification: the supervisor calculates on demand (the worker is periodic); Sofia leads with her 9.
  await board.goto(`${server.url}/gamification`);
  await Promise.all([board.waitForURL(/\/gamification\?period=\d{4}-\d{2}$/), board.locator("button", { hasText: "Calculate now" }).click()]);
  const month = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Sao_Paulo", year: "numeric", month: "2-digit" }).format(new Date());
  expect(board.url()).toEndWith(`period=${month}`);
  const sofiaRank = board.locator(`#ranking tr[data-agent="${s.supportAgent.id}"]`);
  expect(await sofiaRank.locator("td:nth-child(1)").textContent()).toBe("1");
  expect(await sofiaRank.locator("td:nth-child(2)").textContent()).toBe("Sofia Suporte");
  expect(await sofiaRank.locator("td:nth-child(5)").textContent()).toBe("1"); // resolved conversations
  expect(await sofiaRank.locator("td:nth-child(6)").textContent()).toBe("9"); // average NPS
  expect(await board.locator(`#ranking tr[data-agent="${s.salesAgent.id}"] td:nth-child(1)`).textContent()).toBe("2");
  // The agent sees her own score and breakdown.
  await agentPhone.goto(`${server.url}/gamification`);
  const own = agentPhone.locator(`#ranking tr[data-agent="${s.supportAgent.id}"]`);
  expect(await own.locator("td:nth-child(1)").textContent()).toBe("1");
  expect(await own.locator("td:nth-child(6)").textContent()).toBe("9");
  expect(await fitsWidth(agentPhone)).toBe(true);

  // 5. A second contact is routed to Suporte and waits: past the 5-minute target, the supervisor's board shows the alert live.
  await board.goto(`${server.url}/monitor`);
  await board.waitForSelector("#monitor-live[data-live='true']");
  const second = await v1(s.key, "POST", `/v1/sandbox/instances/${s.instanceId}/inbound`, {
    from: "+5511912340000",
    name: "Diego Ramos",
    text: "Preciso de ajuda",
  });
  const waitingId = second.body.conversationId as string;
  // The menu itself, not only its claim (menuSentAt is set before the message is queued): answered before
  // the menu is stored, the "2" would precede the last outbound message and not be waiting for a reply.
  await waitFor(async () => (await delivered(waitingId)).some((m) => m.body === "Olá! Com qual setor você quer falar?"), {
    timeoutMs: 15_000,
    what: "the greeting menu delivered to the second contact",
  });
  await v1(s.key, "POST", `/v1/sandbox/instances/${s.instanceId}/inbound`, { from: "+5511912340000", name: "Diego Ramos", text: "2" });
  await waitFor(async () => (await conversation(waitingId)).departmentId === s.supportId, { what: "the second conversation routed to Suporte" });
  // It arrives live in Suporte's queue, under the online agent it was handed to; the agent shows Online with that load.
  const card = board.locator(`[data-department="${s.supportId}"] [data-assignee="${s.supportAgent.id}"] [data-conversation="${waitingId}"]`);
  await card.waitFor({ timeout: 15_000 });
  expect(await card.textContent()).toContain("Diego Ramos");
  expect(await board.locator(`[data-conversation="${conversationId}"]`).count()).toBe(0);
  const sofia = board.locator(`.monitor-agent-list [data-agent="${s.supportAgent.id}"]`);
  await waitFor(async () => /Sofia Suporte\s+Online\s+1 /.test((await sofia.textContent()) ?? ""), {
    what: () => "Sofia online with one conversation on the monitor",
  });
  expect(await board.locator("[data-alert]").count()).toBe(0);
  // The SLA worker's pass, six minutes on (the alerts tests move the clock the same way).
  expect(await checkSlaBreaches(new Date(Date.now() + 6 * 60_000))).toBe(1);
  const alert = board.locator("[data-alert]");
  await alert.waitFor({ timeout: 15_000 });
  expect(await alert.textContent()).toContain("First response late");
  expect(await card.textContent()).toContain("1 alert");
  expect(await fitsWidth(board)).toBe(true);

  // The same board on a phone.
  const small = await (await newContext({ width: 375, as: { userId: s.supervisor.id, organizationId: s.organization.id } })).newPage();
  await small.goto(`${server.url}/monitor`);
  await small.locator(`[data-conversation="${waitingId}"] `).waitFor();
  expect(await small.locator("[data-alert]").count()).toBe(1);
  expect(await fitsWidth(small)).toBe(true);
  await small.goto(`${server.url}/satisfaction`);
  expect(await small.locator(`#nps-by-agent tr[data-key="${s.supportAgent.id}"]`).textContent()).toContain("Sofia Suporte");
  expect(await fitsWidth(small)).toBe(true);
}, 120_000);
