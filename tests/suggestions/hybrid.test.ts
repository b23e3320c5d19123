// Hybrid mode: the AI drafts instead of sending; agents send as is, edit or discard; the right flags,
// learning events, thread turns and audit rows are recorded; per conversation, department and workflow.
import { afterAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, conversations, departments, events as eventsTable, learningEvents, suggestedResponses, threadMessages, threads } from "@/db/schema";
import { processDueReplies } from "@/features/automation/automation.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { systemCaller } from "@/lib/caller";
import { subscribeLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { startModelServer } from "./model-server";

const model = startModelServer();
// The local model server plays the operator's OPENAI_BASE_URL (no key needed there).
config.openai.baseUrl = model.baseUrl;
afterAll(() => model.stop());

const app = createApp();
const at = (ms: number) => new Date(Date.now() + ms);

async function hybridSetup(workflowConfig: Record<string, unknown> = {}) {
  const org = await setupOrg(app);
  const orgId = org.organization.id;
  const instance = await connectedInstance(orgId);
  const workflow = await createWorkflow(systemCaller("test", orgId), {
    name: "Assistant",
    provider: "openai",
    config: { model: "gpt-test", debounceSeconds: 0, ...workflowConfig } as never,
  });
  await createTrigger(
    systemCaller("test", orgId),
    triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }),
  );
  return { ...org, orgId, instance, workflow };
}

async function conversationOf(instanceId: string) {
  const [c] = await db.select().from(conversations).where(eq(conversations.instanceId, instanceId));
  return c!;
}

async function pendingOf(conversationId: string) {
  return db
    .select()
    .from(suggestedResponses)
    .where(and(eq(suggestedResponses.conversationId, conversationId), eq(suggestedResponses.status, "pending")));
}

describe("hybrid mode", () => {
  test("a conversation in draft mode gets a draft, not a WhatsApp send; send / edit / discard record flags, learning events and turns", async () => {
    const s = await hybridSetup();
    await contactWrites(s.instance, "+5511999991001", "hello");
    const conversation = await conversationOf(s.instance.id);
    const mode = await api(app, "PUT", `/v1/conversations/${conversation.id}/reply-mode`, s.key, { mode: "draft" });
    expect(mode.status).toBe(200);
    expect(mode.body).toEqual({ conversationId: conversation.id, mode: "draft" });

    // The inbox hears of the draft live.
    const heard: Record<string, unknown>[] = [];
    const unsubscribe = await subscribeLive(liveTopics.orgInbox(s.orgId), (data) => heard.push(data));
    expect(await processDueReplies(at(2_000))).toBe(1);
    expect(await botTexts(s.instance.id)).toEqual([]);
    const [draft] = await pendingOf(conversation.id);
    expect(draft!.suggestedText).toBe("Draft: hello");
    expect(draft!.messageContext).toBe("hello");
    expect(draft!.tokens).toBe(42);
    await waitFor(() => heard.some((d) => d.conversationId === conversation.id));
    unsubscribe();
    // Nothing was recorded in the thread yet: the turn is kept for when a reply is really sent.
    const [thread] = await db.select().from(threads).where(eq(threads.conversationId, conversation.id));
    expect(thread!.messageCount).toBe(0);

    // Send as is.
    const sent = await api(app, "POST", `/v1/suggestions/${draft!.id}/send`, s.key, {});
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ status: "sent", wasApproved: true, wasEdited: false, finalText: "Draft: hello" });
    expect(sent.body.messageId).toBeString();
    expect(await botTexts(s.instance.id)).toEqual(["Draft: hello"]);
    const turns = await db.select().from(threadMessages).where(eq(threadMessages.threadId, thread!.id));
    expect(turns.map((t) => [t.role, t.content])).toEqual([
      ["user", "hello"],
      ["assistant", "Draft: hello"],
    ]);
    expect(await db.select().from(learningEvents).where(eq(learningEvents.organizationId, s.orgId))).toHaveLength(0);
    // Decided once: a second send is a conflict.
    expect((await api(app, "POST", `/v1/suggestions/${draft!.id}/send`, s.key, {})).status).toBe(409);

    // Edit before sending: the final text is recorded and the correction becomes a learning event.
    await contactWrites(s.instance, "+5511999991001", "what are your prices?");
    await processDueReplies(at(4_000));
    const [second] = await pendingOf(conversation.id);
    expect(second!.suggestedText).toBe("Draft: what are your prices?");
    const edited = await api(app, "POST", `/v1/suggestions/${second!.id}/send`, s.key, { text: "Our plans start at R$ 49." });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ status: "sent", wasApproved: true, wasEdited: true, finalText: "Our plans start at R$ 49." });
    expect((await botTexts(s.instance.id)).at(-1)).toBe("Our plans start at R$ 49.");
    const [correction] = await db.select().from(learningEvents).where(eq(learningEvents.suggestionId, second!.id));
    expect(correction).toMatchObject({
      eventType: "explicit_correction",
      workflowId: s.workflow.id,
      userMessage: "what are your prices?",
      aiResponse: "Draft: what are your prices?",
      correctResponse: "Our plans start at R$ 49.",
    });

    // Discard: nothing is sent, the draft becomes a learning event with the agent's note.
    await contactWrites(s.instance, "+5511999991001", "cancel my account");
    await processDueReplies(at(6_000));
    const [third] = await pendingOf(conversation.id);
    const discarded = await api(app, "POST", `/v1/suggestions/${third!.id}/discard`, s.key, { note: "We never cancel by chat" });
    expect(discarded.status).toBe(200);
    expect(discarded.body).toMatchObject({ status: "discarded", wasApproved: false, finalText: null });
    expect(await botTexts(s.instance.id)).toHaveLength(2);
    const [rejection] = await db.select().from(learningEvents).where(eq(learningEvents.suggestionId, third!.id));
    expect(rejection).toMatchObject({ eventType: "discarded", feedback: "We never cancel by chat", correctResponse: null });
    expect((await api(app, "POST", `/v1/suggestions/${third!.id}/send`, s.key, {})).status).toBe(409);

    // Listed newest first, and audited.
    const list = await api(app, "GET", `/v1/conversations/${conversation.id}/suggestions`, s.key);
    expect(list.body.data.map((d: { status: string }) => d.status)).toEqual(["discarded", "sent", "sent"]);
    const actions = (await db.select().from(auditLogs).where(eq(auditLogs.organizationId, s.orgId))).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["suggestion.reply_mode_changed", "suggestion.sent", "suggestion.edited_and_sent", "suggestion.discarded"]));
    // Evented for integrations (webhooks, the event log): each draft, and each decision with its flags.
    const logged = await db.select().from(eventsTable).where(eq(eventsTable.organizationId, s.orgId));
    expect(logged.filter((e) => e.type === "suggestion.created")).toHaveLength(3);
    const decided = logged.filter((e) => e.type === "suggestion.decided").map((e) => e.data.suggestion as { status: string; wasEdited: boolean });
    expect(decided.map((d) => [d.status, d.wasEdited]).sort()).toEqual([
      ["discarded", false],
      ["sent", false],
      ["sent", true],
    ]);
    const events = await api(app, "GET", `/v1/learning-events?workflowId=${s.workflow.id}`, s.key);
    expect(events.body.data.map((e: { eventType: string }) => e.eventType)).toEqual(["discarded", "explicit_correction"]);
  });

  test("a newer draft supersedes the one still waiting; 'auto' sends; a draft-only workflow always drafts", async () => {
    const s = await hybridSetup();
    await contactWrites(s.instance, "+5511999991002", "first");
    const conversation = await conversationOf(s.instance.id);
    await api(app, "PUT", `/v1/conversations/${conversation.id}/reply-mode`, s.key, { mode: "draft" });
    await processDueReplies(at(2_000));
    await contactWrites(s.instance, "+5511999991002", "second");
    await processDueReplies(at(4_000));
    const all = await db.select().from(suggestedResponses).where(eq(suggestedResponses.conversationId, conversation.id));
    expect(all.map((d) => [d.suggestedText, d.status]).sort()).toEqual([
      ["Draft: first", "superseded"],
      ["Draft: second", "pending"],
    ]);

    await api(app, "PUT", `/v1/conversations/${conversation.id}/reply-mode`, s.key, { mode: "auto" });
    await contactWrites(s.instance, "+5511999991002", "third");
    await processDueReplies(at(6_000));
    expect(await botTexts(s.instance.id)).toEqual(["Draft: third"]);

    const draftOnly = await hybridSetup({ draftOnly: true, followUps: [{ delaySeconds: 60, templateKey: "nudge" }] });
    await contactWrites(draftOnly.instance, "+5511999991003", "hi");
    const other = await conversationOf(draftOnly.instance.id);
    await api(app, "PUT", `/v1/conversations/${other.id}/reply-mode`, draftOnly.key, { mode: "auto" });
    await processDueReplies(at(2_000));
    expect(await botTexts(draftOnly.instance.id)).toEqual([]);
    expect(await pendingOf(other.id)).toHaveLength(1);
    // Sent by an agent: the workflow's follow-ups start as when the bot speaks by itself.
    const [waiting] = await pendingOf(other.id);
    expect((await api(app, "POST", `/v1/suggestions/${waiting!.id}/send`, draftOnly.key, {})).status).toBe(200);
    const [thread] = await db.select().from(threads).where(eq(threads.conversationId, other.id));
    expect(thread!.nextFollowUpAt).toBeInstanceOf(Date);
  });

  test("a drafted turn is not offered the tools that send to the contact; an automatic one is", async () => {
    const s = await hybridSetup({ tools: { builtin: ["send_template", "send_media", "read_contact"] } });
    await contactWrites(s.instance, "+5511999991009", "price list?");
    const conversation = await conversationOf(s.instance.id);
    await api(app, "PUT", `/v1/conversations/${conversation.id}/reply-mode`, s.key, { mode: "draft" });
    const before = model.state.requests.length;
    await processDueReplies(at(2_000));
    const offered = (r: any) => (r.tools ?? []).map((t: any) => t.function?.name).sort();
    expect(offered(model.state.requests[before])).toEqual(["read_contact"]);
    expect(await pendingOf(conversation.id)).toHaveLength(1);

    await api(app, "PUT", `/v1/conversations/${conversation.id}/reply-mode`, s.key, { mode: "auto" });
    await contactWrites(s.instance, "+5511999991009", "and the catalogue?");
    const next = model.state.requests.length;
    await processDueReplies(at(4_000));
    expect(offered(model.state.requests[next])).toEqual(["read_contact", "send_media", "send_template"]);
  });

  test("hybrid per department: its conversations (mode inherit) get drafts; another organization's department and drafts are 404", async () => {
    const s = await hybridSetup();
    const [dept] = await db.insert(departments).values({ organizationId: s.orgId, name: "Billing" }).returning();
    const put = await api(app, "PUT", `/v1/hybrid/departments/${dept!.id}`, s.key, { draftReplies: true });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ departmentId: dept!.id, name: "Billing", active: true, draftReplies: true });
    const listed = await api(app, "GET", "/v1/hybrid/departments", s.key);
    expect(listed.body.data).toEqual([{ departmentId: dept!.id, name: "Billing", active: true, draftReplies: true }]);

    await contactWrites(s.instance, "+5511999991004", "my invoice is wrong");
    const conversation = await conversationOf(s.instance.id);
    // Routed to the department by a person (the DEPARTMENTS feature's column).
    await db.update(conversations).set({ departmentId: dept!.id }).where(eq(conversations.id, conversation.id));
    await processDueReplies(at(2_000));
    expect(await botTexts(s.instance.id)).toEqual([]);
    const [draft] = await pendingOf(conversation.id);
    expect(draft!.suggestedText).toBe("Draft: my invoice is wrong");

    const stranger = await setupOrg(app);
    expect((await api(app, "GET", `/v1/suggestions/${draft!.id}`, stranger.key)).status).toBe(404);
    expect((await api(app, "POST", `/v1/suggestions/${draft!.id}/send`, stranger.key, {})).status).toBe(404);
    expect((await api(app, "POST", `/v1/suggestions/${draft!.id}/discard`, stranger.key, {})).status).toBe(404);
    expect((await api(app, "PUT", `/v1/hybrid/departments/${dept!.id}`, stranger.key, { draftReplies: false })).status).toBe(404);
    expect((await api(app, "PUT", `/v1/conversations/${conversation.id}/reply-mode`, stranger.key, { mode: "auto" })).status).toBe(404);
    expect((await api(app, "GET", `/v1/conversations/${conversation.id}/suggestions`, stranger.key)).status).toBe(404);
    // Bad input is a 422 naming the field.
    const bad = await api(app, "PUT", `/v1/conversations/${conversation.id}/reply-mode`, s.key, { mode: "sometimes" });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body.error.details)).toContain("mode");
    const tooLong = await api(app, "POST", `/v1/suggestions/${draft!.id}/send`, s.key, { text: "x".repeat(5000) });
    expect(tooLong.status).toBe(422);
    // A read-only key may read but not decide.
    const readOnly = await setupOrg(app, { scopes: ["messages:read"] });
    expect((await api(app, "POST", `/v1/suggestions/${draft!.id}/send`, readOnly.key, {})).status).toBe(403);
  });
});
