import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, complaints, users } from "@/db/schema";
import { openComplaint } from "@/features/tools/tool.service";
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
  org = await setupOrg(app, { orgName: "Ouvidoria A" });
  other = await setupOrg(app, { orgName: "Ouvidoria B" });
  conv = await inbound(app, org.key, await connectedSandbox(app, org.key), { from: "+5511933330001", name: "Ana", text: "Quero reclamar" });
  foreignConv = await inbound(app, other.key, await connectedSandbox(app, other.key), { from: "+5511933330002", text: "oi" });
  agentId = (await createMember(org.organization.id, "agent")).id;
});

describe("/v1/complaints", () => {
  test("open from a conversation or by phone, change status with resolution, notes, filters, audit", async () => {
    const fromConv = await api(app, "POST", "/v1/complaints", org.key, {
      conversationId: conv.conversationId,
      type: "billing",
      severity: "critical",
      subject: "Cobrança em dobro",
      description: "Foi cobrada duas vezes em março.",
    });
    expect(fromConv.status).toBe(201);
    expect(fromConv.body).toMatchObject({ conversationId: conv.conversationId, contact: { id: conv.contactId, name: "Ana" }, status: "open", type: "billing" });
    const byPhone = await api(app, "POST", "/v1/complaints", org.key, {
      phone: "(11) 93333-0001",
      subject: "Atendimento demorado",
      description: "Esperou 2 horas.",
      type: "service",
      assignedUserId: agentId,
    });
    expect(byPhone.status).toBe(201);
    expect(byPhone.body).toMatchObject({
      contact: { id: conv.contactId },
      conversationId: null,
      severity: "medium",
      assignedUserId: agentId,
      assigneeName: "Test agent",
    });

    // Who complains must be the organization's: another's conversation, an unknown phone, nobody.
    const foreign = await api(app, "POST", "/v1/complaints", org.key, { conversationId: foreignConv.conversationId, subject: "x", description: "y" });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details[0].path).toBe("conversationId");
    expect((await api(app, "POST", "/v1/complaints", org.key, { phone: "+5511933330002", subject: "x", description: "y" })).body.error.details[0].path).toBe(
      "phone",
    );
    expect((await api(app, "POST", "/v1/complaints", org.key, { subject: "x", description: "y" })).status).toBe(422);
    expect(
      (await api(app, "POST", "/v1/complaints", org.key, { phone: "+5511933330001", subject: "x", description: "y", assignedUserId: other.user.id })).status,
    ).toBe(422);
    const badEnum = await api(app, "POST", "/v1/complaints", org.key, { phone: "+5511933330001", subject: "x", description: "y", severity: "urgent" });
    expect(badEnum.body.error.details[0].path).toBe("severity");

    // Resolving needs a resolution; then resolvedAt is stamped, reopening clears it.
    const id = fromConv.body.id;
    const noResolution = await api(app, "PATCH", `/v1/complaints/${id}`, org.key, { status: "resolved" });
    expect(noResolution.status).toBe(422);
    expect(noResolution.body.error.details[0].path).toBe("resolution");
    expect((await api(app, "PATCH", `/v1/complaints/${id}`, org.key, { status: "in_progress" })).body.status).toBe("in_progress");
    const resolved = await api(app, "PATCH", `/v1/complaints/${id}`, org.key, { status: "resolved", resolution: "Estorno feito." });
    expect(resolved.body).toMatchObject({ status: "resolved", resolution: "Estorno feito." });
    expect(resolved.body.resolvedAt).not.toBeNull();
    const reopened = await api(app, "PATCH", `/v1/complaints/${id}`, org.key, { status: "open" });
    expect(reopened.body.resolvedAt).toBeNull();

    const note = await api(app, "POST", `/v1/complaints/${id}/notes`, org.key, { body: "Cliente ligou de novo." });
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({ body: "Cliente ligou de novo.", author: null });
    const detail = await api(app, "GET", `/v1/complaints/${id}`, org.key);
    expect(detail.body.notes.map((n: any) => n.body)).toEqual(["Cliente ligou de novo."]);

    const ids = (body: any) => body.data.map((c: any) => c.id).sort();
    expect(ids((await api(app, "GET", "/v1/complaints?status=open", org.key)).body)).toEqual([id, byPhone.body.id].sort());
    expect(ids((await api(app, "GET", "/v1/complaints?type=billing", org.key)).body)).toEqual([id]);
    expect(ids((await api(app, "GET", "/v1/complaints?severity=critical", org.key)).body)).toEqual([id]);
    expect(ids((await api(app, "GET", `/v1/complaints?assignee=${agentId}`, org.key)).body)).toEqual([byPhone.body.id]);
    expect(ids((await api(app, "GET", "/v1/complaints?assignee=none", org.key)).body)).toEqual([id]);
    await db
      .update(complaints)
      .set({ createdAt: new Date("2026-01-05T12:00:00Z") })
      .where(eq(complaints.id, id));
    expect(ids((await api(app, "GET", "/v1/complaints?from=2026-01-05&to=2026-01-05", org.key)).body)).toEqual([id]);
    expect(ids((await api(app, "GET", "/v1/complaints?from=2026-01-06", org.key)).body)).toEqual([byPhone.body.id]);
    expect((await api(app, "GET", "/v1/complaints?status=novo", org.key)).status).toBe(422);

    // Another organization sees none of it.
    expect((await api(app, "GET", `/v1/complaints/${id}`, other.key)).status).toBe(404);
    expect((await api(app, "PATCH", `/v1/complaints/${id}`, other.key, { status: "closed" })).status).toBe(404);
    expect((await api(app, "POST", `/v1/complaints/${id}/notes`, other.key, { body: "x" })).status).toBe(404);
    expect((await api(app, "GET", "/v1/complaints", other.key)).body.data).toEqual([]);

    const audit = await db
      .select({ action: auditLogs.action, details: auditLogs.details })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, id)));
    expect(audit.map((a) => a.action).sort()).toEqual([
      "complaint.in_progress",
      "complaint.noted",
      "complaint.opened",
      "complaint.reopened",
      "complaint.resolved",
    ]);
    expect(audit.find((a) => a.action === "complaint.resolved")?.details).toMatchObject({ status: { from: "in_progress", to: "resolved" } });
  });

  test("the AI tool still opens complaints, which the ouvidoria then works", async () => {
    const row = await openComplaint(
      { organizationId: org.organization.id, contactId: conv.contactId, conversationId: conv.conversationId, threadId: null },
      { subject: "Produto quebrado", description: "Chegou quebrado", severity: "high" },
    );
    const read = await api(app, "GET", `/v1/complaints/${row.id}`, org.key);
    expect(read.body).toMatchObject({ subject: "Produto quebrado", type: "other", severity: "high", status: "open" });
    const tools = await api(app, "GET", "/v1/tools/records?kind=complaints", org.key);
    expect(tools.body.data.map((r: any) => r.id)).toContain(row.id);
  });
});

describe("complaint pages", () => {
  test("open from a conversation, filter, change and note; agents only work their own", async () => {
    const form = await (await org.client.get(`/complaints/new?conversationId=${conv.conversationId}`)).text();
    expect(form).toContain(`name="conversationId" value="${conv.conversationId}"`);
    expect((await org.client.get(`/complaints/new?conversationId=${foreignConv.conversationId}`)).status).toBe(404);
    const created = await org.client.postForm(
      "/complaints",
      {
        conversationId: conv.conversationId,
        type: "product",
        severity: "high",
        subject: "Defeito <i>grave</i>",
        description: "Tela trincada",
        assignedUserId: "",
      },
      { htmx: true },
    );
    expect(created.status).toBe(204);
    const location = created.headers.get("hx-redirect")!;
    expect(location).toMatch(/^\/complaints\/[0-9a-f-]{36}$/);
    const id = location.split("/")[2]!;
    const show = await (await org.client.get(location)).text();
    expect(show).toContain("Defeito &lt;i&gt;grave&lt;/i&gt;");

    const invalid = await org.client.postForm("/complaints", { phone: "", subject: "", description: "" }, { htmx: true });
    expect(invalid.status).toBe(422);

    const list = await (await org.client.get("/complaints?type=product&severity=high&status=open")).text();
    expect(list).toContain(`complaint-${id}`);
    const filteredOut = await (await org.client.get("/complaints?type=billing")).text();
    expect(filteredOut).not.toContain(`complaint-${id}`);

    // An agent cannot change a complaint that is not theirs, may take an unassigned one, then work it.
    const agent = await signIn(app, agentId, org.organization.id);
    const refused = await agent.postForm(
      `/complaints/${id}`,
      { status: "in_progress", type: "product", severity: "high", assignedUserId: "", resolution: "" },
      { htmx: true },
    );
    expect(refused.status).toBe(403);
    const taken = await agent.postForm(
      `/complaints/${id}`,
      { status: "in_progress", type: "product", severity: "high", assignedUserId: agentId, resolution: "" },
      { htmx: true },
    );
    expect(taken.status).toBe(204);
    const noResolution = await agent.postForm(
      `/complaints/${id}`,
      { status: "closed", type: "product", severity: "high", assignedUserId: agentId, resolution: "" },
      { htmx: true },
    );
    expect(noResolution.status).toBe(422);
    expect(await noResolution.text()).toContain("Write the resolution");
    const handOver = await agent.postForm(
      `/complaints/${id}`,
      { status: "in_progress", type: "product", severity: "high", assignedUserId: org.user.id, resolution: "" },
      { htmx: true },
    );
    expect(handOver.status).toBe(403);

    const noted = await agent.postForm(`/complaints/${id}/notes`, { body: "Pedi fotos ao cliente." }, { htmx: true });
    expect(noted.status).toBe(200);
    const notes = await noted.text();
    expect(notes).toContain("Pedi fotos ao cliente.");
    expect(notes).toContain("Test agent");
    expect((await agent.postForm(`/complaints/${id}/notes`, { body: "" }, { htmx: true })).status).toBe(422);

    const mine = await (await agent.get("/complaints?assignee=me")).text();
    expect(mine).toContain(`complaint-${id}`);
    expect((await other.client.get(`/complaints/${id}`)).status).toBe(404);
    expect((await other.client.postForm(`/complaints/${id}/notes`, { body: "x" }, { htmx: true })).status).toBe(404);
  });

  test("Portuguese page", async () => {
    const user = await createMember(org.organization.id, "agent");
    await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, user.id));
    const pt = await signIn(app, user.id, org.organization.id);
    const html = await (await pt.get("/complaints")).text();
    expect(html).toContain("Reclamações");
    expect(html).toContain("Em investigação");
  });
});
