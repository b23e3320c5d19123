// The outage flow in Chromium: add a region → declare an outage on the form (a sandbox number, the region) →
// the detail page's counts move without a reload as the paced notices go out → a contact of the area writes
// in and her answer shows in the log → resolve (confirm dialog) → the resolution messages go out.
import { afterAll, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { contacts, outageNotifications } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { outageWorkerSettings } from "@/features/outages/outage.worker";
import { sandboxTiming } from "@/providers/sandbox";
import "@/workers/outbound.worker";
import { startWorkers, stopWorkers } from "@/workers/registry";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const { server, newContext } = await useBrowser();
Object.assign(sandboxTiming, { sentMs: 5, deliveredMs: 10, readMs: 15 });
outageWorkerSettings.intervalMs = 100;
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

test("region → declare on the form → live counts → a contact answers → resolve → resolution messages", async () => {
  const { user: owner, organization } = await createOwner({ orgName: "Provedor Serra" });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "browser", scopes: ["*"] });
  const number = (await v1(key, "POST", "/v1/instances", { name: "Suporte", provider: "sandbox" })).body.id as string;
  await v1(key, "POST", `/v1/instances/${number}/connect`);
  expect((await v1(key, "POST", `/v1/sandbox/instances/${number}/scan`, {})).status).toBe(200);
  const phones = ["+5521970004001", "+5521970004002", "+5521970004003"];
  for (const [i, phone] of phones.entries()) {
    expect((await v1(key, "POST", "/v1/contacts", { phone, name: `Cliente ${i}`, city: i === 2 ? "Niterói" : "Teresópolis" })).status).toBe(201);
  }

  const context = await newContext({ width: 1280, as: { userId: owner.id, organizationId: organization.id } });
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());

  await page.goto(`${server.url}/outages/regions`);
  await page.fill("#region-new input[name=name]", "Serra");
  await page.fill("#region-new textarea[name=cities]", "teresopolis");
  await page.click("#region-new button[type=submit]");
  // htmx follows the redirect back to the regions page, which now lists it.
  await page.waitForSelector('form[id^="region-"]:not(#region-new) input[value="Serra"]');

  await page.goto(`${server.url}/outages/new`);
  await page.fill("input[name=title]", "Rompimento de fibra");
  await page.check("input[name=regionIds]");
  await page.check(`input[name=instanceIds][value="${number}"]`);
  await page.fill("input[name=perMinute]", "60");
  await page.click("#outage-form button[type=submit]");
  await page.waitForURL(/\/outages\/[0-9a-f-]{36}$/);
  const outageId = page.url().split("/").pop()!;
  await expect(page.locator("#flash").textContent()).resolves.toContain("2 contact(s)");

  // The counts fragment polls itself: both notices go out (60/min) and it shows them without a reload.
  await waitFor(async () => (await page.locator('[data-metric="notified"] dd').textContent())?.trim() === "2", {
    timeoutMs: 15_000,
    what: "live notified count",
  });

  // A contact of the area answers; the log (on the next load) shows her words.
  expect((await v1(key, "POST", `/v1/sandbox/instances/${number}/inbound`, { from: phones[0], text: "Obrigado pelo aviso" })).status).toBeLessThan(300);
  const [ana] = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.organizationId, organization.id), eq(contacts.phone, phones[0]!)));
  await waitFor(async () => {
    const [row] = await db
      .select()
      .from(outageNotifications)
      .where(and(eq(outageNotifications.outageId, outageId), eq(outageNotifications.contactId, ana!.id)));
    return row?.responseText === "Obrigado pelo aviso";
  });
  await page.reload();
  await expect(page.locator("#outage-log").textContent()).resolves.toContain("Obrigado pelo aviso");

  await page.click("form[action$='/resolve'] button");
  await page.waitForURL(`${server.url}/outages/${outageId}`);
  await expect(page.locator("#flash").textContent()).resolves.toContain("resolved");
  await waitFor(async () => (await v1(key, "GET", `/v1/outages/${outageId}/metrics`)).body.resolution.notified === 2, {
    timeoutMs: 15_000,
    what: "resolution messages",
  });
});
