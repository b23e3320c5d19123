import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { config } from "@/config";
import { processPendingDocuments } from "@/features/knowledge/knowledge.jobs";
import { useBrowser } from "../helpers/browser";
import { createOwner } from "../helpers/factories";
import { startModelServer } from "./model-server";

const model = startModelServer();
// The model server plays the operator's OPENAI_BASE_URL (a workflow may use it without a key of its own).
config.openai.baseUrl = model.baseUrl;
const { server, newContext } = await useBrowser();
const PDF = join(import.meta.dir, "../fixtures/knowledge/precos.pdf");

afterAll(() => {
  model.stop();
});

test("upload a PDF to a collection → attach it to a workflow → the test chat's answer cites the PDF", async () => {
  const { user, organization } = await createOwner();
  const context = await newContext({ as: { userId: user.id, organizationId: organization.id } });
  const page = await context.newPage();

  await page.goto(`${server.url}/knowledge`);
  await page.fill("#collection-form input[name=name]", "Preços");
  await page.click("#collection-form button[type=submit]");
  await page.waitForURL(/\/knowledge\/collections\/[0-9a-f-]{36}$/);

  await page.setInputFiles("#knowledge-file", PDF);
  await page.click("#add-document form[enctype='multipart/form-data'] button[type=submit]");
  await page.locator("table a", { hasText: "precos.pdf" }).waitFor();
  // Answered at once as pending; the knowledge worker (run here once, as its loop would) indexes it and
  // the open page's table turns Ready by itself (it refreshes while a document is pending).
  expect(await page.locator("#documents-table .badge-warn").first().textContent()).toBe("Processing");
  expect(await processPendingDocuments()).toBe(1);
  await page.locator("#documents-table .badge-ok", { hasText: "Ready" }).waitFor({ timeout: 10_000 });

  await page.goto(`${server.url}/workflows`);
  await page.fill("#f-name", "Atendente");
  await page.selectOption("#f-provider", "openai");
  await page.fill("input[name='config.model']", "gpt-kb");
  await page.click("#workflow-form button[type=submit]");
  await page.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);

  // The edit form loads the organization's collections into its knowledge picker.
  const box = page.locator("#knowledge-picker input[name='config.knowledgeCollectionIds']");
  await box.waitFor();
  await box.check();
  // Saved, the page reloads (HX-Redirect) with the choice checked.
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("#workflow-form button[type=submit]")]);
  await page.locator("#knowledge-picker input[name='config.knowledgeCollectionIds']:checked").waitFor();

  await page.fill("#chat-text", "Quanto custa o Plano Profissional?");
  await page.click("#chat-form button[type=submit]");
  const reply = page.locator(".bubble-assistant[data-done=true]");
  await reply.waitFor({ timeout: 15_000 });
  const text = (await reply.textContent()) ?? "";
  expect(text).toContain("[1] precos.pdf");
  // The model was given the PDF's text for this question (and echoed the passage it cites).
  expect(text).toContain("Tabela de precos 2026");
  const system = model.state.chats.at(-1).messages.find((m: any) => m.role === "system").content as string;
  expect(system).toContain("Plano Profissional: R$ 129,90");
  const collectionUrl = page.url().replace(/\/workflows\/.*/, "");
  await context.close();

  // The knowledge pages fit a phone and a desktop.
  for (const width of [375, 1440]) {
    const narrow = await newContext({ width, height: 800, as: { userId: user.id, organizationId: organization.id } });
    const p = await narrow.newPage();
    for (const path of ["/knowledge", "/knowledge/unanswered"]) {
      await p.goto(`${collectionUrl}${path}`);
      expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `${path} at ${width}px`).toBe(true);
    }
    await p.goto(`${collectionUrl}/knowledge`);
    await p.click("table a");
    await p.waitForURL(/\/knowledge\/collections\//);
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `collection at ${width}px`).toBe(true);
    await p.click("table a");
    await p.waitForURL(/\/knowledge\/documents\//);
    expect(await p.locator(".passage").first().textContent()).toContain("Plano Profissional");
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `document at ${width}px`).toBe(true);
    await narrow.close();
  }
});
