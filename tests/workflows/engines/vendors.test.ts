// The AI engine through the Vercel AI SDK against local servers speaking OpenAI chat completions,
// Anthropic Messages and Gemini generateContent: plain and streamed answers, a tool loop with a
// custom HTTP tool (through the outbound guard), tool calls kept in the thread, tokens metered.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { and, asc, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { aiTools, threadMessages, usageDaily } from "@/db/schema";
import { api } from "../../helpers/client";
import { setupOrg } from "../../helpers/factories";
import { readSse } from "../ai-servers";
import { startAnthropic, startGemini, startOpenAiCompatible } from "./llm-servers";

const app = createApp();
const ANTHROPIC_KEY = "sk-ant-test";
const GEMINI_KEY = "gm-test-key";
const openai = startOpenAiCompatible();
const anthropic = startAnthropic({ apiKey: ANTHROPIC_KEY });
const gemini = startGemini({ apiKey: GEMINI_KEY });

/** The organization's own HTTP service a custom tool calls: an order-status lookup. */
const orderCalls: { method: string; url: string; auth: string | null; body: unknown }[] = [];
const orders = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const url = new URL(req.url);
    // An endless answer: the tool reads what the model may see and hangs up.
    if (url.pathname === "/orders/endless") {
      const chunk = new TextEncoder().encode("x".repeat(65_536));
      return new Response(new ReadableStream({ pull: (c) => c.enqueue(chunk) }), { headers: { "content-type": "text/plain" } });
    }
    const body = req.method === "GET" ? null : await req.json();
    orderCalls.push({ method: req.method, url: url.pathname + url.search, auth: req.headers.get("authorization"), body });
    if (req.headers.get("authorization") !== "Bearer order-secret") return Response.json({ error: "unauthorized" }, { status: 401 });
    const id = (body as { orderId?: string } | null)?.orderId ?? url.searchParams.get("orderId");
    return Response.json({ orderId: id, status: "shipped" });
  },
});

config.openai.baseUrl = openai.baseUrl;
config.openai.apiKey = "sk-operator";

beforeEach(() => {
  // Every server here runs on 127.0.0.1; the guard's address check itself is tested in tools.test.ts.
  config.allowPrivateWebhookTargets = true;
});
afterAll(() => {
  openai.stop();
  anthropic.stop();
  gemini.stop();
  orders.stop(true);
});

const VENDORS = {
  openai: () => ({ vendor: "openai", model: "gpt-test" }),
  anthropic: () => ({ vendor: "anthropic", baseUrl: anthropic.baseUrl, apiKey: ANTHROPIC_KEY, model: "claude-test" }),
  google: () => ({ vendor: "google", baseUrl: gemini.baseUrl, apiKey: GEMINI_KEY, model: "gemini-test" }),
} as const;
const TOKENS_PER_CALL = { openai: 18, anthropic: 15, google: 20 } as const;
const serverOf = { openai, anthropic, google: gemini } as const;

async function orgWithOrderTool() {
  const { key, organization } = await setupOrg(app);
  const tool = await api(app, "POST", "/v1/tools", key, {
    name: "order_status",
    description: "Looks up an order's status",
    parameters: { type: "object", properties: { orderId: { type: "string", pattern: "^[0-9]+$" } }, required: ["orderId"] },
    method: "POST",
    url: `http://127.0.0.1:${orders.port}/orders/status`,
    headers: [{ name: "Authorization", value: "Bearer order-secret", secret: true }],
    timeoutMs: 5000,
  });
  expect(tool.status).toBe(201);
  return { key, organization, toolId: tool.body.id as string };
}

type Answer = { threadId: string; status?: number; body?: any; frames?: { event: string; data: any }[] };

async function ask(key: string, workflowId: string, text: string, stream: boolean): Promise<Answer> {
  const thread = await api(app, "POST", `/v1/workflows/${workflowId}/threads`, key, {});
  expect(thread.status).toBe(201);
  if (!stream) return { threadId: thread.body.id as string, ...(await api(app, "POST", `/v1/threads/${thread.body.id}/messages`, key, { text })) };
  const res = await app.handle(
    new Request(`http://localhost/v1/threads/${thread.body.id}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ text }),
    }),
  );
  const frames = await readSse(res);
  return { threadId: thread.body.id as string, frames };
}

const monthTokens = async (organizationId: string) =>
  (
    await db
      .select()
      .from(usageDaily)
      .where(and(eq(usageDaily.organizationId, organizationId), eq(usageDaily.metric, "ai_tokens")))
  ).reduce((n, r) => n + r.count, 0);

for (const vendor of Object.keys(VENDORS) as (keyof typeof VENDORS)[]) {
  describe(`${vendor}`, () => {
    test("a plain answer, then a streamed one; tokens recorded on the reply and metered for the organization", async () => {
      const { key, organization } = await setupOrg(app);
      const wf = await api(app, "POST", "/v1/workflows", key, { name: vendor, provider: "openai", config: { ...VENDORS[vendor](), systemPrompt: "Be brief" } });
      expect(wf.status).toBe(201);
      expect(wf.body.config.hasApiKey).toBe(vendor !== "openai");

      const plain = await ask(key, wf.body.id, "olá", false);
      expect(plain.status).toBe(200);
      expect(plain.body.message.content).toBe("echo: olá");
      expect(plain.body.message.tokens).toBe(TOKENS_PER_CALL[vendor]);

      const streamed = await ask(key, wf.body.id, "tudo bem?", true);
      const tokens = streamed.frames!.filter((f) => f.event === "token").map((f) => f.data.content);
      expect(tokens.length).toBeGreaterThan(1);
      expect(tokens.join("")).toBe("echo: tudo bem?");
      const done = streamed.frames!.find((f) => f.event === "done");
      expect(done?.data.message.content).toBe("echo: tudo bem?");
      expect(done?.data.message.tokens).toBe(TOKENS_PER_CALL[vendor]);

      expect(await monthTokens(organization.id)).toBe(2 * TOKENS_PER_CALL[vendor]);
      // The system prompt reached the model in the vendor's own field.
      const last = serverOf[vendor].state.requests.at(-1);
      const system =
        vendor === "openai" ? last.messages[0].content : vendor === "anthropic" ? JSON.stringify(last.system) : JSON.stringify(last.systemInstruction);
      expect(system).toContain("Be brief");
    });

    for (const stream of [false, true]) {
      test(`a custom HTTP tool is called in the loop (${stream ? "streamed" : "not streamed"}); call and result kept in the thread`, async () => {
        const { key, organization, toolId } = await orgWithOrderTool();
        const wf = await api(app, "POST", "/v1/workflows", key, {
          name: "Orders",
          provider: "openai",
          config: { ...VENDORS[vendor](), tools: { custom: [toolId], maxSteps: 3 } },
        });
        expect(wf.status).toBe(201);
        const before = orderCalls.length;
        const answer = await ask(key, wf.body.id, 'call order_status {"orderId":"42"}', stream);
        const content = stream ? answer.frames!.find((f) => f.event === "done")?.data.message.content : answer.body.message.content;
        expect(content).toContain("shipped");
        expect(orderCalls.length).toBe(before + 1);
        expect(orderCalls.at(-1)).toMatchObject({ method: "POST", url: "/orders/status", auth: "Bearer order-secret", body: { orderId: "42" } });
        // The tool was offered to the model under its name.
        expect(JSON.stringify(serverOf[vendor].state.requests.at(-2).tools)).toContain("order_status");

        const rows = await db.select().from(threadMessages).where(eq(threadMessages.threadId, answer.threadId)).orderBy(asc(threadMessages.at));
        expect(rows.map((r) => r.role)).toEqual(["user", "tool", "assistant"]);
        expect(JSON.parse(rows[1]!.content)).toEqual({ tool: "order_status", input: { orderId: "42" }, output: { orderId: "42", status: "shipped" } });
        // Two model calls (the tool call, then the answer): both metered, on the reply too.
        expect(rows[2]!.tokens).toBe(2 * TOKENS_PER_CALL[vendor]);
        expect(await monthTokens(organization.id)).toBe(2 * TOKENS_PER_CALL[vendor]);

        // The thread API shows the tool message.
        const shown = await api(app, "GET", `/v1/threads/${answer.threadId}`, key);
        expect(shown.body.messages.map((m: { role: string }) => m.role)).toEqual(["user", "tool", "assistant"]);
      });
    }
  });
}

describe("keys per model API", () => {
  test("Anthropic and Google workflows need their own key; the platform key is never lent; switching the API drops a stored key", async () => {
    const { key } = await setupOrg(app);
    for (const vendor of ["anthropic", "google"] as const) {
      const res = await api(app, "POST", "/v1/workflows", key, { name: vendor, provider: "openai", config: { vendor, model: "m" } });
      expect(res.status).toBe(422);
      expect(res.body.error.details).toEqual([{ path: "config.apiKey", message: expect.stringContaining("own API key") }]);
    }
    const wf = await api(app, "POST", "/v1/workflows", key, { name: "a", provider: "openai", config: VENDORS.anthropic() });
    expect(wf.status).toBe(201);
    const switched = await api(app, "PATCH", `/v1/workflows/${wf.body.id}`, key, { config: { vendor: "google", baseUrl: gemini.baseUrl } });
    expect(switched.status).toBe(422);
    expect(switched.body.error.details[0].path).toBe("config.apiKey");
    // Every request the Anthropic and Gemini servers saw carried the workflow's key, never the operator's.
    const seen = [...anthropic.state.headers, ...gemini.state.headers].map((h) => `${h.get("x-api-key")}|${h.get("x-goog-api-key")}|${h.get("authorization")}`);
    expect(seen.join(" ")).not.toContain("sk-operator");
  });
});

describe("tool errors and step limits", () => {
  test("a failing custom tool ends the turn with a provider error; the secret never shows", async () => {
    const { key, toolId, organization } = await orgWithOrderTool();
    // A wrong secret: the order service answers 401, a tool failure.
    const patched = await api(app, "PATCH", `/v1/tools/${toolId}`, key, { headers: [{ name: "Authorization", value: "Bearer wrong", secret: true }] });
    expect(patched.status).toBe(200);
    expect(patched.body.headers).toEqual([{ name: "Authorization", secret: true, value: null, hasValue: true }]);
    const wf = await api(app, "POST", "/v1/workflows", key, { name: "Orders", provider: "openai", config: { model: "m", tools: { custom: [toolId] } } });
    const answer = await ask(key, wf.body.id, 'call order_status {"orderId":"7"}', false);
    expect(answer.status).toBe(502);
    expect(answer.body.error.message).toContain("order_status");
    expect(answer.body.error.message).toContain("401");
    expect(JSON.stringify(answer.body)).not.toContain("wrong");
    const rows = await db.select().from(threadMessages).where(eq(threadMessages.threadId, answer.threadId));
    expect(rows).toEqual([]); // a failed turn stores nothing
    // …but the model call before the failure was paid for: metered.
    expect(await monthTokens(organization.id)).toBe(TOKENS_PER_CALL.openai);
  });

  test("arguments that break the tool's JSON Schema never reach the service; the model is told and answers", async () => {
    const { key, toolId } = await orgWithOrderTool();
    const wf = await api(app, "POST", "/v1/workflows", key, { name: "Orders", provider: "openai", config: { model: "m", tools: { custom: [toolId] } } });
    const before = orderCalls.length;
    const answer = await ask(key, wf.body.id, 'call order_status {"orderId":"abc"}', false);
    expect(answer.status).toBe(200);
    expect(orderCalls.length).toBe(before);
    const rows = await db.select().from(threadMessages).where(eq(threadMessages.threadId, answer.threadId)).orderBy(asc(threadMessages.at));
    expect(rows.map((r) => r.role)).toEqual(["user", "tool", "assistant"]);
    expect(JSON.parse(rows[1]!.content)).toMatchObject({ tool: "order_status", input: { orderId: "abc" }, error: expect.any(String) });
  });

  test("an endless model answer fails the turn once past the size cap, plain or streamed", async () => {
    const chunk = new TextEncoder().encode(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "y".repeat(60_000) } }] })}\n\n`);
    const endless = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response(new ReadableStream({ pull: (c) => c.enqueue(chunk) }), { headers: { "content-type": "text/event-stream" } }),
    });
    try {
      const { key } = await setupOrg(app);
      const wf = await api(app, "POST", "/v1/workflows", key, {
        name: "Endless",
        provider: "openai",
        config: { model: "m", baseUrl: `http://127.0.0.1:${endless.port}/v1`, apiKey: "sk-x" },
      });
      const plain = await ask(key, wf.body.id, "hi", false);
      expect(plain.status).toBe(502);
      expect(plain.body.error.message).toContain("8 MB");
      const streamed = await ask(key, wf.body.id, "hi", true);
      expect(streamed.frames!.at(-1)).toMatchObject({ event: "error", data: { message: expect.stringContaining("8 MB") } });
    } finally {
      endless.stop(true);
    }
  });

  test("an endless tool answer is cut to what the model may see, never buffered whole", async () => {
    const { key } = await setupOrg(app);
    const tool = await api(app, "POST", "/v1/tools", key, {
      name: "dump",
      description: "Dumps",
      parameters: { type: "object", properties: {} },
      method: "GET",
      url: `http://127.0.0.1:${orders.port}/orders/endless`,
    });
    const wf = await api(app, "POST", "/v1/workflows", key, { name: "Dump", provider: "openai", config: { model: "m", tools: { custom: [tool.body.id] } } });
    const answer = await ask(key, wf.body.id, "call dump {}", false);
    expect(answer.status).toBe(200);
    const [line] = await db
      .select()
      .from(threadMessages)
      .where(and(eq(threadMessages.threadId, answer.threadId), eq(threadMessages.role, "tool")));
    expect(JSON.parse(line!.content).output).toHaveLength(8000);
  });

  test("the model is called at most maxSteps times per turn", async () => {
    const { key, toolId } = await orgWithOrderTool();
    // A model that asks for the tool forever.
    openai.state.script = () => ({ tool: { name: "order_status", args: { orderId: "1" } } });
    try {
      const wf = await api(app, "POST", "/v1/workflows", key, {
        name: "Loop",
        provider: "openai",
        config: { model: "m", tools: { custom: [toolId], maxSteps: 2 } },
      });
      const before = openai.state.requests.length;
      const answer = await ask(key, wf.body.id, "anything", false);
      expect(openai.state.requests.length - before).toBe(2);
      // Two steps of tool calls and no text: no answer, a provider error (automation then falls back).
      expect(answer.status).toBe(502);
    } finally {
      openai.state.script = (await import("./llm-servers")).defaultScript;
    }
  });

  test("a secret header is stored encrypted and never returned", async () => {
    const { key, toolId } = await orgWithOrderTool();
    const [row] = await db.select().from(aiTools).where(eq(aiTools.id, toolId));
    expect(JSON.stringify(row!.headers)).not.toContain("order-secret");
    const shown = await api(app, "GET", `/v1/tools/${toolId}`, key);
    expect(JSON.stringify(shown.body)).not.toContain("order-secret");
  });
});
