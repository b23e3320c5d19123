// Issue 18 item 6 (second half): a team member's direct chats with an AI agent. The agent is a real
// OpenAI-compatible server on 127.0.0.1 (tests/workflows/engines/llm-servers.ts: streaming with usage,
// tool calls) that records every request.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { conversations, dmConversations, events, threads } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { processDueAgentChatAnswers } from "@/features/agent-chats/agent-chat.service";
import { aiTokenBudget, setAiTokenLimit } from "@/features/usage/usage.service";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { subscribeLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { api } from "../helpers/client";
import { createMember, memberCaller, setupOrg, signIn } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { startOpenAiCompatible } from "../workflows/engines/llm-servers";

const app = createApp();
const openai = startOpenAiCompatible();
const saved = { ...config.openai };
let A: Awaited<ReturnType<typeof setupOrg>>;
let B: Awaited<ReturnType<typeof setupOrg>>;
/** A key the owner of A created: it reaches the owner's chats. */
let ownerKey: string;
let agentId: string;

const at = (ms: number) => new Date(Date.now() + ms);

async function keyOf(organizationId: string, userId: string | null) {
  return (await createApiKey({ organizationId, name: "chats", scopes: ["*"], createdByUserId: userId })).secret;
}

beforeAll(async () => {
  config.openai.baseUrl = openai.baseUrl;
  A = await setupOrg(app, { orgName: "Chats A" });
  B = await setupOrg(app, { orgName: "Chats B" });
  ownerKey = await keyOf(A.organization.id, A.user.id);
  const agent = await createWorkflow(memberCaller(A.user.id, A.organization.id, "owner"), {
    name: "Consultora",
    provider: "openai",
    // A tool that acts on customers and one that does not: only the second may run in a direct chat.
    config: {
      baseUrl: openai.baseUrl,
      model: "gpt-dm",
      systemPrompt: "Você é a consultora interna.",
      tools: { builtin: ["handoff", "create_lead", "cep_lookup"] },
    } as never,
  });
  agentId = agent.id;
});
afterAll(() => {
  config.openai = saved;
  openai.stop();
});

describe("direct chats with an agent over /v1", () => {
  test("start with a message, the agent answers through the engine, unread until read, history on the next turn", async () => {
    openai.state.mode = "ok";
    const started = await api(app, "POST", "/v1/agent-chats", ownerKey, { workflowId: agentId, text: "Qual o horário da loja?" });
    expect(started.status).toBe(201);
    expect(started.body.chat).toMatchObject({ workflowId: agentId, agentName: "Consultora", answering: true, unreadCount: 0, pinned: false });
    expect(started.body.message).toMatchObject({ role: "user", content: "Qual o horário da loja?" });
    const id = started.body.chat.id as string;

    const done: unknown[] = [];
    const unsubscribe = await subscribeLive(liveTopics.userAgentChats(A.user.id), (data) => {
      if (data.kind === "done") done.push(data);
    });
    const requestsBefore = openai.state.requests.length;
    expect(await processDueAgentChatAnswers(at(1_000))).toBe(1);
    expect(openai.state.requests.length).toBe(requestsBefore + 1);
    const sent = openai.state.requests.at(-1);
    expect(sent.model).toBe("gpt-dm");
    expect(sent.stream).toBe(true);
    expect(sent.messages.at(-1)).toEqual({ role: "user", content: "Qual o horário da loja?" });
    expect(sent.messages[0].content).toContain("Você é a consultora interna.");
    // Only the tool that acts on no customer is offered; hand-off and leads never run in a direct chat.
    expect((sent.tools ?? []).map((t: any) => t.function.name)).toEqual(["cep_lookup"]);
    await waitFor(() => done.length === 1);
    unsubscribe();

    const lines = await api(app, "GET", `/v1/agent-chats/${id}/messages`, ownerKey);
    expect(lines.body.data.map((m: any) => [m.role, m.content])).toEqual([
      ["user", "Qual o horário da loja?"],
      ["assistant", "echo: Qual o horário da loja?"],
    ]);
    expect(lines.body.data[1].tokens).toBe(18);
    const chat = await api(app, "GET", `/v1/agent-chats/${id}`, ownerKey);
    expect(chat.body).toMatchObject({ answering: false, unreadCount: 1, messageCount: 2 });
    expect((await api(app, "GET", "/v1/agent-chats/unread", ownerKey)).body).toEqual({ unread: 1 });
    // Tokens are metered for the organization like any turn.
    expect((await aiTokenBudget(A.organization.id)).used).toBe(18);
    // Nothing of it reaches customers' side: no thread, conversation or event.
    expect(await db.select().from(threads).where(eq(threads.workflowId, agentId))).toEqual([]);
    expect(await db.select().from(conversations).where(eq(conversations.organizationId, A.organization.id))).toEqual([]);
    expect(
      await db
        .select()
        .from(events)
        .where(and(eq(events.organizationId, A.organization.id), eq(events.type, "thread.reply"))),
    ).toEqual([]);

    expect((await api(app, "POST", `/v1/agent-chats/${id}/read`, ownerKey)).status).toBe(204);
    expect((await api(app, "GET", "/v1/agent-chats/unread", ownerKey)).body).toEqual({ unread: 0 });

    const next = await api(app, "POST", `/v1/agent-chats/${id}/messages`, ownerKey, { text: "E no sábado?" });
    expect(next.status).toBe(202);
    expect(await processDueAgentChatAnswers(at(2_000))).toBe(1);
    expect(openai.state.requests.at(-1).messages.slice(1)).toEqual([
      { role: "user", content: "Qual o horário da loja?" },
      { role: "assistant", content: "echo: Qual o horário da loja?" },
      { role: "user", content: "E no sábado?" },
    ]);
    // Nothing is due any more: an answer is never made twice.
    expect(await processDueAgentChatAnswers(at(3_000))).toBe(0);
  });

  test("a failing agent leaves an error line, never a chat waiting forever; past the token limit too", async () => {
    openai.state.mode = "error";
    const started = await api(app, "POST", "/v1/agent-chats", ownerKey, { workflowId: agentId, text: "oi" });
    await processDueAgentChatAnswers(at(1_000));
    const lines = (await api(app, "GET", `/v1/agent-chats/${started.body.chat.id}/messages`, ownerKey)).body.data;
    expect(lines.at(-1).role).toBe("error");
    expect(lines.at(-1).content).not.toContain("secret upstream detail"); // the upstream's words stay in our logs
    expect((await api(app, "GET", `/v1/agent-chats/${started.body.chat.id}`, ownerKey)).body.answering).toBe(false);

    openai.state.mode = "ok";
    await setAiTokenLimit(memberCaller(A.user.id, A.organization.id, "owner"), 1);
    const before = openai.state.requests.length;
    await api(app, "POST", `/v1/agent-chats/${started.body.chat.id}/messages`, ownerKey, { text: "de novo" });
    await processDueAgentChatAnswers(at(2_000));
    expect(openai.state.requests.length).toBe(before); // the model is not called past the limit
    const after = (await api(app, "GET", `/v1/agent-chats/${started.body.chat.id}/messages`, ownerKey)).body.data;
    expect(after.at(-1).role).toBe("error");
    await setAiTokenLimit(memberCaller(A.user.id, A.organization.id, "owner"), null);
  });

  test("pin, rename, archive: pinned first, archived apart and closed to new messages", async () => {
    const first = (await api(app, "POST", "/v1/agent-chats", ownerKey, { workflowId: agentId, title: "Primeira" })).body.chat;
    const second = (await api(app, "POST", "/v1/agent-chats", ownerKey, { workflowId: agentId })).body.chat;
    expect(second.title).toBeNull();
    let list = (await api(app, "GET", "/v1/agent-chats", ownerKey)).body.data.map((c: any) => c.id);
    expect(list.indexOf(second.id)).toBeLessThan(list.indexOf(first.id)); // latest first
    const pinned = await api(app, "PATCH", `/v1/agent-chats/${first.id}`, ownerKey, { pinned: true, title: "Preços" });
    expect(pinned.body).toMatchObject({ pinned: true, title: "Preços" });
    list = (await api(app, "GET", "/v1/agent-chats", ownerKey)).body.data.map((c: any) => c.id);
    expect(list[0]).toBe(first.id);
    expect((await api(app, "PATCH", `/v1/agent-chats/${first.id}`, ownerKey, { title: null })).body).toMatchObject({ title: null, agentName: "Consultora" });

    expect((await api(app, "PATCH", `/v1/agent-chats/${second.id}`, ownerKey, { archived: true })).body.archived).toBe(true);
    expect((await api(app, "GET", "/v1/agent-chats", ownerKey)).body.data.map((c: any) => c.id)).not.toContain(second.id);
    expect((await api(app, "GET", "/v1/agent-chats?archived=true", ownerKey)).body.data.map((c: any) => c.id)).toEqual([second.id]);
    expect((await api(app, "POST", `/v1/agent-chats/${second.id}/messages`, ownerKey, { text: "oi" })).status).toBe(409);
    expect((await api(app, "PATCH", `/v1/agent-chats/${second.id}`, ownerKey, { archived: false })).body.archived).toBe(false);

    // Bad input: 422 naming the field.
    const empty = await api(app, "PATCH", `/v1/agent-chats/${second.id}`, ownerKey, {});
    expect(empty.status).toBe(422);
    const noText = await api(app, "POST", `/v1/agent-chats/${second.id}/messages`, ownerKey, { text: "" });
    expect(noText.status).toBe(422);
    expect(noText.body.error.details[0].path).toBe("text");
    const flowAgent = await createWorkflow(memberCaller(A.user.id, A.organization.id, "owner"), {
      name: "Robô",
      provider: "ast",
      config: { providerId: "wf_x" },
    } as never);
    const notAi = await api(app, "POST", "/v1/agent-chats", ownerKey, { workflowId: flowAgent.id });
    expect(notAi.status).toBe(422);
    expect(notAi.body.error.details[0].path).toBe("workflowId");
    expect((await api(app, "GET", "/v1/agent-chats/agents", ownerKey)).body.data.map((a: any) => a.name)).toEqual(["Consultora"]);
  });

  test("private: another member of the organization and another organization get 404; a key of nobody's gets 403", async () => {
    const chat = (await api(app, "POST", "/v1/agent-chats", ownerKey, { workflowId: agentId, title: "Segredo" })).body.chat;
    const colleague = await createMember(A.organization.id, "admin");
    const colleagueKey = await keyOf(A.organization.id, colleague.id);
    const outsiderKey = await keyOf(B.organization.id, B.user.id);
    for (const key of [colleagueKey, outsiderKey]) {
      expect((await api(app, "GET", `/v1/agent-chats/${chat.id}`, key)).status).toBe(404);
      expect((await api(app, "GET", `/v1/agent-chats/${chat.id}/messages`, key)).status).toBe(404);
      expect((await api(app, "POST", `/v1/agent-chats/${chat.id}/messages`, key, { text: "oi" })).status).toBe(404);
      expect((await api(app, "PATCH", `/v1/agent-chats/${chat.id}`, key, { pinned: true })).status).toBe(404);
      expect((await api(app, "POST", `/v1/agent-chats/${chat.id}/read`, key)).status).toBe(404);
      expect((await api(app, "GET", "/v1/agent-chats", key)).body.data.map((c: any) => c.id)).not.toContain(chat.id);
    }
    // Another organization's agent cannot be chatted with.
    const foreign = await api(app, "POST", "/v1/agent-chats", outsiderKey, { workflowId: agentId });
    expect(foreign.status).toBe(422);
    // The setup key was made by no member: a direct chat belongs to a person.
    const nobody = await api(app, "GET", "/v1/agent-chats", A.key);
    expect(nobody.status).toBe(403);
    // A key without the workflows scopes is refused.
    const narrow = (await createApiKey({ organizationId: A.organization.id, name: "n", scopes: ["messages:read"], createdByUserId: A.user.id })).secret;
    expect((await api(app, "GET", "/v1/agent-chats", narrow)).status).toBe(403);
    expect((await api(app, "GET", "/v1/agent-chats")).status).toBe(401);

    // Pages: the colleague (even an admin) sees neither the chat nor its lines.
    const page = await signIn(app, colleague.id, A.organization.id);
    expect((await page.get(`/agent-chats/${chat.id}`)).status).toBe(404);
    expect((await page.get(`/agent-chats/${chat.id}/body`)).status).toBe(404);
    expect((await page.postForm(`/agent-chats/${chat.id}/messages`, { text: "oi" }, { htmx: true })).status).toBe(404);
    expect((await page.postForm(`/agent-chats/${chat.id}/pin`, {})).status).toBe(404);
    expect(await (await page.get("/agent-chats")).text()).not.toContain("Segredo");
    const [row] = await db.select().from(dmConversations).where(eq(dmConversations.id, chat.id));
    expect(row!.pinned).toBe(false);
  });
});

describe("the agent's face", () => {
  test("a workflow's persona names the agent (name, role, avatar); without one the workflow's name does", async () => {
    const persona = await createWorkflow(memberCaller(A.user.id, A.organization.id, "owner"), {
      name: "Cobrança v2",
      provider: "openai",
      config: { baseUrl: openai.baseUrl, model: "gpt-dm", persona: { name: "Lia", role: "Analista financeira", avatarUrl: "https://cdn.example.com/lia.png" } },
    } as never);
    const chat = (await api(app, "POST", "/v1/agent-chats", ownerKey, { workflowId: persona.id })).body.chat;
    expect(chat).toMatchObject({ agentName: "Lia", agentRole: "Analista financeira", agentAvatarUrl: "https://cdn.example.com/lia.png", title: null });
    const agents = (await api(app, "GET", "/v1/agent-chats/agents", ownerKey)).body.data;
    expect(agents.find((a: any) => a.id === persona.id)).toMatchObject({ name: "Lia", role: "Analista financeira" });
    const page = await signIn(app, A.user.id, A.organization.id);
    const html = await (await page.get(`/agent-chats/${chat.id}`)).text();
    expect(html).toContain('src="https://cdn.example.com/lia.png"');
    expect(html).toContain("Lia · Analista financeira");
  });
});

describe("tools in a direct chat", () => {
  test("the agent uses a look-up tool, kept as a tool line; a customer tool it asks for is not there to run", async () => {
    /** A ViaCEP-compatible server: `GET /ws/{cep}/json/`. */
    const viacep = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req) =>
        new URL(req.url).pathname === "/ws/01001000/json/"
          ? Response.json({ cep: "01001-000", logradouro: "Praça da Sé", bairro: "Sé", localidade: "São Paulo", uf: "SP" })
          : Response.json({ erro: true }),
    });
    const allowPrivate = config.allowPrivateWebhookTargets;
    config.allowPrivateWebhookTargets = true;
    try {
      const agent = await createWorkflow(memberCaller(A.user.id, A.organization.id, "owner"), {
        name: "Logística",
        provider: "openai",
        config: { baseUrl: openai.baseUrl, model: "gpt-dm", tools: { builtin: ["handoff", "cep_lookup"], cepUrl: `http://127.0.0.1:${viacep.port}/ws` } },
      } as never);
      const started = await api(app, "POST", "/v1/agent-chats", ownerKey, { workflowId: agent.id, text: 'call cep_lookup {"cep":"01001-000"}' });
      await processDueAgentChatAnswers(at(1_000));
      let lines = (await api(app, "GET", `/v1/agent-chats/${started.body.chat.id}/messages`, ownerKey)).body.data;
      expect(lines.map((l: any) => l.role)).toEqual(["user", "tool", "assistant"]);
      expect(JSON.parse(lines[1].content)).toMatchObject({ tool: "cep_lookup", output: { found: true, street: "Praça da Sé", city: "São Paulo" } });
      expect(lines[2].content).toContain("Praça da Sé");
      // The page shows the tool the agent used.
      const page = await signIn(app, A.user.id, A.organization.id);
      expect(await (await page.get(`/agent-chats/${started.body.chat.id}/body`)).text()).toContain("cep_lookup");

      await api(app, "POST", `/v1/agent-chats/${started.body.chat.id}/messages`, ownerKey, { text: 'call handoff {"reason":"quero um humano"}' });
      await processDueAgentChatAnswers(at(2_000));
      expect(openai.state.requests.at(-1).tools.map((t: any) => t.function.name)).toEqual(["cep_lookup"]);
      lines = (await api(app, "GET", `/v1/agent-chats/${started.body.chat.id}/messages`, ownerKey)).body.data;
      const handoff = lines
        .filter((l: any) => l.role === "tool")
        .map((l: any) => JSON.parse(l.content))
        .find((c: any) => c.tool === "handoff");
      // Whatever the model asked for, no hand-off ran: the call failed as a tool the agent does not have.
      expect(handoff?.output).toBeUndefined();
      expect(await db.select().from(conversations).where(eq(conversations.organizationId, A.organization.id))).toEqual([]);
    } finally {
      config.allowPrivateWebhookTargets = allowPrivate;
      viacep.stop(true);
    }
  });
});

describe("the direct chats page", () => {
  test("any member starts a chat, writes, sees the answer, the unread badge, pins, renames and archives", async () => {
    openai.state.mode = "ok";
    const agentMember = await createMember(A.organization.id, "agent");
    const page = await signIn(app, agentMember.id, A.organization.id);
    const index = await page.get("/agent-chats");
    expect(index.status).toBe(200);
    const html = await index.text();
    expect(html).toContain("Consultora");
    expect(html).toContain('href="/agent-chats"'); // the navigation entry

    const bad = await page.postForm("/agent-chats", { workflowId: "not-an-id" }, { htmx: true });
    expect(bad.status).toBe(422);
    const started = await page.postForm("/agent-chats", { workflowId: agentId, title: "Dúvidas", text: "Como emito nota?" }, { htmx: true });
    expect(started.status).toBe(204);
    const location = started.headers.get("hx-redirect")!;
    expect(location).toMatch(/^\/agent-chats\/[0-9a-f-]{36}$/);
    const id = location.split("/").at(-1)!;

    const open = await (await page.get(location)).text();
    expect(open).toContain("Dúvidas");
    expect(open).toContain("Como emito nota?");
    expect(open).toContain("agent-chat-pending"); // the agent is writing
    await processDueAgentChatAnswers(at(1_000));
    expect(await (await page.get("/agent-chats/unread")).text()).toContain(">1<");
    const body = await (await page.get(`/agent-chats/${id}/body`)).text();
    expect(body).toContain("echo: Como emito nota?");
    expect(body).not.toContain("agent-chat-pending");
    // Reading the chat cleared the badge.
    expect(await (await page.get("/agent-chats/unread")).text()).not.toContain("badge");

    const sent = await page.postForm(`/agent-chats/${id}/messages`, { text: "<b>obrigado</b>" }, { htmx: true });
    expect(sent.status).toBe(200);
    const fragment = await sent.text();
    expect(fragment).toContain("&lt;b&gt;obrigado&lt;/b&gt;");
    expect(fragment).toContain("agent-chat-pending");
    expect((await page.postForm(`/agent-chats/${id}/messages`, { text: "" }, { htmx: true })).status).toBe(422);

    expect((await page.postForm(`/agent-chats/${id}/pin`, {}, { htmx: true })).status).toBe(204);
    expect((await page.postForm(`/agent-chats/${id}/rename`, { title: "Notas fiscais" }, { htmx: true })).status).toBe(204);
    const [row] = await db.select().from(dmConversations).where(eq(dmConversations.id, id));
    expect(row).toMatchObject({ pinned: true, title: "Notas fiscais" });
    expect((await page.postForm(`/agent-chats/${id}/archive`, {}, { htmx: true })).headers.get("hx-redirect")).toBe("/agent-chats");
    expect(await (await page.get("/agent-chats")).text()).not.toContain("Notas fiscais");
    expect(await (await page.get("/agent-chats?archived=true")).text()).toContain("Notas fiscais");
    // The stream is the member's own topic (answers stream there), for members only.
    expect((await new (await import("../helpers/client")).TestClient(app).get("/agent-chats/stream")).status).toBeGreaterThanOrEqual(300);
  });
});
