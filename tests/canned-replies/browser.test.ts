import { expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { useBrowser } from "../helpers/browser";
import { createMember, createOwner } from "../helpers/factories";
import { PNG, useTempDataDir } from "../media/fixtures";

useTempDataDir();
const { server, newContext } = await useBrowser();

async function v1(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "accept-language": "en" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Nothing sticks out sideways: the page fits the viewport's width. */
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

test("an agent types /sa in the reply box, picks with the keyboard or a click, and gets the reply filled; the banner shows until dismissed; pages fit 375 and 1440 px", async () => {
  const { user: owner, organization } = await createOwner({ orgName: "Canned Browser" });
  const { secret: key } = await createApiKey({ organizationId: organization.id, name: "browser", scopes: ["*"] });
  const created = await v1(key, "POST", "/v1/instances", { name: "Sandbox", provider: "sandbox" });
  const instanceId = created.body.id;
  await v1(key, "POST", `/v1/instances/${instanceId}/connect`);
  expect((await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/scan`, {})).status).toBe(200);
  const inbound = await v1(key, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, { from: "+5511933332222", name: "Bia Lima", text: "oi" });
  const conversationId = inbound.body.conversationId;
  await v1(key, "POST", "/v1/canned-replies", { shortcut: "saudacao", title: "Boas-vindas", body: "Olá {{contact.name}}, aqui é {{agent.name}}!" });
  await v1(key, "POST", "/v1/canned-replies", { shortcut: "sabado", title: "Horário de sábado", body: "Sábado abrimos às 9h." });

  const form = new FormData();
  form.set("file", new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }), "photo.png");
  const uploaded = await fetch(`${server.url}/v1/media`, { method: "POST", body: form, headers: { authorization: `Bearer ${key}` } });
  expect(uploaded.status).toBe(201);
  const mediaId = ((await uploaded.json()) as { id: string }).id;
  await v1(key, "POST", "/v1/canned-replies", { shortcut: "catalogo", title: "Catálogo", body: "Veja o catálogo", mediaId });

  const agent = await createMember(organization.id, "agent");
  for (const width of [1440, 375]) {
    const context = await newContext({ width, as: { userId: agent.id, organizationId: organization.id } });
    const page = await context.newPage();
    await page.goto(`${server.url}/inbox/${conversationId}`);
    const box = page.locator("#reply-body");
    await box.click();
    await box.pressSequentially("Oi! /sa");
    await page.locator("#canned-suggestions [data-canned-url]").nth(1).waitFor();
    expect(await page.locator("#canned-suggestions").textContent()).toContain("/saudacao");
    // Arrow down moves to the second match (/saudacao, after /sabado); Enter inserts it instead of sending.
    await box.press("ArrowDown");
    await box.press("Enter");
    await page.waitForFunction(() => (document.getElementById("reply-body") as HTMLTextAreaElement).value.includes("Bia Lima"));
    expect(await box.inputValue()).toBe("Oi! Olá Bia Lima, aqui é Test agent!");
    expect(await page.locator("#canned-suggestions").isHidden()).toBe(true);
    expect(await fitsWidth(page)).toBe(true);

    // A reply with media attaches its file to the reply box.
    await box.fill("");
    await box.pressSequentially("/catalogo");
    await page.locator("#canned-suggestions [data-canned-url]").first().waitFor();
    await box.press("Enter");
    await page.waitForFunction(() => (document.getElementById("reply-attachment") as HTMLInputElement).files?.[0]?.name === "photo.png");
    expect(await box.inputValue()).toBe("Veja o catálogo");

    // Search by title, then a click.
    await box.fill("");
    await box.pressSequentially("/horário");
    await page.locator("#canned-suggestions [data-canned-url]").first().waitFor();
    await page.locator("#canned-suggestions [data-canned-url]").first().click();
    await page.waitForFunction(() => (document.getElementById("reply-body") as HTMLTextAreaElement).value === "Sábado abrimos às 9h.");

    await page.goto(`${server.url}/canned-replies`);
    expect(await page.locator("h1").textContent()).toBe("Canned replies");
    expect(await fitsWidth(page)).toBe(true);
    await context.close();
  }

  // The owner publishes an announcement to agents; the agent sees the banner on any page until dismissing it.
  const ownerContext = await newContext({ width: 1440, as: { userId: owner.id, organizationId: organization.id } });
  const ownerPage = await ownerContext.newPage();
  await ownerPage.goto(`${server.url}/announcements`);
  await ownerPage.fill("#announcement-form input[name=title]", "Reunião às 14h");
  await ownerPage.fill("#announcement-form textarea[name=message]", "Todos na sala 2.");
  await ownerPage.selectOption("#announcement-form select[name=type]", "warning");
  for (const role of ["owner", "admin", "supervisor"]) await ownerPage.uncheck(`#announcement-form input[name=targetRoles][value=${role}]`);
  await Promise.all([
    ownerPage.waitForResponse((r) => r.url().endsWith("/announcements") && r.request().method() === "POST"),
    ownerPage.click("#announcement-form button[type=submit]"),
  ]);
  await ownerPage.locator("td", { hasText: "Reunião às 14h" }).waitFor();
  expect(await fitsWidth(ownerPage)).toBe(true);
  const narrowOwner = await (await newContext({ width: 375, as: { userId: owner.id, organizationId: organization.id } })).newPage();
  await narrowOwner.goto(`${server.url}/announcements`);
  await narrowOwner.locator("td", { hasText: "Reunião às 14h" }).waitFor();
  expect(await fitsWidth(narrowOwner)).toBe(true);

  for (const width of [375, 1440]) {
    const context = await newContext({ width, as: { userId: agent.id, organizationId: organization.id } });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    if (width === 375) {
      await page.locator(".announcement-warning", { hasText: "Reunião às 14h" }).waitFor();
      expect(await fitsWidth(page)).toBe(true);
    } else {
      await page.locator(".announcement-warning", { hasText: "Reunião às 14h" }).waitFor();
      await page.locator(".announcement-warning button").click();
      await page.locator(".announcement-warning").waitFor({ state: "detached" });
      await page.goto(`${server.url}/inbox`);
      await page.waitForLoadState("networkidle");
      expect(await page.locator(".announcement").count()).toBe(0);
    }
    await context.close();
  }
}, 90_000);
