// The AI tools pages, the tools part of the workflow form and the thread view with tool calls.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { aiTools, workflows } from "@/db/schema";
import { api, TestClient } from "../helpers/client";
import { createMember, portugueseOrg, setupOrg, signIn } from "../helpers/factories";
import { readSse } from "../workflows/ai-servers";
import { startOpenAiCompatible } from "../workflows/engines/llm-servers";

const app = createApp();
const model = startOpenAiCompatible();
config.openai.baseUrl = model.baseUrl;
beforeEach(() => {
  config.allowPrivateWebhookTargets = true;
});
afterAll(() => model.stop());

const toolForm = (extra: Record<string, string> = {}) => ({
  name: "stock",
  description: "Stock of a product",
  parameters: '{"type":"object","properties":{"sku":{"type":"string"}},"required":["sku"]}',
  method: "GET",
  url: "http://127.0.0.1:9/stock",
  headers: "X-Store: 12",
  secretHeaders: "Authorization: Bearer s3cret",
  timeoutMs: "5000",
  active: "true",
  ...extra,
});

describe("/tools pages", () => {
  test("logged out → sign in; another organization's tool is 404; an agent cannot create", async () => {
    const res = await new TestClient(app).get("/tools");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("/login");
    const a = await setupOrg(app);
    const b = await setupOrg(app);
    const created = await api(app, "POST", "/v1/tools", a.key, {
      name: "stock",
      description: "Stock",
      parameters: { type: "object" },
      url: "https://api.example.com/s",
    });
    expect(created.status).toBe(201);
    expect((await b.client.get(`/tools/${created.body.id}`)).status).toBe(404);
    expect((await b.client.postForm(`/tools/${created.body.id}/delete`, {}, { htmx: true })).status).toBe(404);
    const agent = await createMember(a.organization.id, "agent");
    const agentClient = await signIn(app, agent.id, a.organization.id);
    expect((await agentClient.get("/tools")).status).toBe(200);
    expect((await agentClient.postForm("/tools", toolForm(), { htmx: true })).status).toBe(403);
  });

  test("create with secret and plain headers, edit keeping the secret, delete; records listed", async () => {
    const { client, organization } = await setupOrg(app);
    const created = await client.postForm("/tools", toolForm(), { htmx: true });
    expect(created.status).toBe(204);
    const location = created.headers.get("hx-redirect")!;
    const page = await (await client.get(location)).text();
    expect(page).toContain("Tool created");
    expect(page).toContain("X-Store: 12");
    expect(page).toContain("Authorization: set");
    expect(page).not.toContain("s3cret");

    const edited = await client.postForm(location, toolForm({ description: "Stock per store", secretHeaders: "" }), { htmx: true });
    expect(edited.status).toBe(204);
    const [row] = await db.select().from(aiTools).where(eq(aiTools.organizationId, organization.id));
    expect(row!.description).toBe("Stock per store");
    expect(row!.headers.map((h) => [h.name, h.secret, !!h.valueEnc])).toEqual([
      ["X-Store", false, false],
      ["Authorization", true, true],
    ]);

    const list = await (await client.get("/tools")).text();
    expect(list).toContain("stock");
    expect(list).toContain("Records created by the AI");
    expect((await client.postForm(`${location}/delete`, {}, { htmx: true })).status).toBe(204);
    expect(await db.select().from(aiTools).where(eq(aiTools.organizationId, organization.id))).toEqual([]);
  });

  test("form errors come back as 422 in the reader's language, secrets not echoed", async () => {
    const { client } = await portugueseOrg(app);
    const bad = await client.postForm("/tools", toolForm({ parameters: "{not json", name: "handoff", secretHeaders: "just-a-secret-without-colon" }), {
      htmx: true,
    });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain("Não é um JSON válido");
    expect(html).toContain("Este nome é de uma ferramenta embutida");
    expect(html).not.toContain("just-a-secret-without-colon");
  });
});

describe("the workflow form's tools and the thread view", () => {
  test("built-in and custom tools are switched on in the form; a test-chat turn's tool call shows in the thread view", async () => {
    const { client, key, organization } = await setupOrg(app);
    const tool = await api(app, "POST", "/v1/tools", key, {
      name: "stock",
      description: "Stock",
      parameters: { type: "object", properties: { sku: { type: "string" } } },
      method: "GET",
      url: `${model.origin}/stock`,
    });
    const created = await client.postForm(
      "/workflows",
      {
        name: "Agent",
        provider: "openai",
        "config.model": "gpt-test",
        "config.vendor": "openai",
        "config.tools.builtin": ["read_contact", "cep_lookup"],
        "config.tools.custom": [tool.body.id],
        "config.tools.maxSteps": "3",
        "config.tools.departments": "Vendas, Suporte",
      },
      { htmx: true },
    );
    expect(created.status).toBe(204);
    const [wf] = await db.select().from(workflows).where(eq(workflows.organizationId, organization.id));
    expect(wf!.config.tools).toEqual({ builtin: ["read_contact", "cep_lookup"], custom: [tool.body.id], maxSteps: 3, departments: ["Vendas", "Suporte"] });
    const page = await (await client.get(`/workflows/${wf!.id}`)).text();
    expect(page).toMatch(/value="read_contact" checked/);
    expect(page).toMatch(new RegExp(`value="${tool.body.id}" checked`));

    // A turn in which the model calls read_contact (no contact in a test chat: the tool says so).
    const thread = await api(app, "POST", `/v1/workflows/${wf!.id}/threads`, key, {});
    const answer = await api(app, "POST", `/v1/threads/${thread.body.id}/messages`, key, { text: "call read_contact {}" });
    expect(answer.status).toBe(200);
    const view = await (await client.get(`/threads/${thread.body.id}`)).text();
    expect(view).toContain("Tool called:");
    expect(view).toContain("read_contact");
    expect(view).toContain("This conversation has no contact");
    expect(view).toContain("36 tokens"); // two model calls: the tool call and the answer

    // The admin test chat names the tools of the turn with its answer.
    const chat = await readSse(
      await client.request(`/workflows/${wf!.id}/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ text: "call read_contact {}" }),
      }),
    );
    const done = chat.find((f) => f.event === "done");
    expect(done?.data.tools).toEqual([{ text: "Tool called: read_contact", failed: false }]);

    // Another organization's thread is 404.
    const other = await setupOrg(app);
    expect((await other.client.get(`/threads/${thread.body.id}`)).status).toBe(404);
  });

  test("an unknown built-in tool or a tool id of another organization is a 422 on the form", async () => {
    const { client } = await setupOrg(app);
    const other = await setupOrg(app);
    const foreign = await api(app, "POST", "/v1/tools", other.key, {
      name: "x",
      description: "x",
      parameters: { type: "object" },
      url: "https://api.example.com/x",
    });
    const res = await client.postForm(
      "/workflows",
      { name: "A", provider: "openai", "config.model": "m", "config.tools.builtin": ["delete_everything"], "config.tools.custom": [foreign.body.id] },
      { htmx: true },
    );
    expect(res.status).toBe(422);
    const res2 = await client.postForm(
      "/workflows",
      { name: "A", provider: "openai", "config.model": "m", "config.tools.custom": [foreign.body.id] },
      { htmx: true },
    );
    expect(res2.status).toBe(422);
    expect(await res2.text()).toContain("Tool not found in this organization");
  });
});
