import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, promptVersions, threadMessages, workflows } from "@/db/schema";
import { publishPromptVersion } from "@/features/prompts/prompt.service";
import { systemCaller } from "@/lib/caller";
import { api } from "../helpers/client";
import { createMember, portugueseOrg, setupOrg, signIn } from "../helpers/factories";
import { startOpenAiServer } from "../workflows/ai-servers";
import { createApiKey } from "@/features/api-keys/api-key.service";

const createApiKeyFor = async (organizationId: string, scopes: string[]) => ({
  key: (await createApiKey({ organizationId, name: "read only", scopes })).secret,
});

const app = createApp();
const openai = startOpenAiServer({ apiKey: "sk-test" });
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  // The model server runs on 127.0.0.1; the outbound guard's refusals are tested elsewhere.
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
  other = await setupOrg(app);
});
afterAll(() => openai.stop());

async function aiWorkflow(key: string, extra: Record<string, unknown> = {}) {
  const res = await api(app, "POST", "/v1/workflows", key, {
    name: "Sales bot",
    provider: "openai",
    config: { baseUrl: openai.baseUrl, apiKey: "sk-test", model: "gpt-test", systemPrompt: "Be brief.", ...extra },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; config: Record<string, unknown> };
}

/** One chat turn over the API; returns the request the model server received. */
async function turn(key: string, workflowId: string, text: string, threadId?: string) {
  const thread = threadId ?? (await api(app, "POST", `/v1/workflows/${workflowId}/threads`, key, {})).body.id;
  const before = openai.state.requests.length;
  const res = await api(app, "POST", `/v1/threads/${thread}/messages`, key, { text });
  expect(res.status).toBe(200);
  expect(openai.state.requests.length).toBe(before + 1);
  return { threadId: thread as string, sent: openai.state.requests.at(-1), reply: res.body.message };
}

describe("prompt versions over the API", () => {
  test("creation publishes v1; draft, publish, diff and rollback make immutable versions; each turn records the version that answered", async () => {
    const wf = await aiWorkflow(org.key);
    expect(wf.config.systemPrompt).toBe("Be brief.");
    expect(wf.config.promptVersion).toBe(1);
    // The instructions live in versions, not in the stored config.
    const [row] = await db.select().from(workflows).where(eq(workflows.id, wf.id));
    expect((row!.config as Record<string, unknown>).systemPrompt).toBeUndefined();

    const first = await turn(org.key, wf.id, "hello");
    expect(first.sent.messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(first.reply.promptVersion).toBe(1);

    // A draft does not answer.
    const draft = await api(app, "PUT", `/v1/workflows/${wf.id}/prompt/draft`, org.key, { instructions: "Be brief.\nAlways greet by name." });
    expect(draft.status).toBe(200);
    expect(draft.body.baseVersion).toBe(1);
    expect((await api(app, "GET", `/v1/workflows/${wf.id}/prompt/draft`, org.key)).body.instructions).toBe("Be brief.\nAlways greet by name.");
    const stillV1 = await turn(org.key, wf.id, "again", first.threadId);
    expect(stillV1.sent.messages[0].content).toBe("Be brief.");

    // Publishing without text publishes the draft (and consumes it).
    const noChangelog = await api(app, "POST", `/v1/workflows/${wf.id}/prompt/publish`, org.key, {});
    expect(noChangelog.status).toBe(422);
    expect(noChangelog.body.error.details.map((d: { path: string }) => d.path)).toContain("changelog");
    const v2 = await api(app, "POST", `/v1/workflows/${wf.id}/prompt/publish`, org.key, { changelog: "greet by name" });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 2, changelog: "greet by name", source: "api", instructions: "Be brief.\nAlways greet by name." });
    expect(v2.body.author.type).toBe("api_key");
    expect((await api(app, "GET", `/v1/workflows/${wf.id}/prompt/draft`, org.key)).status).toBe(404);

    const answeredByV2 = await turn(org.key, wf.id, "hi", first.threadId);
    expect(answeredByV2.sent.messages[0].content).toBe("Be brief.\nAlways greet by name.");
    expect(answeredByV2.reply.promptVersion).toBe(2);

    // The same text again is not a version.
    const same = await api(app, "POST", `/v1/workflows/${wf.id}/prompt/publish`, org.key, { instructions: "Be brief.\nAlways greet by name.", changelog: "x" });
    expect(same.status).toBe(422);
    expect(same.body.error.details[0].path).toBe("instructions");

    const diff = await api(app, "GET", `/v1/workflows/${wf.id}/prompt/diff?from=1&to=2`, org.key);
    expect(diff.status).toBe(200);
    expect(diff.body.lines).toEqual([
      { type: "same", text: "Be brief." },
      { type: "added", text: "Always greet by name." },
    ]);

    const rollback = await api(app, "POST", `/v1/workflows/${wf.id}/prompt/versions/1/rollback`, org.key);
    expect(rollback.status).toBe(201);
    expect(rollback.body).toMatchObject({ version: 3, source: "rollback", rolledBackFrom: 1, changelog: "rollback to v1", instructions: "Be brief." });
    const answeredByV3 = await turn(org.key, wf.id, "bye", first.threadId);
    expect(answeredByV3.sent.messages[0].content).toBe("Be brief.");

    const list = await api(app, "GET", `/v1/workflows/${wf.id}/prompt/versions`, org.key);
    expect(list.body.data.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect((await api(app, "GET", `/v1/workflows/${wf.id}/prompt/versions/2`, org.key)).body.instructions).toBe("Be brief.\nAlways greet by name.");
    expect((await api(app, "GET", `/v1/workflows/${wf.id}/prompt/versions/9`, org.key)).status).toBe(404);

    // Every assistant row names its version; the thread JSON carries it.
    const rows = await db
      .select()
      .from(threadMessages)
      .where(and(eq(threadMessages.role, "assistant")));
    const mine = rows.filter((r) => r.content.startsWith("echo: ") && ["hello", "again", "hi", "bye"].some((t) => r.content === `echo: ${t}`));
    expect(mine.map((r) => r.promptVersion).sort()).toEqual([1, 1, 2, 3]);
    const thread = await api(app, "GET", `/v1/threads/${first.threadId}`, org.key);
    expect(thread.body.messages.filter((m: { role: string }) => m.role === "assistant").map((m: { promptVersion: number }) => m.promptVersion)).toEqual([
      1, 1, 2, 3,
    ]);

    // Audited: the publishes (creation, API, rollback).
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, wf.id)));
    const actions = audit.map((a) => a.action);
    expect(actions.filter((a) => a === "prompt.published").length).toBe(2);
    expect(actions).toContain("prompt.rolled_back");
  });

  test("a settings change of the system prompt publishes a version; the HITL entry point publishes a suggestion", async () => {
    const wf = await aiWorkflow(org.key);
    const patched = await api(app, "PATCH", `/v1/workflows/${wf.id}`, org.key, { config: { systemPrompt: "Be formal." } });
    expect(patched.status).toBe(200);
    expect(patched.body.config).toMatchObject({ systemPrompt: "Be formal.", promptVersion: 2 });
    // Other settings leave the instructions alone.
    const renamed = await api(app, "PATCH", `/v1/workflows/${wf.id}`, org.key, { name: "Renamed", config: { temperature: 0.1 } });
    expect(renamed.body.config.promptVersion).toBe(2);

    const suggested = await publishPromptVersion(systemCaller("hitl-test", org.organization.id), wf.id, {
      instructions: "Be formal and warm.",
      changelog: "customers found answers cold",
      source: "suggestion",
    });
    expect(suggested.version).toBe(3);
    const versions = await api(app, "GET", `/v1/workflows/${wf.id}/prompt/versions`, org.key);
    expect(versions.body.data.map((v: { source: string }) => v.source)).toEqual(["suggestion", "settings", "settings"]);
  });

  test("a workflow of before versions has its config.systemPrompt imported as v1 on first read", async () => {
    const [legacy] = await db
      .insert(workflows)
      .values({
        organizationId: org.organization.id,
        provider: "openai",
        name: "Legacy",
        config: { baseUrl: openai.baseUrl, model: "gpt-test", systemPrompt: "Old prompt." },
      })
      .returning();
    const list = await api(app, "GET", `/v1/workflows/${legacy!.id}/prompt/versions`, org.key);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ version: 1, source: "import", instructions: "Old prompt." });
    expect((await api(app, "GET", `/v1/workflows/${legacy!.id}`, org.key)).body.config.systemPrompt).toBe("Old prompt.");
    expect(await db.select().from(promptVersions).where(eq(promptVersions.workflowId, legacy!.id))).toHaveLength(1);
  });

  test("other organizations get 404; read-only keys and agents cannot write; non-AI workflows have no instructions", async () => {
    const wf = await aiWorkflow(org.key);
    for (const [method, path, body] of [
      ["GET", `/v1/workflows/${wf.id}/prompt/versions`, undefined],
      ["GET", `/v1/workflows/${wf.id}/prompt/versions/1`, undefined],
      ["PUT", `/v1/workflows/${wf.id}/prompt/draft`, { instructions: "x" }],
      ["POST", `/v1/workflows/${wf.id}/prompt/publish`, { instructions: "x", changelog: "x" }],
      ["GET", `/v1/workflows/${wf.id}/prompt/diff?from=1&to=1`, undefined],
      ["POST", `/v1/workflows/${wf.id}/prompt/versions/1/rollback`, undefined],
    ] as const) {
      const res = await api(app, method, path, other.key, body);
      expect(res.status).toBe(404);
    }
    // A key without workflows:write cannot write (its own organization's workflow).
    const { key: readOnly } = await createApiKeyFor(org.organization.id, ["workflows:read"]);
    expect((await api(app, "GET", `/v1/workflows/${wf.id}/prompt/versions`, readOnly)).status).toBe(200);
    expect((await api(app, "PUT", `/v1/workflows/${wf.id}/prompt/draft`, readOnly, { instructions: "x" })).status).toBe(403);

    const agent = await createMember(org.organization.id, "agent");
    const agentClient = await signIn(app, agent.id, org.organization.id);
    const page = await agentClient.get(`/workflows/${wf.id}/instructions`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Be brief.");
    expect(html).not.toContain('id="prompt-editor"');
    const refused = await agentClient.postForm(`/workflows/${wf.id}/instructions/publish`, { instructions: "Hacked", changelog: "x" });
    expect(refused.status).toBe(403);
    expect((await api(app, "GET", `/v1/workflows/${wf.id}/prompt/versions`, org.key)).body.data).toHaveLength(1);

    const flowWorkflow = await db
      .insert(workflows)
      .values({ organizationId: org.organization.id, provider: "ast", providerId: "wf_x", name: "AST" })
      .returning();
    const conflict = await api(app, "PUT", `/v1/workflows/${flowWorkflow[0]!.id}/prompt/draft`, org.key, { instructions: "x" });
    expect(conflict.status).toBe(409);
    const bad = await api(app, "GET", `/v1/workflows/${wf.id}/prompt/diff?from=a&to=1`, org.key);
    expect(bad.status).toBe(422);
  });
});

describe("Instructions tab (pages)", () => {
  test("autosave, publish with a changelog, diff view, rollback — and the thread view shows the version", async () => {
    const wf = await aiWorkflow(org.key);
    const page = await org.client.get(`/workflows/${wf.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('id="instructions"');
    expect(html).toContain('id="prompt-editor"');
    expect(html).toContain("v1");

    const autosave = await org.client.postForm(`/workflows/${wf.id}/instructions/draft`, { instructions: "Be brief.\r\nUse emojis." }, { htmx: true });
    expect(autosave.status).toBe(200);
    expect(await autosave.text()).toContain('id="draft-status"');
    // A reload shows the draft in the editor.
    expect(await (await org.client.get(`/workflows/${wf.id}/instructions`)).text()).toContain("Use emojis.");

    const noChangelog = await org.client.postForm(`/workflows/${wf.id}/instructions/publish`, { instructions: "Be brief.\r\nUse emojis.", changelog: "" });
    expect(noChangelog.status).toBe(422);
    expect(await noChangelog.text()).toContain("Use emojis.");

    const published = await org.client.postForm(`/workflows/${wf.id}/instructions/publish`, { instructions: "Be brief.\r\nUse emojis.", changelog: "emojis" });
    expect(published.status).toBe(303);
    expect(published.headers.get("location")).toBe(`/workflows/${wf.id}#instructions`);
    const v2 = (await api(app, "GET", `/v1/workflows/${wf.id}/prompt/versions/2`, org.key)).body;
    // Line ends as versions keep them (LF), the author is the member.
    expect(v2).toMatchObject({ instructions: "Be brief.\nUse emojis.", source: "editor", changelog: "emojis" });
    expect(v2.author).toMatchObject({ type: "user", id: org.user.id, label: org.user.email });

    const diff = await org.client.get(`/workflows/${wf.id}/instructions/diff?from=1&to=2`, { htmx: true });
    const diffHtml = await diff.text();
    expect(diffHtml).toContain("diff-added");
    expect(diffHtml).toContain("Use emojis.");
    const diffPage = await org.client.get(`/workflows/${wf.id}/instructions/diff?from=1&to=2`);
    expect(await diffPage.text()).toContain("<html");

    const rolled = await org.client.postForm(`/workflows/${wf.id}/instructions/versions/1/rollback`, {});
    expect(rolled.status).toBe(303);
    const tab = await (await org.client.get(`/workflows/${wf.id}`)).text();
    expect(tab).toContain("rollback to v1");
    const versionPage = await org.client.get(`/workflows/${wf.id}/instructions/versions/2`);
    expect(await versionPage.text()).toContain("Use emojis.");
    expect((await other.client.get(`/workflows/${wf.id}/instructions/versions/2`)).status).toBe(404);

    const { threadId } = await turn(org.key, wf.id, "hello");
    const threadPage = await (await org.client.get(`/threads/${threadId}`)).text();
    expect(threadPage).toContain("prompt v3");
  });
});

describe("personas", () => {
  test("persona and model settings reach the model request; the form and the page show them", async () => {
    const wf = await aiWorkflow(org.key, {
      temperature: 0.35,
      maxTokens: 321,
      persona: { name: "Ana Souza", role: "sales agent", personality: "Cheerful and direct", expertise: ["solar panels", "financing"] },
    });
    const { sent } = await turn(org.key, wf.id, "quanto custa?");
    expect(sent.temperature).toBe(0.35);
    expect(sent.max_tokens).toBe(321);
    const system = sent.messages[0].content as string;
    expect(system).toContain("You are Ana Souza, sales agent.");
    expect(system).toContain("Personality: Cheerful and direct");
    expect(system).toContain("Expertise: solar panels, financing");
    // Persona first, then the instructions.
    expect(system.indexOf("Ana Souza")).toBeLessThan(system.indexOf("Be brief."));

    const bad = await api(app, "PATCH", `/v1/workflows/${wf.id}`, org.key, { config: { persona: { avatarUrl: "http://insecure.example/a.png" } } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toBe("config.persona.avatarUrl");

    const page = await (await org.client.get(`/workflows/${wf.id}`)).text();
    expect(page).toContain('id="persona"');
    expect(page).toContain("Ana Souza");
    expect(page).toContain(">AS<"); // initials without an avatar
    expect(page).toContain('value="solar panels, financing"');

    // Edited from the form: an avatar URL, a new role; memory settings too.
    const saved = await org.client.postForm(
      `/workflows/${wf.id}`,
      {
        name: "Sales bot",
        provider: "openai",
        "config.model": "gpt-test",
        "config.baseUrl": openai.baseUrl,
        "config.persona.name": "Ana",
        "config.persona.role": "consultant",
        "config.persona.avatarUrl": "https://cdn.example.com/ana.png",
        "config.persona.expertise": "solar",
        "config.memory.maxMessages": "20",
        "config.memory.keepRecent": "4",
      },
      { htmx: true },
    );
    expect(saved.status).toBe(204);
    const after = (await api(app, "GET", `/v1/workflows/${wf.id}`, org.key)).body.config;
    expect(after.persona).toEqual({ name: "Ana", role: "consultant", avatarUrl: "https://cdn.example.com/ana.png", expertise: ["solar"] });
    expect(after.memory).toEqual({ maxMessages: 20, keepRecent: 4 });
    expect(await (await org.client.get(`/workflows/${wf.id}`)).text()).toContain('src="https://cdn.example.com/ana.png"');

    const badMemory = await org.client.postForm(
      `/workflows/${wf.id}`,
      {
        name: "Sales bot",
        provider: "openai",
        "config.model": "gpt-test",
        "config.baseUrl": openai.baseUrl,
        "config.memory.maxMessages": "5",
        "config.memory.keepRecent": "9",
      },
      { htmx: true },
    );
    expect(badMemory.status).toBe(422);
  });
});

describe("i18n", () => {
  test("the Instructions tab, persona card and version history read in the member's language", async () => {
    const pt = await portugueseOrg(app);
    const wf = await aiWorkflow(pt.key, { persona: { name: "Ana", role: "consultora" } });
    const html = await (await pt.client.get(`/workflows/${wf.id}`)).text();
    // (A changelog is stored text, in the language of whoever published: here an API call, in English.)
    for (const text of ["Instruções", "Versões", "Versão em uso: v1", "Publicar nova versão", "Persona", "configurações", "chave de API"]) {
      expect(html).toContain(text);
    }
    const en = await (await org.client.get(`/workflows/${(await aiWorkflow(org.key)).id}`)).text();
    expect(en).toContain("Publish new version");
    expect(en).toContain("Instructions the workflow was created with");
  });
});
