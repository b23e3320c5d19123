// Supervisor alerts: SLA breaches per department target (one alert per breach, on a controllable clock),
// urgency words in inbound messages, resolving, the alert.* events, verification logged, roles and isolation.
import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { alerts, auditLogs, conversations, departments, events, supervisorActions } from "@/db/schema";
import { checkSlaBreaches, matchKeyword } from "@/features/alerts/alert.rules";
import { listEventDeliveries } from "@/features/events/event.service";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { connectedSandbox, inbound } from "../conversations/helpers";

// The webhook below points at a closed loopback port: allowed here, never reached (no delivery worker runs).
config.allowPrivateWebhookTargets = true;
const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let instanceId: string;
let departmentId: string;

const minutes = (n: number) => n * 60_000;

async function routedConversation(from: string, text: string) {
  const conv = await inbound(app, org.key, instanceId, { from, text, name: `Contato ${from.slice(-4)}` });
  await db.update(conversations).set({ departmentId }).where(eq(conversations.id, conv.conversationId));
  return conv;
}

async function conversation(id: string) {
  return (await db.select().from(conversations).where(eq(conversations.id, id)))[0]!;
}

async function alertsOf(conversationId: string) {
  return db.select().from(alerts).where(eq(alerts.conversationId, conversationId)).orderBy(alerts.createdAt);
}

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Alerts A" });
  other = await setupOrg(app, { orgName: "Alerts B" });
  instanceId = await connectedSandbox(app, org.key);
  const [dept] = await db.insert(departments).values({ organizationId: org.organization.id, name: "Suporte" }).returning();
  departmentId = dept!.id;
  const targets = await api(app, "PUT", `/v1/departments/${departmentId}/sla-targets`, org.key, { firstResponseMinutes: 5, resolutionMinutes: 60 });
  expect(targets.status).toBe(200);
  expect(targets.body).toMatchObject({ departmentId, departmentName: "Suporte", firstResponseMinutes: 5, resolutionMinutes: 60 });
});

describe("SLA alerts", () => {
  test("a first-response breach raises one alert (once per breach), with its event; a new unanswered stretch alerts again", async () => {
    const conv = await routedConversation("+5511900001111", "oi, preciso de ajuda");
    const start = Date.now();
    // Before the target: nothing.
    await checkSlaBreaches(new Date(start + minutes(4)));
    expect(await alertsOf(conv.conversationId)).toHaveLength(0);
    // Past it: one alert, and running the check again adds none.
    await checkSlaBreaches(new Date(start + minutes(6)));
    await checkSlaBreaches(new Date(start + minutes(7)));
    const raised = await alertsOf(conv.conversationId);
    expect(raised.map((a) => a.type)).toEqual(["first_response_sla"]);
    expect(raised[0]).toMatchObject({ severity: "high", departmentId, organizationId: org.organization.id, resolvedAt: null });
    expect(raised[0]!.details).toMatchObject({ targetMinutes: 5 });
    expect(raised[0]!.message).toContain("5 min");
    const created = await db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, org.organization.id), eq(events.type, "alert.created")));
    expect(created.filter((e) => (e.data as any).alert.id === raised[0]!.id)).toHaveLength(1);

    // Past the resolution target too: one resolution alert, the first-response one not again.
    await checkSlaBreaches(new Date(start + minutes(61)));
    expect((await alertsOf(conv.conversationId)).map((a) => a.type).sort()).toEqual(["first_response_sla", "resolution_sla"]);

    // The agent answers; the contact writes again later: that new wait is its own breach.
    const reply = await api(app, "POST", "/v1/messages", org.key, { instanceId, to: "+5511900001111", type: "text", text: "Olá!" });
    expect(reply.status).toBe(202);
    await checkSlaBreaches(new Date(start + minutes(62)));
    expect(await alertsOf(conv.conversationId)).toHaveLength(2);
    await inbound(app, org.key, instanceId, { from: "+5511900001111", text: "ainda estou esperando" });
    await checkSlaBreaches(new Date(start + minutes(70)));
    expect((await alertsOf(conv.conversationId)).filter((a) => a.type === "first_response_sla")).toHaveLength(2);
  });

  test("resolving the conversation resolves its SLA alerts (alert.resolved by LivChat); keyword alerts stay", async () => {
    const conv = await routedConversation("+5511900009999", "oi");
    await checkSlaBreaches(new Date(Date.now() + minutes(6)));
    const [sla] = await alertsOf(conv.conversationId);
    expect(sla!.resolvedAt).toBeNull();
    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/resolve`, org.key)).status).toBe(200);
    const [after] = await alertsOf(conv.conversationId);
    expect(after!.resolvedAt).toBeInstanceOf(Date);
    expect(after!.resolvedBy).toBeNull();
    const resolvedEvents = (await db.select().from(events).where(eq(events.type, "alert.resolved"))).filter((e) => (e.data as any).alert.id === sla!.id);
    expect(resolvedEvents.map((e) => (e.data as any).by)).toEqual([{ type: "system", id: "livchat" }]);
  });

  test("a conversation without a department target, or resolved, raises nothing", async () => {
    const unrouted = await inbound(app, org.key, instanceId, { from: "+5511900002222", text: "oi" });
    const resolved = await routedConversation("+5511900003333", "oi");
    expect((await api(app, "POST", `/v1/conversations/${resolved.conversationId}/resolve`, org.key)).status).toBe(200);
    await checkSlaBreaches(new Date(Date.now() + minutes(120)));
    expect(await alertsOf(unrouted.conversationId)).toHaveLength(0);
    expect(await alertsOf(resolved.conversationId)).toHaveLength(0);
  });

  test("time outside the department's business hours does not count (the SLA clock pauses)", async () => {
    const [closed] = await db.insert(departments).values({ organizationId: org.organization.id, name: "Plantão" }).returning();
    expect((await api(app, "PUT", `/v1/departments/${closed!.id}/sla-targets`, org.key, { firstResponseMinutes: 5, resolutionMinutes: 10 })).status).toBe(200);
    // Enabled with no opening interval: closed all week, so no SLA time ever accrues.
    expect((await api(app, "PUT", `/v1/departments/${closed!.id}/business-hours`, org.key, { intervals: [] })).status).toBe(200);
    const conv = await inbound(app, org.key, instanceId, { from: "+5511900008888", text: "alguém aí?" });
    await db.update(conversations).set({ departmentId: closed!.id }).where(eq(conversations.id, conv.conversationId));
    await checkSlaBreaches(new Date(Date.now() + minutes(600)));
    expect(await alertsOf(conv.conversationId)).toHaveLength(0);
  });

  test("targets: bad values are 422 naming the field; another organization's department is 404", async () => {
    const bad = await api(app, "PUT", `/v1/departments/${departmentId}/sla-targets`, org.key, { firstResponseMinutes: 0, resolutionMinutes: "x" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: any) => d.path).sort()).toEqual(["firstResponseMinutes", "resolutionMinutes"]);
    expect((await api(app, "PUT", `/v1/departments/${departmentId}/sla-targets`, other.key, { firstResponseMinutes: 5, resolutionMinutes: null })).status).toBe(
      404,
    );
    const listed = await api(app, "GET", "/v1/alerts/targets", org.key);
    expect(listed.body.data.find((r: any) => r.departmentId === departmentId)).toEqual({
      departmentId,
      departmentName: "Suporte",
      firstResponseMinutes: 5,
      resolutionMinutes: 60,
    });
    expect((await api(app, "GET", "/v1/alerts/targets", other.key)).body.data).toEqual([]);
  });
});

describe("keyword alerts", () => {
  test("matching is whole-word, case- and accent-insensitive", () => {
    expect(matchKeyword("Isso é URGENTE!!", ["urgente"])).toBe("urgente");
    expect(matchKeyword("vou ao procon", ["Procon"])).toBe("Procon");
    expect(matchKeyword("preciso com urgência", ["URGENCIA"])).toBe("URGENCIA");
    expect(matchKeyword("cancelar minha conta", ["cancelar minha conta"])).toBe("cancelar minha conta");
    expect(matchKeyword("procondição", ["procon"])).toBeNull();
    expect(matchKeyword("tudo certo", ["procon"])).toBeNull();
  });

  test("an inbound message with an urgency word raises one keyword alert; others none", async () => {
    // A webhook subscribed to alert.created gets a delivery for it (the event catalog's fan-out).
    const hook = await api(app, "POST", "/v1/webhooks", org.key, { url: "http://127.0.0.1:9/hook", eventTypes: ["alert.created"] });
    expect(hook.status).toBe(201);
    const saved = await api(app, "PUT", "/v1/alerts/settings", org.key, { urgencyKeywords: ["Procon", "urgência", "procon"] });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({ urgencyKeywords: ["Procon", "urgência"] });
    const calm = await inbound(app, org.key, instanceId, { from: "+5511900004444", text: "bom dia" });
    const angry = await inbound(app, org.key, instanceId, { from: "+5511900005555", text: "Se não resolverem vou ao PROCON" });
    const alert = await waitFor(async () => (await alertsOf(angry.conversationId))[0], { what: "the keyword alert" });
    expect(alert).toMatchObject({ type: "keyword", severity: "high" });
    expect(alert.details).toMatchObject({ keyword: "Procon", messageId: angry.messageId });
    expect(alert.message).toContain("Procon");
    expect(await alertsOf(calm.conversationId)).toHaveLength(0);
    const [createdEvent] = (await db.select().from(events).where(eq(events.type, "alert.created"))).filter((e) => (e.data as any).alert.id === alert.id);
    // Delivered from the event log: listed for the webhook (pending until its cursor reaches it).
    const deliveries = await listEventDeliveries(org.organization.id, createdEvent!.id);
    expect(deliveries.map((d) => d.webhookId)).toEqual([hook.body.id]);
    // Another organization's words are its own.
    expect((await api(app, "GET", "/v1/alerts/settings", other.key)).body).toEqual({ urgencyKeywords: [] });
    const tooLong = await api(app, "PUT", "/v1/alerts/settings", org.key, { urgencyKeywords: ["x".repeat(61)] });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.details[0].path).toContain("urgencyKeywords");
  });
});

describe("resolving alerts and supervision", () => {
  test("the API lists and resolves (alert.resolved, supervisor action, audit); twice changes nothing; another organization reads 404", async () => {
    const conv = await routedConversation("+5511900006666", "oi");
    await checkSlaBreaches(new Date(Date.now() + minutes(6)));
    const [alert] = await alertsOf(conv.conversationId);
    const open = await api(app, "GET", "/v1/alerts?status=open", org.key);
    expect(open.status).toBe(200);
    expect(open.body.data.map((a: any) => a.id)).toContain(alert!.id);
    expect((await api(app, "GET", `/v1/alerts/${alert!.id}`, other.key)).status).toBe(404);
    expect((await api(app, "POST", `/v1/alerts/${alert!.id}/resolve`, other.key)).status).toBe(404);
    expect((await api(app, "GET", "/v1/alerts", other.key)).body.data).toEqual([]);

    const resolved = await api(app, "POST", `/v1/alerts/${alert!.id}/resolve`, org.key, { notes: "ligamos para o cliente" });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ id: alert!.id, resolved: true });
    const again = await api(app, "POST", `/v1/alerts/${alert!.id}/resolve`, org.key);
    expect(again.body.resolvedAt).toBe(resolved.body.resolvedAt);
    expect((await api(app, "GET", "/v1/alerts?status=open", org.key)).body.data.map((a: any) => a.id)).not.toContain(alert!.id);

    const resolvedEvents = (
      await db
        .select()
        .from(events)
        .where(and(eq(events.organizationId, org.organization.id), eq(events.type, "alert.resolved")))
    ).filter((e) => (e.data as any).alert.id === alert!.id);
    expect(resolvedEvents).toHaveLength(1);
    const actions = await db.select().from(supervisorActions).where(eq(supervisorActions.alertId, alert!.id));
    expect(actions).toMatchObject([{ action: "resolve_alert", conversationId: conv.conversationId, notes: "ligamos para o cliente" }]);
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.targetId, alert!.id), eq(auditLogs.action, "alert.resolved")));
    expect(audit).toHaveLength(1);
    expect((await api(app, "GET", "/v1/alerts?status=bogus", org.key)).status).toBe(422);
  });

  test("monitor: supervisors see the board and alerts, verify (logged) and resolve; agents are refused; another organization's ids are 404", async () => {
    const conv = await routedConversation("+5511900007777", "Cliente do monitor");
    await checkSlaBreaches(new Date(Date.now() + minutes(6)));
    const [alert] = await alertsOf(conv.conversationId);
    const supervisor = await createMember(org.organization.id, "supervisor");
    const agent = await createMember(org.organization.id, "agent");
    const sup = await signIn(app, supervisor.id, org.organization.id);
    const ag = await signIn(app, agent.id, org.organization.id);

    const page = await sup.get("/monitor");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Contato 7777");
    expect(html).toContain(`data-alert="${alert!.id}"`);
    expect(html).toContain("data-since=");
    expect((await sup.get(`/monitor/board?departmentId=${departmentId}`)).status).toBe(200);
    expect((await ag.get("/monitor")).status).toBe(403);
    expect((await ag.postForm(`/monitor/conversations/${conv.conversationId}/verify`, { verified: "true" }, { htmx: true })).status).toBe(403);
    expect((await ag.postForm(`/monitor/alerts/${alert!.id}/resolve`, {}, { htmx: true })).status).toBe(403);

    const verified = await sup.postForm(`/monitor/conversations/${conv.conversationId}/verify`, { verified: "true" }, { htmx: true });
    expect(verified.status).toBe(204);
    expect(verified.headers.get("hx-trigger")).toContain("monitor-changed");
    const [row] = await db.select().from(conversations).where(eq(conversations.id, conv.conversationId));
    expect(row!.verifiedBy).toBe(supervisor.id);
    expect(row!.verifiedAt).toBeInstanceOf(Date);
    expect(await db.select().from(supervisorActions).where(eq(supervisorActions.conversationId, conv.conversationId))).toMatchObject([
      { action: "verify", createdBy: supervisor.id },
    ]);
    expect(
      await db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.targetId, conv.conversationId), eq(auditLogs.action, "monitor.verified"))),
    ).toHaveLength(1);
    expect(await (await sup.get("/monitor")).text()).toContain("Verified");

    expect((await sup.postForm(`/monitor/alerts/${alert!.id}/resolve`, {}, { htmx: true })).status).toBe(204);
    expect((await db.select().from(alerts).where(eq(alerts.id, alert!.id)))[0]!.resolvedBy).toBe(supervisor.id);

    const taken = await sup.postForm(`/monitor/conversations/${conv.conversationId}/take-over`, {}, { htmx: true });
    expect(taken.status).toBe(204);
    const [after] = await db.select().from(conversations).where(eq(conversations.id, conv.conversationId));
    expect(after).toMatchObject({ assignedUserId: supervisor.id, handledBy: "human" });

    // Transfer to an agent from the board: assigned, logged as a supervisor action; a non-member is a 422.
    expect((await sup.postForm(`/monitor/conversations/${conv.conversationId}/assign`, { userId: agent.id }, { htmx: true })).status).toBe(204);
    expect((await conversation(conv.conversationId)).assignedUserId).toBe(agent.id);
    const logged = await db.select().from(supervisorActions).where(eq(supervisorActions.conversationId, conv.conversationId));
    expect(logged.map((a) => a.action).sort()).toEqual(["resolve_alert", "take_over", "transfer", "verify"]);
    expect((await sup.postForm(`/monitor/conversations/${conv.conversationId}/assign`, { userId: "nope" }, { htmx: true })).status).toBe(422);
    const log = await (await sup.get("/monitor")).text();
    expect(log).toContain('data-action="transfer"');
    expect(log).toContain("took over the conversation");
    expect((await sup.postForm(`/monitor/conversations/${conv.conversationId}/assign`, { userId: other.user.id }, { htmx: true })).status).toBe(422);

    const otherSupervisor = await signIn(app, other.user.id, other.organization.id);
    expect((await otherSupervisor.postForm(`/monitor/conversations/${conv.conversationId}/verify`, { verified: "true" }, { htmx: true })).status).toBe(404);
    expect((await otherSupervisor.postForm(`/monitor/alerts/${alert!.id}/resolve`, {}, { htmx: true })).status).toBe(404);
    expect(await (await otherSupervisor.get("/monitor")).text()).not.toContain("Contato 7777");
  });
});
