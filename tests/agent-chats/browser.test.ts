// A member chats with an AI agent from the admin in Chromium: start a chat, the answer streams in live
// (SSE on the member's topic, answered by the agent-chat job loop this file runs), write again, pin it;
// the page fits 375 and 1440 px. The model is a real OpenAI-compatible server on 127.0.0.1.
import { afterAll, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { AGENT_CHAT_DUE_CHANNEL, agentChatAnswerJobs } from "@/features/agent-chats/agent-chat.service";
import { jobLoop } from "@/workers/jobs";
import { useBrowser } from "../helpers/browser";
import { useAgentModel } from "./browser-setup";

const { organizationWithAgent } = useAgentModel();
const { server, newContext } = await useBrowser();
// The worker every process runs (tests start none): woken by the NOTIFY a member's message sends.
const answers = jobLoop(agentChatAnswerJobs(), () => ({ pollMs: 500, maxInFlight: 2, drainTimeoutMs: 2_000, channel: AGENT_CHAT_DUE_CHANNEL }));
await answers.start();
afterAll(async () => {
  await answers.stop();
});

/** Nothing sticks out sideways: the page fits the viewport's width. */
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test("a member starts a chat with an agent, sees the answer arrive live, writes again and pins it; 375 and 1440 px", async () => {
  const { owner, organization, member } = await organizationWithAgent("DM Browser");

  for (const width of [1440, 375]) {
    const context = await newContext({ width, as: { userId: member.id, organizationId: organization.id } });
    const page = await context.newPage();
    await page.goto(`${server.url}/agent-chats`);
    expect(await page.locator("#main-nav").textContent()).toContain("Agent chats");
    await page.locator("#agent-chat-start select[name=workflowId]").selectOption({ label: "Assistente interno" });
    await page.locator("#agent-chat-start input[name=title]").fill(`Chat ${width}`);
    await page.locator("#agent-chat-start input[name=text]").fill(`Como faço um reembolso? (${width})`);
    await page.locator("#agent-chat-start button[type=submit]").click();
    await page.waitForURL(/\/agent-chats\/[0-9a-f-]{36}$/);
    // The answer arrives without a reload: the job answers, the stream says so, the log is re-fetched.
    await page.locator("#agent-chat-log .bubble-assistant[data-role=assistant]", { hasText: `echo: Como faço um reembolso? (${width})` }).waitFor();
    // The pending bubble goes once the answer is stored (a catch-up render may still show it for a moment).
    await page.locator("#agent-chat-pending").waitFor({ state: "detached", timeout: 5000 });
    expect(await fitsWidth(page)).toBe(true);

    await page.locator("#agent-chat-form input[name=text]").fill("E em quantos dias?");
    await page.locator("#agent-chat-form button[type=submit]").click();
    await page.locator("#agent-chat-log .bubble-user", { hasText: "E em quantos dias?" }).waitFor();
    await page.locator("#agent-chat-log .bubble-assistant[data-role=assistant]", { hasText: "echo: E em quantos dias?" }).waitFor();

    await page.locator("form[action$='/pin'] button").click();
    await page.locator(".agent-chat-list li.open", { hasText: "Pinned" }).waitFor();
    expect(await page.locator(".agent-chat-list li.open").textContent()).toContain(`Chat ${width}`);
    expect(await fitsWidth(page)).toBe(true);
    await context.close();
  }
  // Both chats are the member's; the owner sees neither.
  const ownerContext = await newContext({ width: 1440, as: { userId: owner.id, organizationId: organization.id } });
  const ownerPage = await ownerContext.newPage();
  await ownerPage.goto(`${server.url}/agent-chats`);
  expect(await ownerPage.locator(".agent-chat-list").count()).toBe(0);
  await ownerContext.close();
}, 60_000);
