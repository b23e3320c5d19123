import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { instances, providerTemplates, type Instance } from "@/db/schema";
import { syncAllProviderTemplates } from "@/features/templates/provider-template.service";
import { encryptCloudConfig } from "@/providers";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

/**
 * A Graph server speaking the Business Management API's template listing:
 * `GET /{waba-id}/message_templates?fields=…&limit=…&after=…` → `{data, paging: {cursors: {before, after}, next?}}`.
 */
const WABA_ID = "102290129340398";
const TOKEN = "EAAG-templates-token";
const recorded: string[] = [];
const pages = [
  [
    {
      name: "order_update",
      language: "pt_BR",
      status: "APPROVED",
      category: "UTILITY",
      id: "1001",
      components: [
        { type: "HEADER", format: "TEXT", text: "Pedido {{1}}" },
        { type: "BODY", text: "Olá {{1}}, seu pedido {{2}} saiu para entrega." },
        { type: "BUTTONS", buttons: [{ type: "URL", text: "Rastrear", url: "https://example.com/t/{{1}}" }] },
      ],
    },
    { name: "order_update", language: "en_US", status: "APPROVED", category: "UTILITY", id: "1002", components: [{ type: "BODY", text: "Hi {{1}}" }] },
  ],
  [{ name: "spring_sale", language: "pt_BR", status: "REJECTED", category: "MARKETING", id: "1003", components: [{ type: "BODY", text: "Promo" }] }],
];
let listing = pages;

const graph = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req) {
    const url = new URL(req.url);
    recorded.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) {
      return Response.json({ error: { message: "Invalid OAuth access token", type: "OAuthException", code: 190 } }, { status: 401 });
    }
    if (req.method === "GET" && url.pathname === `/v21.0/${WABA_ID}/message_templates`) {
      const page = Number(url.searchParams.get("after")?.replace("cursor-", "") ?? "0");
      const data = listing[page] ?? [];
      const last = page >= listing.length - 1;
      return Response.json({
        data,
        paging: {
          cursors: { before: `cursor-${page}`, after: `cursor-${page + 1}` },
          ...(last ? {} : { next: `https://graph.facebook.com/v21.0/${WABA_ID}/message_templates?after=cursor-${page + 1}` }),
        },
      });
    }
    return Response.json({ error: { message: "Unknown path components", type: "OAuthException", code: 2500 } }, { status: 404 });
  },
});

const app = createApp();
afterAll(() => graph.stop(true));
beforeAll(() => {
  config.cloudApiBase = `http://127.0.0.1:${graph.port}/v21.0`;
});

async function cloudInstance(organizationId: string, wabaId?: string): Promise<Instance> {
  const providerConfig = encryptCloudConfig({
    phoneNumberId: "106540352242922",
    accessToken: TOKEN,
    appSecret: "s",
    verifyToken: "v",
    ...(wabaId ? { wabaId } : {}),
  });
  const [row] = await db.insert(instances).values({ organizationId, name: "Cloud", provider: "cloud", status: "connected", providerConfig }).returning();
  return row!;
}

describe("Cloud message templates synced from the WABA", () => {
  test("on demand: every page is read, stored, listed; a second sync replaces the list", async () => {
    const { organization, key } = await setupOrg(app);
    const instance = await cloudInstance(organization.id, WABA_ID);
    listing = pages;
    recorded.length = 0;
    const sync = await api(app, "POST", `/v1/instances/${instance.id}/templates/sync`, key);
    expect(sync.body).toEqual({ synced: 3 });
    expect(sync.status).toBe(200);
    expect(sync.body).toEqual({ synced: 3 });
    expect(recorded).toEqual([
      `GET /v21.0/${WABA_ID}/message_templates?fields=id%2Cname%2Clanguage%2Ccategory%2Cstatus%2Ccomponents&limit=100`,
      `GET /v21.0/${WABA_ID}/message_templates?fields=id%2Cname%2Clanguage%2Ccategory%2Cstatus%2Ccomponents&limit=100&after=cursor-1`,
    ]);
    const list = await api(app, "GET", `/v1/provider-templates?instanceId=${instance.id}`, key);
    expect(list.status).toBe(200);
    expect(list.body.data.map((t: any) => [t.name, t.language, t.status, t.category])).toEqual([
      ["order_update", "en_US", "APPROVED", "UTILITY"],
      ["order_update", "pt_BR", "APPROVED", "UTILITY"],
      ["spring_sale", "pt_BR", "REJECTED", "MARKETING"],
    ]);
    expect(list.body.data[1].components[0]).toEqual({ type: "HEADER", format: "TEXT", text: "Pedido {{1}}" });

    // Deleted at Meta → gone here; changed status → updated.
    listing = [[{ ...pages[0]![0]!, status: "PAUSED" }]];
    expect((await api(app, "POST", `/v1/instances/${instance.id}/templates/sync`, key)).body).toEqual({ synced: 1 });
    const rows = await db.select().from(providerTemplates).where(eq(providerTemplates.instanceId, instance.id));
    expect(rows.map((r) => [r.name, r.language, r.status])).toEqual([["order_update", "pt_BR", "PAUSED"]]);
  });

  test("the templates page lists them beside the local ones; its button syncs (flash in the user's language)", async () => {
    const { organization, client } = await setupOrg(app);
    const instance = await cloudInstance(organization.id, WABA_ID);
    listing = pages;
    const before = await (await client.request("/templates")).text();
    expect(before).toContain("WhatsApp templates (Cloud API)");
    expect(before).toContain("No templates synced yet.");
    expect(before).toContain(`name="instanceId" value="${instance.id}"`);
    const synced = await client.postForm("/templates/provider/sync", { instanceId: instance.id });
    expect([200, 302, 303]).toContain(synced.status);
    const after = await (await client.request("/templates")).text();
    expect(after).toContain("3 templates synced");
    expect(after).toContain("order_update");
    expect(after).toContain("spring_sale");
    expect(after).toContain("REJECTED");
  });

  test("the instance create form takes the WABA id beside the Cloud credentials", async () => {
    const { organization, client } = await setupOrg(app);
    const page = await (await client.request("/instances")).text();
    expect(page).toContain('name="wabaId"');
    await client.postForm("/instances", {
      name: "Cloud form",
      provider: "cloud",
      phoneNumberId: "106540352242922",
      accessToken: TOKEN,
      appSecret: "s",
      verifyToken: "v",
      wabaId: WABA_ID,
    });
    const [row] = await db.select().from(instances).where(eq(instances.organizationId, organization.id));
    expect(row?.providerConfig.wabaId).toBe(WABA_ID);
  });

  test("on a schedule: the periodic pass syncs every Cloud instance that has a WABA id", async () => {
    const { organization } = await setupOrg(app);
    const instance = await cloudInstance(organization.id, WABA_ID);
    listing = pages;
    const result = await syncAllProviderTemplates();
    expect(result.instances).toBeGreaterThanOrEqual(1);
    const rows = await db.select().from(providerTemplates).where(eq(providerTemplates.instanceId, instance.id));
    expect(rows.length).toBe(3);
  });

  test("refusals: another org's instance 404, no WABA id 422 (pt-BR and en), sandbox 422 unsupported_by_provider", async () => {
    const a = await setupOrg(app);
    const b = await setupOrg(app);
    const instance = await cloudInstance(a.organization.id, WABA_ID);
    expect((await api(app, "POST", `/v1/instances/${instance.id}/templates/sync`, b.key)).status).toBe(404);
    expect((await api(app, "GET", `/v1/provider-templates?instanceId=${instance.id}`, b.key)).status).toBe(404);

    const noWaba = await cloudInstance(a.organization.id);
    const en = await api(app, "POST", `/v1/instances/${noWaba.id}/templates/sync`, a.key);
    expect(en.status).toBe(422);
    expect(en.body.error.details).toEqual([{ path: "config.wabaId", message: expect.stringContaining("WhatsApp Business Account (WABA) id") }]);
    const pt = await api(app, "POST", `/v1/instances/${noWaba.id}/templates/sync`, a.key, undefined, { "accept-language": "pt-BR" });
    expect(pt.body.error.details[0].message).toContain("ID da conta do WhatsApp Business");

    const [sandbox] = await db.insert(instances).values({ organizationId: a.organization.id, name: "Sandbox", provider: "sandbox" }).returning();
    const unsupported = await api(app, "POST", `/v1/instances/${sandbox!.id}/templates/sync`, a.key);
    expect(unsupported.status).toBe(422);
    expect(unsupported.body.error.code).toBe("unsupported_by_provider");
    expect(unsupported.body.error.message).toBe("The sandbox provider does not offer provider message templates");

    // The WABA id is part of an instance's Cloud config: accepted (numeric) and shown back.
    const patched = await api(app, "PATCH", `/v1/instances/${noWaba.id}`, a.key, { config: { wabaId: WABA_ID } });
    expect(patched.status).toBe(200);
    expect(patched.body.config.wabaId).toBe(WABA_ID);
    const bad = await api(app, "PATCH", `/v1/instances/${noWaba.id}`, a.key, { config: { wabaId: "abc" } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toBe("config.wabaId");
  });
});
