import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, salesLeads, users } from "@/db/schema";
import { createLead as aiCreateLead } from "@/features/tools/tool.service";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let conv: { conversationId: string; contactId: string };
let foreignConv: { conversationId: string; contactId: string };
let agentId: string;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Vendas A" });
  other = await setupOrg(app, { orgName: "Vendas B" });
  conv = await inbound(app, org.key, await connectedSandbox(app, org.key), { from: "+5511944440001", name: "Bia", text: "Quero contratar" });
  foreignConv = await inbound(app, other.key, await connectedSandbox(app, other.key), { from: "+5511944440002", text: "oi" });
  agentId = (await createMember(org.organization.id, "agent")).id;
});

describe("/v1/sales", () => {
  test("plans catalogue: create, unique name, update, inactive plan refused on a new lead, other org 404", async () => {
    const plan = await api(app, "POST", "/v1/sales/plans", org.key, { name: "Fibra 500", priceCents: 9990, description: "500 Mb/s" });
    expect(plan.status).toBe(201);
    expect(plan.body).toMatchObject({ name: "Fibra 500", priceCents: 9990, active: true });
    const dup = await api(app, "POST", "/v1/sales/plans", org.key, { name: "Fibra 500", priceCents: 1 });
    expect(dup.status).toBe(422);
    expect(dup.body.error.details[0].path).toBe("name");
    const badPrice = await api(app, "POST", "/v1/sales/plans", org.key, { name: "X", priceCents: -1 });
    expect(badPrice.body.error.details[0].path).toBe("priceCents");
    const old = await api(app, "POST", "/v1/sales/plans", org.key, { name: "Rádio 10", priceCents: 4990, active: false });
    const list = await api(app, "GET", "/v1/sales/plans?active=true", org.key);
    expect(list.body.data.map((p: { name: string }) => p.name)).toEqual(["Fibra 500"]);
    const patched = await api(app, "PATCH", `/v1/sales/plans/${plan.body.id}`, org.key, { priceCents: 10990 });
    expect(patched.body.priceCents).toBe(10990);
    expect((await api(app, "GET", `/v1/sales/plans/${plan.body.id}`, other.key)).status).toBe(404);
    expect((await api(app, "PATCH", `/v1/sales/plans/${plan.body.id}`, other.key, { priceCents: 1 })).status).toBe(404);

    const inactive = await api(app, "POST", "/v1/sales/leads", org.key, { conversationId: conv.conversationId, title: "x", planId: old.body.id });
    expect(inactive.status).toBe(422);
    expect(inactive.body.error.details[0].path).toBe("planId");
    const foreignPlan = await api(app, "POST", "/v1/sales/plans", other.key, { name: "Outro", priceCents: 1 });
    expect((await api(app, "POST", "/v1/sales/leads", org.key, { conversationId: conv.conversationId, title: "x", planId: foreignPlan.body.id })).status).toBe(
      422,
    );
    const audit = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, plan.body.id)));
    expect(audit.map((a) => a.action).sort()).toEqual(["sales_plan.created", "sales_plan.updated"]);
  });

  test("leads pipeline: from a conversation or by phone, stages new → contacted → qualified → converted, assignment, filters, audit", async () => {
    const [plan] = (await api(app, "GET", "/v1/sales/plans?active=true", org.key)).body.data;
    const lead = await api(app, "POST", "/v1/sales/leads", org.key, {
      conversationId: conv.conversationId,
      title: "Fibra para a loja",
      valueCents: 129990,
      planId: plan.id,
    });
    expect(lead.status).toBe(201);
    expect(lead.body).toMatchObject({
      status: "new",
      conversationId: conv.conversationId,
      contact: { id: conv.contactId, name: "Bia" },
      valueCents: 129990,
      plan: { id: plan.id, name: "Fibra 500" },
      createdByAi: false,
    });
    const byPhone = await api(app, "POST", "/v1/sales/leads", org.key, { phone: "(11) 94444-0001", title: "Segunda linha", assignedUserId: agentId });
    expect(byPhone.body).toMatchObject({ contact: { id: conv.contactId }, assignedUserId: agentId, assigneeName: "Test agent" });
    expect((await api(app, "POST", "/v1/sales/leads", org.key, { conversationId: foreignConv.conversationId, title: "x" })).body.error.details[0].path).toBe(
      "conversationId",
    );
    expect((await api(app, "POST", "/v1/sales/leads", org.key, { title: "x" })).status).toBe(422);
    expect((await api(app, "POST", "/v1/sales/leads", org.key, { phone: "+5511944440001", title: "x", assignedUserId: other.user.id })).status).toBe(422);
    expect((await api(app, "POST", "/v1/sales/leads", org.key, { phone: "+5511944440001", title: "x", status: "won" })).body.error.details[0].path).toBe(
      "status",
    );

    const id = lead.body.id;
    for (const status of ["contacted", "qualified", "converted"] as const) {
      const moved = await api(app, "PATCH", `/v1/sales/leads/${id}`, org.key, { status });
      expect(moved.status).toBe(200);
      expect(moved.body.status).toBe(status);
    }
    const assigned = await api(app, "PATCH", `/v1/sales/leads/${id}`, org.key, { assignedUserId: org.user.id });
    expect(assigned.body.assignedUserId).toBe(org.user.id);

    const converted = await api(app, "GET", "/v1/sales/leads?status=converted", org.key);
    expect(converted.body.data.map((l: { id: string }) => l.id)).toEqual([id]);
    const agents = await api(app, "GET", `/v1/sales/leads?assignee=${agentId}`, org.key);
    expect(agents.body.data.map((l: { id: string }) => l.id)).toEqual([byPhone.body.id]);
    const me = await api(app, "GET", "/v1/sales/leads?assignee=me", org.key);
    expect(me.status).toBe(422);
    expect(me.body.error.details[0].path).toBe("assignee");
    expect((await api(app, "GET", `/v1/sales/leads/${id}`, other.key)).status).toBe(404);
    expect((await api(app, "PATCH", `/v1/sales/leads/${id}`, other.key, { status: "lost" })).status).toBe(404);
    expect((await api(app, "GET", "/v1/sales/leads", other.key)).body.data).toEqual([]);

    const audit = await db
      .select({ action: auditLogs.action, details: auditLogs.details })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, id)));
    expect(audit.map((a) => a.action).sort()).toEqual([
      "sales_lead.assigned",
      "sales_lead.created",
      "sales_lead.moved",
      "sales_lead.moved",
      "sales_lead.moved",
    ]);
  });

  test("the AI tool creates a lead at stage new, owned by the sales feature; the pipeline lists it", async () => {
    const row = await aiCreateLead(
      { organizationId: org.organization.id, contactId: conv.contactId, conversationId: conv.conversationId, threadId: null },
      { title: "Lead da IA", value: 59.9 },
    );
    expect(row.status).toBe("new");
    const got = await api(app, "GET", `/v1/sales/leads/${row.id}`, org.key);
    expect(got.body).toMatchObject({ title: "Lead da IA", valueCents: 5990, status: "new" });
  });
});

describe("sales pages", () => {
  test("create from a conversation, board by stage, move a card, agents only work their own, plans need a supervisor", async () => {
    const form = await (await org.client.get(`/sales/leads/new?conversationId=${conv.conversationId}`)).text();
    expect(form).toContain(`name="conversationId" value="${conv.conversationId}"`);
    expect((await org.client.get(`/sales/leads/new?conversationId=${foreignConv.conversationId}`)).status).toBe(404);
    const created = await org.client.postForm(
      "/sales/leads",
      { conversationId: conv.conversationId, title: "Plano <b>empresa</b>", notes: "", valueCents: "", planId: "", status: "new", assignedUserId: "" },
      { htmx: true },
    );
    expect(created.status).toBe(204);
    const location = created.headers.get("hx-redirect")!;
    expect(location).toMatch(/^\/sales\/leads\/[0-9a-f-]{36}$/);
    const id = location.split("/")[3]!;
    expect(await (await org.client.get(location)).text()).toContain("Plano &lt;b&gt;empresa&lt;/b&gt;");
    expect((await org.client.postForm("/sales/leads", { phone: "", title: "" }, { htmx: true })).status).toBe(422);

    const boardHtml = await (await org.client.get("/sales")).text();
    expect(boardHtml).toMatch(new RegExp(`data-status="new"[\\s\\S]*lead-${id}[\\s\\S]*data-status="contacted"`));

    // An agent cannot move a lead that is not theirs; they may take an unassigned one and work it.
    const agent = await signIn(app, agentId, org.organization.id);
    expect((await agent.postForm(`/sales/leads/${id}/status`, { status: "contacted" }, { htmx: true })).status).toBe(403);
    const base = { title: "Plano empresa", notes: "", valueCents: "5000", planId: "", status: "new" };
    expect((await agent.postForm(`/sales/leads/${id}`, { ...base, assignedUserId: agentId }, { htmx: true })).status).toBe(204);
    const moved = await agent.postForm(`/sales/leads/${id}/status`, { status: "qualified" }, { htmx: true });
    expect(moved.status).toBe(200);
    expect(await moved.text()).toMatch(new RegExp(`data-status="qualified"[\\s\\S]*lead-${id}[\\s\\S]*data-status="converted"`));
    expect((await agent.postForm(`/sales/leads/${id}`, { ...base, assignedUserId: org.user.id }, { htmx: true })).status).toBe(403);
    const [row] = await db.select().from(salesLeads).where(eq(salesLeads.id, id));
    expect(row).toMatchObject({ status: "qualified", assignedUserId: agentId, value: "50.00" });
    expect((await agent.get(`/sales?assignee=me`)).status).toBe(200);

    expect((await agent.postForm("/sales/plans", { name: "Agente", priceCents: "1" }, { htmx: true })).status).toBe(403);
    const planPage = await (await agent.get("/sales/plans")).text();
    expect(planPage).toContain("Fibra 500");
    expect(planPage).not.toContain('action="/sales/plans"');
    const added = await org.client.postForm("/sales/plans", { name: "Fibra 1G", priceCents: "19990", description: "", active: "on" }, { htmx: true });
    expect(added.status).toBe(204);
    const badPlan = await org.client.postForm("/sales/plans", { name: "", priceCents: "abc" }, { htmx: true });
    expect(badPlan.status).toBe(422);

    expect((await other.client.get(`/sales/leads/${id}`)).status).toBe(404);
    expect((await other.client.postForm(`/sales/leads/${id}/status`, { status: "lost" }, { htmx: true })).status).toBe(404);
  });

  test("Portuguese board", async () => {
    const user = await createMember(org.organization.id, "agent");
    await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, user.id));
    const pt = await signIn(app, user.id, org.organization.id);
    const html = await (await pt.get("/sales")).text();
    expect(html).toContain("Vendas");
    expect(html).toContain("Qualificado");
    expect(html).toContain("Contatado");
  });
});
