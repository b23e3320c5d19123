// Built-in AI tools acting on a WhatsApp conversation (a bound workflow answering through automation),
// custom tool rules (API errors, other organizations, the outbound guard), the monthly token limit and
// the fallback path.
import { createDepartment } from "@/features/departments/department.service";
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { and, asc, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, complaints, contacts, conversations, followUpTasks, messages, paymentPromises, salesLeads, threadMessages, threads } from "@/db/schema";
import { processDueReplies } from "@/features/automation/automation.service";
import { createTemplate } from "@/features/templates/template.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { aiTokenBudget, recordAiTokens, setAiTokenLimit } from "@/features/usage/usage.service";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { api } from "../helpers/client";
import { createOwner, setupOrg, signIn } from "../helpers/factories";
import { startOpenAiCompatible } from "../workflows/engines/llm-servers";
import { systemCaller } from "@/lib/caller";

const app = createApp();
const model = startOpenAiCompatible();
config.openai.baseUrl = model.baseUrl;

/** A ViaCEP-compatible server: `GET /ws/{cep}/json/`. */
const viacep = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const m = new URL(req.url).pathname.match(/^\/ws\/(\d{8})\/json\/$/);
    if (!m) return new Response("bad request", { status: 400 });
    if (m[1] === "01001000")
      return Response.json({ cep: "01001-000", logradouro: "Praça da Sé", complemento: "lado ímpar", bairro: "Sé", localidade: "São Paulo", uf: "SP" });
    return Response.json({ erro: true });
  },
});

beforeEach(() => {
  config.allowPrivateWebhookTargets = true;
});
afterAll(() => {
  model.stop();
  viacep.stop(true);
});

const at = (ms: number) => new Date(Date.now() + ms);
let phoneSeq = 100;

async function bound(tools: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { organization, user } = await createOwner();
  const org = organization.id;
  const instance = await connectedInstance(org);
  const workflow = await createWorkflow(systemCaller("test", org), {
    name: "Agent",
    provider: "openai",
    config: { model: "gpt-test", debounceSeconds: 0, tools, ...extra } as never,
  });
  await createTrigger(
    systemCaller("test", org),
    triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }),
  );
  const phone = `+55119999${String(++phoneSeq).padStart(5, "0")}`;
  return { org, instance, workflow, phone, user };
}

/** The contact writes; the due turn is answered (the model calls what the text says). */
async function turn(s: Awaited<ReturnType<typeof bound>>, text: string) {
  await contactWrites(s.instance, s.phone, text);
  await processDueReplies(at(5_000));
  const [contact] = await db.select().from(contacts).where(eq(contacts.organizationId, s.org));
  const [conversation] = await db.select().from(conversations).where(eq(conversations.organizationId, s.org));
  const [thread] = await db.select().from(threads).where(eq(threads.workflowId, s.workflow.id));
  const lines = thread ? await db.select().from(threadMessages).where(eq(threadMessages.threadId, thread.id)).orderBy(asc(threadMessages.at)) : [];
  return { contact: contact!, conversation: conversation!, thread, lines, sent: await botTexts(s.instance.id) };
}

const toolLine = (lines: { role: string; content: string }[]) => JSON.parse(lines.find((l) => l.role === "tool")!.content);

describe("built-in tools on a WhatsApp conversation", () => {
  test("hand off to a department: the conversation goes to a human, the reason is kept and audited", async () => {
    const s = await bound({ builtin: ["handoff"], departments: ["Financeiro", "Vendas"] });
    // Departments are rows of the organization; the tool names them.
    const financeiro = await createDepartment(systemCaller("test", s.org), { name: "Financeiro" });
    const r = await turn(s, 'call handoff {"reason":"cliente pediu segunda via do boleto","department":"Financeiro"}');
    expect(r.conversation.handledBy).toBe("human");
    expect(r.conversation.departmentId).toBe(financeiro.id);
    expect(toolLine(r.lines)).toMatchObject({ tool: "handoff", output: { handedOff: true, reason: "cliente pediu segunda via do boleto" } });
    expect(r.sent.at(-1)).toContain("handedOff");
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, s.org), eq(auditLogs.action, "conversation.handed_off")));
    expect(audit[0]!.actorId).toContain("cliente pediu segunda via do boleto");
    // A department the workflow does not list is refused by the tool's schema; the model is told.
    const t = model.state.requests.at(-2).tools.find((x: { function: { name: string } }) => x.function.name === "handoff");
    expect(t.function.parameters.properties.department.enum).toEqual(["Financeiro", "Vendas"]);

    // The agent who picks the conversation up sees what the AI did and why, in the inbox.
    const agent = await signIn(app, s.user.id, s.org);
    const inbox = await (await agent.get(`/inbox/${r.conversation.id}`)).text();
    expect(inbox).toContain("What the AI did in this conversation (1)");
    expect(inbox).toContain("cliente pediu segunda via do boleto");
  });

  test("read and update contact fields, add a tag", async () => {
    const s = await bound({ builtin: ["read_contact", "update_contact", "add_tag"] });
    let r = await turn(s, 'call update_contact {"name":"Maria Souza","fields":{"cpf":"123"}}');
    expect(r.contact.name).toBe("Maria Souza");
    expect(r.contact.metadata).toMatchObject({ cpf: "123" });
    r = await turn(s, 'call add_tag {"tag":" VIP "}');
    // The contacts feature's own tag rules apply (trimmed, lower-case, once).
    expect(r.contact.tags).toEqual(["vip"]);
    r = await turn(s, 'call add_tag {"tag":"vip"}');
    expect(r.contact.tags).toEqual(["vip"]);
    r = await turn(s, "call read_contact {}");
    expect(r.sent.at(-1)).toContain("Maria Souza");
    expect(r.sent.at(-1)).toContain("vip");
  });

  test("a sales lead, a complaint, a payment promise and a follow-up are stored for the contact and listed by the API", async () => {
    const s = await bound({ builtin: ["create_lead", "open_complaint", "register_payment_promise", "schedule_follow_up"] });
    await turn(s, 'call create_lead {"title":"Plano empresarial","value":1500.5}');
    await turn(s, 'call open_complaint {"subject":"Atraso","description":"Pedido 42 não chegou","severity":"high"}');
    await turn(s, 'call register_payment_promise {"amount":320,"dueDate":"2030-01-15"}');
    const r = await turn(s, `call schedule_follow_up {"at":"${new Date(Date.now() + 86_400_000).toISOString()}","note":"Ligar sobre a proposta"}`);
    const [lead] = await db.select().from(salesLeads).where(eq(salesLeads.organizationId, s.org));
    expect(lead).toMatchObject({
      title: "Plano empresarial",
      value: "1500.50",
      contactId: r.contact.id,
      conversationId: r.conversation.id,
      threadId: r.thread!.id,
    });
    const [complaint] = await db.select().from(complaints).where(eq(complaints.organizationId, s.org));
    expect(complaint).toMatchObject({ subject: "Atraso", severity: "high", status: "open" });
    const [promise] = await db.select().from(paymentPromises).where(eq(paymentPromises.organizationId, s.org));
    expect(promise).toMatchObject({ amount: "320.00", dueDate: "2030-01-15", status: "pending" });
    const [task] = await db.select().from(followUpTasks).where(eq(followUpTasks.organizationId, s.org));
    expect(task!.note).toBe("Ligar sobre a proposta");

    // The AI tools page lists them, amounts as money and times in the organization's zone.
    const page = await (await (await signIn(app, s.user.id, s.org)).get("/tools")).text();
    expect(page).toContain("Plano empresarial");
    expect(page).toContain("R$");
    expect(page).toContain("Pedido 42 não chegou");
    expect(page).toContain("Ligar sobre a proposta");
    expect(page).toMatch(/open<\/td>|open<span/);
    // The follow-up's time reads in São Paulo time (the ISO form only in the <time> attribute).
    expect(page).toContain(`<time datetime="${task!.dueAt.toISOString()}">`);
    expect(page).not.toContain(`>${task!.dueAt.toISOString()}<`);

    // A follow-up in the past is refused and the model is told why (the turn still answers).
    const past = await turn(s, 'call schedule_follow_up {"at":"2001-01-01T00:00:00Z","note":"x"}');
    expect(past.sent.at(-1)).toContain("error");
    expect(await db.select().from(followUpTasks).where(eq(followUpTasks.organizationId, s.org))).toHaveLength(1);
    // So is a due day that does not exist (not rolled over, nor left for Postgres to refuse).
    const noDay = await turn(s, 'call register_payment_promise {"amount":10,"dueDate":"2030-02-30"}');
    expect(noDay.sent.at(-1)).toMatch(/AAAA-MM-DD|YYYY-MM-DD/);
    expect(await db.select().from(paymentPromises).where(eq(paymentPromises.organizationId, s.org))).toHaveLength(1);
  });

  test("send a template and media through the conversation's number", async () => {
    const s = await bound({ builtin: ["send_template", "send_media"] });
    await createTemplate(systemCaller("test", s.org), { key: "pix", body: "Chave PIX: {{chave}}", variants: [], variables: [], active: true });
    const r = await turn(s, 'call send_template {"key":"pix","variables":{"chave":"pix@loja.com"}}');
    expect(r.sent).toContain("Chave PIX: pix@loja.com");
    // A template that does not exist is an answer to the model, not a failed turn.
    const missing = await turn(s, 'call send_template {"key":"nope"}');
    expect(missing.sent.at(-1)).toContain("error");

    await turn(s, 'call send_media {"type":"image","url":"https://cdn.example.com/catalogo.jpg","caption":"Catálogo"}');
    const [image] = await db
      .select()
      .from(messages)
      .where(and(eq(messages.organizationId, s.org), eq(messages.type, "image")));
    expect(image).toMatchObject({ direction: "outbound", sentBy: "workflow" });
    expect(JSON.stringify(image!.media)).toContain("https://cdn.example.com/catalogo.jpg");
  });

  test("CEP lookup against the configured ViaCEP-compatible URL", async () => {
    const s = await bound({ builtin: ["cep_lookup"], cepUrl: `http://127.0.0.1:${viacep.port}/ws` });
    let r = await turn(s, 'call cep_lookup {"cep":"01001-000"}');
    expect(toolLine(r.lines).output).toMatchObject({ found: true, street: "Praça da Sé", city: "São Paulo", state: "SP" });
    r = await turn(s, 'call cep_lookup {"cep":"99999999"}');
    expect(JSON.parse(r.lines.filter((l) => l.role === "tool").at(-1)!.content).output).toEqual({ found: false, cep: "99999999" });
  });

  test("the CEP URL is tenant-chosen: a private address is refused at save and at call time", async () => {
    config.allowPrivateWebhookTargets = false;
    const { key } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/workflows", key, {
      name: "x",
      provider: "openai",
      config: { model: "m", tools: { builtin: ["cep_lookup"], cepUrl: "http://127.0.0.1:1/ws" } },
    });
    expect(created.status).toBe(422);
    expect(created.body.error.details[0].path).toBe("config.tools.cepUrl");

    // Saved while private targets were allowed (or before a DNS change): the call is refused, the turn fails over to a human.
    config.allowPrivateWebhookTargets = true;
    const s = await bound({ builtin: ["cep_lookup"], cepUrl: `http://127.0.0.1:${viacep.port}/ws` });
    config.allowPrivateWebhookTargets = false;
    const r = await turn(s, 'call cep_lookup {"cep":"01001000"}');
    expect(r.conversation.handledBy).toBe("human");
    expect(r.sent).toEqual([]);
  });
});

describe("fallback and the monthly token limit", () => {
  test("a failing tool falls back to the configured template", async () => {
    const s = await bound({ builtin: ["cep_lookup"], cepUrl: "http://127.0.0.1:1/ws" }, { fallbackTemplateKey: "sorry" });
    await createTemplate(systemCaller("test", s.org), { key: "sorry", body: "Já volto a falar com você.", variants: [], variables: [], active: true });
    const r = await turn(s, 'call cep_lookup {"cep":"01001000"}');
    expect(r.sent).toEqual(["Já volto a falar com você."]);
    expect(r.conversation.handledBy).toBe("bot");
    expect(r.lines).toEqual([]);
  });

  test("past the monthly limit the model is not called: the fallback template answers (or a human)", async () => {
    const s = await bound({}, { fallbackTemplateKey: "sorry" });
    await createTemplate(systemCaller("test", s.org), { key: "sorry", body: "Um atendente responde em breve.", variants: [], variables: [], active: true });
    await setAiTokenLimit(systemCaller("test", s.org), 30);
    let r = await turn(s, "oi");
    expect(r.sent).toEqual(["echo: oi"]);
    expect(await aiTokenBudget(s.org)).toMatchObject({ used: 18, limit: 30 });
    r = await turn(s, "tudo bem?");
    expect(r.sent.at(-1)).toBe("echo: tudo bem?");
    expect((await aiTokenBudget(s.org)).used).toBe(36);
    const calls = model.state.requests.length;
    r = await turn(s, "ainda aí?");
    expect(model.state.requests.length).toBe(calls);
    expect(r.sent.at(-1)).toBe("Um atendente responde em breve.");
    // Without a fallback template, a human.
    const s2 = await bound({});
    await setAiTokenLimit(systemCaller("test", s2.org), 10);
    await recordAiTokens({ organizationId: s2.org, tokens: 10 });
    const r2 = await turn(s2, "oi");
    expect(r2.conversation.handledBy).toBe("human");
    expect(r2.sent).toEqual([]);
  });

  test("the test chat says the limit was reached; last month's tokens do not count", async () => {
    const { key, organization } = await setupOrg(app);
    const wf = await api(app, "POST", "/v1/workflows", key, { name: "x", provider: "openai", config: { model: "m" } });
    await setAiTokenLimit(systemCaller("test", organization.id), 100);
    await recordAiTokens({ organizationId: organization.id, tokens: 100 });
    const thread = await api(app, "POST", `/v1/workflows/${wf.body.id}/threads`, key, {});
    const refused = await api(app, "POST", `/v1/threads/${thread.body.id}/messages`, key, { text: "oi" });
    expect(refused.status).toBe(502);
    expect(refused.body.error.message).toContain("limit");
    const nextMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 2));
    expect(await aiTokenBudget(organization.id, nextMonth)).toMatchObject({ used: 0, limit: 100 });
  });
});

describe("custom tools API", () => {
  const valid = () => ({
    name: "stock",
    description: "Stock of a product",
    parameters: { type: "object", properties: { sku: { type: "string" } }, required: ["sku"] },
    method: "GET",
    url: "https://api.example.com/stock",
  });

  test("logged out is 401; another organization's tool is 404 and cannot be attached to a workflow", async () => {
    const a = await setupOrg(app);
    const b = await setupOrg(app);
    const res = await app.handle(new Request("http://localhost/v1/tools"));
    expect(res.status).toBe(401);
    const tool = await api(app, "POST", "/v1/tools", a.key, valid());
    expect(tool.status).toBe(201);
    for (const [method, body] of [
      ["GET", undefined],
      ["PATCH", { description: "x" }],
      ["DELETE", undefined],
    ] as const) {
      expect((await api(app, method, `/v1/tools/${tool.body.id}`, b.key, body)).status).toBe(404);
    }
    const wf = await api(app, "POST", "/v1/workflows", b.key, { name: "x", provider: "openai", config: { model: "m", tools: { custom: [tool.body.id] } } });
    expect(wf.status).toBe(422);
    expect(wf.body.error.details[0].path).toBe("config.tools.custom.0");
    // B's record listing never shows A's records.
    expect((await api(app, "GET", "/v1/tools/records?kind=leads", b.key)).body.data).toEqual([]);
  });

  test("bad input is a 422 with field errors: name, builtin name, schema, URL, secret without value, duplicate", async () => {
    const { key } = await setupOrg(app);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid(), name: "9bad name" }, "name"],
      [{ ...valid(), name: "handoff" }, "name"],
      [{ ...valid(), parameters: { type: "string" } }, "parameters"],
      [{ ...valid(), parameters: { type: "object", properties: { a: { type: "nonsense" } } } }, "parameters"],
      [{ ...valid(), url: "ftp://x" }, "url"],
      [{ ...valid(), headers: [{ name: "X-Key", secret: true }] }, "headers.0.value"],
      [{ ...valid(), timeoutMs: 10 }, "timeoutMs"],
    ];
    for (const [body, path] of cases) {
      const res = await api(app, "POST", "/v1/tools", key, body);
      expect([path, res.status]).toEqual([path, 422]);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    expect((await api(app, "POST", "/v1/tools", key, valid())).status).toBe(201);
    const dup = await api(app, "POST", "/v1/tools", key, valid());
    expect(dup.status).toBe(422);
    expect(dup.body.error.details[0].path).toBe("name");
  });

  test("a private URL is refused at save and again when the model calls the tool (the outbound guard)", async () => {
    config.allowPrivateWebhookTargets = false;
    const { key } = await setupOrg(app);
    for (const url of ["http://127.0.0.1:8080/x", "http://169.254.169.254/latest", "http://[::1]/x"]) {
      const res = await api(app, "POST", "/v1/tools", key, { ...valid(), url });
      expect([url, res.status, res.body.error.details[0].path]).toEqual([url, 422, "url"]);
    }
    // Saved while private targets were allowed (or before a DNS change): the call is refused, the turn fails.
    config.allowPrivateWebhookTargets = true;
    const tool = await api(app, "POST", "/v1/tools", key, { ...valid(), url: `http://127.0.0.1:${viacep.port}/ws/01001000/json/` });
    const wf = await api(app, "POST", "/v1/workflows", key, { name: "x", provider: "openai", config: { model: "m", tools: { custom: [tool.body.id] } } });
    const thread = await api(app, "POST", `/v1/workflows/${wf.body.id}/threads`, key, {});
    config.allowPrivateWebhookTargets = false;
    const answer = await api(app, "POST", `/v1/threads/${thread.body.id}/messages`, key, { text: 'call stock {"sku":"1"}' });
    expect(answer.status).toBe(502);
    expect(answer.body.error.message).toMatch(/stock: .*loopback/);
  });

  test("moving the URL drops secret header values: they must be given again", async () => {
    const { key } = await setupOrg(app);
    const tool = await api(app, "POST", "/v1/tools", key, { ...valid(), headers: [{ name: "X-Key", value: "s3cret", secret: true }] });
    const kept = await api(app, "PATCH", `/v1/tools/${tool.body.id}`, key, { description: "changed" });
    expect(kept.body.headers[0]).toEqual({ name: "X-Key", secret: true, value: null, hasValue: true });
    const moved = await api(app, "PATCH", `/v1/tools/${tool.body.id}`, key, { url: "https://other.example.com/x" });
    expect(moved.status).toBe(422);
    expect(moved.body.error.details[0].path).toBe("headers.0.value");
    const given = await api(app, "PATCH", `/v1/tools/${tool.body.id}`, key, {
      url: "https://other.example.com/x",
      headers: [{ name: "X-Key", value: "new", secret: true }],
    });
    expect(given.status).toBe(200);
  });

  test("records are listed per kind and contact", async () => {
    const s = await bound({ builtin: ["create_lead"] });
    const r = await turn(s, 'call create_lead {"title":"Lead A"}');
    const { createApiKey } = await import("@/features/api-keys/api-key.service");
    const { secret } = await createApiKey({ organizationId: s.org, name: "k", scopes: ["*"] });
    const list = await api(app, "GET", `/v1/tools/records?kind=leads&contactId=${r.contact.id}`, secret);
    expect(list.status).toBe(200);
    expect(list.body.data.map((l: { title: string }) => l.title)).toEqual(["Lead A"]);
    expect((await api(app, "GET", "/v1/tools/records?kind=unknown", secret)).status).toBe(422);
    const outbound = await db.select().from(messages).where(eq(messages.organizationId, s.org));
    expect(outbound.length).toBeGreaterThan(0);
  });
});
