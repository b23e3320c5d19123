import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { asc, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, instances, memberships } from "@/db/schema";
import { api } from "../helpers/client";
import { createMember, setupOrg } from "../helpers/factories";

/**
 * The audit log is true (a change that failed leaves no row claiming it happened) and complete
 * (templates, triggers, flows with publishing, workflows, number bindings, members and settings).
 */

const app = createApp();

async function auditRows(organizationId: string) {
  return db
    .select({ action: auditLogs.action, actorType: auditLogs.actorType, actorId: auditLogs.actorId, targetId: auditLogs.targetId, details: auditLogs.details })
    .from(auditLogs)
    .where(eq(auditLogs.organizationId, organizationId))
    .orderBy(asc(auditLogs.at), asc(auditLogs.id));
}
const actionsOf = async (organizationId: string, prefix: string) =>
  (await auditRows(organizationId)).filter((r) => r.action.startsWith(prefix)).map((r) => r.action);

describe("audited changes", () => {
  test("templates: create, update, delete by an API key; a duplicate key leaves no second 'created'", async () => {
    const { organization, key, apiKey } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/templates", key, { key: "welcome", body: "Hi {{name}}" });
    expect(created.status).toBe(201);
    const duplicate = await api(app, "POST", "/v1/templates", key, { key: "welcome", body: "Again" });
    expect(duplicate.status).toBe(409);
    expect((await api(app, "PATCH", `/v1/templates/${created.body.id}`, key, { body: "Hello {{name}}" })).status).toBe(200);
    expect((await api(app, "DELETE", `/v1/templates/${created.body.id}`, key)).status).toBe(204);

    const rows = (await auditRows(organization.id)).filter((r) => r.action.startsWith("template."));
    expect(rows.map((r) => r.action)).toEqual(["template.created", "template.updated", "template.deleted"]);
    for (const r of rows) expect(r).toMatchObject({ actorType: "api_key", actorId: apiKey.id, targetId: created.body.id });
    expect(rows[1]!.details).toEqual({ key: "welcome", fields: ["body"] });
  });

  test("a template PATCH changes, and audits, only the fields it sends", async () => {
    const { organization, key } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/templates", key, { key: "promo", body: "Sale", variants: ["Deal"], variables: ["code"], active: false });
    expect(created.status).toBe(201);
    const patched = await api(app, "PATCH", `/v1/templates/${created.body.id}`, key, { body: "Big sale" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ body: "Big sale", variants: ["Deal"], active: false });
    expect(patched.body.variables).toContain("code");
    const updated = (await auditRows(organization.id)).find((r) => r.action === "template.updated")!;
    expect(updated.details).toEqual({ key: "promo", fields: ["body"] });
  });

  test("templates and triggers through the admin pages are attributed to the signed-in user", async () => {
    const { organization, client, user } = await setupOrg(app);
    expect((await client.postForm("/templates", { key: "promo", body: "Sale!", active: "true" })).status).toBe(303);
    const trigger = await client.postForm("/triggers", {
      name: "Promo",
      match: "contains",
      pattern: "sale",
      action: "reply_template",
      templateKey: "promo",
      priority: "0",
      cooldownSeconds: "0",
      active: "true",
    });
    expect(trigger.status).toBe(303);
    const rows = await auditRows(organization.id);
    expect(rows.filter((r) => r.action === "template.created" || r.action === "trigger.created")).toEqual([
      expect.objectContaining({ action: "template.created", actorType: "user", actorId: user.id }),
      expect.objectContaining({ action: "trigger.created", actorType: "user", actorId: user.id }),
    ]);
  });

  test("triggers: create, replace, delete; a refused creation (unknown template) leaves no row", async () => {
    const { organization, key } = await setupOrg(app);
    const refused = await api(app, "POST", "/v1/triggers", key, {
      name: "Bad",
      match: "contains",
      pattern: "hi",
      action: "reply_template",
      templateKey: "missing",
    });
    expect(refused.status).toBe(422);
    expect(await actionsOf(organization.id, "trigger.")).toEqual([]);

    await api(app, "POST", "/v1/templates", key, { key: "hello", body: "Hello" });
    const body = { name: "Hi", match: "contains", pattern: "hi", action: "reply_template", templateKey: "hello" };
    const created = await api(app, "POST", "/v1/triggers", key, body);
    expect(created.status).toBe(201);
    expect((await api(app, "PUT", `/v1/triggers/${created.body.id}`, key, { ...body, pattern: "hello" })).status).toBe(200);
    expect((await api(app, "DELETE", `/v1/triggers/${created.body.id}`, key)).status).toBe(204);
    expect(await actionsOf(organization.id, "trigger.")).toEqual(["trigger.created", "trigger.updated", "trigger.deleted"]);
  });

  test("flows: create, steps, a refused publish (not logged), publish, new draft, settings, step removal", async () => {
    const { organization, key } = await setupOrg(app);
    const flow = await api(app, "POST", "/v1/flows", key, { name: "Onboarding" });
    expect(flow.status).toBe(201);
    const id = flow.body.id as string;
    // No steps yet: publishing is refused with the problems, and nothing claims it was published.
    expect((await api(app, "POST", `/v1/flows/${id}/publish`, key)).status).toBe(422);
    expect((await api(app, "POST", `/v1/flows/${id}/steps`, key, { key: "hello", type: "send_text", text: "Welcome!" })).status).toBe(201);
    const published = await api(app, "POST", `/v1/flows/${id}/publish`, key);
    expect(published.status).toBe(200);
    const draft = await api(app, "POST", `/v1/flows/${id}/draft`, key);
    expect(draft.status).toBe(200);
    expect(draft.body.id).not.toBe(id);
    expect((await api(app, "PUT", `/v1/flows/${draft.body.id}`, key, { name: "Onboarding v2" })).status).toBe(200);
    expect((await api(app, "POST", `/v1/flows/${draft.body.id}/steps`, key, { key: "bye", type: "send_text", text: "Bye" })).status).toBe(201);
    expect((await api(app, "DELETE", `/v1/flows/${draft.body.id}/steps/bye`, key)).status).toBe(204);

    const rows = (await auditRows(organization.id)).filter((r) => r.action.startsWith("flow."));
    expect(rows.map((r) => [r.action, r.targetId])).toEqual([
      ["flow.created", id],
      ["flow.step_saved", id],
      ["flow.published", id],
      ["flow.draft_created", draft.body.id],
      ["flow.updated", draft.body.id],
      ["flow.step_saved", draft.body.id],
      ["flow.step_deleted", draft.body.id],
    ]);
    expect(rows[2]!.details).toMatchObject({ name: "Onboarding", version: 1 });
    expect(rows[3]!.details).toMatchObject({ version: 2, fromVersion: 1 });
    expect(rows[6]!.details).toMatchObject({ step: "bye" });
  });

  test("workflows: create, update (key names only, never values), delete; a refused creation leaves no row", async () => {
    const { organization, key } = await setupOrg(app);
    const refused = await api(app, "POST", "/v1/workflows", key, { name: "Bad", provider: "flow", config: { flowId: crypto.randomUUID() } });
    expect(refused.status).toBe(422);
    expect(await actionsOf(organization.id, "workflow.")).toEqual([]);

    const created = await api(app, "POST", "/v1/workflows", key, {
      name: "Bot",
      provider: "openai",
      config: { model: "gpt-4o-mini", systemPrompt: "Be brief" },
    });
    expect(created.status).toBe(201);
    const secretKey = "sk-audit-must-never-hold-this";
    const updated = await api(app, "PATCH", `/v1/workflows/${created.body.id}`, key, { name: "Bot 2", config: { apiKey: secretKey } });
    expect(updated.status).toBe(200);
    expect((await api(app, "DELETE", `/v1/workflows/${created.body.id}`, key)).status).toBe(204);

    const rows = (await auditRows(organization.id)).filter((r) => r.action.startsWith("workflow."));
    expect(rows.map((r) => r.action)).toEqual(["workflow.created", "workflow.updated", "workflow.deleted"]);
    expect(rows[1]!.details).toMatchObject({ name: "Bot 2", fields: ["name"], config: ["apiKey"] });
    expect(JSON.stringify(rows)).not.toContain(secretKey);
  });

  test("number bindings: binding and unbinding an instance on the workflow page", async () => {
    const { organization, client, key, user } = await setupOrg(app);
    const instance = await api(app, "POST", "/v1/instances", key, { name: "Support", provider: "sandbox" });
    const workflow = await api(app, "POST", "/v1/workflows", key, { name: "Bot", provider: "openai", config: { model: "gpt-4o-mini" } });
    const bound = await client.postForm(`/workflows/${workflow.body.id}/bindings`, { instanceId: instance.body.id });
    expect(bound.status).toBe(303);
    const binding = (await auditRows(organization.id)).find((r) => r.action === "workflow.instance_bound")!;
    expect(binding).toMatchObject({ actorType: "user", actorId: user.id, targetId: workflow.body.id, details: { instanceId: instance.body.id } });
    const triggerId = (binding.details as { triggerId: string }).triggerId;
    expect((await client.postForm(`/workflows/${workflow.body.id}/bindings/${triggerId}/delete`, {})).status).toBe(303);
    const rows = (await auditRows(organization.id)).filter((r) => r.action.startsWith("workflow.instance_") || r.action.startsWith("trigger."));
    // Rows of one transaction share its timestamp: compare each change's pair as a set.
    expect(
      rows
        .slice(0, 2)
        .map((r) => r.action)
        .sort(),
    ).toEqual(["trigger.created", "workflow.instance_bound"]);
    expect(
      rows
        .slice(2)
        .map((r) => r.action)
        .sort(),
    ).toEqual(["trigger.deleted", "workflow.instance_unbound"]);
    expect(rows.find((r) => r.action === "workflow.instance_unbound")).toMatchObject({
      actorType: "user",
      actorId: user.id,
      details: { instanceIds: [instance.body.id], triggerId },
    });
  });

  test("members and settings: role change, removal, rename", async () => {
    const { organization, client, user } = await setupOrg(app);
    const member = await createMember(organization.id, "agent");
    const [membership] = await db.select().from(memberships).where(eq(memberships.userId, member.id));
    expect((await client.postForm(`/members/${membership!.id}/role`, { role: "supervisor" })).status).toBe(303);
    expect((await client.postForm(`/members/${membership!.id}/remove`, {})).status).toBe(303);
    expect((await client.postForm("/settings", { name: "Renamed Org" })).status).toBe(303);
    const rows = (await auditRows(organization.id)).filter((r) => ["member.", "organization.renamed"].some((p) => r.action.startsWith(p)));
    expect(rows).toEqual([
      expect.objectContaining({ action: "member.role_changed", actorId: user.id, details: expect.objectContaining({ from: "agent", to: "supervisor" }) }),
      expect.objectContaining({ action: "member.removed", actorId: user.id }),
      expect.objectContaining({ action: "organization.renamed", actorId: user.id, details: expect.objectContaining({ to: "Renamed Org" }) }),
    ]);
  });
});

describe("a failed creation is not logged as created", () => {
  let wuzapi: ReturnType<typeof Bun.serve>;
  let failing = true;
  const saved = { ...config.wuzapi };
  beforeAll(() => {
    // A WuzAPI server speaking its admin protocol; while `failing`, user creation answers 500.
    wuzapi = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        const url = new URL(req.url);
        if (failing) return Response.json({ code: 500, error: "database is locked", success: false }, { status: 500 });
        if (req.method === "POST" && url.pathname === "/admin/users") {
          const body = (await req.json()) as { name: string; token: string };
          return Response.json(
            { code: 201, data: { id: crypto.randomUUID().replaceAll("-", ""), name: body.name, token: body.token }, success: true },
            { status: 201 },
          );
        }
        return Response.json({ code: 404, error: "not found", success: false }, { status: 404 });
      },
    });
    Object.assign(config.wuzapi, { url: `http://127.0.0.1:${wuzapi.port}`, adminToken: "admin-token", hmacKey: undefined });
  });
  afterAll(() => {
    wuzapi.stop(true);
    Object.assign(config.wuzapi, saved);
  });

  test("an instance the provider could not prepare leaves neither the instance nor an 'instance.created' row", async () => {
    const { organization, key } = await setupOrg(app);
    failing = true;
    const refused = await api(app, "POST", "/v1/instances", key, { name: "Real number", provider: "wuzapi" });
    expect(refused.status).toBe(502);
    expect(await db.$count(instances, eq(instances.organizationId, organization.id))).toBe(0);
    expect(await actionsOf(organization.id, "instance.")).toEqual([]);

    failing = false;
    const created = await api(app, "POST", "/v1/instances", key, { name: "Real number", provider: "wuzapi" });
    expect(created.status).toBe(201);
    const rows = (await auditRows(organization.id)).filter((r) => r.action.startsWith("instance."));
    expect(rows).toEqual([expect.objectContaining({ action: "instance.created", targetId: created.body.id, actorType: "api_key" })]);
  });
});
