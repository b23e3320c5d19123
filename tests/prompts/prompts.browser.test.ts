// The Instructions tab in Chromium: typing in the editor autosaves the draft (htmx, no button), the
// changelog publishes it as v2, the diff against v1 opens in place, rolling back publishes v3; the
// workflow page (persona card, instructions, versions) fits 375 and 1440 px.
import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { db } from "@/db/client";
import { promptDrafts, promptVersions } from "@/db/schema";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { useBrowser } from "../helpers/browser";
import { createOwner, memberCaller } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const { server, newContext } = await useBrowser();

const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test("autosave a draft, publish it with a changelog, see the diff, roll back; 375 and 1440 px", async () => {
  const { user, organization } = await createOwner({ orgName: "Prompt Browser" });
  const workflow = await createWorkflow(memberCaller(user.id, organization.id, "owner"), {
    name: "Vendas",
    provider: "openai",
    config: {
      model: "gpt-test",
      systemPrompt: "Seja breve.",
      persona: { name: "Ana Souza", role: "consultora", personality: "Alegre", expertise: ["energia solar", "financiamento"] },
    },
  } as never);

  const context = await newContext({ width: 1440, as: { userId: user.id, organizationId: organization.id } });
  const page = await context.newPage();
  await page.goto(`${server.url}/workflows/${workflow.id}`);
  expect(await page.locator("#persona").textContent()).toContain("Ana Souza");
  expect(await fitsWidth(page)).toBe(true);

  // Typing autosaves the draft (no click).
  await page.locator("#prompt-instructions").fill("Seja breve.\nCumprimente pelo nome.");
  await waitFor(async () => (await db.select().from(promptDrafts).where(eq(promptDrafts.workflowId, workflow.id))).length === 1, { timeoutMs: 10_000 });
  await page.locator("#draft-status time").waitFor();

  await page.locator("#prompt-changelog").fill("cumprimentar pelo nome");
  await Promise.all([page.waitForURL(/#instructions$/), page.locator("#prompt-editor button[type=submit]").first().click()]);
  const versions = await db.select().from(promptVersions).where(eq(promptVersions.workflowId, workflow.id));
  expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
  expect(versions.find((v) => v.version === 2)!.instructions).toBe("Seja breve.\nCumprimente pelo nome.");

  // The diff with the previous version opens in place.
  await page
    .locator("#prompt-versions a", { hasText: /diff|diferença/i })
    .first()
    .click();
  await page.locator("#prompt-diff .diff-added").waitFor();
  expect(await page.locator("#prompt-diff .diff-added").textContent()).toContain("Cumprimente pelo nome.");

  // Roll back to v1 (the confirmation is accepted).
  page.on("dialog", (d) => d.accept());
  await Promise.all([page.waitForLoadState("load"), page.locator("#prompt-versions form button").first().click()]);
  await waitFor(async () => (await db.select().from(promptVersions).where(eq(promptVersions.workflowId, workflow.id))).length === 3, { timeoutMs: 10_000 });
  await context.close();

  const phone = await newContext({ width: 375, as: { userId: user.id, organizationId: organization.id } });
  const small = await phone.newPage();
  await small.goto(`${server.url}/workflows/${workflow.id}`);
  expect(await small.locator("#prompt-versions").isVisible()).toBe(true);
  expect(await fitsWidth(small)).toBe(true);
  await small.goto(`${server.url}/workflows/${workflow.id}/instructions/diff?from=1&to=2`);
  expect(await fitsWidth(small)).toBe(true);
  await phone.close();
});
