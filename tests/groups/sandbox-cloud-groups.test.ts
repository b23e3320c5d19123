import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { events, instances, type Instance } from "@/db/schema";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let sandbox: Instance;
let cloud: Instance;
let idle: Instance;

beforeAll(async () => {
  org = await setupOrg(app);
  const rows = await db
    .insert(instances)
    .values([
      { organizationId: org.organization.id, name: "Sandbox", provider: "sandbox", status: "connected", waJid: "5511988887777@s.whatsapp.net" },
      { organizationId: org.organization.id, name: "Cloud", provider: "cloud", status: "connected", providerConfig: { phoneNumberId: "1" } },
      { organizationId: org.organization.id, name: "Idle", provider: "sandbox", status: "disconnected" },
    ])
    .returning();
  [sandbox, cloud, idle] = rows as [Instance, Instance, Instance];
});

describe("the sandbox's simulated groups", () => {
  test("create, read, rename, participants, invite revoke and leave all work and are recorded", async () => {
    const base = `/v1/instances/${sandbox.id}/groups`;
    const made = await api(app, "POST", base, org.key, { subject: "Teste", participants: ["+5511955550001", "+5511955550002"] });
    expect(made.status).toBe(201);
    expect(made.body.participants).toEqual([
      { phone: "+5511988887777", lid: null, admin: true, superAdmin: true },
      { phone: "+5511955550001", lid: null, admin: false, superAdmin: false },
      { phone: "+5511955550002", lid: null, admin: false, superAdmin: false },
    ]);
    const id = made.body.id as string;
    expect((await api(app, "GET", base, org.key)).body.data.map((g: { id: string }) => g.id)).toContain(id);

    const renamed = await api(app, "PATCH", `${base}/${id}`, org.key, { subject: "Teste 2", description: "desc" });
    expect(renamed.body).toMatchObject({ subject: "Teste 2", description: "desc", contactId: made.body.contactId });

    const changes = await api(app, "POST", `${base}/${id}/participants`, org.key, { action: "remove", participants: ["+5511955550002", "+5511955559999"] });
    expect(changes.body.data).toEqual([
      { phone: "+5511955550002", ok: true, error: null },
      { phone: "+5511955559999", ok: false, error: "404" },
    ]);
    const promoted = await api(app, "POST", `${base}/${id}/participants`, org.key, { action: "promote", participants: ["+5511955550001"] });
    expect(promoted.body.data[0].ok).toBe(true);
    expect((await api(app, "GET", `${base}/${id}`, org.key)).body.participants).toEqual([
      { phone: "+5511988887777", lid: null, admin: true, superAdmin: true },
      { phone: "+5511955550001", lid: null, admin: true, superAdmin: false },
    ]);

    const link = (await api(app, "GET", `${base}/${id}/invite-link`, org.key)).body.link;
    const revoked = (await api(app, "POST", `${base}/${id}/invite-link/revoke`, org.key)).body.link;
    expect(link).toStartWith("https://chat.whatsapp.com/");
    expect(revoked).not.toBe(link);

    expect((await api(app, "POST", `${base}/${id}/leave`, org.key)).status).toBe(204);
    expect((await api(app, "GET", `${base}/${id}`, org.key)).status).toBe(404);

    const types = (await db.select().from(events).where(eq(events.instanceId, sandbox.id))).map((e) => e.type).filter((t) => t.startsWith("group."));
    expect(types.sort()).toEqual(["group.created", "group.left", "group.participants_changed", "group.participants_changed", "group.updated", "group.updated"]);
  });

  test("a disconnected instance is a 409", async () => {
    const res = await api(app, "GET", `/v1/instances/${idle.id}/groups`, org.key);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain("Idle");
  });
});

describe("the Cloud API", () => {
  // Meta's Groups API is mapped in src/providers/cloud.groups.ts (tested in cloud-groups.test.ts); what it
  // does not offer is refused before any Graph call, naming the provider and the feature.
  test("operations Meta does not offer are refused with 422 unsupported_by_provider naming provider and feature, in the caller's language", async () => {
    const en = await api(app, "POST", `/v1/instances/${cloud.id}/groups`, org.key, { subject: "x", participants: ["+5511955550001"] });
    expect(en.status).toBe(422);
    expect(en.body.error.code).toBe("unsupported_by_provider");
    expect(en.body.error.message).toStartWith("The provider WhatsApp Cloud API does not offer creating groups through this API");
    const pt = await api(app, "POST", `/v1/instances/${cloud.id}/groups/120363000000000001/leave`, org.key, undefined, { "accept-language": "pt-BR" });
    expect(pt.status).toBe(422);
    expect(pt.body.error.message).toBe("O provedor WhatsApp Cloud API não oferece sair do grupo (a Meta só oferece excluir o grupo)");
  });

  test("a Cloud instance without its access token answers 422 naming the missing credentials, not a 500", async () => {
    const res = await api(app, "GET", `/v1/instances/${cloud.id}/groups`, org.key);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain("config.accessToken");
  });
});
