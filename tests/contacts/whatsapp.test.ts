import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, contacts, events, instances } from "@/db/schema";
import { refreshStaleProfiles } from "@/features/contacts/contact.whatsapp";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { encryptSecret } from "@/lib/crypto";
import { encryptCloudConfig } from "@/providers";
import type { Instance } from "@/db/schema";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

/**
 * WhatsApp's side of a contact: the profile (WuzAPI `POST /user/info` + `POST /user/avatar`, answered
 * as handlers.go's Respond envelope) and the block list (Cloud `POST|DELETE /{phone-number-id}/block_users`
 * as Meta documents it). Both fakes record every request.
 */
type Recorded = { method: string; path: string; body: any; auth: string | null };
const wuzRequests: Recorded[] = [];
const graphRequests: Recorded[] = [];
const TOKEN = "user-token-whatsapp-contacts";
const NO_AVATAR = "5511966660002";
const HIDDEN = "5511966660003";
const BUSINESS = "5511966660001";

const wuz = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const body = JSON.parse((await req.text()) || "null");
    wuzRequests.push({ method: req.method, path: url.pathname, body, auth: req.headers.get("token") });
    if (req.headers.get("token") !== TOKEN) return Response.json({ code: 401, error: "unauthorized", success: false }, { status: 401 });
    const ok = (data: unknown) => Response.json({ code: 200, data, success: true });
    const fail = (error: string) => Response.json({ code: 500, error, success: false }, { status: 500 });
    if (url.pathname === "/user/info") {
      const jid = body.Phone[0] as string;
      const user: Record<string, unknown> = { Status: "Hey there", PictureID: "1730", Devices: [`${jid.split("@")[0]}.0:1@s.whatsapp.net`] };
      if (jid.startsWith(BUSINESS)) user.VerifiedName = { Certificate: {}, Details: { serial: 1, issuer: "smb:wa", verifiedName: "Padaria Central" } };
      return ok({ Users: { [jid]: user } });
    }
    if (url.pathname === "/user/avatar") {
      const phone = body.Phone as string;
      if (phone.startsWith(NO_AVATAR)) return fail("No avatar found");
      if (phone.startsWith(HIDDEN)) return fail("Failed to get avatar: the user has hidden their profile picture from you");
      if (phone.startsWith("5511966669999")) return fail("Failed to get avatar: websocket not connected");
      return ok({
        URL: `https://pps.whatsapp.net/v/t61/${phone.split("@")[0]}.jpg?oe=1`,
        ID: "1730",
        Type: body.Preview ? "preview" : "image",
        DirectPath: "/v/t61",
      });
    }
    return Response.json({ code: 404, error: "not found", success: false }, { status: 404 });
  },
});

const PHONE_NUMBER_ID = "106540352242922";
const graph = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const body = JSON.parse((await req.text()) || "null");
    graphRequests.push({ method: req.method, path: url.pathname, body, auth: req.headers.get("authorization") });
    if (url.pathname !== `/v21.0/${PHONE_NUMBER_ID}/block_users`) return Response.json({ error: { message: "Unknown path", code: 100 } }, { status: 400 });
    const user = body.block_users[0].user as string;
    if (user.endsWith("0009")) {
      return Response.json({
        messaging_product: "whatsapp",
        block_users: {
          added_users: [],
          failed_users: [
            {
              input: user,
              wa_id: user,
              errors: [{ message: "Re-engagement check failed", code: 139100, error_data: { details: "Failed to block/unblock users" } }],
            },
          ],
        },
      });
    }
    const key = req.method === "POST" ? "added_users" : "removed_users";
    return Response.json({ messaging_product: "whatsapp", block_users: { [key]: [{ input: user, wa_id: user }], failed_users: [] } });
  },
});

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let wuzapi: Instance;
let cloud: Instance;
let sandbox: Instance;

beforeAll(async () => {
  config.wuzapi = { url: `http://127.0.0.1:${wuz.port}`, adminToken: "admin", hmacKey: "hmac-key-for-tests-hmac-key-for-tests" };
  config.cloudApiBase = `http://127.0.0.1:${graph.port}/v21.0`;
  org = await setupOrg(app);
  other = await setupOrg(app);
  [wuzapi, cloud, sandbox] = (await db
    .insert(instances)
    .values([
      { organizationId: org.organization.id, name: "WuzAPI", provider: "wuzapi", status: "connected", providerTokenEnc: encryptSecret(TOKEN) },
      {
        organizationId: org.organization.id,
        name: "Cloud",
        provider: "cloud",
        status: "connected",
        providerConfig: encryptCloudConfig({ phoneNumberId: PHONE_NUMBER_ID, accessToken: "cloud-token", appSecret: "s", verifyToken: "v" }),
      },
      { organizationId: org.organization.id, name: "Sandbox", provider: "sandbox", status: "connected" },
    ])
    .returning()) as [Instance, Instance, Instance];
});

afterAll(() => {
  wuz.stop(true);
  graph.stop(true);
});

async function newContact(phone: string, name?: string): Promise<string> {
  const res = await api(app, "POST", "/v1/contacts", org.key, { phone, ...(name ? { name } : {}) });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe("refreshing a contact's WhatsApp profile", () => {
  test("WuzAPI: /user/info and /user/avatar with the contact's JID; picture stored, a verified name fills an empty name", async () => {
    const id = await newContact(`+${BUSINESS}`);
    const res = await api(app, "POST", `/v1/contacts/${id}/refresh?instanceId=${wuzapi.id}`, org.key);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: "Padaria Central", pictureUrl: `https://pps.whatsapp.net/v/t61/${BUSINESS}.jpg?oe=1` });
    expect(new Date(res.body.profileFetchedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const calls = wuzRequests.filter((r) => r.body?.Phone?.toString().startsWith(BUSINESS));
    expect(calls.map((c) => [c.method, c.path, c.body, c.auth])).toEqual([
      ["POST", "/user/info", { Phone: [`${BUSINESS}@s.whatsapp.net`] }, TOKEN],
      ["POST", "/user/avatar", { Phone: `${BUSINESS}@s.whatsapp.net`, Preview: false }, TOKEN],
    ]);
  });

  test("a name LivChat already has is kept; no picture or a hidden one stores null", async () => {
    const named = await newContact(`+${BUSINESS.slice(0, -1)}7`, "Maria");
    expect((await api(app, "POST", `/v1/contacts/${named}/refresh?instanceId=${wuzapi.id}`, org.key)).body.name).toBe("Maria");
    for (const phone of [NO_AVATAR, HIDDEN]) {
      const id = await newContact(`+${phone}`);
      await db.update(contacts).set({ pictureUrl: "https://pps.whatsapp.net/old.jpg" }).where(eq(contacts.id, id));
      const res = await api(app, "POST", `/v1/contacts/${id}/refresh?instanceId=${wuzapi.id}`, org.key);
      expect(res.status).toBe(200);
      expect(res.body.pictureUrl).toBeNull();
    }
  });

  test("a provider failure is a 502 in the reader's language, nothing stored", async () => {
    const id = await newContact("+5511966669999");
    const res = await api(app, "POST", `/v1/contacts/${id}/refresh?instanceId=${wuzapi.id}`, org.key, undefined, { "accept-language": "pt-BR" });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toContain("A busca do perfil");
    const [row] = await db.select().from(contacts).where(eq(contacts.id, id));
    expect(row!.profileFetchedAt).toBeNull();
  });

  test("the Cloud API has no profile call: 422 unsupported_by_provider naming provider and feature, in both languages", async () => {
    const id = await newContact("+5511966660010");
    const en = await api(app, "POST", `/v1/contacts/${id}/refresh?instanceId=${cloud.id}`, org.key);
    expect(en.status).toBe(422);
    expect(en.body.error.code).toBe("unsupported_by_provider");
    expect(en.body.error.message).toBe(
      "The WhatsApp Cloud API does not support fetching a contact's profile picture and name (the Cloud API only delivers the name with messages)",
    );
    const pt = await api(app, "POST", `/v1/contacts/${id}/refresh?instanceId=${cloud.id}`, org.key, undefined, { "accept-language": "pt-BR" });
    expect(pt.body.error.message).toStartWith("A WhatsApp Cloud API não permite buscar a foto");
    expect(graphRequests).toHaveLength(0);
  });

  test("the sandbox answers a simulated profile without a picture", async () => {
    const id = await newContact("+5511966660011");
    const res = await api(app, "POST", `/v1/contacts/${id}/refresh?instanceId=${sandbox.id}`, org.key);
    expect(res.status).toBe(200);
    expect(res.body.pictureUrl).toBeNull();
    expect(res.body.profileFetchedAt).not.toBeNull();
  });

  test("another organization's contact or instance is a 404; an unknown instance id too", async () => {
    const id = await newContact("+5511966660012");
    const foreign = await api(app, "POST", `/v1/contacts/${id}/refresh`, other.key);
    expect(foreign.status).toBe(404);
    const foreignInstance = await api(app, "POST", `/v1/contacts/${id}/refresh?instanceId=${wuzapi.id}`, other.key);
    expect(foreignInstance.status).toBe(404);
    const otherContact = (await api(app, "POST", "/v1/contacts", other.key, { phone: "+5511966660013" })).body.id;
    expect((await api(app, "POST", `/v1/contacts/${otherContact}/refresh?instanceId=${wuzapi.id}`, org.key)).status).toBe(404);
    const bad = await api(app, "POST", `/v1/contacts/${id}/refresh?instanceId=nope`, org.key);
    expect(bad.status).toBe(422);
  });

  test("without an instance named, several connected and no conversation: 409 asking for one", async () => {
    const id = await newContact("+5511966660014");
    const res = await api(app, "POST", `/v1/contacts/${id}/refresh`, org.key);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain("instanceId");
  });

  test("in the background: an active contact with a stale picture is refreshed through its conversation's instance, once", async () => {
    const phone = "5511966660020";
    await ingestInbound(wuzapi, {
      kind: "message",
      providerMessageId: `WA-${Date.now()}`,
      from: phone,
      sender: { phone },
      type: "text",
      body: "oi",
      timestamp: new Date(),
    });
    const [contact] = await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, org.organization.id), eq(contacts.phone, `+${phone}`)));
    expect(contact!.pictureUrl).toBeNull();
    expect(await refreshStaleProfiles(500)).toBeGreaterThanOrEqual(1);
    const [after] = await db.select().from(contacts).where(eq(contacts.id, contact!.id));
    expect(after!.pictureUrl).toBe(`https://pps.whatsapp.net/v/t61/${phone}.jpg?oe=1`);
    const asked = () => wuzRequests.filter((r) => r.path === "/user/info" && r.body.Phone[0].startsWith(phone)).length;
    expect(asked()).toBe(1);
    // Fresh now: the next pass leaves it alone.
    await refreshStaleProfiles(500);
    expect(asked()).toBe(1);
    // A day later it is stale again, and the contact page's refresh default (latest conversation) works without instanceId.
    await db
      .update(contacts)
      .set({ profileFetchedAt: new Date(Date.now() - 25 * 3600_000) })
      .where(eq(contacts.id, contact!.id));
    await refreshStaleProfiles(500);
    expect(asked()).toBe(2);
    expect((await api(app, "POST", `/v1/contacts/${contact!.id}/refresh`, org.key)).status).toBe(200);
    expect(asked()).toBe(3);
  });
});

describe("blocking a contact on WhatsApp", () => {
  test("Cloud: POST block_users blocks, DELETE unblocks; whatsappBlocked apart from blocked; evented and audited once per change", async () => {
    const id = await newContact("+5511966660030");
    const block = await api(app, "POST", `/v1/contacts/${id}/whatsapp-block`, org.key, { blocked: true, instanceId: cloud.id });
    expect(block.status).toBe(200);
    expect(block.body).toMatchObject({ whatsappBlocked: true, blocked: false });
    expect(graphRequests.at(-1)).toEqual({
      method: "POST",
      path: `/v21.0/${PHONE_NUMBER_ID}/block_users`,
      body: { messaging_product: "whatsapp", block_users: [{ user: "5511966660030" }] },
      auth: "Bearer cloud-token",
    });
    // Again: asked again, no second event.
    expect((await api(app, "POST", `/v1/contacts/${id}/whatsapp-block`, org.key, { blocked: true, instanceId: cloud.id })).status).toBe(200);
    const unblock = await api(app, "POST", `/v1/contacts/${id}/whatsapp-block`, org.key, { blocked: false, instanceId: cloud.id });
    expect(unblock.body.whatsappBlocked).toBe(false);
    expect(graphRequests.at(-1)!.method).toBe("DELETE");
    expect(graphRequests.at(-1)!.body).toEqual({ messaging_product: "whatsapp", block_users: [{ user: "5511966660030" }] });

    const evented = await db
      .select({ type: events.type, data: events.data, instanceId: events.instanceId })
      .from(events)
      .where(eq(events.organizationId, org.organization.id))
      .orderBy(events.at, events.id);
    const mine = evented.filter((e) => (e.data as { contact?: { id: string } }).contact?.id === id && e.type.startsWith("contact.whatsapp"));
    expect(mine.map((e) => e.type)).toEqual(["contact.whatsapp_blocked", "contact.whatsapp_unblocked"]);
    expect(mine[0]!.instanceId).toBe(cloud.id);
    const audits = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, id)));
    expect(
      audits
        .map((a) => a.action)
        .filter((a) => a.startsWith("contact.whatsapp"))
        .sort(),
    ).toEqual(["contact.whatsapp_blocked", "contact.whatsapp_unblocked"]);
  });

  test("Cloud refuses a number (not written in 24 hours): 502 with Meta's reason, nothing stored", async () => {
    const id = await newContact("+5511966660009");
    const res = await api(app, "POST", `/v1/contacts/${id}/whatsapp-block`, org.key, { blocked: true, instanceId: cloud.id });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toContain("Re-engagement check failed");
    const [row] = await db.select().from(contacts).where(eq(contacts.id, id));
    expect(row!.whatsappBlocked).toBe(false);
  });

  test("WuzAPI has no block-list endpoint: 422 unsupported_by_provider; the sandbox simulates it", async () => {
    const id = await newContact("+5511966660031");
    const before = wuzRequests.length;
    const wuzRes = await api(
      app,
      "POST",
      `/v1/contacts/${id}/whatsapp-block`,
      org.key,
      { blocked: true, instanceId: wuzapi.id },
      { "accept-language": "pt-BR" },
    );
    expect(wuzRes.status).toBe(422);
    expect(wuzRes.body.error.code).toBe("unsupported_by_provider");
    expect(wuzRes.body.error.message).toBe("A WuzAPI não permite bloquear contatos no WhatsApp");
    expect(wuzRequests.length).toBe(before);
    const sb = await api(app, "POST", `/v1/contacts/${id}/whatsapp-block`, org.key, { blocked: true, instanceId: sandbox.id });
    expect(sb.status).toBe(200);
    expect(sb.body.whatsappBlocked).toBe(true);
  });

  test("bad input is a 422 with the field named in the reader's language; another org's contact is a 404", async () => {
    const id = await newContact("+5511966660032");
    const bad = await api(app, "POST", `/v1/contacts/${id}/whatsapp-block`, org.key, { blocked: "yes" }, { "accept-language": "pt-BR" });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body.error.details)).toContain("Informe blocked: true para bloquear ou false para desbloquear");
    expect((await api(app, "POST", `/v1/contacts/${id}/whatsapp-block`, other.key, { blocked: true })).status).toBe(404);
  });
});

describe("the contact page", () => {
  test("shows the WhatsApp section; refresh and block buttons act through the only instance of the contact's conversation and flash the outcome", async () => {
    const phone = "5511966660040";
    await ingestInbound(sandbox, {
      kind: "message",
      providerMessageId: `SBP-${Date.now()}`,
      from: phone,
      sender: { phone },
      type: "text",
      body: "oi",
      timestamp: new Date(),
    });
    const [contact] = await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, org.organization.id), eq(contacts.phone, `+${phone}`)));
    let html = await (await org.client.get(`/contacts/${contact!.id}`)).text();
    expect(html).toContain('id="whatsapp-side"');
    expect(html).toContain("Refresh WhatsApp picture and name");
    expect(html).toContain(`action="/contacts/${contact!.id}/whatsapp/block"`);

    let res = await org.client.postForm(`/contacts/${contact!.id}/whatsapp/block`, {});
    expect(res.status).toBe(303);
    html = await (await org.client.get(`/contacts/${contact!.id}`)).text();
    expect(html).toContain("Contact blocked on WhatsApp");
    expect(html).toContain("blocked on WhatsApp");
    expect(html).toContain(`action="/contacts/${contact!.id}/whatsapp/unblock"`);
    const [row] = await db.select().from(contacts).where(eq(contacts.id, contact!.id));
    expect(row).toMatchObject({ whatsappBlocked: true, blocked: false });

    res = await org.client.postForm(`/contacts/${contact!.id}/whatsapp/refresh`, {});
    expect(res.status).toBe(303);
    html = await (await org.client.get(`/contacts/${contact!.id}`)).text();
    expect(html).toContain("WhatsApp profile refreshed");
    expect(html).toContain("WhatsApp profile fetched");
  });

  test("a refusal is flashed in the reader's language, not a crash; another org's contact is a 404", async () => {
    const id = await newContact("+5511966660041");
    await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511966660042" });
    // No conversation and several connected instances: nothing to ask through.
    const res = await org.client.postForm(`/contacts/${id}/whatsapp/refresh`, {});
    expect(res.status).toBe(303);
    const html = await (await org.client.get(`/contacts/${id}`)).text();
    expect(html).toContain("No connected instance talks to this contact");
    expect((await other.client.postForm(`/contacts/${id}/whatsapp/block`, {})).status).toBe(404);
  });
});
