import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, conversations } from "@/db/schema";
import { api, TestClient } from "../helpers/client";
import { createMember, portugueseOrg, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";
import { PNG, useTempDataDir } from "../media/fixtures";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let conv: { conversationId: string; contactId: string };

beforeAll(async () => {
  useTempDataDir();
  org = await setupOrg(app, { orgName: "Canned A" });
  other = await setupOrg(app, { orgName: "Canned B" });
  const instanceId = await connectedSandbox(app, org.key);
  conv = await inbound(app, org.key, instanceId, { from: "+5511955554444", name: "Ana Souza", text: "oi" });
  const patched = await api(app, "PATCH", `/v1/contacts/${conv.contactId}`, org.key, { metadata: { city: "Recife", plan: "<b>ouro</b>" } });
  expect(patched.status).toBe(200);
});

async function uploadPng(key: string): Promise<string> {
  const form = new FormData();
  form.set("file", new Blob([PNG as Uint8Array<ArrayBuffer>], { type: "image/png" }), "photo.png");
  const res = await app.handle(new Request("http://localhost/v1/media", { method: "POST", body: form, headers: { authorization: `Bearer ${key}` } }));
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe("/v1/canned-replies", () => {
  test("CRUD with search, media of the organization, audit rows", async () => {
    const mediaId = await uploadPng(org.key);
    const created = await api(app, "POST", "/v1/canned-replies", org.key, {
      shortcut: "ola",
      title: "Saudação",
      body: "Olá {{contact.name}}, aqui é {{agent.name}}.",
      mediaId,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ shortcut: "ola", title: "Saudação", departmentId: null, mediaId });
    const second = await api(app, "POST", "/v1/canned-replies", org.key, { shortcut: "prazo", title: "Prazo de entrega", body: "Até 5 dias úteis." });
    expect(second.status).toBe(201);

    const all = await api(app, "GET", "/v1/canned-replies", org.key);
    expect(all.body.data.map((r: any) => r.shortcut)).toEqual(["ola", "prazo"]);
    const byShortcut = await api(app, "GET", "/v1/canned-replies?q=pr", org.key);
    expect(byShortcut.body.data.map((r: any) => r.shortcut)).toEqual(["prazo"]);
    const byTitle = await api(app, "GET", "/v1/canned-replies?q=entrega", org.key);
    expect(byTitle.body.data.map((r: any) => r.shortcut)).toEqual(["prazo"]);
    // `%` is a literal character, not "anything".
    expect((await api(app, "GET", "/v1/canned-replies?q=%25", org.key)).body.data).toEqual([]);

    const billing = await api(app, "POST", "/v1/departments", org.key, { name: "Financeiro" });
    const patched = await api(app, "PATCH", `/v1/canned-replies/${second.body.id}`, org.key, { departmentId: billing.body.id, mediaId: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ shortcut: "prazo", departmentId: billing.body.id, body: "Até 5 dias úteis." });
    // The reply follows the department row: renaming the department changes nothing for it.
    await api(app, "PATCH", `/v1/departments/${billing.body.id}`, org.key, { name: "Cobrança" });
    expect((await api(app, "GET", `/v1/canned-replies/${second.body.id}`, org.key)).body.departmentId).toBe(billing.body.id);
    // Another organization's department (or none at all) is a 422 on the field.
    const foreign = await api(app, "POST", "/v1/departments", other.key, { name: "Vendas" });
    const refused = await api(app, "PATCH", `/v1/canned-replies/${second.body.id}`, org.key, { departmentId: foreign.body.id });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).toContain("departmentId");
    expect((await api(app, "PATCH", `/v1/canned-replies/${second.body.id}`, org.key, { departmentId: "nope" })).status).toBe(422);
    expect((await api(app, "DELETE", `/v1/canned-replies/${second.body.id}`, org.key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/canned-replies/${second.body.id}`, org.key)).status).toBe(404);

    const actions = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, second.body.id)));
    expect(actions.map((a) => a.action).sort()).toEqual(["canned_reply.created", "canned_reply.deleted", "canned_reply.updated"]);
  });

  test("bad input is a 422 naming each field, in English and in Portuguese; a taken shortcut too", async () => {
    const bad = await api(app, "POST", "/v1/canned-replies", org.key, { shortcut: "Com Espaço", title: "", body: "" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: any) => d.path).sort()).toEqual(["body", "shortcut", "title"]);
    expect(bad.body.error.details.find((d: any) => d.path === "shortcut").message).toContain("lowercase letters");
    const pt = await api(app, "POST", "/v1/canned-replies", org.key, { shortcut: "Com Espaço", title: "x", body: "y" }, { "accept-language": "pt-BR" });
    expect(pt.status).toBe(422);
    expect(pt.body.error.details[0].message).toContain("letras minúsculas");

    await api(app, "POST", "/v1/canned-replies", org.key, { shortcut: "dup", title: "a", body: "b" });
    const dup = await api(app, "POST", "/v1/canned-replies", org.key, { shortcut: "dup", title: "a", body: "b" }, { "accept-language": "pt-BR" });
    expect(dup.status).toBe(422);
    expect(dup.body.error.details).toEqual([{ path: "shortcut", message: "Já existe uma resposta rápida com este atalho." }]);

    // Another organization's upload is not ours to attach.
    const foreignMedia = await uploadPng(other.key);
    const foreign = await api(app, "POST", "/v1/canned-replies", org.key, { shortcut: "foto", title: "Foto", body: "veja", mediaId: foreignMedia });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details.map((d: any) => d.path)).toEqual(["mediaId"]);
    expect((await api(app, "POST", "/v1/canned-replies", org.key, { shortcut: "foto", title: "Foto", body: "veja", mediaId: "nope" })).status).toBe(422);
  });

  test("another organization's ids read as 404; no key 401; a read-only key cannot write", async () => {
    const mine = await api(app, "POST", "/v1/canned-replies", org.key, { shortcut: "privada", title: "t", body: "b" });
    for (const [method, body] of [
      ["GET", undefined],
      ["PATCH", { title: "x" }],
      ["DELETE", undefined],
    ] as const) {
      expect((await api(app, method, `/v1/canned-replies/${mine.body.id}`, other.key, body)).status).toBe(404);
    }
    expect((await api(app, "GET", "/v1/canned-replies", other.key)).body.data).toEqual([]);
    expect((await api(app, "GET", "/v1/canned-replies")).status).toBe(401);
    const readOnly = await setupOrg(app, { scopes: ["messages:read"] });
    expect((await api(app, "POST", "/v1/canned-replies", readOnly.key, { shortcut: "a", title: "a", body: "a" })).status).toBe(403);
  });
});

describe("canned reply pages and the inbox reply box", () => {
  test("supervisors manage with 422 re-renders; agents read but cannot write; other orgs 404; logged out redirected", async () => {
    const supervisor = await signIn(app, (await createMember(org.organization.id, "supervisor")).id, org.organization.id);
    const bad = await supervisor.postForm("/canned-replies", { shortcut: "", title: "", body: "" }, { htmx: true });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('class="field has-error"');
    const created = await supervisor.postForm(
      "/canned-replies",
      { shortcut: "tchau", title: "Despedida", body: "Até logo!", departmentId: "", mediaId: "" },
      { htmx: true },
    );
    expect(created.status).toBe(204);
    const list = await (await supervisor.get("/canned-replies")).text();
    expect(list).toContain("/tchau");
    const id = (await api(app, "GET", "/v1/canned-replies?q=tchau", org.key)).body.data[0].id;

    const agent = await signIn(app, (await createMember(org.organization.id, "agent")).id, org.organization.id);
    const agentPage = await agent.get(`/canned-replies/${id}`);
    expect(agentPage.status).toBe(200);
    expect(await agentPage.text()).not.toContain('id="canned-reply-form"');
    expect((await agent.postForm("/canned-replies", { shortcut: "x", title: "x", body: "x" }, { htmx: true })).status).toBe(403);
    expect((await agent.postForm(`/canned-replies/${id}`, { shortcut: "x", title: "x", body: "x" }, { htmx: true })).status).toBe(403);
    expect((await agent.postForm(`/canned-replies/${id}/delete`, {}, { htmx: true })).status).toBe(403);

    const saved = await supervisor.postForm(`/canned-replies/${id}`, { shortcut: "tchau", title: "Despedida", body: "Até mais!" }, { htmx: true });
    expect(saved.status).toBe(204);
    expect((await api(app, "GET", `/v1/canned-replies/${id}`, org.key)).body.body).toBe("Até mais!");
    expect((await other.client.get(`/canned-replies/${id}`)).status).toBe(404);
    expect((await other.client.postForm(`/canned-replies/${id}/delete`, {}, { htmx: true })).status).toBe(404);
    expect((await new TestClient(app).get("/canned-replies")).status).toBe(303);
    expect((await supervisor.postForm(`/canned-replies/${id}/delete`, {}, { htmx: true })).status).toBe(204);
    expect((await api(app, "GET", `/v1/canned-replies/${id}`, org.key)).status).toBe(404);
  });

  test("the page speaks Portuguese to a Portuguese reader", async () => {
    const pt = await portugueseOrg(app);
    const page = await (await pt.client.get("/canned-replies")).text();
    expect(page).toContain("Respostas rápidas");
    const bad = await pt.client.postForm("/canned-replies", { shortcut: "A B", title: "t", body: "b" }, { htmx: true });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("letras minúsculas");
  });

  test("typing /shortcut lists matches of the conversation's department; picking one inserts the body filled for contact and agent", async () => {
    const greet = await api(app, "POST", "/v1/canned-replies", org.key, {
      shortcut: "saudacao",
      title: "Boas-vindas",
      body: "Oi {{contact.name}}! Sou {{agent.name}}. Cidade: {{contact.city}}. Plano: {{contact.plan}}.{{contact.missing}}",
    });
    const agentUser = await createMember(org.organization.id, "agent");
    // The agent belongs to both departments (an agent sees only their departments' conversations).
    const vendas = await api(app, "POST", "/v1/departments", org.key, { name: "Vendas", memberIds: [agentUser.id] });
    const suporte = await api(app, "POST", "/v1/departments", org.key, { name: "Suporte", memberIds: [agentUser.id] });
    const sales = await api(app, "POST", "/v1/canned-replies", org.key, {
      shortcut: "sabado",
      title: "Sábado",
      body: "Vendas abre sábado.",
      departmentId: vendas.body.id,
    });
    const agent = await signIn(app, agentUser.id, org.organization.id);

    // The conversation has no department: only organization-wide replies are offered.
    let list = await (await agent.get(`/inbox/${conv.conversationId}/canned-replies?q=sa`, { htmx: true })).text();
    expect(list).toContain("/saudacao");
    expect(list).not.toContain("/sabado");
    // Routed to the reply's department: its replies are offered too.
    await db.update(conversations).set({ departmentId: vendas.body.id }).where(eq(conversations.id, conv.conversationId));
    list = await (await agent.get(`/inbox/${conv.conversationId}/canned-replies?q=sa`, { htmx: true })).text();
    expect(list).toContain("/saudacao");
    expect(list).toContain("/sabado");
    expect(list).toContain(`data-canned-url="/inbox/${conv.conversationId}/canned-replies/${greet.body.id}"`);
    // Search reaches titles too.
    list = await (await agent.get(`/inbox/${conv.conversationId}/canned-replies?q=boas`, { htmx: true })).text();
    expect(list).toContain("/saudacao");
    expect(list).not.toContain("/sabado");
    expect(await (await agent.get(`/inbox/${conv.conversationId}/canned-replies?q=zzz`, { htmx: true })).text()).toContain("No canned reply found.");

    const inserted = await agent.get(`/inbox/${conv.conversationId}/canned-replies/${greet.body.id}`);
    expect(inserted.status).toBe(200);
    const json = (await inserted.json()) as { text: string };
    expect(json.text).toBe("Oi Ana Souza! Sou Test agent. Cidade: Recife. Plano: <b>ouro</b>.");
    expect((json as any).media).toBeNull();

    // A reply with an upload hands the reply box a signed link to its file, which it attaches.
    const withMedia = await api(app, "POST", "/v1/canned-replies", org.key, {
      shortcut: "catalogo",
      title: "Catálogo",
      body: "Segue",
      mediaId: await uploadPng(org.key),
    });
    const picked = (await (await agent.get(`/inbox/${conv.conversationId}/canned-replies/${withMedia.body.id}`)).json()) as any;
    expect(picked.media).toMatchObject({ fileName: "photo.png", mimeType: "image/png" });
    const file = await agent.get(picked.media.path);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array(PNG));
    expect((await agent.get(`/inbox/${conv.conversationId}/canned-replies/${sales.body.id}`)).status).toBe(200);
    await db.update(conversations).set({ departmentId: suporte.body.id }).where(eq(conversations.id, conv.conversationId));
    // Another department's reply is not offered nor inserted there.
    expect((await agent.get(`/inbox/${conv.conversationId}/canned-replies/${sales.body.id}`)).status).toBe(404);

    // Another organization's conversation or reply reads as 404.
    expect((await other.client.get(`/inbox/${conv.conversationId}/canned-replies?q=sa`, { htmx: true })).status).toBe(404);
    expect((await other.client.get(`/inbox/${conv.conversationId}/canned-replies/${greet.body.id}`)).status).toBe(404);
    const otherInstance = await connectedSandbox(app, other.key);
    const otherConv = await inbound(app, other.key, otherInstance, { from: "+5511944443333", text: "oi" });
    expect((await other.client.get(`/inbox/${otherConv.conversationId}/canned-replies/${greet.body.id}`)).status).toBe(404);
  });
});
