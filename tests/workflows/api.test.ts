import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { threadMessages, threads, workflows } from "@/db/schema";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { readSse, startAstServer, startOpenAiServer } from "./ai-servers";

const app = createApp();
const openai = startOpenAiServer({ apiKey: "sk-test-123" });
const ast = startAstServer({ secret: "ast-secret" });
let key: string;
let otherKey: string;

beforeAll(async () => {
  // The model servers run on 127.0.0.1; the outbound guard's refusals are tested in endpoint.test.ts.
  config.allowPrivateWebhookTargets = true;
  config.ast.url = ast.url;
  config.ast.secret = "ast-secret";
  ({ key } = await setupOrg(app));
  ({ key: otherKey } = await setupOrg(app));
});
afterAll(() => {
  openai.stop();
  ast.stop();
});

async function createOpenAiWorkflow(extra: Record<string, unknown> = {}) {
  const res = await api(app, "POST", "/v1/workflows", key, {
    name: "Helper bot",
    provider: "openai",
    config: { baseUrl: openai.baseUrl, apiKey: "sk-test-123", model: "gpt-test", temperature: 0.2, systemPrompt: "Be brief.", ...extra },
  });
  expect(res.status).toBe(201);
  return res.body;
}

describe("workflows CRUD", () => {
  test("create never returns the secret, validates per provider, patches and deletes", async () => {
    const wf = await createOpenAiWorkflow();
    expect(wf.config.apiKey).toBeUndefined();
    expect(wf.config.apiKeyEnc).toBeUndefined();
    expect(wf.config.hasApiKey).toBe(true);
    const [row] = await db.select().from(workflows).where(eq(workflows.id, wf.id));
    expect(JSON.stringify(row!.config)).not.toContain("sk-test-123");

    const bad = await api(app, "POST", "/v1/workflows", key, { name: "x", provider: "openai", config: { temperature: 9 } });
    expect(bad.status).toBe(422);
    const paths = bad.body.error.details.map((d: any) => d.path);
    expect(paths.some((p: string) => p.includes("model"))).toBe(true);

    const badAst = await api(app, "POST", "/v1/workflows", key, { name: "x", provider: "ast", config: { providerId: "nope" } });
    expect(badAst.status).toBe(422);

    const patched = await api(app, "PATCH", `/v1/workflows/${wf.id}`, key, { name: "Renamed", config: { temperature: 0.9 } });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe("Renamed");
    expect(patched.body.config.temperature).toBe(0.9);
    expect(patched.body.config.hasApiKey).toBe(true);

    const badPatch = await api(app, "PATCH", `/v1/workflows/${wf.id}`, key, { config: { temperature: "hot" } });
    expect(badPatch.status).toBe(422);
    expect(badPatch.body.error.details[0].path).toBe("config.temperature");

    expect((await api(app, "DELETE", `/v1/workflows/${wf.id}`, key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/workflows/${wf.id}`, key)).status).toBe(404);
  });

  test("system workflows are visible to every organization and read-only", async () => {
    const [system] = await db.insert(workflows).values({ organizationId: null, provider: "ast", providerId: "wf_global", name: "Global agent" }).returning();
    for (const k of [key, otherKey]) {
      const list = await api(app, "GET", "/v1/workflows", k);
      expect(list.body.data.some((w: any) => w.id === system!.id && w.system)).toBe(true);
    }
    expect((await api(app, "PATCH", `/v1/workflows/${system!.id}`, key, { name: "mine" })).status).toBe(403);
    expect((await api(app, "DELETE", `/v1/workflows/${system!.id}`, key)).status).toBe(403);
  });

  test("AST workflows are imported with name and description cached", async () => {
    const first = await api(app, "POST", "/v1/workflows/import", key);
    expect(first.body).toEqual({ created: 2, updated: 0 });
    ast.state.workflows[0]!.name = "Support agent v2";
    const second = await api(app, "POST", "/v1/workflows/import", key);
    expect(second.body).toEqual({ created: 0, updated: 2 });
    const list = await api(app, "GET", "/v1/workflows", key);
    const support = list.body.data.find((w: any) => w.providerId === "wf_support");
    expect(support.name).toBe("Support agent v2");
    expect(support.description).toBe("Answers support questions");
  });

  test("another organization's workflow and thread ids read as 404", async () => {
    const wf = await createOpenAiWorkflow();
    const thread = (await api(app, "POST", `/v1/workflows/${wf.id}/threads`, key, {})).body;
    expect((await api(app, "GET", `/v1/workflows/${wf.id}`, otherKey)).status).toBe(404);
    expect((await api(app, "PATCH", `/v1/workflows/${wf.id}`, otherKey, { name: "x" })).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/workflows/${wf.id}`, otherKey)).status).toBe(404);
    expect((await api(app, "POST", `/v1/workflows/${wf.id}/threads`, otherKey, {})).status).toBe(404);
    expect((await api(app, "GET", `/v1/threads/${thread.id}`, otherKey)).status).toBe(404);
    expect((await api(app, "POST", `/v1/threads/${thread.id}/messages`, otherKey, { text: "hi" })).status).toBe(404);
    expect((await api(app, "GET", `/v1/workflows/${wf.id}`)).status).toBe(401);
    expect((await api(app, "GET", `/v1/workflows/not-a-uuid`, key)).status).toBe(404);
  });
});

describe("threads", () => {
  test("openai: history is sent each turn and kept in thread_messages", async () => {
    const wf = await createOpenAiWorkflow();
    const thread = (await api(app, "POST", `/v1/workflows/${wf.id}/threads`, key, { title: "Test" })).body;
    const one = await api(app, "POST", `/v1/threads/${thread.id}/messages`, key, { text: "first" });
    expect(one.status).toBe(200);
    expect(one.body.message.content).toBe("echo: first");
    const two = await api(app, "POST", `/v1/threads/${thread.id}/messages`, key, { text: "second" });
    expect(two.body.thread.messageCount).toBe(4);
    const sent = openai.state.requests.at(-1);
    expect(sent.model).toBe("gpt-test");
    expect(sent.temperature).toBe(0.2);
    expect(sent.messages.map((m: any) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(sent.messages[0].content).toBe("Be brief.");
    const got = await api(app, "GET", `/v1/threads/${thread.id}`, key);
    expect(got.body.messages.map((m: any) => m.content)).toEqual(["first", "echo: first", "second", "echo: second"]);
    expect(got.body.lastMessageAt).toBeTruthy();
    const replies = (await api(app, "GET", "/v1/events?type=thread.reply&limit=50", key)).body.data.filter((e: any) => e.data.threadId === thread.id);
    expect(replies.map((e: any) => e.data.text).sort()).toEqual(["echo: first", "echo: second"]);
  });

  test("openai: streaming with Accept: text/event-stream", async () => {
    const wf = await createOpenAiWorkflow();
    const thread = (await api(app, "POST", `/v1/workflows/${wf.id}/threads`, key, {})).body;
    const res = await app.handle(
      new Request(`http://localhost/v1/threads/${thread.id}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ text: "stream me please" }),
      }),
    );
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const frames = await readSse(res);
    const tokens = frames.filter((f) => f.event === "token").map((f) => f.data.content);
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.join("")).toBe("echo: stream me please");
    const done = frames.find((f) => f.event === "done");
    expect(done?.data.message.content).toBe("echo: stream me please");
    expect(openai.state.requests.at(-1).stream).toBe(true);
  });

  test("ast: the thread id is passed, invoke and stream both work", async () => {
    await api(app, "POST", "/v1/workflows/import", key);
    const list = await api(app, "GET", "/v1/workflows", key);
    const support = list.body.data.find((w: any) => w.providerId === "wf_support");
    const thread = (await api(app, "POST", `/v1/workflows/${support.id}/threads`, key, {})).body;
    const reply = await api(app, "POST", `/v1/threads/${thread.id}/messages`, key, { text: "olá" });
    expect(reply.body.message.content).toBe("[wf_support] olá");
    expect(ast.state.invocations.at(-1)).toEqual({ workflow: "wf_support", message: "olá", threadId: thread.providerThreadId });
    const res = await app.handle(
      new Request(`http://localhost/v1/threads/${thread.id}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ text: "again" }),
      }),
    );
    const frames = await readSse(res);
    expect(
      frames
        .filter((f) => f.event === "token")
        .map((f) => f.data.content)
        .join(""),
    ).toBe("[wf_support] again");
    expect(frames.at(-1)?.event).toBe("done");
  });

  test("provider errors and timeouts answer 502 and store nothing", async () => {
    const wf = await createOpenAiWorkflow();
    const thread = (await api(app, "POST", `/v1/workflows/${wf.id}/threads`, key, {})).body;
    openai.state.mode = "error";
    const failed = await api(app, "POST", `/v1/threads/${thread.id}/messages`, key, { text: "hi" });
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe("provider_error");
    openai.state.mode = "ok";
    const count = await db.select().from(threadMessages).where(eq(threadMessages.threadId, thread.id));
    expect(count.length).toBe(0);

    const { sendThreadMessage } = await import("@/features/workflows/thread.service");
    const [row] = await db.select().from(threads).where(eq(threads.id, thread.id));
    openai.state.mode = "hang";
    await expect(sendThreadMessage(row!.organizationId!, thread.id, "slow", { timeoutMs: 200 })).rejects.toThrow(/timed out/);
    openai.state.mode = "ok";

    const streamed = await readSse(
      await app.handle(
        new Request(`http://localhost/v1/threads/${thread.id}/messages`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "text/event-stream" },
          body: JSON.stringify({ text: "x" }),
        }),
      ),
    );
    expect(streamed.at(-1)?.event).toBe("done");
    openai.state.mode = "error";
    const frames = await readSse(
      await app.handle(
        new Request(`http://localhost/v1/threads/${thread.id}/messages`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "text/event-stream" },
          body: JSON.stringify({ text: "x" }),
        }),
      ),
    );
    openai.state.mode = "ok";
    expect(frames.at(-1)?.event).toBe("error");
    expect(frames.at(-1)?.data.code).toBe("provider_error");
  });

  test("concurrent sends to one thread are serialized and counted exactly", async () => {
    const wf = await createOpenAiWorkflow();
    const thread = (await api(app, "POST", `/v1/workflows/${wf.id}/threads`, key, {})).body;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => api(app, "POST", `/v1/threads/${thread.id}/messages`, key, { text: `m${i}` })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const got = await api(app, "GET", `/v1/threads/${thread.id}`, key);
    expect(got.body.messageCount).toBe(12);
    // Each request saw the complete history of the ones before it: turns never interleave.
    const histories = openai.state.requests.slice(-6).map((r: any) => r.messages.filter((m: any) => m.role === "user").length);
    expect(histories).toEqual([1, 2, 3, 4, 5, 6]);
    const roles = got.body.messages.map((m: any) => m.role);
    expect(roles).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? "user" : "assistant")));
  });

  test("threads list pages with a cursor and filters by status", async () => {
    const wf = await createOpenAiWorkflow();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api(app, "POST", `/v1/workflows/${wf.id}/threads`, key, { title: `t${i}` })).body.id);
    const first = await api(app, "GET", `/v1/workflows/${wf.id}/threads?limit=2`, key);
    expect(first.body.data.map((t: any) => t.id)).toEqual([ids[2], ids[1]]);
    const second = await api(app, "GET", `/v1/workflows/${wf.id}/threads?limit=2&cursor=${first.body.nextCursor}`, key);
    expect(second.body.data.map((t: any) => t.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    expect((await api(app, "GET", `/v1/workflows/${wf.id}/threads?status=archived`, key)).body.data).toEqual([]);
    expect((await api(app, "GET", `/v1/workflows/${wf.id}/threads?cursor=garbage`, key)).status).toBe(422);
  });

  test("archived threads refuse new messages until reopened", async () => {
    const wf = await createOpenAiWorkflow();
    const thread = (await api(app, "POST", `/v1/workflows/${wf.id}/threads`, key, {})).body;
    const { setThreadStatus } = await import("@/features/workflows/thread.service");
    const [row] = await db.select().from(threads).where(eq(threads.id, thread.id));
    await setThreadStatus(row!.organizationId!, thread.id, "archived");
    expect((await api(app, "POST", `/v1/threads/${thread.id}/messages`, key, { text: "hi" })).status).toBe(409);
    await setThreadStatus(row!.organizationId!, thread.id, "active");
    expect((await api(app, "POST", `/v1/threads/${thread.id}/messages`, key, { text: "hi" })).status).toBe(200);
  });
});
