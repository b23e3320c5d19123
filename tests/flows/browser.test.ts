import { expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { createSession } from "@/auth/session";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { flowStepSchema } from "@/features/flows/flow.schema";
import { createFlow, saveStep } from "@/features/flows/flow.service";
import { createTemplate } from "@/features/templates/template.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";

const { server, newContext } = await useBrowser();

async function seed() {
  const { user, organization } = await createOwner();
  const org = organization.id;
  await createTemplate(systemCaller("test", org), { key: "menu", body: "Hi! 1) sales 2) support", variants: [], variables: [], active: true });
  const flow = await createFlow(systemCaller("test", org), { name: "Menu" });
  const step = (s: Record<string, unknown>) => saveStep(systemCaller("test", org), flow.id, flowStepSchema.parse(s));
  await step({ key: "menu", type: "choice", templateKey: "menu", transitions: { "1": "sales", "2": "ask_name" }, order: 0 });
  await step({ key: "sales", type: "send_text", text: "Sales will call you.", order: 1, transitions: { "*": "bye" } });
  await step({ key: "ask_name", type: "collect_input", text: "Your name?", config: { variable: "customer" }, order: 2 });
  await step({ key: "thanks", type: "send_text", text: "Thanks {{customer}}!", order: 3 });
  await step({ key: "bye", type: "end", text: "Bye.", order: 4, transitions: { "*": "ghost" } });
  const [instance] = await db.insert(instances).values({ organizationId: org, name: "Main number", provider: "sandbox", status: "connected" }).returning();
  await createTrigger(
    systemCaller("test", org),
    triggerSchema.parse({
      name: "Welcome",
      match: "contains",
      pattern: "hello",
      priority: 5,
      action: "reply_template",
      templateKey: "menu",
      instanceIds: [instance!.id],
    }),
  );
  await createTrigger(systemCaller("test", org), triggerSchema.parse({ name: "Fallback", match: "any", action: "reply_template", templateKey: "menu" }));
  const { token } = await createSession(user.id, { activeOrganizationId: org });
  return { flow, token };
}

async function noHorizontalScroll(page: Page) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(scroll).toBeLessThanOrEqual(width);
}

for (const width of [375, 1440]) {
  test(`flow editor at ${width}px: problems, refused publish, try it`, async () => {
    const { flow, token } = await seed();
    const context = await newContext({ width, token });
    const page = await context.newPage();
    await page.goto(`${server.url}/flows/${flow.id}`);
    await noHorizontalScroll(page);
    expect(await page.locator("#flow-problems").textContent()).toContain('missing step "ghost"');
    expect(await page.locator("#step-bye").getAttribute("class")).toContain("has-problem");

    await page.click("text=Publish");
    await page.locator("#flow-problems >> text=Not published").waitFor({ timeout: 10_000 });

    await page.click("#try-panel button:has-text('Start')");
    await page.locator("#try-log >> text=Hi! 1) sales 2) support").waitFor({ timeout: 10_000 });
    await page.fill("#try-text", "2");
    await page.click("#try-panel button:has-text('Send')");
    await page.locator("#try-log >> text=Your name?").waitFor({ timeout: 10_000 });
    await page.fill("#try-text", "Ana");
    await page.click("#try-panel button:has-text('Send')");
    await page.locator("#try-log >> text=Thanks Ana!").waitFor({ timeout: 10_000 });
    expect(await page.locator(".try-state").textContent()).toContain("customer = Ana");
    await noHorizontalScroll(page);
    await page.screenshot({ path: `/tmp/livchat-flow-${width}.png`, fullPage: true });
    await context.close();
  });

  test(`triggers at ${width}px: list and the test box`, async () => {
    const { token } = await seed();
    const context = await newContext({ width, token });
    const page = await context.newPage();
    await page.goto(`${server.url}/triggers`);
    await noHorizontalScroll(page);
    await page.fill("#test-text", "well hello there");
    await page.click(".test-form button[type=submit]");
    await page.locator("#trigger-test-result >> text=would fire").waitFor({ timeout: 10_000 });
    expect(await page.locator("#trigger-test-result strong").textContent()).toBe("Welcome");
    await noHorizontalScroll(page);
    await page.screenshot({ path: `/tmp/livchat-triggers-${width}.png`, fullPage: true });
    await context.close();
  });
}
