import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, conversationLabels } from "@/db/schema";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let conv: { conversationId: string; contactId: string };
let foreignConv: { conversationId: string; contactId: string };

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Labels A" });
  other = await setupOrg(app, { orgName: "Labels B" });
  conv = await inbound(app, org.key, await connectedSandbox(app, org.key), { from: "+5511922220001", name: "Ana", text: "oi" });
  foreignConv = await inbound(app, other.key, await connectedSandbox(app, other.key), { from: "+5511922220002", text: "oi" });
});

describe("/v1/labels", () => {
  test("CRUD, unique names, colour format, audit rows; another organization's label is 404", async () => {
    const created = await api(app, "POST", "/v1/labels", org.key, { name: "Urgente", color: "#FF0000" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Urgente", color: "#ff0000" });
    const id = created.body.id;
    expect((await api(app, "POST", "/v1/labels", org.key, { name: "Urgente", color: "#00ff00" })).body.error.details[0].path).toBe("name");
    const bad = await api(app, "POST", "/v1/labels", org.key, { name: "", color: "red" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: any) => d.path).sort()).toEqual(["color", "name"]);

    const patched = await api(app, "PATCH", `/v1/labels/${id}`, org.key, { name: "Muito urgente" });
    expect(patched.body).toMatchObject({ name: "Muito urgente", color: "#ff0000" });
    expect((await api(app, "GET", "/v1/labels", org.key)).body.data.map((l: any) => l.name)).toEqual(["Muito urgente"]);
    expect((await api(app, "GET", `/v1/labels/${id}`, other.key)).status).toBe(404);
    expect((await api(app, "PATCH", `/v1/labels/${id}`, other.key, { name: "x" })).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/labels/${id}`, other.key)).status).toBe(404);

    // On a conversation: twice is once; another organization's conversation is 404, its label a 422.
    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/labels`, org.key, { labelId: id })).status).toBe(204);
    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/labels`, org.key, { labelId: id })).status).toBe(204);
    expect((await api(app, "GET", `/v1/conversations/${conv.conversationId}`, org.key)).body.labels.map((l: any) => l.name)).toEqual(["Muito urgente"]);
    expect((await api(app, "POST", `/v1/conversations/${foreignConv.conversationId}/labels`, org.key, { labelId: id })).status).toBe(404);
    const foreignLabel = await api(app, "POST", `/v1/conversations/${foreignConv.conversationId}/labels`, other.key, { labelId: id });
    expect(foreignLabel.status).toBe(422);
    expect(foreignLabel.body.error.details[0].path).toBe("labelId");
    expect((await api(app, "DELETE", `/v1/conversations/${conv.conversationId}/labels/${id}`, other.key)).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/conversations/${conv.conversationId}/labels/${id}`, org.key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/conversations/${conv.conversationId}`, org.key)).body.labels).toEqual([]);

    // Deleting the label takes it off every conversation.
    await api(app, "POST", `/v1/conversations/${conv.conversationId}/labels`, org.key, { labelId: id });
    expect((await api(app, "DELETE", `/v1/labels/${id}`, org.key)).status).toBe(204);
    expect(await db.select().from(conversationLabels).where(eq(conversationLabels.labelId, id))).toEqual([]);

    const actions = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, id)));
    expect(actions.map((a) => a.action).sort()).toEqual(["label.created", "label.deleted", "label.updated"]);
    const convActions = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, conv.conversationId)));
    // Adding twice recorded one change.
    expect(convActions.filter((a) => a.action === "conversation.labeled")).toHaveLength(2);
    expect(convActions.filter((a) => a.action === "conversation.unlabeled")).toHaveLength(1);
  });
});

describe("label pages", () => {
  test("supervisors define labels, agents only apply them; the inbox box adds and removes", async () => {
    const supervisor = await signIn(app, (await createMember(org.organization.id, "supervisor")).id, org.organization.id);
    const created = await supervisor.postForm("/labels", { name: "Cobrança <b>", color: "#336699" }, { htmx: true });
    expect(created.status).toBe(204);
    expect(created.headers.get("hx-redirect")).toBe("/labels");
    const index = await (await supervisor.get("/labels")).text();
    expect(index).toContain("Cobrança &lt;b&gt;");
    const label = (await api(app, "GET", "/v1/labels", org.key)).body.data.find((l: any) => l.name === "Cobrança <b>");

    const agent = await signIn(app, (await createMember(org.organization.id, "agent")).id, org.organization.id);
    expect((await agent.postForm("/labels", { name: "Nope", color: "#000000" }, { htmx: true })).status).toBe(403);
    expect((await agent.postForm(`/labels/${label.id}/delete`, {}, { htmx: true })).status).toBe(403);
    const invalid = await supervisor.postForm("/labels", { name: "", color: "azul" }, { htmx: true });
    expect(invalid.status).toBe(422);

    const added = await agent.postForm(`/inbox/${conv.conversationId}/labels`, { labelId: label.id, change: "add" }, { htmx: true });
    expect(added.status).toBe(200);
    expect(await added.text()).toContain("Cobrança &lt;b&gt;");
    const list = await (await agent.get("/inbox/list?status=all")).text();
    expect(list).toContain("label-chip");
    const removed = await agent.postForm(`/inbox/${conv.conversationId}/labels`, { labelId: label.id, change: "remove" }, { htmx: true });
    expect(await removed.text()).not.toContain('class="label-chip"');
    expect((await agent.postForm(`/inbox/${foreignConv.conversationId}/labels`, { labelId: label.id }, { htmx: true })).status).toBe(404);
    expect((await other.client.get(`/inbox/${conv.conversationId}/labels`)).status).toBe(404);
    expect((await other.client.postForm(`/labels/${label.id}`, { name: "x", color: "#000000" }, { htmx: true })).status).toBe(404);
  });

  test("Portuguese labels", async () => {
    const res = await api(app, "POST", "/v1/labels", org.key, { name: "x", color: "vermelho" }, { "accept-language": "pt-BR" });
    expect(res.body.error.details[0].message).toBe("Use uma cor no formato #rrggbb.");
  });
});
