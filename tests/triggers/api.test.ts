import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances, triggerFirings } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { createTemplate } from "@/features/templates/template.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";

const app = createApp();

async function org() {
  const ctx = await setupOrg(app);
  await createTemplate(systemCaller("test", ctx.organization.id), { key: "welcome", body: "Welcome!", variants: [], variables: [], active: true });
  return ctx;
}

describe("/v1/triggers", () => {
  test("CRUD, validation details, and the test endpoint", async () => {
    const { key, organization } = await org();
    const bad = await api(app, "POST", "/v1/triggers", key, { match: "regex", pattern: "(", action: "reply_template" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("validation_failed");
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toContain("pattern");
    expect(paths).toContain("templateKey");
    const unknown = await api(app, "POST", "/v1/triggers", key, { match: "equals", pattern: "hi", action: "reply_template", templateKey: "nope" });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details[0].path).toBe("templateKey");

    const [inst] = await db.insert(instances).values({ organizationId: organization.id, name: "Main", provider: "sandbox", status: "connected" }).returning();
    const created = await api(app, "POST", "/v1/triggers", key, {
      match: "contains",
      pattern: "menu",
      priority: 10,
      action: "reply_template",
      templateKey: "welcome",
      instanceIds: [inst!.id],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ match: "contains", pattern: "menu", priority: 10, instanceIds: [inst!.id], active: true });
    const any = await api(app, "POST", "/v1/triggers", key, { match: "any", action: "reply_template", templateKey: "welcome" });
    expect(any.status).toBe(201);

    const list = await api(app, "GET", "/v1/triggers", key);
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([created.body.id, any.body.id]);

    const tested = await api(app, "POST", "/v1/triggers/test", key, { text: "the MENU", instanceId: inst!.id });
    expect(tested.status).toBe(200);
    expect(tested.body.fired.id).toBe(created.body.id);
    expect(tested.body.checks).toEqual([
      { triggerId: created.body.id, outcome: "fires" },
      { triggerId: any.body.id, outcome: "shadowed" },
    ]);
    expect((await api(app, "POST", "/v1/triggers/test", key, { text: " " })).status).toBe(422);
    expect(await db.select().from(triggerFirings)).toHaveLength(0);

    const replaced = await api(app, "PUT", `/v1/triggers/${created.body.id}`, key, {
      match: "equals",
      pattern: "menu",
      action: "reply_template",
      templateKey: "welcome",
      active: false,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ match: "equals", active: false, instanceIds: null, priority: 0 });
    expect((await api(app, "GET", `/v1/triggers/${created.body.id}`, key)).body.active).toBe(false);
    expect((await api(app, "DELETE", `/v1/triggers/${created.body.id}`, key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/triggers/${created.body.id}`, key)).status).toBe(404);
  });

  test("keys: none → 401, read-only → 403 on writes, another organization's trigger → 404", async () => {
    const owner = await org();
    const created = await api(app, "POST", "/v1/triggers", owner.key, { match: "any", action: "reply_template", templateKey: "welcome" });
    expect((await api(app, "GET", "/v1/triggers")).status).toBe(401);
    const { secret: readOnly } = await createApiKey({ organizationId: owner.organization.id, name: "ro", scopes: ["workflows:read"] });
    expect((await api(app, "GET", "/v1/triggers", readOnly)).status).toBe(200);
    expect((await api(app, "POST", "/v1/triggers", readOnly, { match: "any", action: "reply_template", templateKey: "welcome" })).status).toBe(403);
    expect((await api(app, "DELETE", `/v1/triggers/${created.body.id}`, readOnly)).status).toBe(403);

    const stranger = await org();
    const id = created.body.id;
    expect((await api(app, "GET", `/v1/triggers/${id}`, stranger.key)).status).toBe(404);
    expect((await api(app, "PUT", `/v1/triggers/${id}`, stranger.key, { match: "any", action: "reply_template", templateKey: "welcome" })).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/triggers/${id}`, stranger.key)).status).toBe(404);
    expect((await api(app, "GET", "/v1/triggers", stranger.key)).body.data).toEqual([]);
    expect((await api(app, "GET", `/v1/triggers/${id}`, owner.key)).status).toBe(200);
  });
});
