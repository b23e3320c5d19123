// Greeting menu routing (text number, name, interactive list reply, invalid answers, fallback), transfers with a
// reason, activity lines (stored, audited, rendered in the inbox in the organization's zone) and visibility by role.
import { beforeAll, describe, expect, test } from "bun:test";
import { and, asc, desc, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, conversationActivities, conversations, events, messages, type Instance } from "@/db/schema";
import { createDepartment } from "@/features/departments/department.service";
import { saveGreetingMenu } from "@/features/departments/greeting-menu";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { wireFeatures } from "@/routes";
import { createTemplate } from "@/features/templates/template.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { systemCaller } from "@/lib/caller";
import { subscribeLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { waitFor } from "../helpers/wait";
import { api } from "../helpers/client";
import { createMember, memberCaller, setupOrg, signIn } from "../helpers/factories";
import { connectedInstance } from "../automation/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let instance: Instance;
let sales: { id: string };
let support: { id: string };
let billing: { id: string };
let seq = 0;

async function write(from: string, text: string, interactive?: { id: string; title: string }) {
  wireFeatures();
  const result = await ingestInbound(instance, {
    kind: "message",
    providerMessageId: `menu-${Date.now()}-${++seq}`,
    from,
    type: interactive ? "interactive" : "text",
    body: text,
    ...(interactive ? { interactive: { kind: "list" as const, ...interactive } } : {}),
    timestamp: new Date(),
  });
  if (result.kind !== "message" || !result.conversation) throw new Error("not stored");
  await result.hooks;
  return result.conversation.id;
}

async function conversation(id: string) {
  const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
  return row!;
}

async function outbound(conversationId: string) {
  return db
    .select({ type: messages.type, body: messages.body, media: messages.media })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "outbound")))
    .orderBy(asc(messages.createdAt));
}

async function activities(conversationId: string) {
  return db
    .select()
    .from(conversationActivities)
    .where(eq(conversationActivities.conversationId, conversationId))
    .orderBy(asc(conversationActivities.createdAt));
}

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Routing A" });
  other = await setupOrg(app, { orgName: "Routing B" });
  instance = await connectedInstance(org.organization.id);
  const owner = memberCaller(org.user.id, org.organization.id, "owner");
  sales = await createDepartment(owner, { name: "Vendas", color: "#ff0000" });
  support = await createDepartment(owner, { name: "Suporte Técnico" });
  billing = await createDepartment(owner, { name: "Financeiro" });
  await saveGreetingMenu(owner, instance.id, {
    enabled: true,
    greeting: "Olá! Escolha um setor:",
    options: [sales.id, support.id],
    maxAttempts: 2,
    fallbackDepartmentId: billing.id,
  });
});

describe("greeting menu", () => {
  test("a new conversation gets the numbered menu once; answering 2 routes it to the second option", async () => {
    const id = await write("+5511970000001", "oi");
    let sent = await outbound(id);
    expect(sent.length).toBe(1);
    expect(sent[0]!.type).toBe("interactive");
    expect(sent[0]!.body).toBe("Olá! Escolha um setor:");
    const rows = (sent[0]!.media as any).interactive.list.sections[0].rows;
    expect(rows.map((r: any) => r.title)).toEqual(["Vendas", "Suporte Técnico"]);
    expect((await conversation(id)).menuSentAt).not.toBeNull();

    await write("+5511970000001", " 2 ");
    const routed = await conversation(id);
    expect(routed.departmentId).toBe(support.id);
    expect(routed.menuSentAt).toBeNull();
    sent = await outbound(id);
    expect(sent.length).toBe(1);
    const lines = await activities(id);
    expect(lines.map((l) => l.kind)).toEqual(["routed"]);
    expect(lines[0]!.details).toMatchObject({ toDepartmentId: support.id, toDepartmentName: "Suporte Técnico", answer: " 2 " });
    const [event] = await db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, org.organization.id), eq(events.type, "conversation.routed")));
    expect((event!.data as any).conversation.id).toBe(id);
  });

  test("the department's name (any case, no accents) and a list reply's id route too", async () => {
    const byName = await write("+5511970000002", "bom dia");
    await write("+5511970000002", "suporte tecnico");
    expect((await conversation(byName)).departmentId).toBe(support.id);

    const byList = await write("+5511970000003", "olá");
    await write("+5511970000003", "Vendas", { id: `dept:${sales.id}`, title: "Vendas" });
    expect((await conversation(byList)).departmentId).toBe(sales.id);
  });

  test("an invalid answer repeats the menu; after maxAttempts the fallback department takes it", async () => {
    const id = await write("+5511970000004", "oi");
    await write("+5511970000004", "7");
    let c = await conversation(id);
    expect(c.departmentId).toBeNull();
    expect(c.menuAttempts).toBe(1);
    const sent = await outbound(id);
    expect(sent.length).toBe(2);
    expect(sent[1]!.body).toContain("Não entendi");
    await write("+5511970000004", "quero falar com alguém");
    c = await conversation(id);
    expect(c.departmentId).toBe(billing.id);
    expect(c.menuSentAt).toBeNull();
    expect((await outbound(id)).length).toBe(2);
    const lines = await activities(id);
    expect(lines.at(-1)!.details).toMatchObject({ fallback: true, toDepartmentName: "Financeiro" });
  });

  test("a routed conversation is not asked again; a resolved one reopened keeps its department", async () => {
    const id = await write("+5511970000005", "oi");
    await write("+5511970000005", "1");
    await write("+5511970000005", "preciso de ajuda");
    expect((await outbound(id)).length).toBe(1);
    expect((await conversation(id)).departmentId).toBe(sales.id);
  });
});

describe("reopened conversations", () => {
  test("resolved without a department, the contact's next message gets the menu again", async () => {
    const id = await write("+5511970000050", "oi");
    await write("+5511970000050", "1");
    await api(app, "POST", `/v1/conversations/${id}/transfer`, org.key, { departmentId: null, reason: "sem fila" });
    const resolved = await api(app, "POST", `/v1/conversations/${id}/resolve`, org.key);
    expect(resolved.body.status).toBe("resolved");
    const before = (await outbound(id)).length;
    await write("+5511970000050", "voltei");
    const c = await conversation(id);
    expect(c.status).toBe("open");
    expect(c.menuSentAt).not.toBeNull();
    expect((await outbound(id)).length).toBe(before + 1);
    expect((await activities(id)).map((l) => l.kind)).toEqual(["routed", "transferred", "resolved"]);
  });
});

describe("automation and the menu", () => {
  test("while the menu waits for a choice no trigger answers; once routed, automation hears the next message", async () => {
    const caller = systemCaller("test", org.organization.id);
    await createTemplate(caller, { key: "auto", body: "resposta automática", variants: [], variables: [], active: true });
    await createTrigger(caller, triggerSchema.parse({ match: "contains", pattern: "ajuda", action: "reply_template", templateKey: "auto" }));
    const id = await write("+5511970000030", "ajuda");
    await write("+5511970000030", "ajuda por favor");
    let texts = (await outbound(id)).map((m) => m.body);
    expect(texts.some((t) => t === "resposta automática")).toBe(false);
    await write("+5511970000030", "1");
    await write("+5511970000030", "ajuda");
    texts = (await outbound(id)).map((m) => m.body);
    expect(texts.at(-1)).toBe("resposta automática");
  });
});

describe("transfer", () => {
  test("to another department with a reason: activity line, audit row, event; 422 without a reason; another organization's id is 404", async () => {
    const id = await write("+5511970000010", "oi");
    await write("+5511970000010", "1");
    const missing = await api(app, "POST", `/v1/conversations/${id}/transfer`, org.key, { departmentId: billing.id, reason: "" });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.map((d: any) => d.path)).toContain("reason");
    const res = await api(app, "POST", `/v1/conversations/${id}/transfer`, org.key, { departmentId: billing.id, reason: "cliente pediu boleto" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ departmentId: billing.id, department: "Financeiro", assignedUserId: null });
    const line = (await activities(id)).at(-1)!;
    expect(line.kind).toBe("transferred");
    expect(line.details).toMatchObject({ fromDepartmentName: "Vendas", toDepartmentName: "Financeiro", reason: "cliente pediu boleto" });
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.action, "conversation.transferred"), eq(auditLogs.targetId, id)));
    expect(audit.length).toBe(1);
    const [event] = await db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, org.organization.id), eq(events.type, "conversation.transferred")))
      // The organization's latest transfer (earlier tests transferred too; without an order rows come in storage order).
      .orderBy(desc(events.txId), desc(events.at))
      .limit(1);
    expect((event!.data as any).reason).toBe("cliente pediu boleto");
    expect((await api(app, "POST", `/v1/conversations/${id}/transfer`, other.key, { departmentId: billing.id, reason: "x" })).status).toBe(404);
    // Another organization's department is not a target.
    const theirs = await createDepartment(memberCaller(other.user.id, other.organization.id, "owner"), { name: "Deles" });
    const foreign = await api(app, "POST", `/v1/conversations/${id}/transfer`, org.key, { departmentId: theirs.id, reason: "x" });
    expect(foreign.status).toBe(422);
  });

  test("to an agent: must belong to the department; the inbox renders the activity lines between messages, in the org's zone", async () => {
    const agent = await createMember(org.organization.id, "agent");
    const id = await write("+5511970000011", "oi");
    await write("+5511970000011", "1");
    const refused = await api(app, "POST", `/v1/conversations/${id}/transfer`, org.key, { departmentId: support.id, userId: agent.id, reason: "técnico" });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0].path).toBe("userId");
    await api(app, "PATCH", `/v1/departments/${support.id}`, org.key, { memberIds: [agent.id] });
    const ok = await api(app, "POST", `/v1/conversations/${id}/transfer`, org.key, { departmentId: support.id, userId: agent.id, reason: "técnico" });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ assignedUserId: agent.id, handledBy: "human", departmentId: support.id });

    // Through the inbox form (signed-in owner), then the page shows the lines.
    const form = await org.client.postForm(`/inbox/${id}/transfer`, { departmentId: sales.id, userId: "", reason: "voltou para vendas" }, { htmx: true });
    expect(form.status).toBe(200);
    const html = await (await org.client.get(`/inbox/${id}`)).text();
    expect(html).toContain('class="activity-line activity-routed"');
    expect(html).toContain("Transferred: Vendas → Suporte Técnico / Test agent");
    expect(html).toContain("Reason: voltou para vendas");
    // In time order: the menu's routing, then the two transfers.
    expect(html.indexOf("activity-routed")).toBeLessThan(html.indexOf("Transferred: Vendas"));
    expect(html.indexOf("Transferred: Vendas")).toBeLessThan(html.indexOf("Reason: voltou para vendas"));
    expect(html).toMatch(/<time datetime="[^"]+">[^<]*(BRT|GMT-3|America\/Sao_Paulo)/);
  });
});

describe("live", () => {
  test("a transfer's activity line reaches open inboxes over the live stream", async () => {
    const id = await write("+5511970000040", "oi");
    const seen: Record<string, unknown>[] = [];
    const unsubscribe = await subscribeLive(liveTopics.orgInbox(org.organization.id), (data) => seen.push(data));
    try {
      await api(app, "POST", `/v1/conversations/${id}/transfer`, org.key, { departmentId: billing.id, reason: "ao vivo" });
      const [line] = await activities(id).then((rows) => rows.filter((r) => r.kind === "transferred"));
      await waitFor(() => seen.some((d) => d.conversationId === id && d.activityId === line!.id));
    } finally {
      unsubscribe();
    }
  });
});

describe("visibility", () => {
  test("an agent sees their departments' conversations, unrouted ones and their own; another department's reads as 404", async () => {
    const agent = await createMember(org.organization.id, "agent");
    await api(app, "PATCH", `/v1/departments/${sales.id}`, org.key, { memberIds: [agent.id] });
    const inSales = await write("+5511970000020", "oi");
    await write("+5511970000020", "1");
    const inSupport = await write("+5511970000021", "oi");
    await write("+5511970000021", "2");
    const unrouted = await write("+5511970000022", "oi");
    const client = await signIn(app, agent.id, org.organization.id);
    expect((await client.get(`/inbox/${inSales}`)).status).toBe(200);
    expect((await client.get(`/inbox/${unrouted}`)).status).toBe(200);
    expect((await client.get(`/inbox/${inSupport}`)).status).toBe(404);
    const list = await (await client.get("/inbox?status=all")).text();
    expect(list).toContain(inSales);
    expect(list).not.toContain(inSupport);
    // A supervisor sees everything.
    const supervisor = await createMember(org.organization.id, "supervisor");
    const sup = await signIn(app, supervisor.id, org.organization.id);
    expect((await sup.get(`/inbox/${inSupport}`)).status).toBe(200);
    // Assigned to the agent: visible although in another department.
    await api(app, "POST", `/v1/conversations/${inSupport}/assign`, org.key, { userId: agent.id });
    expect((await client.get(`/inbox/${inSupport}`)).status).toBe(200);
  });
});
