// Sentiment and urgency: queued by the inbound hook (never classified on the inbound path), classified
// by a job with structured output, stored on the conversation, shown as badges, alerting supervisors.
import { afterAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { alerts, conversations, messages, sentimentChecks, usageDaily } from "@/db/schema";
import { processDueSentiment } from "@/features/sentiment/sentiment.service";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { systemCaller } from "@/lib/caller";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedInstance, contactWrites } from "../automation/helpers";
import { startModelServer } from "../suggestions/model-server";

const model = startModelServer();
config.openai.baseUrl = model.baseUrl;
afterAll(() => model.stop());

const app = createApp();
const at = (ms: number) => new Date(Date.now() + ms);

async function setup(settings: Record<string, unknown> = {}) {
  const org = await setupOrg(app);
  const orgId = org.organization.id;
  const instance = await connectedInstance(orgId);
  const workflow = await createWorkflow(systemCaller("test", orgId), { name: "Classifier", provider: "openai", config: { model: "gpt-big" } as never });
  const saved = await api(app, "PUT", "/v1/sentiment/settings", org.key, { enabled: true, workflowId: workflow.id, model: "gpt-mini", ...settings });
  expect(saved.status).toBe(200);
  return { ...org, orgId, instance, workflow };
}

async function conversationOf(instanceId: string) {
  const [c] = await db.select().from(conversations).where(eq(conversations.instanceId, instanceId));
  return c!;
}

describe("sentiment and urgency", () => {
  test("an angry message is classified by a job (debounced), stored on the conversation, badged, metered and alerts supervisors once", async () => {
    const s = await setup();
    model.state.object = () => ({ sentiment: "negative", urgency: "high", reason: "Threatens to cancel after a double charge" });
    await contactWrites(s.instance, "+5511999992001", "You charged me twice!!");
    await contactWrites(s.instance, "+5511999992001", "I will cancel today");
    const conversation = await conversationOf(s.instance.id);
    // Queued once for the burst, not classified on the inbound path.
    expect(await db.select().from(sentimentChecks).where(eq(sentimentChecks.conversationId, conversation.id))).toHaveLength(1);
    expect(model.structured()).toHaveLength(0);
    expect(await processDueSentiment(at(1_000))).toBe(0);
    expect(await processDueSentiment(at(6_000))).toBe(1);

    const request = model.structured().at(-1);
    expect(request.model).toBe("gpt-mini");
    expect(request.response_format.json_schema.schema.properties.urgency.enum).toEqual(["low", "medium", "high"]);
    expect(JSON.stringify(request.messages)).toContain("Customer: You charged me twice!!\\nCustomer: I will cancel today");

    const classified = await conversationOf(s.instance.id);
    expect(classified).toMatchObject({ sentiment: "negative", urgency: "high", sentimentReason: "Threatens to cancel after a double charge" });
    expect(classified.sentimentAt).toBeInstanceOf(Date);
    expect(await db.select().from(sentimentChecks).where(eq(sentimentChecks.conversationId, conversation.id))).toHaveLength(0);
    const raised = await db.select().from(alerts).where(eq(alerts.conversationId, conversation.id));
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ type: "urgency", severity: "critical" });
    expect(raised[0]!.message).toContain("Threatens to cancel after a double charge");
    const usage = await db
      .select()
      .from(usageDaily)
      .where(and(eq(usageDaily.organizationId, s.orgId), eq(usageDaily.metric, "ai_tokens")));
    expect(usage.reduce((sum, u) => sum + Number(u.count), 0)).toBeGreaterThanOrEqual(42);

    // On the conversation's JSON too.
    const json = await api(app, "GET", `/v1/conversations/${conversation.id}`, s.key);
    expect(json.body).toMatchObject({
      sentiment: "negative",
      urgency: "high",
      sentimentReason: "Threatens to cancel after a double charge",
      aiReplyMode: "inherit",
    });
    // The badge in the inbox list and in the conversation header.
    const list = await (await s.client.get("/inbox")).text();
    expect(list).toContain('data-sentiment="negative"');
    expect(list).toContain("High urgency");
    const page = await (await s.client.get(`/inbox/${conversation.id}`)).text();
    expect(page).toContain('title="Threatens to cancel after a double charge"');

    // Still alarming on the next message: no second alert.
    await contactWrites(s.instance, "+5511999992001", "answer me");
    await processDueSentiment(at(20_000));
    expect(await db.select().from(alerts).where(eq(alerts.conversationId, conversation.id))).toHaveLength(1);
  });

  test("a calm conversation raises no alert; a failing model keeps the message, retries and gives up quietly", async () => {
    const s = await setup();
    model.state.object = () => ({ sentiment: "positive", urgency: "low", reason: "Thanks the team" });
    await contactWrites(s.instance, "+5511999992002", "thank you so much!");
    await processDueSentiment(at(6_000));
    const conversation = await conversationOf(s.instance.id);
    expect((await conversationOf(s.instance.id)).sentiment).toBe("positive");
    expect(await db.select().from(alerts).where(eq(alerts.conversationId, conversation.id))).toHaveLength(0);

    model.state.mode = "error";
    try {
      await contactWrites(s.instance, "+5511999992002", "hello?");
      expect(await processDueSentiment(at(6_000))).toBe(1);
      const [check] = await db.select().from(sentimentChecks).where(eq(sentimentChecks.conversationId, conversation.id));
      expect(check!.attempts).toBe(1);
      expect(check!.dueAt.getTime()).toBeGreaterThan(Date.now() + 9_000);
      expect(await processDueSentiment(at(30_000))).toBe(1);
      expect(await processDueSentiment(at(200_000))).toBe(1);
      // Given up after the retries; the messages are all there, the last classification kept.
      expect(await db.select().from(sentimentChecks).where(eq(sentimentChecks.conversationId, conversation.id))).toHaveLength(0);
      expect(await db.select().from(messages).where(eq(messages.conversationId, conversation.id))).toHaveLength(2);
      expect((await conversationOf(s.instance.id)).sentiment).toBe("positive");
    } finally {
      model.state.mode = "ok";
    }
  });

  test("off by default; a workflow may leave its conversations out; settings need an AI workflow of the organization; supervisors only", async () => {
    const org = await setupOrg(app);
    const instance = await connectedInstance(org.organization.id);
    await contactWrites(instance, "+5511999992003", "hi");
    expect(await db.select().from(sentimentChecks).where(eq(sentimentChecks.organizationId, org.organization.id))).toHaveLength(0);
    const off = await api(app, "GET", "/v1/sentiment/settings", org.key);
    expect(off.body).toEqual({ enabled: false, workflowId: null, model: null, alertOnNegative: true });
    // Turned on: the next message is queued at once (the "off" answer is not kept past a save).
    const own = await createWorkflow(systemCaller("test", org.organization.id), { name: "Mine", provider: "openai", config: { model: "gpt-test" } as never });
    expect((await api(app, "PUT", "/v1/sentiment/settings", org.key, { enabled: true, workflowId: own.id })).status).toBe(200);
    await contactWrites(instance, "+5511999992003", "still there?");
    expect(await db.select().from(sentimentChecks).where(eq(sentimentChecks.organizationId, org.organization.id))).toHaveLength(1);
    expect(await processDueSentiment(at(6_000))).toBe(1);

    const missing = await api(app, "PUT", "/v1/sentiment/settings", org.key, { enabled: true, workflowId: null });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details[0].path).toBe("workflowId");
    const other = await setup();
    const foreign = await api(app, "PUT", "/v1/sentiment/settings", org.key, { enabled: true, workflowId: other.workflow.id });
    expect(foreign.status).toBe(422);

    // A workflow that opts out: its conversations are not classified.
    const optOut = await createWorkflow(systemCaller("test", other.orgId), {
      name: "Quiet",
      provider: "openai",
      config: { model: "gpt-test", sentimentAnalysis: false } as never,
    });
    await contactWrites(other.instance, "+5511999992004", "hi");
    const conversation = await conversationOf(other.instance.id);
    await db.update(conversations).set({ workflowId: optOut.id }).where(eq(conversations.id, conversation.id));
    const before = model.structured().length;
    expect(await processDueSentiment(at(6_000))).toBe(1);
    expect(model.structured().length).toBe(before);
    expect((await conversationOf(other.instance.id)).sentiment).toBeNull();

    const agent = await createMember(other.orgId, "agent");
    const agentClient = await signIn(app, agent.id, other.orgId);
    const refused = await agentClient.postForm("/learning/sentiment", { enabled: "on", workflowId: other.workflow.id });
    expect(refused.status).toBe(403);
  });
});
