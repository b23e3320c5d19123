// Departments and greeting menus: /v1 CRUD with validation (422 naming the field), isolation (another
// organization's ids are 404), roles on the pages (admins manage; supervisors read; agents are refused),
// audit rows with labels, Portuguese pages and errors.
import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, conversations, users } from "@/db/schema";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Depts A" });
  other = await setupOrg(app, { orgName: "Depts B" });
});

describe("/v1/departments", () => {
  test("create, read, update members, delete; names unique per organization in any case", async () => {
    const agent = await createMember(org.organization.id, "agent");
    const created = await api(app, "POST", "/v1/departments", org.key, { name: "Vendas", color: "#FF8800", memberIds: [agent.id], autoCloseMinutes: 60 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Vendas", color: "#ff8800", active: true, autoCloseMinutes: 60, autoCloseMessage: null, memberIds: [agent.id] });
    const id = created.body.id;
    const dup = await api(app, "POST", "/v1/departments", org.key, { name: "vendas" });
    expect(dup.status).toBe(422);
    expect(dup.body.error.details[0].path).toBe("name");
    // The other organization may use the same name.
    expect((await api(app, "POST", "/v1/departments", other.key, { name: "Vendas" })).status).toBe(201);
    const patched = await api(app, "PATCH", `/v1/departments/${id}`, org.key, { memberIds: [], autoCloseMinutes: null, active: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ memberIds: [], autoCloseMinutes: null, active: false });
    const list = await api(app, "GET", "/v1/departments", org.key);
    expect(list.body.data.map((d: any) => d.name)).toEqual(["Vendas"]);
    const actions = (
      await db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, id)))
    ).map((a) => a.action);
    expect(actions.sort()).toEqual(["department.created", "department.members_changed", "department.updated"]);
    expect((await api(app, "DELETE", `/v1/departments/${id}`, org.key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/departments/${id}`, org.key)).status).toBe(404);
  });

  test("bad input is 422 with the field, never 500; a member of another organization is refused", async () => {
    const outsider = await createMember(other.organization.id, "agent");
    for (const [body, path] of [
      [{ name: "" }, "name"],
      [{ name: "X", color: "red" }, "color"],
      [{ name: "X", autoCloseMinutes: 0 }, "autoCloseMinutes"],
      [{ name: "X", autoCloseMinutes: 1.5 }, "autoCloseMinutes"],
      [{ name: "X", memberIds: ["nope"] }, "memberIds.0"],
      [{ name: "X", memberIds: [outsider.id] }, "memberIds"],
    ] as const) {
      const res = await api(app, "POST", "/v1/departments", org.key, body);
      expect(res.status).toBe(422);
      expect(res.body.error.details.map((d: any) => d.path)).toContain(path);
    }
  });

  test("deleting a department leaves its conversations without one", async () => {
    const instanceId = await connectedSandbox(app, org.key);
    const { conversationId } = await inbound(app, org.key, instanceId, { from: "+5511950000001", text: "oi" });
    const dept = await api(app, "POST", "/v1/departments", org.key, { name: "Temporário" });
    await api(app, "POST", `/v1/conversations/${conversationId}/transfer`, org.key, { departmentId: dept.body.id, reason: "teste" });
    await api(app, "DELETE", `/v1/departments/${dept.body.id}`, org.key);
    const [c] = await db.select().from(conversations).where(eq(conversations.id, conversationId));
    expect(c!.departmentId).toBeNull();
  });
});

describe("greeting menu API", () => {
  test("options keep their order and must be active departments of the organization; another organization's instance is 404", async () => {
    const instanceId = await connectedSandbox(app, org.key, "Menu phone");
    const a = await api(app, "POST", "/v1/departments", org.key, { name: "Alfa" });
    const b = await api(app, "POST", "/v1/departments", org.key, { name: "Beta" });
    const theirs = await api(app, "POST", "/v1/departments", other.key, { name: "Deles" });
    const saved = await api(app, "PUT", `/v1/instances/${instanceId}/greeting-menu`, org.key, {
      enabled: true,
      greeting: "Oi!",
      options: [b.body.id, a.body.id],
      maxAttempts: 2,
      fallbackDepartmentId: a.body.id,
    });
    expect(saved.status).toBe(200);
    expect(saved.body.options.map((o: any) => [o.name, o.position])).toEqual([
      ["Beta", 1],
      ["Alfa", 2],
    ]);
    const foreign = await api(app, "PUT", `/v1/instances/${instanceId}/greeting-menu`, org.key, { enabled: true, options: [theirs.body.id] });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details[0].path).toBe("options");
    const empty = await api(app, "PUT", `/v1/instances/${instanceId}/greeting-menu`, org.key, { enabled: true, options: [] });
    expect(empty.status).toBe(422);
    expect((await api(app, "GET", `/v1/instances/${instanceId}/greeting-menu`, other.key)).status).toBe(404);
    const tooMany = await api(app, "PUT", `/v1/instances/${instanceId}/greeting-menu`, org.key, { maxAttempts: 99 });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.details[0].path).toBe("maxAttempts");
  });
});

describe("pages and roles", () => {
  test("admins create through the form; supervisors read; agents get 403; the page works in Portuguese", async () => {
    await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, org.user.id));
    const page = await org.client.get("/departments", { headers: { "accept-language": "pt-BR" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("<h1>Departamentos</h1>");
    expect(html).toContain("Menu de saudação");
    const bad = await org.client.postForm("/departments", { name: "", color: "#000000" }, { htmx: true });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Informe um nome");
    const made = await org.client.postForm("/departments", { name: "Ouvidoria", color: "#123456", active: "on", autoCloseMinutes: "90" }, { htmx: true });
    expect(made.status).toBeLessThan(400);
    const list = await api(app, "GET", "/v1/departments", org.key);
    expect(list.body.data.find((d: any) => d.name === "Ouvidoria")).toMatchObject({ color: "#123456", autoCloseMinutes: 90, active: true });

    const supervisor = await createMember(org.organization.id, "supervisor");
    const sup = await signIn(app, supervisor.id, org.organization.id);
    expect((await sup.get("/departments")).status).toBe(200);
    expect((await sup.postForm("/departments", { name: "Nope" }, { htmx: true })).status).toBe(403);
    const agent = await createMember(org.organization.id, "agent");
    const ag = await signIn(app, agent.id, org.organization.id);
    expect((await ag.get("/departments")).status).toBe(403);
    expect((await ag.postForm("/departments", { name: "Nope" }, { htmx: true })).status).toBe(403);
  });

  test("the audit log labels department actions in both languages", async () => {
    const html = await (await org.client.get("/audit")).text();
    expect(html).toContain("Departamento criado");
  });
});
