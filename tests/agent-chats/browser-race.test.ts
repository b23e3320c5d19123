// The answer shows even when the page's catch-up read of the chat was rendered before the answer was
// stored and comes back after the answer's "done": that late, stale log must not be the last word.
// Chromium and a real OpenAI-compatible server on 127.0.0.1; the answer job is run by the test, so the
// order of events is fixed: catch-up read rendered → answer stored and "done" sent → catch-up answered.
import { expect, test } from "bun:test";
import type { APIResponse } from "playwright-core";
import { processDueAgentChatAnswers } from "@/features/agent-chats/agent-chat.service";
import { useBrowser } from "../helpers/browser";
import { useAgentModel } from "./browser-setup";

const { organizationWithAgent } = useAgentModel();
const { server, newContext } = await useBrowser();

test("an answer stored while the page's catch-up read was on its way still appears", async () => {
  const { organization, member } = await organizationWithAgent("DM Race");
  const context = await newContext({ width: 1280, as: { userId: member.id, organizationId: organization.id } });
  const page = await context.newPage();

  // The first read of a chat's log is fetched from the server at once and handed to the page later.
  let held: ((response: APIResponse) => void) | undefined;
  const fetched = new Promise<APIResponse>((resolve) => (held = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reads = 0;
  await page.route(/\/agent-chats\/[0-9a-f-]{36}\/body$/, async (route) => {
    reads += 1;
    if (reads > 1) return route.continue();
    const response = await route.fetch();
    held?.(response);
    await released;
    await route.fulfill({ response });
  });

  await page.goto(`${server.url}/agent-chats`);
  await page.locator("#agent-chat-start select[name=workflowId]").selectOption({ label: "Assistente interno" });
  await page.locator("#agent-chat-start input[name=text]").fill("Qual o prazo de entrega?");
  await page.locator("#agent-chat-start button[type=submit]").click();
  await page.waitForURL(/\/agent-chats\/[0-9a-f-]{36}$/);

  // The stream's "ready" asked for the log: rendered now, while the answer is still due.
  const stale = await fetched;
  expect(await stale.text()).toContain('data-answering="true"');
  // The answer is stored and "done" reaches the page (it refreshes the chat list on it)…
  const listRefreshed = page.waitForRequest(/\/agent-chats\/list/);
  expect(await processDueAgentChatAnswers()).toBe(1);
  await listRefreshed;
  // …and only then does the stale log arrive.
  release();

  await page.locator("#agent-chat-log .bubble-assistant[data-role=assistant]", { hasText: "echo: Qual o prazo de entrega?" }).waitFor({ timeout: 10_000 });
  expect(await page.locator("#agent-chat-log").getAttribute("data-answering")).toBe("false");
  expect(reads).toBeGreaterThan(1);
  await context.close();
}, 60_000);
