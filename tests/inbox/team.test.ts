import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { db, rowsOf } from "@/db/client";
import { auditLogs, conversations } from "@/db/schema";
import { messageSearchSql } from "@/features/conversations/inbox.service";
import { api } from "../helpers/client";
import { createMember, memberCaller, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let instanceA: string;
let instanceB: string;
let ana: { conversationId: string; contactId: string };
let bruno: { conversationId: string; contactId: string };
let carla: { conversationId: string; contactId: string };
let foreign: { conversationId: string; contactId: string };
let salesId: string;
let supportId: string;
let agentId: string;

const listIds = (body: any) => body.data.map((c: any) => c.id).sort();

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Team Inbox A" });
  other = await setupOrg(app, { orgName: "Team Inbox B" });
  instanceA = await connectedSandbox(app, org.key, "Loja");
  instanceB = await connectedSandbox(app, org.key, "Suporte");
  ana = await inbound(app, org.key, instanceA, { from: "+5511911110001", name: "Ana", text: "Quero saber dos pagamentos atrasados" });
  bruno = await inbound(app, org.key, instanceB, { from: "+5511911110002", name: "Bruno", text: "Meu pedido não chegou" });
  carla = await inbound(app, org.key, instanceA, { from: "+5511911110003", name: "Carla", text: "Obrigada pelo atendimento" });
  const otherInstance = await connectedSandbox(app, other.key);
  foreign = await inbound(app, other.key, otherInstance, { from: "+5511911110009", name: "Zé", text: "pagamento feito" });
  const sales = await api(app, "POST", "/v1/departments", org.key, { name: "Vendas", color: "#ff0000" });
  const support = await api(app, "POST", "/v1/departments", org.key, { name: "Suporte", color: "#00ff00" });
  expect(sales.status).toBe(201);
  salesId = sales.body.id;
  supportId = support.body.id;
  agentId = (await createMember(org.organization.id, "agent")).id;
  expect((await api(app, "PATCH", `/v1/departments/${salesId}`, org.key, { memberIds: [agentId] })).status).toBe(200);
  await db.update(conversations).set({ departmentId: salesId }).where(eq(conversations.id, ana.conversationId));
  await db.update(conversations).set({ departmentId: supportId }).where(eq(conversations.id, bruno.conversationId));
});

describe("inbox filters", () => {
  test("each filter narrows the API list and the admin list alike", async () => {
    // Unread: Ana and Bruno stay unread, Carla's is read.
    await db.update(conversations).set({ unreadCount: 0 }).where(eq(conversations.id, carla.conversationId));
    expect(listIds((await api(app, "GET", "/v1/conversations?unread=true", org.key)).body)).toEqual([ana.conversationId, bruno.conversationId].sort());
    expect(listIds((await api(app, "GET", "/v1/conversations?unread=false", org.key)).body)).toEqual([carla.conversationId]);

    expect(listIds((await api(app, "GET", `/v1/conversations?departmentId=${salesId}`, org.key)).body)).toEqual([ana.conversationId]);
    expect(listIds((await api(app, "GET", "/v1/conversations?departmentId=none", org.key)).body)).toEqual([carla.conversationId]);
    expect(listIds((await api(app, "GET", `/v1/conversations?instanceId=${instanceB}`, org.key)).body)).toEqual([bruno.conversationId]);

    await api(app, "POST", `/v1/conversations/${carla.conversationId}/assign`, org.key, { userId: agentId });
    expect(listIds((await api(app, "GET", `/v1/conversations?assigned=${agentId}`, org.key)).body)).toEqual([carla.conversationId]);
    expect(listIds((await api(app, "GET", "/v1/conversations?assigned=none", org.key)).body)).toEqual([ana.conversationId, bruno.conversationId].sort());

    const label = await api(app, "POST", "/v1/labels", org.key, { name: "VIP", color: "#AA00FF" });
    expect(label.status).toBe(201);
    expect((await api(app, "POST", `/v1/conversations/${bruno.conversationId}/labels`, org.key, { labelId: label.body.id })).status).toBe(204);
    const byLabel = await api(app, "GET", `/v1/conversations?labelId=${label.body.id}`, org.key);
    expect(listIds(byLabel.body)).toEqual([bruno.conversationId]);
    expect(byLabel.body.data[0].labels).toEqual([{ id: label.body.id, name: "VIP", color: "#aa00ff" }]);

    // Dates are whole days of the organization's zone (America/Sao_Paulo) on the last message.
    const when = new Date("2026-03-10T02:30:00Z"); // 9 March, 23:30 in São Paulo
    await db.update(conversations).set({ lastMessageAt: when }).where(eq(conversations.id, ana.conversationId));
    expect(listIds((await api(app, "GET", "/v1/conversations?from=2026-03-09&to=2026-03-09", org.key)).body)).toEqual([ana.conversationId]);
    expect(listIds((await api(app, "GET", "/v1/conversations?from=2026-03-10&to=2026-03-10", org.key)).body)).toEqual([]);
    expect((await api(app, "GET", "/v1/conversations?from=10-03-2026", org.key)).status).toBe(422);

    // The admin list takes the same filters from its URL (shareable) and answers only the matching rows.
    const page = await (await org.client.get(`/inbox?status=all&labelId=${label.body.id}`)).text();
    expect(page).toContain(`conv-${bruno.conversationId}`);
    expect(page).not.toContain(`conv-${ana.conversationId}`);
    expect(page).toContain('id="inbox-filter-form"');
    const mine = await (await org.client.get(`/inbox/list?status=all&assignee=${agentId}`)).text();
    expect(mine).toContain(`conv-${carla.conversationId}`);
    expect(mine).not.toContain(`conv-${bruno.conversationId}`);
    const byDept = await (await org.client.get(`/inbox/list?status=all&departmentId=${supportId}&unread=1&instanceId=${instanceB}`)).text();
    expect(byDept).toContain(`conv-${bruno.conversationId}`);
    expect(byDept).not.toContain(`conv-${ana.conversationId}`);
    // A hand-edited bad value is dropped, not a 500.
    expect((await org.client.get("/inbox?labelId=nope&from=yesterday")).status).toBe(200);
  });
});

describe("full-text search (Portuguese)", () => {
  test("stems match both ways, snippets are escaped, other organizations and hidden departments stay out", async () => {
    const found = await api(app, "GET", "/v1/conversations/search?q=pagamento", org.key);
    expect(found.status).toBe(200);
    expect(found.body.data.map((h: any) => h.conversationId)).toEqual([ana.conversationId]);
    expect(found.body.data[0].snippet).toContain("<mark>pagamentos</mark>");
    // The other way round: the stored word is singular in the other organization.
    const plural = await api(app, "GET", "/v1/conversations/search?q=pagamentos", other.key);
    expect(plural.body.data.map((h: any) => h.conversationId)).toEqual([foreign.conversationId]);
    expect((await api(app, "GET", "/v1/conversations/search?q=x", org.key)).status).toBe(422);

    // A message with markup is found and shown escaped.
    await inbound(app, org.key, instanceA, { from: "+5511911110001", text: "o boleto <img src=x onerror=alert(1)> venceu ontem" });
    const html = await api(app, "GET", "/v1/conversations/search?q=boleto", org.key);
    expect(html.body.data[0].snippet).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html.body.data[0].snippet).not.toContain("<img");
    const page = await (await org.client.get("/inbox?q=boletos")).text();
    expect(page).toContain(`hit-`);
    expect(page).toContain("<mark>boleto</mark>");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page).not.toContain("<img src=x");

    // An agent of Vendas sees Ana's (Vendas) but not Bruno's (Suporte) messages.
    const agent = memberCaller(agentId, org.organization.id, "agent");
    const agentClient = await signIn(app, agentId, org.organization.id);
    const asAgent = await (await agentClient.get("/inbox/list?q=pedido")).text();
    expect(asAgent).not.toContain(bruno.conversationId);
    const asOwner = await (await org.client.get("/inbox/list?q=pedido")).text();
    expect(asOwner).toContain(bruno.conversationId);
    expect(agent.role).toBe("agent");
  });

  test("the GIN expression index answers the search (EXPLAIN of the very statement)", async () => {
    // Enough of the organization's own messages that reading them all would cost more than the index;
    // the searched word is rare among them (as in a real inbox at 1 M messages).
    await db.execute(sql`
      insert into messages (organization_id, instance_id, conversation_id, contact_id, direction, type, body, status)
      select c.organization_id, c.instance_id, c.id, c.contact_id, 'inbound', 'text',
        'mensagem de teste número ' || g || ' sobre entrega e suporte ' || md5(g::text), 'delivered'
      from conversations c, generate_series(1, 10000) g
      where c.id in (${ana.conversationId}::uuid, ${bruno.conversationId}::uuid, ${carla.conversationId}::uuid)`);
    await db.execute(sql`analyze messages`);
    const statement = messageSearchSql(memberCaller(org.user.id, org.organization.id, "owner"), { q: "pagamentos", limit: 30 });
    const plan = rowsOf<{ "QUERY PLAN": string }>(await db.execute(sql`explain ${statement}`))
      .map((r) => r["QUERY PLAN"])
      .join("\n");
    expect(plan).toContain("messages_body_fts_idx");
    expect(plan).not.toMatch(/Seq Scan on messages/);
  });
});

describe("bulk actions", () => {
  test("assign, label and resolve each conversation with the single action's checks", async () => {
    const label = await api(app, "POST", "/v1/labels", org.key, { name: "Cobrança", color: "#123456" });
    const ids = [ana.conversationId, bruno.conversationId, foreign.conversationId];
    const labelled = await api(app, "POST", "/v1/conversations/bulk", org.key, { action: "add_label", ids, labelId: label.body.id });
    expect(labelled.status).toBe(200);
    expect(labelled.body.done.sort()).toEqual([ana.conversationId, bruno.conversationId].sort());
    // Another organization's conversation is refused as not found, the others are done.
    expect(labelled.body.failed).toEqual([{ id: foreign.conversationId, code: "not_found", message: expect.any(String) }]);

    const assigned = await api(app, "POST", "/v1/conversations/bulk", org.key, { action: "assign", ids: [ana.conversationId], userId: other.user.id });
    expect(assigned.body.failed[0].code).toBe("validation_failed");

    // An agent of Vendas resolving through the page: Ana's (Vendas) goes, Bruno's (Suporte) is refused.
    const agent = await signIn(app, agentId, org.organization.id);
    const res = await agent.postForm(`/inbox/bulk?status=all`, { action: "resolve", ids: [ana.conversationId, bruno.conversationId] }, { htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("1 conversation changed");
    expect(html).toContain("1 conversation refused");
    const states = await db.select({ id: conversations.id, status: conversations.status }).from(conversations);
    expect(states.find((c) => c.id === ana.conversationId)?.status).toBe("resolved");
    expect(states.find((c) => c.id === bruno.conversationId)?.status).toBe("open");

    const none = await agent.postForm(`/inbox/bulk`, { action: "resolve" }, { htmx: true });
    expect(none.status).toBe(422);
    const bad = await agent.postForm(`/inbox/bulk`, { action: "explode", ids: [ana.conversationId] }, { htmx: true });
    expect(bad.status).toBe(422);

    const unlabel = await org.client.postForm(
      `/inbox/bulk?status=all`,
      { action: `remove_label:${label.body.id}`, ids: [bruno.conversationId] },
      { htmx: true },
    );
    expect(unlabel.status).toBe(200);
    const audit = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, bruno.conversationId)));
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["conversation.labeled", "conversation.unlabeled"]));
  });
});

describe("conversation view", () => {
  test("the agent's name on replies and notes, links clickable only for http(s)", async () => {
    const owner = org.client;
    await owner.postForm(
      `/inbox/${carla.conversationId}/reply`,
      { body: "Veja https://example.com/pedido?id=1&x=<b> e javascript:alert(1)", kind: "note" },
      { htmx: true },
    );
    await owner.postForm(`/inbox/${carla.conversationId}/reply`, { body: "Olá Carla!", kind: "reply" }, { htmx: true });
    const html = await (await owner.get(`/inbox/${carla.conversationId}`)).text();
    expect(html).toContain('<span class="sender agent-name small">Test Owner</span>');
    // linkify-it ends the link before the markup, which stays escaped text.
    expect(html).toContain('<a href="https://example.com/pedido?id=1&x=" target="_blank" rel="noopener noreferrer nofollow">');
    expect(html).toContain("&lt;b&gt; e javascript:alert(1)");
    expect(html).toContain('rel="noopener noreferrer nofollow"');
    expect(html).not.toContain('href="javascript:');
    const messages = await api(app, "GET", `/v1/conversations/${carla.conversationId}/messages`, org.key);
    const reply = messages.body.data.find((m: any) => m.body === "Olá Carla!");
    expect(reply.agent).toEqual({ id: org.user.id, name: "Test Owner" });
  });

  test("contact panel: fields, tags, previous conversations, NPS slot, complaint button; another org's id is 404", async () => {
    await api(app, "PATCH", `/v1/contacts/${ana.contactId}`, org.key, { metadata: { cidade: "Recife" }, tags: ["cliente-ouro"] });
    // Ana also wrote to the other number: that conversation is a previous one in the panel.
    const again = await inbound(app, org.key, instanceB, { from: "+5511911110001", text: "oi de novo" });
    const res = await org.client.get(`/inbox/${ana.conversationId}/panel`, { htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Recife");
    expect(html).toContain("cliente-ouro");
    expect(html).toContain("Previous conversations");
    expect(html).toContain(`href="/inbox/${again.conversationId}"`);
    expect(html).toContain("Satisfaction answers (NPS)");
    expect(html).toContain(`/complaints/new?conversationId=${ana.conversationId}`);
    expect((await org.client.get(`/inbox/${foreign.conversationId}/panel`, { htmx: true })).status).toBe(404);
  });

  test("unread count for the navigation, capped, visible conversations only", async () => {
    await db.update(conversations).set({ unreadCount: 2, status: "open" }).where(eq(conversations.organizationId, org.organization.id));
    const owner = await (await org.client.get("/inbox/unread", { htmx: true })).text();
    const total = (await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.organizationId, org.organization.id))).length;
    expect(owner).toContain(`data-count="${total}"`);
    const agent = await signIn(app, agentId, org.organization.id);
    const agentHtml = await (await agent.get("/inbox/unread", { htmx: true })).text();
    const agentCount = Number(/data-count="(\d+)"/.exec(agentHtml)?.[1]);
    expect(agentCount).toBeLessThan(total);
    expect((await app.handle(new Request("http://localhost/inbox/unread"))).status).not.toBe(200);
  });
});
