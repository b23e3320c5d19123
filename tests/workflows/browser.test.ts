import { afterAll, expect, test } from "bun:test";
import { config } from "@/config";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { startOpenAiServer } from "./ai-servers";

const openai = startOpenAiServer();
// The test model server plays the operator's OPENAI_BASE_URL (the only endpoint a workflow may use without its own key).
config.openai.baseUrl = openai.baseUrl;
const { server, newContext } = await useBrowser();

afterAll(async () => {
  openai.stop();
});

test("create an openai workflow → chat in the test panel → streamed reply appears", async () => {
  openai.state.reply = () => "Hello from the streaming model, word by word.";
  const { user, organization } = await createOwner();
  const context = await newContext({ height: 720, as: { userId: user.id, organizationId: organization.id } });
  const page = await context.newPage();

  await page.goto(`${server.url}/workflows`);
  await page.fill("#f-name", "Browser bot");
  await page.selectOption("#f-provider", "openai");
  await page.fill("input[name='config.model']", "gpt-test");
  await page.fill("input[name='config.baseUrl']", openai.baseUrl);
  await page.click("#workflow-form button[type=submit]");
  await page.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);

  await page.fill("#chat-text", "hi model");
  await page.click("#chat-form button[type=submit]");
  const reply = page.locator(".bubble-assistant[data-done=true]");
  await reply.waitFor({ timeout: 10_000 });
  expect(await reply.textContent()).toBe("Hello from the streaming model, word by word.");
  expect(await page.locator(".bubble-user").textContent()).toBe("hi model");
  expect(openai.state.requests.at(-1).stream).toBe(true);
  await context.close();
});
