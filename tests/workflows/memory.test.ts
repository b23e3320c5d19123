import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq, isNotNull } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { conversations, threadMessages, threads } from "@/db/schema";
import { processDueReplies } from "@/features/automation/automation.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { aiTokenBudget } from "@/features/usage/usage.service";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { systemCaller } from "@/lib/caller";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startOpenAiServer } from "./ai-servers";

const app = createApp();
const openai = startOpenAiServer();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

/** The summarisation request: the one whose system prompt is memory's summariser (not a turn's), in either language. */
const SUMMARISER = /^(You summarise customer service conversations|Você resume conversas de atendimento)/;
const isSummary = (body: any) => SUMMARISER.test(String(body.messages?.[0]?.content ?? ""));

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
  other = await setupOrg(app);
  // The model summarises what it is given (the transcript's first customer line); turns echo.
  openai.state.reply = (messages) => {
    if (SUMMARISER.test(String(messages[0]?.content ?? ""))) {
      const firstLine = String(messages.at(-1)?.content).match(/(?:Customer|Cliente): (.*)/)?.[1];
      return `SUMMARY: the customer first said "${firstLine}"`;
    }
    return `echo: ${messages.at(-1)?.content}`;
  };
});
afterAll(() => openai.stop());

describe("thread memory", () => {
  test("a long thread is summarised once; the next requests carry the summary + the recent window only; rows are kept and flagged; tokens metered", async () => {
    const created = await api(app, "POST", "/v1/workflows", org.key, {
      name: "Memory bot",
      provider: "openai",
      config: { baseUrl: openai.baseUrl, apiKey: "k", model: "gpt-test", systemPrompt: "Be brief.", memory: { maxMessages: 6, keepRecent: 2 } },
    });
    expect(created.status).toBe(201);
    const thread = (await api(app, "POST", `/v1/workflows/${created.body.id}/threads`, org.key, {})).body.id as string;
    const say = async (text: string) => {
      const res = await api(app, "POST", `/v1/threads/${thread}/messages`, org.key, { text });
      expect(res.status).toBe(200);
    };
    for (const text of ["my name is Ana", "I want 3 panels", "for my roof", "in Recife"]) await say(text);
    // 4 turns: 6 earlier rows at the 4th, not over the limit yet: everything is sent, nothing summarised.
    expect(openai.state.requests.filter(isSummary)).toHaveLength(0);
    expect(openai.state.requests.at(-1).messages).toHaveLength(1 + 6 + 1);

    const before = openai.state.requests.length;
    await say("how much is it?");
    const sent = openai.state.requests.slice(before);
    // One summarisation request, then the turn.
    expect(sent).toHaveLength(2);
    expect(isSummary(sent[0])).toBe(true);
    const transcript = sent[0].messages.at(-1).content as string;
    expect(transcript).toContain("Customer: my name is Ana");
    expect(transcript).toContain("Assistant: echo: for my roof");
    expect(transcript).not.toContain("in Recife"); // the recent window stays out of the summary
    const turn = sent[1];
    expect(turn.messages[0].role).toBe("system");
    expect(turn.messages[0].content).toContain("Be brief.");
    expect(turn.messages[0].content).toContain('SUMMARY: the customer first said "my name is Ana"');
    // The summary + the last 2 rows + the new message: the older turns are not sent.
    expect(turn.messages.slice(1)).toEqual([
      { role: "user", content: "in Recife" },
      { role: "assistant", content: "echo: in Recife" },
      { role: "user", content: "how much is it?" },
    ]);

    // Stored on the thread; the folded rows are kept, flagged, and listed in the thread JSON.
    const [row] = await db.select().from(threads).where(eq(threads.id, thread));
    expect(row!.lastContext).toBe('SUMMARY: the customer first said "my name is Ana"');
    const folded = await db
      .select()
      .from(threadMessages)
      .where(and(eq(threadMessages.threadId, thread), isNotNull(threadMessages.summarizedAt)));
    expect(folded).toHaveLength(6);
    const json = (await api(app, "GET", `/v1/threads/${thread}`, org.key)).body;
    expect(json.messages).toHaveLength(10);
    expect(json.messages.filter((m: { summarized: boolean }) => m.summarized)).toHaveLength(6);
    expect(json.lastContext).toContain("SUMMARY");

    // 5 turns + 1 summary at 12 tokens each (the server's usage).
    expect((await aiTokenBudget(org.organization.id)).used).toBe(72);

    // The next turn does not summarise again (4 live rows).
    const beforeNext = openai.state.requests.length;
    await say("and the installation?");
    expect(openai.state.requests.slice(beforeNext).filter(isSummary)).toHaveLength(0);
    expect(openai.state.requests.at(-1).messages).toHaveLength(1 + 4 + 1);

    // The thread view shows the summary and marks the folded rows.
    const page = await (await org.client.get(`/threads/${thread}`)).text();
    expect(page).toContain('id="thread-summary"');
    expect(page).toContain("SUMMARY: the customer first said &quot;my name is Ana&quot;");
    expect(page.match(/summarised</g)?.length).toBe(6);
  });

  test("a bound WhatsApp conversation rotates too, and agents see the summary in the inbox (404 for another organization)", async () => {
    const orgId = org.organization.id;
    const instance = await connectedInstance(orgId);
    // The operator's endpoint: a workflow needs no key of its own there.
    config.openai.baseUrl = openai.baseUrl;
    const workflow = await createWorkflow(systemCaller("test", orgId), {
      name: "WhatsApp memory",
      provider: "openai",
      config: { baseUrl: openai.baseUrl, model: "gpt-test", memory: { maxMessages: 4, keepRecent: 2 } } as never,
    });
    await createTrigger(
      systemCaller("test", orgId),
      triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }),
    );
    let clock = Date.now();
    for (const text of ["oi, sou o João", "quero um orçamento", "para 10 painéis", "quanto fica?"]) {
      await contactWrites(instance, "+5511999990300", text);
      clock += 10_000;
      expect(await processDueReplies(new Date(clock))).toBe(1);
    }
    expect(await botTexts(instance.id)).toHaveLength(4);
    const summaries = openai.state.requests.filter((b) => isSummary(b) && String(b.messages.at(-1).content).includes("João"));
    expect(summaries).toHaveLength(1);
    expect(openai.state.requests.at(-1).messages[0].content).toContain('SUMMARY: the customer first said "oi, sou o João"');

    const [conversation] = await db.select().from(conversations).where(eq(conversations.instanceId, instance.id));
    const memory = await org.client.get(`/inbox/${conversation!.id}/memory`, { htmx: true });
    expect(memory.status).toBe(200);
    expect(await memory.text()).toContain("oi, sou o João");
    const inbox = await (await org.client.get(`/inbox/${conversation!.id}`)).text();
    expect(inbox).toContain(`hx-get="/inbox/${conversation!.id}/memory"`);
    expect((await other.client.get(`/inbox/${conversation!.id}/memory`, { htmx: true })).status).toBe(404);
  });

  test("memory settings are validated (keepRecent below maxMessages)", async () => {
    const res = await api(app, "POST", "/v1/workflows", org.key, {
      name: "Bad memory",
      provider: "openai",
      config: { baseUrl: openai.baseUrl, apiKey: "k", model: "gpt-test", memory: { maxMessages: 4, keepRecent: 8 } },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain("config.memory.keepRecent");
  });
});
