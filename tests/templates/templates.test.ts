import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { templateContext } from "@/features/templates/template.service";
import { api, TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";

const app = createApp();

describe("templates API", () => {
  test("CRUD, duplicate key 409, validation 422, preview with variants and missing variables", async () => {
    const { key } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/templates", key, { key: "welcome", body: "Oi {{name}}!", variants: ["Olá {{name}}!", "E aí {{name}}?"] });
    expect(created.status).toBe(201);
    expect(created.body.variables).toEqual(["name"]);
    expect((await api(app, "POST", "/v1/templates", key, { key: "welcome", body: "x" })).status).toBe(409);
    const bad = await api(app, "POST", "/v1/templates", key, { key: "Bad Key", body: "" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: any) => d.path).sort()).toEqual(["body", "key"]);

    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const p = await api(app, "POST", `/v1/templates/${created.body.id}/preview`, key, { variables: { name: "Ana" } });
      seen.add(p.body.text);
    }
    expect([...seen].sort()).toEqual(["E aí Ana?", "Oi Ana!", "Olá Ana!"]);
    const missing = await api(app, "POST", `/v1/templates/${created.body.id}/preview`, key, { variables: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.error.message).toContain('"name"');

    const patched = await api(app, "PATCH", `/v1/templates/${created.body.id}`, key, { body: "Hello {{first_name}}", variants: [] });
    expect(patched.body.variables).toEqual(["first_name"]);
    // An empty PATCH changes nothing and answers the template (it was a 500: an UPDATE with no columns).
    const unchanged = await api(app, "PATCH", `/v1/templates/${created.body.id}`, key, {});
    expect(unchanged.status).toBe(200);
    expect(unchanged.body.body).toBe("Hello {{first_name}}");
    expect((await api(app, "DELETE", `/v1/templates/${created.body.id}`, key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/templates/${created.body.id}`, key)).status).toBe(404);
  });

  test("another organization's template reads as 404; no key → 401", async () => {
    const a = await setupOrg(app);
    const b = await setupOrg(app);
    const t = await api(app, "POST", "/v1/templates", a.key, { key: "k", body: "hi" });
    for (const [method, path, body] of [
      ["GET", `/v1/templates/${t.body.id}`, undefined],
      ["PATCH", `/v1/templates/${t.body.id}`, { body: "x" }],
      ["DELETE", `/v1/templates/${t.body.id}`, undefined],
      ["POST", `/v1/templates/${t.body.id}/preview`, { variables: {} }],
    ] as const) {
      expect((await api(app, method, path, b.key, body)).status).toBe(404);
    }
    expect((await api(app, "GET", "/v1/templates")).status).toBe(401);
  });

  test("template context: contact fields overlaid with thread state", () => {
    expect(templateContext({ name: "Ana Maria", phone: "+5511999990001", metadata: { city: "Recife", n: 3, nested: {} } }, { order: "42" })).toEqual({
      city: "Recife",
      n: "3",
      name: "Ana Maria",
      first_name: "Ana",
      phone: "+5511999990001",
      order: "42",
    });
  });
});

describe("template pages", () => {
  test("create with errors (422), preview, edit; agents read only; other orgs 404; logged out redirect", async () => {
    const { client, organization } = await setupOrg(app);
    const bad = await client.postForm("/templates", { key: "", body: "" }, { htmx: true });
    expect(bad.status).toBe(422);
    const created = await client.postForm("/templates", { key: "promo", body: "Hi {{name}}", variants: "Hey {{name}}", active: "true" }, { htmx: true });
    expect(created.status).toBe(204);
    const location = created.headers.get("hx-redirect")!;
    const dup = await client.postForm("/templates", { key: "promo", body: "x" }, { htmx: true });
    expect(dup.status).toBe(422);
    expect(await dup.text()).toContain("already exists");

    const preview = await client.postForm(`${location}/preview`, { "var.name": "<b>Bo</b>" }, { htmx: true });
    const html = await preview.text();
    expect(html).toMatch(/H(i|ey) &lt;b&gt;Bo&lt;\/b&gt;/);
    expect((await client.postForm(`${location}/preview`, {}, { htmx: true })).status).toBe(422);

    const agent = await signIn(app, (await createMember(organization.id, "agent")).id, organization.id);
    expect((await agent.get(location)).status).toBe(200);
    expect((await agent.postForm(`${location}/delete`, {})).status).toBe(403);
    const other = await setupOrg(app);
    expect((await other.client.get(location)).status).toBe(404);
    expect((await new TestClient(app).get("/templates")).status).toBe(303);
  });
});
