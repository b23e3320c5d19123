import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { config } from "@/config";
import { recordAudit } from "@/features/audit/audit.service";
import { createUser } from "@/features/auth/auth.service";
import { recordEvent } from "@/features/events/event.service";
import { createFlow, saveStep } from "@/features/flows/flow.service";
import { flowStepSchema } from "@/features/flows/flow.schema";
import { createInvitation } from "@/features/members/invitation.service";
import { addMember } from "@/features/organizations/organization.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { incrementUsage } from "@/features/usage/usage.service";
import { drainDueDeliveries } from "@/features/webhooks/delivery.send";
import { useBrowser } from "../helpers/browser";
import { api } from "../helpers/client";
import { createMember, createOwner, setupOrg, memberCaller } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";

/**
 * Every admin and public page, seeded with realistic (long, hostile) data, at a phone width and a
 * desktop width: 200, no sideways scrolling, no text running off the screen, the XSS name as text,
 * no console errors. Screenshots land in data/screens/ for a human (or agent) to look at.
 */

const XSS = "<img src=x onerror=alert(1)>";
const LONG = "Atendimento Comercial Região Metropolitana de São Paulo — Filial Centro Histórico";
const WIDTHS = [
  { width: 375, height: 800 },
  { width: 1440, height: 900 },
] as const;
const SHOTS = `${process.cwd()}/data/screens`;

const { server, browser, newContext } = await useBrowser();
const { app } = server;
let subscriber: ReturnType<typeof Bun.serve>;
let pages: { name: string; path: string }[] = [];
let publicPages: { name: string; path: string }[] = [];
let ownerId = "";
let orgId = "";
let webhookId = "";

const step = (s: Record<string, unknown>) => flowStepSchema.parse(s);

async function seed() {
  config.allowPrivateWebhookTargets = true;
  subscriber = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) =>
      new URL(req.url).pathname.includes("fail") ? new Response("<h1>Internal error: upstream database unavailable</h1>", { status: 500 }) : new Response("ok"),
  });
  const { user, organization, key, apiKey } = await setupOrg(app, { orgName: `${LONG} ${XSS}` });
  ownerId = user.id;
  orgId = organization.id;
  const ok = (res: { status: number; body: any }, what: string) => {
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  // Instances on the sandbox: one connected with traffic, one with a hostile name, one idle.
  const instanceIds: string[] = [];
  for (const name of [LONG.slice(0, 60), XSS, "Suporte"]) {
    const created = ok(await api(app, "POST", "/v1/instances", key, { name, provider: "sandbox" }), "instance");
    instanceIds.push(created.id);
  }
  const [main] = instanceIds as [string];
  ok(await api(app, "POST", `/v1/instances/${main}/connect`, key), "connect");
  ok(await api(app, "POST", `/v1/sandbox/instances/${main}/scan`, key, {}), "scan");

  // Contacts writing in: long names, a hostile name, long unbroken text.
  const people = [
    { from: "+5511999990001", name: XSS, text: `Olá! ${XSS} quero saber do pedido` },
    {
      from: "+5511999990002",
      name: "Maria Aparecida dos Santos Oliveira Figueiredo de Albuquerque",
      text: "Bom dia, o boleto venceu e preciso de uma segunda via com a data atualizada, por favor.",
    },
    { from: "+5511999990003", name: "João", text: `https://example.com/${"a".repeat(180)}?utm_source=whatsapp&utm_campaign=${"b".repeat(60)}` },
    { from: "+5511999990004", name: "Ana", text: "oi" },
  ];
  let conversationId = "";
  let contactId = "";
  for (const p of people) {
    const r = ok(await api(app, "POST", `/v1/sandbox/instances/${main}/inbound`, key, p), "inbound");
    conversationId ||= r.conversationId;
    contactId ||= r.contactId;
  }
  for (let i = 0; i < 6; i++) {
    ok(
      await api(app, "POST", `/v1/sandbox/instances/${main}/inbound`, key, { from: people[0]!.from, text: `Mensagem ${i}: ${"texto longo ".repeat(i * 4)}` }),
      "inbound",
    );
  }
  ok(
    await api(app, "POST", "/v1/messages", key, {
      to: people[0]!.from,
      type: "text",
      text: `Resposta com link https://livchat.example/pedidos/${"9".repeat(40)}`,
    }),
    "send",
  );
  ok(
    await api(app, "POST", "/v1/contacts", key, {
      phone: "+5521988887777",
      name: `${LONG} ${XSS}`,
      tags: ["vip", "cliente-recorrente-desde-2019", "região: grande são paulo"],
    }),
    "contact",
  );

  // Templates, a flow, a workflow, triggers.
  ok(
    await api(app, "POST", "/v1/templates", key, {
      key: "boas-vindas",
      body: `Olá {{name}}, bem-vindo à ${LONG}! ${XSS}`,
      variants: ["Oi {{name}}!"],
      category: "onboarding",
      locale: "pt_BR",
    }),
    "template",
  );
  const tpl = ok(
    await api(app, "POST", "/v1/templates", key, {
      key: "menu.principal.com.uma.chave.bem.comprida.para.testar",
      body: "1) Vendas\n2) Suporte\n3) Financeiro",
    }),
    "template",
  );
  const templateId = tpl.id;
  const flow = await createFlow(systemCaller("test", orgId), { name: `Menu principal ${XSS}` });
  await saveStep(
    systemCaller("test", orgId),
    flow.id,
    step({
      key: "menu",
      type: "send_template",
      templateKey: "menu.principal.com.uma.chave.bem.comprida.para.testar",
      waitForInput: true,
      transitions: { "1": "vendas", "2": "nome", "uma resposta bem comprida com muitas palavras": "fim" },
      order: 0,
    }),
  );
  await saveStep(
    systemCaller("test", orgId),
    flow.id,
    step({ key: "vendas", type: "send_text", text: `Vendas: ${"https://example.com/catalogo/".padEnd(120, "x")}`, order: 1, transitions: { "*": "fim" } }),
  );
  await saveStep(
    systemCaller("test", orgId),
    flow.id,
    step({ key: "nome", type: "collect_input", text: "Qual é o seu nome?", config: { variable: "customer" }, order: 2 }),
  );
  await saveStep(systemCaller("test", orgId), flow.id, step({ key: "fim", type: "end", text: "Até logo.", order: 3 }));
  await saveStep(systemCaller("test", orgId), flow.id, step({ key: "orfao", type: "send_text", text: "Nunca chega aqui", order: 4 }));
  const wf = ok(
    await api(app, "POST", "/v1/workflows", key, {
      name: `Assistente de vendas ${XSS}`,
      description: LONG,
      provider: "openai",
      config: {
        baseUrl: `http://127.0.0.1:9/v1/${"deep/".repeat(20)}`,
        apiKey: "sk-screens",
        model: "gpt-4o-mini-2024-07-18-with-a-long-suffix",
        systemPrompt: "Você é um atendente.".repeat(20),
      },
    }),
    "workflow",
  );
  const workflowId = wf.id;
  ok(await api(app, "POST", `/v1/workflows/${workflowId}/threads`, key, { title: `Conversa de teste ${XSS}` }), "thread");
  await createTrigger(
    systemCaller("test", orgId),
    triggerSchema.parse({
      name: `Palavra-chave ${XSS}`,
      match: "contains",
      pattern: "pedido",
      action: "reply_template",
      templateKey: "boas-vindas",
      priority: 10,
      cooldownSeconds: 3600,
      instanceIds: [main],
    }),
  );
  await createTrigger(
    systemCaller("test", orgId),
    triggerSchema.parse({ name: "", match: "regex", pattern: "^(menu|inicio|começar|voltar ao menu principal)$", action: "start_flow", flowId: flow.id }),
  );
  const t3 = await createTrigger(
    systemCaller("test", orgId),
    triggerSchema.parse({ name: LONG, match: "first_message", action: "hand_to_workflow", workflowId, active: false }),
  );

  // A webhook to a long URL with deliveries (one failing endpoint too), then an event of each kind.
  const hook = ok(
    await api(app, "POST", "/v1/webhooks", key, {
      url: `http://127.0.0.1:${subscriber.port}/hooks/livchat/${"segment-".repeat(12)}end?token=${"t".repeat(50)}`,
      name: `CRM ${XSS}`,
      eventTypes: ["message.received", "message.sent"],
    }),
    "webhook",
  );
  webhookId = hook.id;
  ok(await api(app, "POST", "/v1/webhooks", key, { url: `http://127.0.0.1:${subscriber.port}/fail`, name: LONG.slice(0, 90) }), "webhook");
  await recordEvent({ organizationId: orgId, instanceId: main, type: "message.received", data: { from: people[0]!.from, text: `${XSS} ${"x".repeat(300)}` } });
  await recordEvent({
    organizationId: orgId,
    instanceId: main,
    apiKeyId: apiKey.id,
    type: "message.sent",
    data: { to: people[1]!.from, url: `https://example.com/${"y".repeat(200)}` },
  });
  await drainDueDeliveries(5);

  // Usage over the last days, per instance.
  for (let d = 0; d < 14; d++) {
    const at = new Date(Date.now() - d * 86_400_000);
    await incrementUsage({ organizationId: orgId, instanceId: main, metric: "messages_sent", by: 20 + d * 7, at });
    await incrementUsage({ organizationId: orgId, instanceId: main, metric: "messages_received", by: 35 + d * 3, at });
    await incrementUsage({ organizationId: orgId, apiKeyId: apiKey.id, metric: "api_calls", by: 1000 + d * 123, at });
  }

  // Members, API keys, devices, invitations, audit rows.
  const hostile = await createUser({
    email: `very.long.email.address.for.testing.layouts-${Date.now()}@subdomain.example-company.test`,
    password: "correct horse battery",
    name: XSS,
  });
  await addMember(orgId, hostile.id, "supervisor");
  await createMember(orgId, "agent");
  await createInvitation(memberCaller(ownerId, orgId, "owner"), { email: "pending-person-with-a-long-address@example-company.test", role: "agent" });
  const { token: inviteToken } = await createInvitation(memberCaller(ownerId, orgId, "owner"), { email: "invitee@example.test", role: "admin" });
  ok(await api(app, "POST", "/v1/devices", key, { name: `Caixa da loja ${XSS}`, kind: "server", createKey: true }), "device");
  ok(await api(app, "POST", "/v1/devices", key, { name: LONG.slice(0, 80) }), "device");
  for (let i = 0; i < 5; i++) {
    await recordAudit({
      organizationId: orgId,
      actor: { type: "user", id: ownerId },
      action: "webhook.updated",
      target: { type: "webhook", id: webhookId },
      details: { name: XSS, url: `https://example.com/${"z".repeat(150)}`, note: "x ".repeat(80) },
    });
  }

  pages = [
    { name: "dashboard", path: "/" },
    { name: "inbox", path: "/inbox" },
    { name: "inbox-conversation", path: `/inbox/${conversationId}` },
    { name: "instances", path: "/instances" },
    { name: "instance", path: `/instances/${main}` },
    { name: "contacts", path: "/contacts" },
    { name: "contact", path: `/contacts/${contactId}` },
    { name: "templates", path: "/templates" },
    { name: "template", path: `/templates/${templateId}` },
    { name: "triggers", path: "/triggers" },
    { name: "trigger", path: `/triggers/${t3.id}` },
    { name: "flows", path: "/flows" },
    { name: "flow", path: `/flows/${flow.id}` },
    { name: "workflows", path: "/workflows" },
    { name: "workflow", path: `/workflows/${workflowId}` },
    { name: "webhooks", path: "/webhooks" },
    { name: "webhook-new", path: "/webhooks/new" },
    { name: "webhook", path: `/webhooks/${webhookId}` },
    { name: "events", path: "/events" },
    { name: "usage", path: "/usage" },
    { name: "api-keys", path: "/api-keys" },
    { name: "devices", path: "/devices" },
    { name: "members", path: "/members" },
    { name: "departments", path: "/departments" },
    { name: "greeting-menu", path: `/departments/menus/${main}` },
    { name: "audit", path: "/audit" },
    { name: "settings", path: "/settings" },
    { name: "organization-new", path: "/organizations/new" },
  ];
  publicPages = [
    { name: "login", path: "/login" },
    { name: "signup", path: "/signup" },
    { name: "try", path: "/try" },
    { name: "invitation", path: `/invitations/${inviteToken}` },
  ];
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await seed();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  subscriber?.stop(true);
  server.stop();
});

async function contextAt(size: { width: number; height: number }, signedIn: boolean): Promise<BrowserContext> {
  return newContext({ ...size, as: signedIn ? { userId: ownerId, organizationId: orgId } : undefined });
}

/** Elements whose box runs past the viewport and is not clipped by a scrolling/hidden ancestor. */
function offenders(page: Page) {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const out: string[] = [];
    const clipped = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox !== "visible") {
          const r = p.getBoundingClientRect();
          return r.right <= vw + 1 && r.left >= -1;
        }
      }
      return false;
    };
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      const style = getComputedStyle(el);
      if (style.display === "none" || style.visibility === "hidden" || style.position === "fixed") continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || (r.width <= 1 && r.height <= 1)) continue;
      if (el.scrollWidth > el.clientWidth + 1 && style.overflowX === "visible" && el.clientWidth > 0 && r.right <= vw + 1) {
        // Content spilling out of a box that does not clip it (e.g. a wide table in a plain div).
        const child = Array.from(el.children).find((c) => c.getBoundingClientRect().right > vw + 1);
        if (child)
          out.push(`${el.tagName.toLowerCase()}.${String(el.className)} spills: ${child.tagName.toLowerCase()}.${String((child as HTMLElement).className)}`);
      }
      if ((r.right > vw + 1 || r.left < -1) && !clipped(el)) {
        const id = el.id ? `#${el.id}` : "";
        const cls = typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).join(".")}` : "";
        out.push(`${el.tagName.toLowerCase()}${id}${cls} [${Math.round(r.left)}..${Math.round(r.right)}] "${(el.textContent ?? "").trim().slice(0, 40)}"`);
      }
    }
    return out.slice(0, 8);
  });
}

async function visit(context: BrowserContext, name: string, path: string, width: number) {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400 && r.url() !== `${server.url}${path}`) errors.push(`${r.status()} ${r.url()}`);
  });
  page.on("dialog", (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  const res = await page.goto(`${server.url}${path}`, { waitUntil: "load" });
  const problems: string[] = [];
  if (res?.status() !== 200) problems.push(`status ${res?.status()}`);
  // Let htmx settle (lazy fragments, live status) before measuring: no request of its own still in flight.
  await page.waitForFunction(() => document.querySelectorAll(".htmx-request").length === 0);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) {
    const widest = await page.evaluate(() => {
      const all = Array.from(document.body.querySelectorAll("*")).map((el) => ({ el, r: el.getBoundingClientRect().right }));
      all.sort((a, b) => b.r - a.r);
      return all.slice(0, 3).map(({ el, r }) => `${el.tagName.toLowerCase()}.${String(el.className)}→${Math.round(r)}`);
    });
    problems.push(`page scrolls sideways by ${overflow}px (widest: ${widest.join(", ")})`);
  }
  for (const o of await offenders(page)) problems.push(`runs off screen: ${o}`);
  if ((await page.locator("img[src=x]").count()) > 0) problems.push("XSS name rendered as an element");
  if (errors.length) problems.push(`console: ${errors.join(" | ")}`);
  await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
  await page.close();
  return problems.map((p) => `${name} @${width}: ${p}`);
}

describe("every page at 375 px and 1440 px", () => {
  for (const size of WIDTHS) {
    test(`admin pages at ${size.width} px`, async () => {
      const context = await contextAt(size, true);
      const problems: string[] = [];
      for (const p of pages) problems.push(...(await visit(context, p.name, p.path, size.width)));
      // The delivery detail needs a delivery id, which the webhook page lists.
      const probe = await context.newPage();
      await probe.goto(`${server.url}/webhooks/${webhookId}`);
      const href = await probe.locator(`a[href*="/webhooks/${webhookId}/deliveries/"]`).first().getAttribute("href");
      await probe.close();
      if (!href) problems.push("webhook page lists no delivery");
      else problems.push(...(await visit(context, "webhook-delivery", href, size.width)));
      // Same for one event's detail page.
      const events = await context.newPage();
      await events.goto(`${server.url}/events`);
      const eventHref = await events.locator('a[href^="/events/"]').first().getAttribute("href");
      await events.close();
      if (!eventHref) problems.push("events page lists no event");
      else problems.push(...(await visit(context, "event", eventHref, size.width)));
      await context.close();
      expect(problems).toEqual([]);
    }, 120_000);

    test(`public pages at ${size.width} px`, async () => {
      const context = await contextAt(size, false);
      const problems: string[] = [];
      for (const p of publicPages) problems.push(...(await visit(context, p.name, p.path, size.width)));
      await context.close();
      expect(problems).toEqual([]);
    }, 60_000);
  }

  test("a new, empty organization: every list explains itself instead of showing a bare table", async () => {
    const { user, organization } = await createOwner({ orgName: "Fresh start" });
    const context = await newContext({ ...WIDTHS[0], as: { userId: user.id, organizationId: organization.id } });
    const problems: string[] = [];
    // /usage is visited for its layout only: an empty range still draws zero charts and a table of zeros.
    const lists = [
      "/",
      "/inbox",
      "/instances",
      "/contacts",
      "/templates",
      "/triggers",
      "/flows",
      "/workflows",
      "/webhooks",
      "/events",
      "/api-keys",
      "/devices",
    ];
    problems.push(...(await visit(context, "empty-usage", "/usage", WIDTHS[0].width)));
    for (const path of lists) {
      const name = `empty-${path === "/" ? "dashboard" : path.slice(1)}`;
      problems.push(...(await visit(context, name, path, WIDTHS[0].width)));
      const page = await context.newPage();
      await page.goto(`${server.url}${path}`);
      const explained = await page.locator(".empty:visible, .getting-started:visible").count();
      if (explained === 0) problems.push(`${path}: no empty state`);
      await page.close();
    }
    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  test("phone navigation: the menu opens from the top bar and its links work", async () => {
    const context = await contextAt(WIDTHS[0], true);
    const page = await context.newPage();
    await page.goto(`${server.url}/contacts`);
    const nav = page.locator("#main-nav");
    // Closed by default on a phone so the page starts with its own content.
    expect(await nav.isVisible()).toBe(false);
    await page.click("label.nav-button");
    expect(await nav.isVisible()).toBe(true);
    expect(await nav.locator("a[aria-current=page]").textContent()).toBe("Contacts");
    await page.screenshot({ path: `${SHOTS}/menu-open-375.png` });
    await Promise.all([page.waitForURL(`${server.url}/webhooks`), nav.locator("a", { hasText: "Webhooks" }).click()]);
    expect(await page.locator("h1").first().textContent()).toBe("Webhooks");
    expect(await page.locator("#main-nav").isVisible()).toBe(false);
    // On a desktop the navigation is always there and the Menu button is not.
    const wide = await contextAt(WIDTHS[1], true);
    const desk = await wide.newPage();
    await desk.goto(`${server.url}/contacts`);
    expect(await desk.locator("#main-nav").isVisible()).toBe(true);
    expect(await desk.locator("label.nav-button").isVisible()).toBe(false);
    await wide.close();
    await context.close();
  }, 30_000);

  test("a form with field errors (422) re-renders in place and still fits a phone", async () => {
    const context = await contextAt(WIDTHS[0], true);
    const page = await context.newPage();
    await page.goto(`${server.url}/webhooks/new`);
    await page.fill("input[name=url]", "ftp://nope");
    await page.locator("form button[type=submit]").last().click();
    await page.locator(".field.has-error .error").first().waitFor({ timeout: 10_000 });
    expect(await page.locator(".field.has-error .error").first().textContent()).toContain("http");
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(1);
    await page.screenshot({ path: `${SHOTS}/webhook-form-422-375.png`, fullPage: true });
    await context.close();
  }, 30_000);
});
