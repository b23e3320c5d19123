import { afterAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { createSession } from "@/auth/session";
import { createApiKey } from "@/features/api-keys/api-key.service";
import "@/workers/outbound.worker";
import { startWorkers, stopWorkers } from "@/workers/registry";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";

const { server, newContext } = await useBrowser();

// The workers, as a running process has them (tests start with WORKERS=false): sends wake on NOTIFY.
await startWorkers();
afterAll(stopWorkers);

async function v1(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Marks the page so a later check can prove no navigation/reload happened in between. */
const markPage = (page: Page) => page.evaluate(() => ((window as any).__noReload = true));
const stillSamePage = (page: Page) => page.evaluate(() => (window as any).__noReload === true);

test("sandbox instance → QR → scan → connected live → inbound appears live in the inbox → reply reaches read", async () => {
  const { user, organization } = await createOwner({ orgName: "Browser Inbox" });
  const { token } = await createSession(user.id, { activeOrganizationId: organization.id });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "browser test", scopes: ["*"] });

  const context = await newContext({ width: 1440, token });
  const page = await context.newPage();

  // 1. Create a sandbox instance from the admin and connect it: the QR code shows.
  await page.goto(`${server.url}/instances`);
  await page.fill("#create-instance input[name=name]", "Browser sandbox");
  await page.selectOption("#create-instance select[name=provider]", "sandbox");
  await Promise.all([page.waitForURL(/\/instances\/[0-9a-f-]{36}$/), page.click("#create-instance button[type=submit]")]);
  const instanceId = new URL(page.url()).pathname.split("/").pop()!;
  if ((await page.locator("#connection img[alt^='QR']").count()) === 0) {
    await page.locator("#connection button", { hasText: "Connect" }).click();
  }
  await page.locator("#connection img[alt^='QR']").waitFor({ timeout: 15_000 });
  expect(await page.locator("#connection img[alt^='QR']").getAttribute("src")).toStartWith("data:image/");

  // 2. The phone "scans" (through the sandbox API): the page flips to connected without a reload.
  await markPage(page);
  const scanned = await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/scan`, {});
  expect(scanned.status).toBe(200);
  await page.locator("#connection", { hasText: "Paired with" }).waitFor({ timeout: 15_000 });
  expect(await stillSamePage(page)).toBe(true);

  // 3. The inbox is open; a contact writes: the conversation appears live.
  await page.goto(`${server.url}/inbox`);
  await page.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });
  await markPage(page);
  const first = await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, { from: "+5511944443333", name: "Gabi <b>", text: "Oi, tudo bem?" });
  expect(first.status).toBe(201);
  const item = page.locator(`#conv-${first.body.conversationId}`);
  await item.waitFor({ timeout: 15_000 });
  expect(await item.textContent()).toContain("Gabi <b>");
  expect(await item.textContent()).toContain("Oi, tudo bem?");
  expect(await item.locator(".unread").textContent()).toBe("1");
  expect(await stillSamePage(page)).toBe(true);

  // 4. Open it: the unread badge is gone; the next message appears in the open conversation live.
  await Promise.all([page.waitForURL(new RegExp(`/inbox/${first.body.conversationId}`)), item.locator("a").click()]);
  await page.locator(`#msg-${first.body.messageId}`).waitFor();
  await page.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });
  expect(await page.locator(`#conv-${first.body.conversationId} .unread`).count()).toBe(0);
  await markPage(page);
  const second = await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, { from: "+5511944443333", text: "Preciso de ajuda <script>x</script>" });
  const bubble = page.locator(`#msg-${second.body.messageId}`);
  await bubble.waitFor({ timeout: 15_000 });
  expect(await bubble.textContent()).toContain("Preciso de ajuda <script>x</script>");
  expect(await stillSamePage(page)).toBe(true);

  // 5. Reply from the reply box: the message is sent through the instance and its ticks reach "read" live.
  await page.fill("#reply-body", "Claro! Como posso ajudar?");
  await page.locator("#reply-form button[value=reply]").click();
  const reply = page.locator(".bubble-outbound", { hasText: "Claro! Como posso ajudar?" });
  await reply.waitFor({ timeout: 15_000 });
  expect(await page.inputValue("#reply-body")).toBe("");
  await page.locator(".bubble-outbound[data-status='read']", { hasText: "Claro! Como posso ajudar?" }).waitFor({ timeout: 20_000 });
  expect(await reply.locator(".ticks-read").count()).toBe(1);
  expect(await stillSamePage(page)).toBe(true);

  // 6. A private note stays in the inbox and is never sent.
  await page.fill("#reply-body", "Cliente VIP — tratar com prioridade");
  await page.locator("#reply-form button[value=note]").click();
  const note = page.locator(".bubble-note", { hasText: "Cliente VIP" });
  await note.waitFor({ timeout: 15_000 });
  expect(await note.locator(".ticks").count()).toBe(0);

  // 7. Two panes at 1440 px; one pane at a time at 375 px, nothing wider than the screen.
  const listBox = await page.locator(".inbox-list").boundingBox();
  const paneBox = await page.locator(".inbox-pane").boundingBox();
  expect(listBox && paneBox && paneBox.x >= listBox.x + listBox.width - 1).toBe(true);
  await page.setViewportSize({ width: 375, height: 740 });
  expect(await page.locator(".inbox-list").isVisible()).toBe(false);
  expect(await page.locator("#reply-body").isVisible()).toBe(true);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await page.goto(`${server.url}/inbox`);
  expect(await page.locator(`#conv-${first.body.conversationId}`).isVisible()).toBe(true);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await page.goto(`${server.url}/contacts`);
  expect(await page.locator("text=+5511944443333").first().isVisible()).toBe(true);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await context.close();
}, 120_000);
