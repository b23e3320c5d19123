// Chromium: in hybrid mode the AI's draft appears live above the reply box of the open conversation;
// the agent edits it there and sends it; the panel fits a 375 px screen and a 1440 px one.
import { afterAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { conversations, suggestedResponses } from "@/db/schema";
import { processDueReplies } from "@/features/automation/automation.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { systemCaller } from "@/lib/caller";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { startModelServer } from "./model-server";

const model = startModelServer();
const savedBaseUrl = config.openai.baseUrl;
config.openai.baseUrl = model.baseUrl;
const { server, newContext } = await useBrowser();
afterAll(() => {
  model.stop();
  config.openai.baseUrl = savedBaseUrl;
});

for (const width of [375, 1440]) {
  test(`the draft shows up live and is edited and sent from the panel (${width} px)`, async () => {
    const { user, organization } = await createOwner({ orgName: `Hybrid ${width}` });
    const instance = await connectedInstance(organization.id);
    const workflow = await createWorkflow(systemCaller("test", organization.id), {
      name: "Drafter",
      provider: "openai",
      config: { model: "gpt-test", debounceSeconds: 0, draftOnly: true } as never,
    });
    await createTrigger(
      systemCaller("test", organization.id),
      triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }),
    );
    await contactWrites(instance, width === 375 ? "+5511988870375" : "+5511988871440", "Vocês entregam hoje?");
    const [conversation] = await db.select().from(conversations).where(eq(conversations.instanceId, instance.id));

    const context = await newContext({ width, height: 800, as: { userId: user.id, organizationId: organization.id } });
    const page = await context.newPage();
    await page.goto(`${server.url}/inbox/${conversation!.id}`);
    await page.locator("#inbox[data-connected='1']").waitFor({ timeout: 10_000 });
    await page.locator("#suggestion-panel .reply-mode-form").waitFor({ timeout: 10_000 });
    expect(await page.locator(".draft-card").count()).toBe(0);

    // The AI answers in hybrid mode: the draft arrives over the live stream, no reload.
    await processDueReplies(new Date(Date.now() + 2_000));
    const card = page.locator(".draft-card");
    await card.waitFor({ timeout: 10_000 });
    expect(await card.locator(".draft-text").textContent()).toBe("Draft: Vocês entregam hoje?");
    expect(await botTexts(instance.id)).toEqual([]);

    await card.getByRole("link", { name: "Edit" }).click();
    const text = page.locator("#draft-text");
    await text.waitFor();
    await text.fill("Sim, até as 18h.");
    await page.getByRole("button", { name: "Send edited" }).click();
    await page.locator("#draft-text").waitFor({ state: "detached", timeout: 10_000 });
    await waitFor(async () => (await botTexts(instance.id)).length === 1);
    expect(await botTexts(instance.id)).toEqual(["Sim, até as 18h."]);
    const [draft] = await db.select().from(suggestedResponses).where(eq(suggestedResponses.conversationId, conversation!.id));
    expect(draft).toMatchObject({ status: "sent", wasEdited: true, finalText: "Sim, até as 18h.", decidedBy: user.id });

    // Nothing sticks out sideways on a phone or a desktop.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await context.close();
  });
}
