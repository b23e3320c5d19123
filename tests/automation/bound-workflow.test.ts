import { afterAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, conversationActivities, conversations, events, threads } from "@/db/schema";
import { processDueFollowUps, processDueReplies } from "@/features/automation/automation.service";
import { createTemplate } from "@/features/templates/template.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { createOwner } from "../helpers/factories";
import { startOpenAiServer } from "../workflows/ai-servers";
import { botTexts, connectedInstance, contactWrites } from "./helpers";
import { systemCaller } from "@/lib/caller";

const openai = startOpenAiServer();
// The test model server plays the operator's OPENAI_BASE_URL (the only endpoint a workflow may use without its own key).
config.openai.baseUrl = openai.baseUrl;
afterAll(() => openai.stop());

const at = (ms: number) => new Date(Date.now() + ms);

async function boundSetup(configExtra: Record<string, unknown> = {}) {
  const { organization } = await createOwner();
  const org = organization.id;
  const instance = await connectedInstance(org);
  const workflow = await createWorkflow(systemCaller("test", org), {
    name: "Assistant",
    provider: "openai",
    config: { baseUrl: openai.baseUrl, model: "gpt-test", ...configExtra } as never,
  });
  // Binding a number to a workflow = a catch-all trigger that hands its conversations to it.
  await createTrigger(
    systemCaller("test", org),
    triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }),
  );
  return { org, instance, workflow };
}

describe("conversations bound to a workflow", () => {
  test("inbound messages are debounced into one turn, answered through the instance and evented", async () => {
    openai.state.mode = "ok";
    openai.state.reply = (messages) => `You said: ${messages.at(-1)?.content}`;
    const { org, instance, workflow } = await boundSetup({ debounceSeconds: 3 });
    await contactWrites(instance, "+5511999990100", "hello");
    await contactWrites(instance, "+5511999990100", "are you there?");
    expect(await processDueReplies(at(1_000))).toBe(0); // still inside the debounce window
    expect(await processDueReplies(at(4_000))).toBe(1);
    expect(await botTexts(instance.id)).toEqual(["You said: hello\nare you there?"]);
    const [thread] = await db.select().from(threads).where(eq(threads.workflowId, workflow.id));
    expect(thread!.messageCount).toBe(2);
    const replies = await db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, org), eq(events.type, "thread.reply")));
    expect(replies).toHaveLength(1);
    expect(replies[0]!.data.text).toBe("You said: hello\nare you there?");
    // Nothing left to answer: the same messages are never answered twice.
    expect(await processDueReplies(at(10_000))).toBe(0);
    await contactWrites(instance, "+5511999990100", "thanks");
    await processDueReplies(at(8_000));
    expect((await botTexts(instance.id)).at(-1)).toBe("You said: thanks");
    expect(openai.state.requests.at(-1).messages.length).toBe(3); // history of the first turn + the new one
  });

  test("provider failure sends the fallback template; without one the conversation goes to a human", async () => {
    const withFallback = await boundSetup({ fallbackTemplateKey: "sorry" });
    await createTemplate(systemCaller("test", withFallback.org), {
      key: "sorry",
      body: "We'll get back to you shortly.",
      variants: [],
      variables: [],
      active: true,
    });
    openai.state.mode = "error";
    await contactWrites(withFallback.instance, "+5511999990110", "hi");
    await processDueReplies(at(5_000));
    expect(await botTexts(withFallback.instance.id)).toEqual(["We'll get back to you shortly."]);

    const noFallback = await boundSetup();
    await contactWrites(noFallback.instance, "+5511999990111", "hi");
    await processDueReplies(at(5_000));
    const [conv] = await db.select().from(conversations).where(eq(conversations.instanceId, noFallback.instance.id));
    expect(conv!.handledBy).toBe("human");
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "conversation.handed_off"), eq(auditLogs.targetId, conv!.id)));
    expect(audit!.actorType).toBe("system");
    // Both failures are activity lines of their conversations (the agent sees why the bot stopped).
    const failures = await db.select().from(conversationActivities).where(eq(conversationActivities.kind, "bot_failed"));
    expect(failures.map((f) => f.conversationId)).toContain(conv!.id);
    expect(failures.length).toBe(2);
    openai.state.mode = "ok";
    // Human hand-off stops automation: new messages are not answered.
    await contactWrites(noFallback.instance, "+5511999990111", "hello?");
    expect(await processDueReplies(at(10_000))).toBe(0);
    expect(await botTexts(noFallback.instance.id)).toEqual([]);
  });

  test("follow-ups: sent after silence, stage by stage up to the last; a reply resets the stage", async () => {
    openai.state.mode = "ok";
    openai.state.reply = () => "How can I help?";
    const { org, instance, workflow } = await boundSetup({
      debounceSeconds: 0,
      followUps: [
        { delaySeconds: 60, templateKey: "nudge1" },
        { delaySeconds: 600, templateKey: "nudge2" },
      ],
    });
    await createTemplate(systemCaller("test", org), { key: "nudge1", body: "Still there?", variants: [], variables: [], active: true });
    await createTemplate(systemCaller("test", org), { key: "nudge2", body: "Last call!", variants: [], variables: [], active: true });
    await contactWrites(instance, "+5511999990120", "hi");
    await processDueReplies(at(1_000));
    expect(await botTexts(instance.id)).toEqual(["How can I help?"]);

    expect(await processDueFollowUps(at(30_000))).toBe(0);
    expect(await processDueFollowUps(at(62_000))).toBe(1);
    expect((await botTexts(instance.id)).at(-1)).toBe("Still there?");
    // The contact answers: the stage is reset and the sequence re-arms after the bot's next reply.
    await contactWrites(instance, "+5511999990120", "yes");
    let [thread] = await db.select().from(threads).where(eq(threads.workflowId, workflow.id));
    expect(thread!.followUpStage).toBe(0);
    expect(thread!.nextFollowUpAt).toBeNull();
    await processDueReplies(at(70_000));
    expect(await processDueFollowUps(at(70_000 + 61_000))).toBe(1);
    expect((await botTexts(instance.id)).at(-1)).toBe("Still there?");
    expect(await processDueFollowUps(at(70_000 + 61_000 + 601_000))).toBe(1);
    expect((await botTexts(instance.id)).at(-1)).toBe("Last call!");
    [thread] = await db.select().from(threads).where(eq(threads.workflowId, workflow.id));
    expect(thread!.followUpStage).toBe(2);
    expect(thread!.nextFollowUpAt).toBeNull();
    expect(await processDueFollowUps(at(10_000_000))).toBe(0);
  });

  test("each due turn is claimed by exactly one worker", async () => {
    openai.state.mode = "ok";
    openai.state.reply = () => "once";
    const { instance } = await boundSetup({ debounceSeconds: 0 });
    await contactWrites(instance, "+5511999990130", "hi");
    const claimed = await Promise.all([processDueReplies(at(1_000)), processDueReplies(at(1_000)), processDueReplies(at(1_000))]);
    expect(claimed.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await botTexts(instance.id)).toEqual(["once"]);
  });
});
