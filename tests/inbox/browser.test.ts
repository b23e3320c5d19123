import { afterAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { createSession } from "@/auth/session";
import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { instances, messages, type Instance } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { ingestEvents } from "@/features/inbound/inbound.service";
import type { InboundEvent } from "@/providers/provider";
import "@/workers/outbound.worker";
import { startWorkers, stopWorkers } from "@/workers/registry";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

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

test("an open conversation redraws the target bubble live: a contact's reaction (and its removal), an edit, a delete, and our own reaction", async () => {
  const { user, organization } = await createOwner({ orgName: "Browser Reactions" });
  const { token } = await createSession(user.id, { activeOrganizationId: organization.id });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "browser reactions", scopes: ["*"] });
  const created = await v1(key, "POST", "/v1/instances", { name: "Reactions", provider: "sandbox" });
  const instanceId: string = created.body.id;
  expect((await v1(key, "POST", `/v1/instances/${instanceId}/connect`)).status).toBeLessThan(300);
  expect((await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/scan`, {})).status).toBe(200);
  const [instance] = (await db.select().from(instances).where(eq(instances.id, instanceId))) as [Instance];
  const phone = "+5511944442222";
  const target = (await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, { from: phone, text: "Chegou meu pedido" })).body;
  const [stored] = await db.select().from(messages).where(eq(messages.id, target.messageId));
  const providerId = stored!.providerMessageId!;
  let seq = 0;
  const fromContact = (extra: Partial<Extract<InboundEvent, { kind: "message" }>>): InboundEvent => ({
    kind: "message",
    providerMessageId: `BR-${seq++}`,
    from: phone,
    type: "text",
    timestamp: new Date(),
    ...extra,
  });
  const react = (emoji: string) =>
    ingestEvents(instance, [
      fromContact({
        type: "reaction",
        body: emoji || undefined,
        reaction: { targetProviderMessageId: providerId, emoji },
        media: { messageId: providerId, emoji },
      }),
    ]);

  const context = await newContext({ width: 1440, token });
  const page = await context.newPage();
  await page.goto(`${server.url}/inbox/${target.conversationId}`);
  await page.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });
  await markPage(page);
  const bubble = page.locator(`#msg-${target.messageId}`);
  const bubbles = page.locator("#messages .bubble");
  expect(await bubbles.count()).toBe(1);

  // The contact reacts: the chip shows on the target; no bubble of its own appears.
  await react("❤️");
  await bubble.locator(".reaction-chip", { hasText: "❤️" }).waitFor({ timeout: 15_000 });
  expect(await bubbles.count()).toBe(1);
  // Removed: the chip goes.
  await react("");
  await page.waitForFunction((id) => !document.querySelector(`#msg-${id} .reaction-chip`), target.messageId, { timeout: 15_000 });
  expect(await bubbles.count()).toBe(1);

  // Edited: the same bubble shows the new text and the edited mark.
  await ingestEvents(instance, [{ kind: "edit", targetProviderMessageId: providerId, body: "Chegou meu pedido, obrigado!", timestamp: new Date() }]);
  await bubble.locator(".edit-history").waitFor({ timeout: 15_000 });
  expect(await bubble.locator(".body").first().textContent()).toContain("Chegou meu pedido, obrigado!");
  expect(await bubbles.count()).toBe(1);

  // Our reaction from the API lands on the target too (the worker sends it), no bubble of its own.
  const ours = await v1(key, "POST", "/v1/messages", { instanceId, to: phone, type: "reaction", reaction: { messageId: target.messageId, emoji: "👍" } });
  expect(ours.status).toBe(202);
  await bubble.locator(".reaction-chip", { hasText: "👍" }).waitFor({ timeout: 15_000 });
  // Sent by the worker before the delete below: its live frames come first, so the count after the delete covers them.
  await waitFor(async () => ["sent", "delivered", "read"].includes((await db.select().from(messages).where(eq(messages.id, ours.body.id)))[0]?.status ?? ""), {
    timeoutMs: 15_000,
  });
  expect(await bubbles.count()).toBe(1);

  // Deleted for everyone: marked in place.
  await ingestEvents(instance, [{ kind: "delete", targetProviderMessageId: providerId, timestamp: new Date() }]);
  await page.locator(`#msg-${target.messageId}.bubble-deleted`).waitFor({ timeout: 15_000 });
  expect(await bubbles.count()).toBe(1);
  expect(await stillSamePage(page)).toBe(true);
  // A reload shows the same thing.
  await page.reload();
  expect(await page.locator("#messages .bubble").count()).toBe(1);
  expect(await page.locator(`#msg-${target.messageId}.bubble-deleted .reaction-chip`).textContent()).toBe("👍");
  await context.close();
}, 120_000);
