// The admin side of human in the loop: the draft panel in the inbox (send, edit, discard, AI mode),
// the learning page (suggestions, events, review) and the settings page, with roles and isolation.
import { afterAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { conversations, departmentReplyModes, departments, learningEvents, promptVersions, suggestedResponses, users, workflows } from "@/db/schema";
import { processDueReplies } from "@/features/automation/automation.service";
import { publishPromptVersion } from "@/features/prompts/prompt.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { systemCaller } from "@/lib/caller";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { startModelServer } from "./model-server";

const model = startModelServer();
config.openai.baseUrl = model.baseUrl;
afterAll(() => model.stop());

const app = createApp();
const at = (ms: number) => new Date(Date.now() + ms);

async function withDraft() {
  const org = await setupOrg(app);
  const orgId = org.organization.id;
  const instance = await connectedInstance(orgId);
  const workflow = await createWorkflow(systemCaller("test", orgId), {
    name: "Helper",
    provider: "openai",
    config: { model: "gpt-test", debounceSeconds: 0, draftOnly: true } as never,
  });
  await createTrigger(
    systemCaller("test", orgId),
    triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [instance.id] }),
  );
  await contactWrites(instance, "+5511999993001", "Do you deliver <b>today</b>?");
  await processDueReplies(at(2_000));
  const [conversation] = await db.select().from(conversations).where(eq(conversations.instanceId, instance.id));
  const [draft] = await db.select().from(suggestedResponses).where(eq(suggestedResponses.conversationId, conversation!.id));
  return { ...org, orgId, instance, workflow, conversation: conversation!, draft: draft! };
}

describe("draft panel in the inbox", () => {
  test("the conversation loads the panel; it shows the draft (escaped) with send, edit and discard; an edit is sent with its final text", async () => {
    const s = await withDraft();
    const page = await (await s.client.get(`/inbox/${s.conversation.id}`)).text();
    expect(page).toContain(`hx-get="/inbox/${s.conversation.id}/suggestion"`);
    const panel = await (await s.client.get(`/inbox/${s.conversation.id}/suggestion`, { htmx: true })).text();
    expect(panel).toContain("Draft: Do you deliver &lt;b&gt;today&lt;/b&gt;?");
    expect(panel).not.toContain("<b>today</b>");
    expect(panel).toContain(`/suggestion/${s.draft.id}/send`);
    expect(panel).toContain(`/suggestion/${s.draft.id}/discard`);
    expect(panel).toContain('hx-trigger="suggestion:refresh"');
    expect(panel).toContain('data-live="1"');

    const edit = await (await s.client.get(`/inbox/${s.conversation.id}/suggestion/${s.draft.id}/edit`, { htmx: true })).text();
    expect(edit).toContain('name="text"');
    expect(edit).not.toContain("hx-trigger");
    const empty = await s.client.postForm(`/inbox/${s.conversation.id}/suggestion/${s.draft.id}/send`, { text: "   " }, { htmx: true });
    expect(empty.status).toBe(422);
    const sent = await s.client.postForm(`/inbox/${s.conversation.id}/suggestion/${s.draft.id}/send`, { text: "Yes, until 6 pm." }, { htmx: true });
    expect(sent.status).toBe(200);
    expect(await sent.text()).not.toContain("Yes, until 6 pm.");
    const [row] = await db.select().from(suggestedResponses).where(eq(suggestedResponses.id, s.draft.id));
    expect(row).toMatchObject({ status: "sent", wasEdited: true, wasApproved: true, finalText: "Yes, until 6 pm.", decidedBy: s.user.id });
    expect(await botTexts(s.instance.id)).toEqual(["Yes, until 6 pm."]);
  });

  test("discard from the panel with a note; the AI mode switch; another conversation's draft id and another organization are 404", async () => {
    const s = await withDraft();
    const agent = await createMember(s.orgId, "agent");
    const agentClient = await signIn(app, agent.id, s.orgId);
    const discarded = await agentClient.postForm(`/inbox/${s.conversation.id}/suggestion/${s.draft.id}/discard`, { note: "Wrong tone" }, { htmx: true });
    expect(discarded.status).toBe(200);
    const [event] = await db.select().from(learningEvents).where(eq(learningEvents.suggestionId, s.draft.id));
    expect(event).toMatchObject({ eventType: "discarded", feedback: "Wrong tone", createdBy: agent.id });
    const again = await agentClient.postForm(`/inbox/${s.conversation.id}/suggestion/${s.draft.id}/discard`, {}, { htmx: true });
    expect(again.status).toBe(422);
    expect(await again.text()).toContain("already sent, discarded or replaced");

    const mode = await agentClient.postForm(`/inbox/${s.conversation.id}/reply-mode`, { mode: "draft" }, { htmx: true });
    expect(mode.status).toBe(200);
    expect(await mode.text()).toContain('<option value="draft" selected>');
    const bad = await agentClient.postForm(`/inbox/${s.conversation.id}/reply-mode`, { mode: "never" }, { htmx: true });
    expect(bad.status).toBe(422);

    const other = await withDraft();
    expect((await s.client.get(`/inbox/${s.conversation.id}/suggestion/${other.draft.id}/edit`, { htmx: true })).status).toBe(404);
    expect((await s.client.get(`/inbox/${other.conversation.id}/suggestion`, { htmx: true })).status).toBe(404);
    expect((await s.client.postForm(`/inbox/${other.conversation.id}/suggestion/${other.draft.id}/send`, {}, { htmx: true })).status).toBe(404);
    expect((await s.client.postForm(`/inbox/${other.conversation.id}/reply-mode`, { mode: "auto" }, { htmx: true })).status).toBe(404);
    // Logged out: sent to sign in.
    const anonymous = await new (await import("../helpers/client")).TestClient(app).get(`/inbox/${s.conversation.id}/suggestion`);
    expect([302, 303, 401]).toContain(anonymous.status);
  });
});

describe("learning pages", () => {
  test("supervisors ask for, read and apply a suggestion (diff shown); agents are refused; Portuguese labels", async () => {
    const s = await withDraft();
    await publishPromptVersion(systemCaller("test", s.orgId), s.workflow.id, { instructions: "Be brief.", changelog: "first", source: "api" });
    await s.client.postForm(`/inbox/${s.conversation.id}/suggestion/${s.draft.id}/discard`, { note: "We deliver only tomorrow" }, { htmx: true });
    model.state.object = () => ({
      problemIdentified: "Promises same-day delivery",
      rootCauseAnalysis: "Delivery days are missing from the instructions",
      suggestedPrompt: "Be brief.\nDeliveries take one day.",
      changelog: "Delivery takes a day",
      confidence: 0.65,
    });
    const learning = await (await s.client.get("/learning")).text();
    expect(learning).toContain("We deliver only tomorrow");
    expect(learning).toContain('name="workflowId"');
    const generated = await s.client.postForm("/learning/suggestions", { workflowId: s.workflow.id }, { htmx: true });
    expect(generated.status).toBeLessThan(400);
    const target = generated.headers.get("hx-redirect") ?? generated.headers.get("HX-Redirect");
    expect(target).toMatch(/^\/learning\/suggestions\/[0-9a-f-]{36}$/);

    const detail = await (await s.client.get(target!)).text();
    expect(detail).toContain("Promises same-day delivery");
    expect(detail).toContain("65%");
    expect(detail).toContain('data-diff="added"');
    expect(detail).toContain("+ Deliveries take one day.");

    const agent = await createMember(s.orgId, "agent");
    const agentClient = await signIn(app, agent.id, s.orgId);
    expect((await agentClient.get("/learning")).status).toBe(403);
    expect((await agentClient.get(target!)).status).toBe(403);
    expect((await agentClient.postForm(`${target}/apply`, {})).status).toBe(403);

    const applied = await s.client.postForm(`${target}/apply`, { changelog: "Delivery rule from HITL" });
    expect([200, 302, 303]).toContain(applied.status);
    const versions = await db.select().from(promptVersions).where(eq(promptVersions.workflowId, s.workflow.id));
    expect(versions.find((v) => v.version === 2)).toMatchObject({ changelog: "Delivery rule from HITL", source: "suggestion" });

    await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, s.user.id));
    const pt = await (await s.client.get(target!)).text();
    expect(pt).toContain("Aplicada");
    expect(pt).toContain("Análise de causa raiz");
  });

  test("settings: hybrid per department and sentiment; another organization's department is 404", async () => {
    const s = await withDraft();
    const [dept] = await db.insert(departments).values({ organizationId: s.orgId, name: "Sales <team>" }).returning();
    const page = await (await s.client.get("/learning/settings")).text();
    expect(page).toContain("Sales &lt;team&gt;");
    const saved = await s.client.postForm(`/learning/departments/${dept!.id}`, { draftReplies: "on" });
    expect([200, 302, 303]).toContain(saved.status);
    const [mode] = await db.select().from(departmentReplyModes).where(eq(departmentReplyModes.departmentId, dept!.id));
    expect(mode!.draftReplies).toBe(true);

    const noWorkflow = await s.client.postForm("/learning/sentiment", { enabled: "on", workflowId: "" });
    expect(noWorkflow.status).toBe(422);
    expect(await noWorkflow.text()).toContain("Choose the AI workflow");
    const ok = await s.client.postForm("/learning/sentiment", { enabled: "on", workflowId: s.workflow.id, model: "mini" });
    expect([200, 302, 303]).toContain(ok.status);
    expect(await (await s.client.get("/learning/settings")).text()).toContain('value="mini"');

    const stranger = await setupOrg(app);
    expect((await stranger.client.postForm(`/learning/departments/${dept!.id}`, { draftReplies: "on" })).status).toBe(404);
    const [still] = await db
      .select()
      .from(departmentReplyModes)
      .where(and(eq(departmentReplyModes.departmentId, dept!.id)));
    expect(still!.organizationId).toBe(s.orgId);
  });
});

describe("workflow form", () => {
  test("draft only and the sentiment opt-out are workflow settings of the form", async () => {
    const s = await setupOrg(app);
    const index = await (await s.client.get("/workflows")).text();
    expect(index).toContain('name="config.draftOnly"');
    expect(index).toContain('name="config.sentimentOptOut"');
    const created = await s.client.postForm(
      "/workflows",
      { name: "Drafter", provider: "openai", "config.model": "gpt-test", "config.draftOnly": "on", "config.sentimentOptOut": "on" },
      { htmx: true },
    );
    expect(created.status).toBe(204);
    const id = created.headers.get("hx-redirect")!.split("/").pop()!;
    const [row] = await db.select().from(workflows).where(eq(workflows.id, id));
    expect(row!.config).toMatchObject({ draftOnly: true, sentimentAnalysis: false });
  });
});
