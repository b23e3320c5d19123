// Satisfaction (NPS): the survey goes out when a conversation of a department with an enabled survey is
// resolved; the contact's "9" is taken (promoter), the next message is the comment, neither reopens the
// conversation; a detractor opens a handling task; the dashboard's NPS math; pages, roles, isolation.
import { beforeAll, describe, expect, test } from "bun:test";
import { and, desc, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, conversations, departments, messages, satisfactionFeedback, workflows } from "@/db/schema";
import { parseNpsScore } from "@/features/satisfaction/nps-answer";
import { npsCategory, npsOf } from "@/features/satisfaction/satisfaction.service";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let instanceId: string;
let departmentId: string;
let agentId: string;

async function feedbackOf(conversationId: string) {
  return db.select().from(satisfactionFeedback).where(eq(satisfactionFeedback.conversationId, conversationId)).orderBy(desc(satisfactionFeedback.createdAt));
}

async function conversation(id: string) {
  return (await db.select().from(conversations).where(eq(conversations.id, id)))[0]!;
}

async function outboundTexts(conversationId: string) {
  const rows = await db
    .select({ body: messages.body })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "outbound")))
    .orderBy(messages.createdAt);
  return rows.map((r) => r.body);
}

/** A contact writes, the conversation is routed to the department and assigned, then resolved over the API. */
async function resolvedConversation(from: string, name: string) {
  const conv = await inbound(app, org.key, instanceId, { from, text: "preciso de ajuda", name });
  await db.update(conversations).set({ departmentId }).where(eq(conversations.id, conv.conversationId));
  expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/assign`, org.key, { userId: agentId })).status).toBe(200);
  expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/resolve`, org.key)).status).toBe(200);
  return conv;
}

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "NPS A" });
  other = await setupOrg(app, { orgName: "NPS B" });
  instanceId = await connectedSandbox(app, org.key);
  const [dept] = await db.insert(departments).values({ organizationId: org.organization.id, name: "Financeiro" }).returning();
  departmentId = dept!.id;
  agentId = (await createMember(org.organization.id, "agent")).id;
  const survey = await api(app, "PUT", `/v1/satisfaction/surveys/${departmentId}`, org.key, {
    enabled: true,
    template: "Olá {{contact.name}}! De 0 a 10, como foi o atendimento de {{agent.name}}?",
    commentPrompt: "Obrigado! Quer deixar um comentário?",
  });
  expect(survey.status).toBe(200);
  expect(survey.body).toMatchObject({ departmentId, departmentName: "Financeiro", enabled: true });
});

describe("what is taken as a score", () => {
  test("accepted and refused answers (nps-answer.ts documents them)", () => {
    for (const [text, score] of [
      ["9", 9],
      ["10!", 10],
      [" 7 ", 7],
      ["nota 9", 9],
      ["Nota: 8", 8],
      ["minha nota é 10", 10],
      ["9/10", 9],
      ["9 de 10", 9],
      ["nove", 9],
      ["DEZ", 10],
      ["zero", 0],
      ["0", 0],
      ["três", 3],
      ["ten", 10],
      ["8 👍", 8],
    ] as const) {
      expect({ text, score: parseNpsScore(text) }).toEqual({ text, score });
    }
    for (const text of ["11", "9,5", "meu pedido 123", "8 ou 9", "quero falar com alguém", "", "dou 8 mas demorou muito"]) {
      expect({ text, score: parseNpsScore(text) }).toEqual({ text, score: null });
    }
  });

  test("categories and NPS", () => {
    expect([0, 6, 7, 8, 9, 10].map(npsCategory)).toEqual(["detractor", "detractor", "neutral", "neutral", "promoter", "promoter"]);
    expect(npsOf({ promoters: 3, detractors: 1, total: 5 })).toBe(40);
    expect(npsOf({ promoters: 0, detractors: 2, total: 2 })).toBe(-100);
    expect(npsOf({ promoters: 0, detractors: 0, total: 0 })).toBeNull();
  });
});

describe("survey flow", () => {
  test("sent on resolve; '9' is a promoter without reopening; the next message is the comment; later messages are ordinary", async () => {
    const conv = await resolvedConversation("+5511911110001", "Ana Souza");
    const [sent] = await feedbackOf(conv.conversationId);
    expect(sent).toMatchObject({ state: "sent", agentUserId: agentId, departmentId, npsScore: null, workflowId: null });
    expect(await outboundTexts(conv.conversationId)).toEqual(["Olá Ana Souza! De 0 a 10, como foi o atendimento de Test agent?"]);

    await inbound(app, org.key, instanceId, { from: "+5511911110001", text: "9" });
    const scored = await waitFor(async () => (await feedbackOf(conv.conversationId)).find((f) => f.npsScore !== null), { what: "the score" });
    expect(scored).toMatchObject({ npsScore: 9, category: "promoter", state: "scored", handlingStatus: null });
    expect(await conversation(conv.conversationId)).toMatchObject({ status: "resolved", unreadCount: 0, handledBy: "bot" });
    await waitFor(async () => (await outboundTexts(conv.conversationId)).includes("Obrigado! Quer deixar um comentário?"), { what: "the comment prompt" });

    await inbound(app, org.key, instanceId, { from: "+5511911110001", text: "Atendimento rápido, obrigado!" });
    const commented = await waitFor(async () => (await feedbackOf(conv.conversationId)).find((f) => f.comment), { what: "the comment" });
    expect(commented).toMatchObject({ comment: "Atendimento rápido, obrigado!", state: "closed", npsScore: 9 });
    expect((await conversation(conv.conversationId)).status).toBe("resolved");

    // The survey is done: the next message is an ordinary one and reopens the conversation.
    await inbound(app, org.key, instanceId, { from: "+5511911110001", text: "oi de novo" });
    await waitFor(async () => (await conversation(conv.conversationId)).status === "open", { what: "the reopened conversation" });
    expect((await feedbackOf(conv.conversationId))[0]!.comment).toBe("Atendimento rápido, obrigado!");

    // The inbox's contact panel shows the answer and its comment; another organization reads the conversation as 404.
    const panel = await org.client.get(`/inbox/${conv.conversationId}/panel`, { htmx: true });
    expect(panel.status).toBe(200);
    const html = await panel.text();
    expect(html).toContain("9");
    expect(html).toContain("Atendimento rápido, obrigado!");
    expect((await other.client.get(`/inbox/${conv.conversationId}/panel`, { htmx: true })).status).toBe(404);
  });

  test("a detractor opens a handling task, worked through the API with audit; a non-answer closes the survey and goes on", async () => {
    const conv = await resolvedConversation("+5511911110002", "Bruno Lima");
    await inbound(app, org.key, instanceId, { from: "+5511911110002", text: "nota 3" });
    const scored = await waitFor(async () => (await feedbackOf(conv.conversationId)).find((f) => f.npsScore !== null), { what: "the score" });
    expect(scored).toMatchObject({ npsScore: 3, category: "detractor", handlingStatus: "pending" });
    expect((await conversation(conv.conversationId)).status).toBe("resolved");

    const tasks = await api(app, "GET", "/v1/satisfaction/feedback?tasks=true", org.key);
    expect(tasks.body.data.map((f: any) => f.id)).toEqual([scored.id]);
    const worked = await api(app, "PATCH", `/v1/satisfaction/feedback/${scored.id}`, org.key, {
      handlingStatus: "in_progress",
      handlingNotes: "Liguei para o cliente",
      handlingScore: 4,
    });
    expect(worked.status).toBe(200);
    expect(worked.body).toMatchObject({ handlingStatus: "in_progress", handlingNotes: "Liguei para o cliente", handlingScore: 4, npsScore: 3 });
    expect(
      await db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.targetId, scored.id), eq(auditLogs.action, "satisfaction.task_updated"))),
    ).toHaveLength(1);
    const bad = await api(app, "PATCH", `/v1/satisfaction/feedback/${scored.id}`, org.key, { handlingScore: 9 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toBe("handlingScore");
    expect((await api(app, "PATCH", `/v1/satisfaction/feedback/${scored.id}`, other.key, { handlingStatus: "resolved" })).status).toBe(404);
    expect((await api(app, "GET", `/v1/satisfaction/feedback/${scored.id}`, other.key)).status).toBe(404);

    const ignored = await resolvedConversation("+5511911110003", "Carla Dias");
    await inbound(app, org.key, instanceId, { from: "+5511911110003", text: "quero falar com alguém" });
    await waitFor(async () => (await feedbackOf(ignored.conversationId))[0]!.state === "closed", { what: "the closed survey" });
    expect((await feedbackOf(ignored.conversationId))[0]!.npsScore).toBeNull();
    await waitFor(async () => (await conversation(ignored.conversationId)).status === "open", { what: "the reopened conversation" });
  });

  test("a conversation the bot resolved links its AI workflow; one a member resolved links the member", async () => {
    const [wf] = await db.insert(workflows).values({ organizationId: org.organization.id, name: "Bot financeiro", provider: "openai" }).returning();
    const conv = await inbound(app, org.key, instanceId, { from: "+5511911110005", text: "segunda via", name: "Davi" });
    await db.update(conversations).set({ departmentId, workflowId: wf!.id }).where(eq(conversations.id, conv.conversationId));
    // Resolved by an integration (no person): the workflow that held it is credited.
    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/resolve`, org.key)).status).toBe(200);
    expect((await feedbackOf(conv.conversationId))[0]).toMatchObject({ workflowId: wf!.id, agentUserId: null });

    const human = await inbound(app, org.key, instanceId, { from: "+5511911110006", text: "oi", name: "Eva" });
    await db.update(conversations).set({ departmentId, workflowId: wf!.id }).where(eq(conversations.id, human.conversationId));
    const supervisor = await createMember(org.organization.id, "supervisor");
    const sup = await signIn(app, supervisor.id, org.organization.id);
    expect((await sup.postForm(`/inbox/${human.conversationId}/status`, { status: "resolved" }, { htmx: true })).status).toBeLessThan(400);
    const [feedback] = await waitFor(async () => {
      const rows = await feedbackOf(human.conversationId);
      return rows.length > 0 ? rows : null;
    });
    expect(feedback).toMatchObject({ workflowId: null, agentUserId: supervisor.id });
  });

  test("no survey without an enabled one for the department, nor for another organization's department settings", async () => {
    const unrouted = await inbound(app, org.key, instanceId, { from: "+5511911110004", text: "oi" });
    expect((await api(app, "POST", `/v1/conversations/${unrouted.conversationId}/resolve`, org.key)).status).toBe(200);
    expect(await feedbackOf(unrouted.conversationId)).toEqual([]);
    expect((await api(app, "PUT", `/v1/satisfaction/surveys/${departmentId}`, other.key, { enabled: false, template: "x" })).status).toBe(404);
    const invalid = await api(app, "PUT", `/v1/satisfaction/surveys/${departmentId}`, org.key, { enabled: true, template: "" });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.details[0].path).toBe("template");
  });
});

describe("NPS dashboard", () => {
  test("NPS = % promoters − % detractors, by period, agent, department and AI workflow, in the organization's days", async () => {
    const dash = await setupOrg(app, { orgName: "NPS math" });
    const instance = await connectedSandbox(app, dash.key);
    const conv = await inbound(app, dash.key, instance, { from: "+5511922220000", text: "oi" });
    const [deptA] = await db.insert(departments).values({ organizationId: dash.organization.id, name: "A" }).returning();
    const [wf] = await db.insert(workflows).values({ organizationId: dash.organization.id, name: "Bot de vendas", provider: "openai" }).returning();
    const agent = await createMember(dash.organization.id, "agent");
    const base = {
      organizationId: dash.organization.id,
      conversationId: conv.conversationId,
      contactId: conv.contactId,
      instanceId: instance,
      state: "closed" as const,
      sentAt: new Date("2026-11-01T12:00:00Z"),
      expiresAt: new Date("2026-11-02T12:00:00Z"),
    };
    const answer = (score: number, at: string, extra: Partial<typeof satisfactionFeedback.$inferInsert> = {}) => ({
      ...base,
      npsScore: score,
      category: npsCategory(score),
      answeredAt: new Date(at),
      ...extra,
    });
    await db.insert(satisfactionFeedback).values([
      answer(10, "2026-11-03T13:00:00Z", { agentUserId: agent.id, departmentId: deptA!.id }),
      answer(9, "2026-11-03T14:00:00Z", { agentUserId: agent.id, departmentId: deptA!.id }),
      answer(7, "2026-11-03T15:00:00Z", { agentUserId: agent.id }),
      answer(2, "2026-11-04T02:30:00Z", { departmentId: deptA!.id }), // 23:30 on Nov 3rd in São Paulo
      answer(9, "2026-11-05T12:00:00Z", { workflowId: wf!.id }),
      answer(0, "2026-11-05T13:00:00Z", { workflowId: wf!.id }),
      answer(10, "2026-10-01T12:00:00Z"), // outside the period
    ]);
    const res = await api(app, "GET", "/v1/satisfaction/nps?from=2026-11-01&to=2026-11-30&bucket=day", dash.key);
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d.overall).toMatchObject({ promoters: 3, neutrals: 1, detractors: 2, total: 6, nps: 17 });
    expect(d.byPeriod.map((g: any) => [g.key, g.total, g.nps])).toEqual([
      ["2026-11-03", 4, 25],
      ["2026-11-05", 2, 0],
    ]);
    expect(d.byAgent).toEqual([{ key: agent.id, label: "Test agent", promoters: 2, neutrals: 1, detractors: 0, total: 3, nps: 67 }]);
    expect(d.byDepartment.map((g: any) => [g.label, g.total, g.nps])).toEqual([["A", 3, 33]]);
    expect(d.byWorkflow.map((g: any) => [g.label, g.total, g.nps])).toEqual([["Bot de vendas", 2, 0]]);
    const monthly = await api(app, "GET", "/v1/satisfaction/nps?from=2026-10-01&to=2026-11-30&bucket=month", dash.key);
    expect(monthly.body.byPeriod.map((g: any) => [g.key, g.total, g.nps])).toEqual([
      ["2026-10-01", 1, 100],
      ["2026-11-01", 6, 17],
    ]);
    const wrong = await api(app, "GET", "/v1/satisfaction/nps?from=2026-11-30&to=2026-11-01", dash.key);
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details[0].path).toBe("to");
    expect((await api(app, "GET", "/v1/satisfaction/nps?from=2026-11-01&to=2026-11-30", other.key)).body.overall.total).toBe(0);

    // The dashboard page shows the same figure; agents are refused.
    const page = await dash.client.get("/satisfaction?from=2026-11-01&to=2026-11-30");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-nps="17"');
    const agentClient = await signIn(app, agent.id, dash.organization.id);
    expect((await agentClient.get("/satisfaction")).status).toBe(403);
  });

  test("pages: tasks and surveys for supervisors; survey settings by admins only", async () => {
    const supervisor = await createMember(org.organization.id, "supervisor");
    const sup = await signIn(app, supervisor.id, org.organization.id);
    const tasks = await sup.get("/satisfaction/tasks");
    expect(tasks.status).toBe(200);
    expect(await tasks.text()).toContain("Bruno Lima");
    const surveys = await sup.get("/satisfaction/surveys");
    expect(surveys.status).toBe(200);
    expect(await surveys.text()).toContain("Financeiro");
    expect((await sup.postForm(`/satisfaction/surveys/${departmentId}`, { enabled: "on", template: "x" }, { htmx: true })).status).toBe(403);
    const [task] = (await api(app, "GET", "/v1/satisfaction/feedback?tasks=true", org.key)).body.data;
    const updated = await sup.postForm(
      `/satisfaction/tasks/${task.id}`,
      { handlingStatus: "resolved", handlingNotes: "Resolvido", handlingScore: "5" },
      { htmx: true },
    );
    expect(updated.status).toBe(200);
    expect((await api(app, "GET", `/v1/satisfaction/feedback/${task.id}`, org.key)).body).toMatchObject({
      handlingStatus: "resolved",
      handlingScore: 5,
      handledBy: supervisor.id,
    });
    const saved = await org.client.postForm(
      `/satisfaction/surveys/${departmentId}`,
      { enabled: "on", template: "De 0 a 10?", commentPrompt: "" },
      { htmx: true },
    );
    expect(saved.status).toBe(200);
    expect((await api(app, "GET", `/v1/satisfaction/surveys/${departmentId}`, org.key)).body).toMatchObject({
      enabled: true,
      template: "De 0 a 10?",
      commentPrompt: null,
    });
  });
});
