// Issue 20's flow end to end in Chromium: import a CSV of contacts on the contacts import page → build a campaign
// in the campaign pages on two sandbox numbers → start it → the detail page's progress moves live (no reload) →
// a contact answers "SAIR" → she is opted out (confirmed, no bot answers), the report says so, and the next
// campaign to the same audience skips her.
import { afterAll, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { contacts, messages } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { campaignWorkerSettings } from "@/features/campaigns/campaign.worker";
import "@/features/contacts/contacts.worker";
import { sandboxTiming } from "@/providers/sandbox";
import "@/workers/outbound.worker";
import { startWorkers, stopWorkers } from "@/workers/registry";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const { server, newContext } = await useBrowser();
// The sandbox plays the contacts' phones (sent → delivered → read within milliseconds); the campaign sender
// looks for due slots every 100 ms instead of every second, so the pace set in the form is what the test waits on.
Object.assign(sandboxTiming, { sentMs: 5, deliveredMs: 10, readMs: 15 });
campaignWorkerSettings.intervalMs = 100;
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

async function sandboxNumber(key: string, name: string): Promise<string> {
  const id = (await v1(key, "POST", "/v1/instances", { name, provider: "sandbox" })).body.id as string;
  await v1(key, "POST", `/v1/instances/${id}/connect`);
  expect((await v1(key, "POST", `/v1/sandbox/instances/${id}/scan`, {})).status).toBe(200);
  return id;
}

async function campaignTexts(contactId: string) {
  return db
    .select({ body: messages.body })
    .from(messages)
    .where(and(eq(messages.contactId, contactId), eq(messages.direction, "outbound"), eq(messages.sentBy, "campaign")));
}

test("import a CSV → build a campaign on two sandbox numbers → live progress → a contact answers SAIR → opted out, the report says so, the next campaign skips her", async () => {
  const { user: owner, organization } = await createOwner({ orgName: "Loja Dezembro" });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "browser", scopes: ["*"] });
  const numbers = [await sandboxNumber(key, "Loja 1"), await sandboxNumber(key, "Loja 2")];
  const context = await newContext({ width: 1280, as: { userId: owner.id, organizationId: organization.id } });
  const page = await context.newPage();

  // 1. The contacts import page: upload, mapping as guessed from the headers, live progress until done.
  await page.goto(`${server.url}/contacts/import`);
  const csv = "telefone,nome,etiquetas\n+55 11 97000-3001,Ana Lima,dezembro\n+55 11 97000-3002,Bruno Reis,dezembro\n+55 11 97000-3003,Carla Dias,dezembro\n";
  await page.setInputFiles('input[name="file"]', { name: "clientes.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await Promise.all([page.waitForURL(/\/contacts\/import\/[0-9a-f-]{36}$/), page.locator('form:has(input[name="file"]) button[type="submit"]').click()]);
  await Promise.all([page.waitForNavigation(), page.locator('#import-mapping button[type="submit"]').click()]);
  // The import page follows its job live; an import that finished before the page subscribed shows done on a reload.
  await waitFor(
    async () => {
      if (await page.locator('#import-progress[data-status="done"]').count()) return true;
      await page.reload();
      return false;
    },
    { what: "the import done", timeoutMs: 20_000 },
  );
  const imported = await db.select().from(contacts).where(eq(contacts.organizationId, organization.id));
  expect(imported.map((c) => c.name).sort()).toEqual(["Ana Lima", "Bruno Reis", "Carla Dias"]);
  const ana = imported.find((c) => c.name === "Ana Lima")!;

  // 2. The campaign form: audience by the imported tag, two numbers, a pace of 12 a minute each, always active.
  await page.goto(`${server.url}/campaigns`);
  await Promise.all([page.waitForURL(/\/campaigns\/new$/), page.locator('a[href="/campaigns/new"]').first().click()]);
  await page.fill('input[name="name"]', "Ofertas de dezembro");
  await page.check('input[name="audience.source"][value="tag"]');
  await page.fill('input[name="audience.tag"]', "dezembro");
  await page.fill('textarea[name="message.body"]', "Oi {{nome}}, as ofertas de dezembro chegaram!");
  await page.fill('textarea[name="message.variants"]', "Olá {{nome}}! Dezembro com ofertas para você.");
  for (const id of numbers) await page.check(`input[name="instanceIds"][value="${id}"]`);
  for (const day of ["0", "1", "2", "3", "4", "5", "6"]) await page.check(`input[name="activeHours.weekdays"][value="${day}"]`);
  await page.fill('input[name="activeHours.start"]', "00:00");
  await page.fill('input[name="activeHours.end"]', "23:59");
  await page.fill('input[name="pacing.perMinute"]', "12");
  await page.fill('input[name="pacing.jitterPercent"]', "0");
  await page.fill('input[name="pacing.dailyCap"]', "100");
  await page.fill('input[name="pacing.warmupDays"]', "0");
  await Promise.all([page.waitForURL(/\/campaigns\/[0-9a-f-]{36}$/), page.locator('#campaign-form button[type="submit"]').click()]);
  const campaignId = page.url().split("/").pop()!;

  // The preview and the risk check are on the page before it starts.
  expect(await page.locator("#campaign-preview").textContent()).toContain("Oi Ana Lima, as ofertas de dezembro chegaram!");
  expect(await page.locator("#campaign-preview").textContent()).toContain("Olá Bruno Reis! Dezembro com ofertas para você.");
  await page.locator("#campaign-risk").waitFor();
  expect(await page.locator('#campaign-progress [data-state="pending"] dd').getAttribute("data-count")).toBe("3");

  // 3. Start: the progress card follows the sends live, without a reload, until the campaign completes.
  await Promise.all([page.waitForLoadState("load"), page.locator('button[data-action="start"]').click()]);
  await page.locator("[data-campaign-stream][data-connected='1']").waitFor({ timeout: 10_000 });
  await page.evaluate(() => ((window as any).__noReload = true));
  const processed = async () => Number(await page.locator('#campaign-progress [data-state="read"] dd').getAttribute("data-count"));
  const before = await processed();
  expect(before).toBeLessThan(3);
  await page.locator('#campaign-progress[data-status="completed"]').waitFor({ timeout: 30_000 });
  await page.locator('#campaign-progress [data-state="read"] dd[data-count="3"]').waitFor({ timeout: 10_000 });
  expect(await processed()).toBe(3);
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
  expect(await page.locator('#campaign-progress button[data-action="pause"]').count()).toBe(0);
  expect((await campaignTexts(ana.id)).map((m) => m.body)).toEqual(["Oi Ana Lima, as ofertas de dezembro chegaram!"]);

  // 4. Ana answers "SAIR" on her phone: opted out, the confirmation goes out, no bot or menu answers it.
  const inbound = await v1(key, "POST", `/v1/sandbox/instances/${numbers[0]}/inbound`, { from: "+5511970003001", name: "Ana Lima", text: "SAIR" });
  expect(inbound.status).toBe(201);
  await waitFor(async () => (await db.select().from(contacts).where(eq(contacts.id, ana.id)))[0]!.optedOut, { what: "Ana opted out" });
  const confirmation = await waitFor(
    async () =>
      (
        await db
          .select()
          .from(messages)
          .where(and(eq(messages.contactId, ana.id), eq(messages.direction, "outbound")))
      ).find((m) => m.sentBy === "bot"),
    { what: "the opt-out confirmation" },
  );
  expect(confirmation.body).toContain("QUERO RECEBER");

  // 5. The report says so: one opt-out in answer to this campaign, her row marked, her target replied.
  await waitFor(
    async () => {
      await page.goto(`${server.url}/campaigns/${campaignId}`);
      return (await page.locator('[data-report="opted-out"] dd').getAttribute("data-count")) === "1";
    },
    { what: "the report's opt-out count", timeoutMs: 10_000 },
  );
  const anaRow = page.locator("tr[data-target]", { hasText: "Ana Lima" });
  expect(await anaRow.locator("td[data-opted-out='1']").count()).toBe(1);
  await page.locator('#campaign-progress [data-state="replied"] dd[data-count="1"]').waitFor();
  const exported = await page.request.get(`${server.url}/campaigns/${campaignId}/export.csv`);
  const anaLine = (await exported.text()).split("\n").find((l) => l.includes("Ana Lima"))!;
  expect(anaLine).toMatch(/\d{4}-\d{2}-\d{2}T[\d:.]+Z$/);

  // 6. The next campaign to the same audience skips her with the reason; she gets no more campaign messages.
  const next = await v1(key, "POST", "/v1/campaigns", {
    name: "Ofertas de Natal",
    audience: { source: "tag", tag: "dezembro" },
    message: { body: "Feliz Natal, {{nome}}!" },
    instanceIds: numbers,
    activeHours: { weekdays: [0, 1, 2, 3, 4, 5, 6], start: "00:00", end: "23:59" },
    pacing: { perMinute: 60, jitterPercent: 0, dailyCap: 100, warmupDays: 0 },
  });
  expect(next.status).toBe(201);
  expect((await v1(key, "POST", `/v1/campaigns/${next.body.id}/start`)).status).toBe(200);
  await page.goto(`${server.url}/campaigns/${next.body.id}`);
  await page.locator('#campaign-progress[data-status="completed"]').waitFor({ timeout: 30_000 });
  await page.reload();
  expect(await page.locator('[data-skip="opted_out"] dd').getAttribute("data-count")).toBe("1");
  expect(await page.locator("tr[data-target]", { hasText: "Ana Lima" }).getAttribute("data-state")).toBe("skipped");
  expect(await campaignTexts(ana.id)).toHaveLength(1);
  await context.close();
}, 120_000);
