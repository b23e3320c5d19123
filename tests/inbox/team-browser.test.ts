import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createSession } from "@/auth/session";
import { db } from "@/db/client";
import { messages } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const { server, newContext } = await useBrowser();

async function v1(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

test("Enter sends, Shift+Enter adds a line; the unread count is live in the navigation and the tab title; long names truncate at 375 px", async () => {
  const { user, organization } = await createOwner({ orgName: "Team Browser" });
  const { token } = await createSession(user.id, { activeOrganizationId: organization.id });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "browser", scopes: ["*"] });
  const instance = await v1(key, "POST", "/v1/instances", { name: "Loja", provider: "sandbox" });
  await v1(key, "POST", `/v1/instances/${instance.body.id}/connect`);
  expect((await v1(key, "POST", `/v1/sandbox/instances/${instance.body.id}/scan`, {})).status).toBe(200);
  const longName = "Maria Aparecida dos Santos Oliveira Pereira Nascimento";
  const first = await v1(key, "POST", `/v1/sandbox/instances/${instance.body.id}/inbound`, { from: "+5511977770001", name: longName, text: "Oi" });
  expect(first.status).toBe(201);

  const context = await newContext({ width: 1440, token });
  const page = await context.newPage();
  await page.goto(`${server.url}/inbox/${first.body.conversationId}`);
  await page.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });

  // Shift+Enter adds a line, Enter sends the two lines as one message.
  await page.click("#reply-body");
  await page.keyboard.type("Primeira linha");
  await page.keyboard.press("Shift+Enter");
  await page.keyboard.type("Segunda linha");
  expect(await page.inputValue("#reply-body")).toBe("Primeira linha\nSegunda linha");
  await page.keyboard.press("Enter");
  await waitFor(async () => {
    const rows = await db.select({ body: messages.body }).from(messages).where(eq(messages.conversationId, first.body.conversationId));
    // Browsers send a textarea's line breaks as CRLF.
    return rows.some((r) => r.body?.replace(/\r\n/g, "\n") === "Primeira linha\nSegunda linha");
  });
  await waitFor(async () => (await page.inputValue("#reply-body")) === "");
  // The bubble names the agent who wrote it.
  await page.locator(".bubble-outbound .agent-name", { hasText: "Test Owner" }).first().waitFor({ timeout: 10_000 });
  // Enter in an empty box sends nothing.
  await page.keyboard.press("Enter");

  // Another contact writes: the navigation badge and the tab title count it, without a reload.
  await page.locator("#inbox-unread").waitFor({ state: "attached", timeout: 10_000 });
  await page.evaluate(() => ((window as any).__noReload = true));
  const second = await v1(key, "POST", `/v1/sandbox/instances/${instance.body.id}/inbound`, { from: "+5511977770002", name: "Bruno", text: "Olá" });
  expect(second.status).toBe(201);
  await waitFor(async () => (await page.locator("#inbox-unread").textContent())?.trim() === "1", { timeoutMs: 15_000 });
  expect(await page.locator("#inbox-unread").isVisible()).toBe(true);
  await waitFor(async () => (await page.title()).startsWith("(1) "), { timeoutMs: 15_000 });
  expect(await page.evaluate(() => (window as any).__noReload === true)).toBe(true);
  const sent = await db.select({ id: messages.id }).from(messages).where(eq(messages.conversationId, first.body.conversationId));
  expect(sent.filter(Boolean).length).toBe(2); // "Oi" and the two-line reply: the empty Enter sent nothing

  // At 375 px the long name is cut with an ellipsis inside the list, not spilling out of it.
  const phone = await newContext({ width: 375, token });
  const small = await phone.newPage();
  await small.goto(`${server.url}/inbox`);
  const name = small.locator(`#conv-${first.body.conversationId} .conv-name`);
  await name.waitFor();
  // The page's stream may catch up on a change made while it loaded (the first page's reply being
  // sent) and redraw the list: a name measured as the list is swapped has no style; measure again.
  const measure = () =>
    name.evaluate((el) => ({
      scroll: el.scrollWidth,
      client: el.clientWidth,
      overflow: el.isConnected ? getComputedStyle(el).textOverflow : "",
      right: el.getBoundingClientRect().right,
    }));
  let box = await measure();
  await waitFor(async () => (box = await measure()).overflow !== "", { timeoutMs: 5_000 });
  expect(box.overflow).toBe("ellipsis");
  expect(box.scroll).toBeGreaterThan(box.client);
  expect(box.right).toBeLessThanOrEqual(375);
  expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
});
