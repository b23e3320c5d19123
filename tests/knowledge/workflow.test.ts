import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { ragAnalytics, threadMessages, workflows } from "@/db/schema";
import { addUploadedDocument, createCollection } from "@/features/knowledge/knowledge.service";
import { processed } from "./process";
import { systemCaller } from "@/lib/caller";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startModelServer } from "./model-server";

const app = createApp();
const model = startModelServer();
const pdf = readFileSync(join(import.meta.dir, "../fixtures/knowledge/precos.pdf"));

let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let collectionId: string;

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
  other = await setupOrg(app);
  const caller = systemCaller("test", org.organization.id);
  const collection = await createCollection(caller, { name: "Preços" });
  collectionId = collection.id;
  const added = await processed(await addUploadedDocument(caller, collection.id, new File([pdf], "precos.pdf", { type: "application/pdf" })));
  expect(added.document.status).toBe("ready");
});
afterAll(() => {
  model.stop();
  config.allowPrivateWebhookTargets = false;
});

const workflowConfig = (extra: Record<string, unknown> = {}) => ({
  baseUrl: model.baseUrl,
  apiKey: "sk-test",
  model: "gpt-kb",
  systemPrompt: "Você é o assistente da loja.",
  ...extra,
});

describe("workflows answer from their knowledge collections", () => {
  test("a workflow may attach only its organization's collections (422 on the unknown one)", async () => {
    const theirs = await createCollection(systemCaller("test", other.organization.id), { name: "Deles" });
    const res = await api(app, "POST", "/v1/workflows", org.key, {
      name: "Bot",
      provider: "openai",
      config: workflowConfig({ knowledgeCollectionIds: [collectionId, theirs.id] }),
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe("config.knowledgeCollectionIds.1");
    const malformed = await api(app, "POST", "/v1/workflows", org.key, {
      name: "Bot",
      provider: "openai",
      config: workflowConfig({ knowledgeCollectionIds: ["x"] }),
    });
    expect(malformed.status).toBe(422);
    expect(malformed.body.error.details[0].path).toBe("config.knowledgeCollectionIds.0");
  });

  test("each turn retrieves for the user's message, the model gets labelled passages and cites the PDF; the retrieval is recorded with workflow and thread", async () => {
    const created = await api(app, "POST", "/v1/workflows", org.key, {
      name: "Vendas",
      provider: "openai",
      config: workflowConfig({ knowledgeCollectionIds: [collectionId] }),
    });
    expect(created.status).toBe(201);
    expect(created.body.config.knowledgeCollectionIds).toEqual([collectionId]);
    const thread = (await api(app, "POST", `/v1/workflows/${created.body.id}/threads`, org.key, {})).body;
    const turn = await api(app, "POST", `/v1/threads/${thread.id}/messages`, org.key, { text: "Quanto custa o Plano Profissional?" });
    expect(turn.status).toBe(200);
    expect(turn.body.message.content).toContain("[1] precos.pdf");
    expect(turn.body.message.content).toContain("Tabela de precos 2026");
    const sent = model.state.chats.at(-1);
    const system = sent.messages.find((m: any) => m.role === "system").content as string;
    expect(system).toContain("Você é o assistente da loja.");
    expect(system).toContain("[1] precos.pdf\n");
    expect(system).toContain("R$ 129,90");
    expect(system).toContain("cite");
    expect(sent.tools.map((t: any) => t.function.name)).toContain("search_knowledge");
    const [row] = await db.select().from(ragAnalytics).where(eq(ragAnalytics.threadId, thread.id));
    expect(row).toMatchObject({ origin: "workflow", workflowId: created.body.id, query: "Quanto custa o Plano Profissional?", resultsFound: true });
    expect(row!.resultsCount).toBeGreaterThan(0);
    expect(row!.topScore).toBeGreaterThanOrEqual(0.5);
    // The answer is kept in the thread like any other.
    const stored = await db.select().from(threadMessages).where(eq(threadMessages.threadId, thread.id));
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  test("a question the base cannot answer: the model is told so (and does not cite), and the page of unanswered questions lists it", async () => {
    const [wf] = await db.select().from(workflows).where(eq(workflows.name, "Vendas"));
    const thread = (await api(app, "POST", `/v1/workflows/${wf!.id}/threads`, org.key, {})).body;
    const turn = await api(app, "POST", `/v1/threads/${thread.id}/messages`, org.key, { text: "Vocês vendem bicicletas elétricas?" });
    expect(turn.body.message.content).toBe("Não sei responder a isso.");
    const system = model.state.chats.at(-1).messages.find((m: any) => m.role === "system").content as string;
    expect(system).toContain("nothing in the business's knowledge base matches");
    const page = await org.client.get("/knowledge/unanswered?period=7d");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Vocês vendem bicicletas elétricas?");
  });

  test("the model may call search_knowledge: the tool searches the workflow's collections, is recorded as a tool retrieval and kept in the thread", async () => {
    const [wf] = await db.select().from(workflows).where(eq(workflows.name, "Vendas"));
    const thread = (await api(app, "POST", `/v1/workflows/${wf!.id}/threads`, org.key, {})).body;
    model.state.searchFirst = "Plano Básico por mês";
    try {
      const turn = await api(app, "POST", `/v1/threads/${thread.id}/messages`, org.key, { text: "E o mais barato?" });
      expect(turn.status).toBe(200);
      expect(turn.body.message.content).toStartWith("Pela busca, [1] precos.pdf:");
    } finally {
      model.state.searchFirst = null;
    }
    const rows = await db.select().from(ragAnalytics).where(eq(ragAnalytics.threadId, thread.id));
    expect(rows.map((r) => r.origin).sort()).toEqual(["tool", "workflow"]);
    expect(rows.find((r) => r.origin === "tool")).toMatchObject({ query: "Plano Básico por mês", resultsFound: true, workflowId: wf!.id });
    const lines = await db.select().from(threadMessages).where(eq(threadMessages.threadId, thread.id));
    const tool = lines.find((m) => m.role === "tool");
    expect(JSON.parse(tool!.content)).toMatchObject({ tool: "search_knowledge", input: { query: "Plano Básico por mês" } });
    expect(tool!.content).toContain("precos.pdf");
  });

  test("a deleted collection stays harmless: the workflow still changes and answers (its passages are gone)", async () => {
    const caller = systemCaller("test", org.organization.id);
    const temporary = await createCollection(caller, { name: "Temporária" });
    await processed(await addUploadedDocument(caller, temporary.id, new File(["O plano Ouro custa R$ 999."], "ouro.txt", { type: "text/plain" })));
    const created = await api(app, "POST", "/v1/workflows", org.key, {
      name: "Temporário",
      provider: "openai",
      config: workflowConfig({ knowledgeCollectionIds: [temporary.id] }),
    });
    expect(created.status).toBe(201);
    expect((await api(app, "DELETE", `/v1/knowledge/collections/${temporary.id}`, org.key)).status).toBe(204);
    const patched = await api(app, "PATCH", `/v1/workflows/${created.body.id}`, org.key, { config: { temperature: 0.3 } });
    expect(patched.status).toBe(200);
    const thread = (await api(app, "POST", `/v1/workflows/${created.body.id}/threads`, org.key, {})).body;
    const turn = await api(app, "POST", `/v1/threads/${thread.id}/messages`, org.key, { text: "Quanto custa o plano Ouro?" });
    expect(turn.body.message.content).toBe("Não sei responder a isso.");
  });

  test("a workflow without collections sends no knowledge and no search_knowledge tool", async () => {
    const created = await api(app, "POST", "/v1/workflows", org.key, { name: "Sem base", provider: "openai", config: workflowConfig() });
    const thread = (await api(app, "POST", `/v1/workflows/${created.body.id}/threads`, org.key, {})).body;
    await api(app, "POST", `/v1/threads/${thread.id}/messages`, org.key, { text: "Quanto custa o Plano Profissional?" });
    const sent = model.state.chats.at(-1);
    expect(sent.tools).toBeUndefined();
    expect(JSON.stringify(sent.messages)).not.toContain("KNOWLEDGE BASE");
  });

  test("the workflow form loads the picker, saves the checked collections and keeps them when the picker was not shown", async () => {
    const picker = await org.client.get(`/knowledge/picker?selected=${collectionId}`, { htmx: true });
    const html = await picker.text();
    expect(html).toContain('name="config.knowledgeCollectionIds"');
    expect(html).toMatch(new RegExp(`value="${collectionId}"[^>]*checked`));
    expect(html).toContain("Preços");
    const created = await api(app, "POST", "/v1/workflows", org.key, { name: "Form", provider: "openai", config: workflowConfig() });
    const form = {
      name: "Form",
      "config.model": "gpt-kb",
      "config.baseUrl": model.baseUrl,
      "config.knowledgeCollectionIds.shown": "1",
      "config.knowledgeCollectionIds": collectionId,
    };
    const saved = await org.client.postForm(`/workflows/${created.body.id}`, form, { htmx: true });
    expect(saved.status).toBeLessThan(400);
    let [row] = await db.select().from(workflows).where(eq(workflows.id, created.body.id));
    expect((row!.config as any).knowledgeCollectionIds).toEqual([collectionId]);
    const show = await (await org.client.get(`/workflows/${created.body.id}`)).text();
    expect(show).toContain(`/knowledge/picker?selected=${collectionId}`);
    // Picker not shown (no marker): the choice is kept.
    const { "config.knowledgeCollectionIds.shown": _m, "config.knowledgeCollectionIds": _c, ...without } = form;
    await org.client.postForm(`/workflows/${created.body.id}`, without, { htmx: true });
    [row] = await db.select().from(workflows).where(eq(workflows.id, created.body.id));
    expect((row!.config as any).knowledgeCollectionIds).toEqual([collectionId]);
    // Another organization's collection: the form comes back 422 with the picker's error.
    const theirs = await createCollection(systemCaller("test", other.organization.id), { name: "Alheia" });
    const refused = await org.client.postForm(`/workflows/${created.body.id}`, { ...form, "config.knowledgeCollectionIds": theirs.id }, { htmx: true });
    expect(refused.status).toBe(422);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toContain("Collection not found.");
    expect(refusedHtml).toContain(`/knowledge/picker?selected=${theirs.id}`);
    // Shown with none checked: detached.
    await org.client.postForm(`/workflows/${created.body.id}`, { ...without, "config.knowledgeCollectionIds.shown": "1" }, { htmx: true });
    [row] = await db.select().from(workflows).where(eq(workflows.id, created.body.id));
    expect((row!.config as any).knowledgeCollectionIds).toEqual([]);
  });
});
