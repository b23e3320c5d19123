import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, events, instances, type Instance } from "@/db/schema";
import { encryptCloudConfig } from "@/providers";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

/**
 * A Graph API server speaking Meta's Groups API (list with cursor paging, group info with fields,
 * settings, participants removal, invite link get/reset) behind a Bearer token; it records every request.
 */
const PHONE_NUMBER_ID = "106540352242933";
const TOKEN = "EAAG-groups-token";
const GROUP = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD";
const OTHER = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjEZD";
type Recorded = { method: string; path: string; body: any };
const recorded: Recorded[] = [];
const state = {
  subject: "Clientes VIP",
  description: "Novidades",
  invite: "https://chat.whatsapp.com/FIRSTcode123",
  members: ["5511955550001", "5511955550002"],
};
const graphError = (status: number, message: string, code: number) => Response.json({ error: { message, type: "OAuthException", code } }, { status });

const graph = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const text = await req.text();
    const body = text ? JSON.parse(text) : undefined;
    recorded.push({ method: req.method, path: `${url.pathname}${url.search}`, body });
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) return graphError(401, "Invalid OAuth access token", 190);
    const path = url.pathname.replace(/^\/v23\.0\//, "");
    if (body && body.messaging_product !== "whatsapp") return graphError(400, "(#100) The parameter messaging_product is required.", 100);
    if (req.method === "GET" && path === `${PHONE_NUMBER_ID}/groups`) {
      if (!url.searchParams.get("after"))
        return Response.json({
          data: { groups: [{ id: GROUP, subject: state.subject, created_at: "1717000000" }] },
          paging: { cursors: { before: "b1", after: "page2" }, next: `http://127.0.0.1/${PHONE_NUMBER_ID}/groups?after=page2` },
        });
      return Response.json({
        data: { groups: [{ id: OTHER, subject: "Suporte", created_at: "1717000100" }] },
        paging: { cursors: { before: "b2", after: "end" } },
      });
    }
    if (path === GROUP && req.method === "GET")
      return Response.json({
        id: GROUP,
        messaging_product: "whatsapp",
        subject: state.subject,
        description: state.description,
        creation_timestamp: 1717000000,
        suspended: false,
        participants: state.members.map((wa_id) => ({ wa_id })),
        total_participant_count: state.members.length,
      });
    if (path === GROUP && req.method === "POST") {
      if (body.subject !== undefined) state.subject = body.subject;
      if (body.description !== undefined) state.description = body.description;
      return Response.json({ success: true });
    }
    if (path === `${GROUP}/participants` && req.method === "DELETE") {
      if (body.participants.length > 8) return graphError(400, "(#100) At most 8 participants", 100);
      const users = body.participants.map((p: { user: string }) => p.user);
      state.members = state.members.filter((m) => !users.includes(m));
      return Response.json({ success: true });
    }
    if (path === `${GROUP}/invite_link` && req.method === "GET") return Response.json({ messaging_product: "whatsapp", invite_link: state.invite });
    if (path === `${GROUP}/invite_link` && req.method === "POST") {
      state.invite = "https://chat.whatsapp.com/SECONDcode456";
      return Response.json({ messaging_product: "whatsapp", invite_link: state.invite });
    }
    return graphError(404, "Unsupported get request. Object with ID 'x' does not exist", 100);
  },
});

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let cloud: Instance;
let base: string;

beforeAll(async () => {
  config.cloudApiBase = `http://127.0.0.1:${graph.port}/v23.0`;
  org = await setupOrg(app);
  other = await setupOrg(app);
  const providerConfig = encryptCloudConfig({ phoneNumberId: PHONE_NUMBER_ID, accessToken: TOKEN, appSecret: "s", verifyToken: "v" });
  [cloud] = (await db
    .insert(instances)
    .values({ organizationId: org.organization.id, name: "Cloud", provider: "cloud", status: "connected", providerConfig })
    .returning()) as [Instance];
  base = `/v1/instances/${cloud.id}/groups`;
});

beforeEach(() => {
  recorded.length = 0;
});

afterAll(() => graph.stop(true));

const groupEvents = async () =>
  (await db.select().from(events).where(eq(events.instanceId, cloud.id)))
    .filter((e) => e.type.startsWith("group."))
    .map((e) => ({ type: e.type, data: e.data }));

describe("Cloud API groups through Meta's Groups API", () => {
  test("list reads every page and keeps a contact per group", async () => {
    const res = await api(app, "GET", base, org.key);
    expect(res.status).toBe(200);
    expect(res.body.data.map((g: { id: string; subject: string }) => [g.id, g.subject])).toEqual([
      [GROUP, "Clientes VIP"],
      [OTHER, "Suporte"],
    ]);
    expect(res.body.data[0].createdAt).toBe(new Date(1717000000 * 1000).toISOString());
    expect(recorded.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /v23.0/${PHONE_NUMBER_ID}/groups?limit=200`,
      `GET /v23.0/${PHONE_NUMBER_ID}/groups?limit=200&after=page2`,
    ]);
    const [contact] = await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, org.organization.id), eq(contacts.id, res.body.data[0].contactId)));
    expect(contact?.name).toBe("Clientes VIP");
  });

  test("info asks for the documented fields and maps participants by wa_id", async () => {
    const res = await api(app, "GET", `${base}/${GROUP}`, org.key);
    expect(res.status).toBe(200);
    expect(recorded[0]!.path).toBe(`/v23.0/${GROUP}?fields=subject,description,creation_timestamp,participants,total_participant_count`);
    expect(res.body).toMatchObject({ id: GROUP, subject: "Clientes VIP", description: "Novidades" });
    expect(res.body.participants).toEqual([
      { phone: "+5511955550001", lid: null, admin: false, superAdmin: false },
      { phone: "+5511955550002", lid: null, admin: false, superAdmin: false },
    ]);
  });

  test("a group Meta does not know is a 404", async () => {
    const res = await api(app, "GET", `${base}/NoSuchGroup123`, org.key);
    expect(res.status).toBe(404);
  });

  test("subject and description go to POST /{group-id} and are recorded as group.updated", async () => {
    const res = await api(app, "PATCH", `${base}/${GROUP}`, org.key, { subject: "Clientes Ouro", description: "Só ofertas" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subject: "Clientes Ouro", description: "Só ofertas" });
    const posts = recorded.filter((r) => r.method === "POST");
    expect(posts.map((r) => [r.path, r.body])).toEqual([
      [`/v23.0/${GROUP}`, { messaging_product: "whatsapp", subject: "Clientes Ouro" }],
      [`/v23.0/${GROUP}`, { messaging_product: "whatsapp", description: "Só ofertas" }],
    ]);
    expect((await groupEvents()).find((e) => e.type === "group.updated")?.data).toMatchObject({ groupId: GROUP, changed: ["subject", "description"] });
  });

  test("removing participants is DELETE /{group-id}/participants, at most 8 per request", async () => {
    state.members.push(...Array.from({ length: 9 }, (_, i) => `55119555510${String(i).padStart(2, "0")}`));
    const phones = ["+5511955550002", ...Array.from({ length: 9 }, (_, i) => `+55119555510${String(i).padStart(2, "0")}`)];
    const res = await api(app, "POST", `${base}/${GROUP}/participants`, org.key, { action: "remove", participants: phones });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(phones.map((phone) => ({ phone, ok: true, error: null })));
    const deletes = recorded.filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => r.path)).toEqual([`/v23.0/${GROUP}/participants`, `/v23.0/${GROUP}/participants`]);
    expect(deletes[0]!.body).toEqual({ messaging_product: "whatsapp", participants: phones.slice(0, 8).map((p) => ({ user: p.slice(1) })) });
    expect(deletes[1]!.body.participants).toEqual(phones.slice(8).map((p) => ({ user: p.slice(1) })));
    expect(state.members).toEqual(["5511955550001"]);
    const changed = (await groupEvents()).find((e) => e.type === "group.participants_changed");
    expect(changed?.data).toMatchObject({ groupId: GROUP, action: "remove", participants: phones });
  });

  test("invite link: GET reads it, revoke POSTs a reset and answers the new link", async () => {
    const link = await api(app, "GET", `${base}/${GROUP}/invite-link`, org.key);
    expect(link.body.link).toBe("https://chat.whatsapp.com/FIRSTcode123");
    const revoked = await api(app, "POST", `${base}/${GROUP}/invite-link/revoke`, org.key);
    expect(revoked.body.link).toBe("https://chat.whatsapp.com/SECONDcode456");
    expect(recorded.map((r) => [r.method, r.path, r.body])).toEqual([
      ["GET", `/v23.0/${GROUP}/invite_link`, undefined],
      ["POST", `/v23.0/${GROUP}/invite_link`, { messaging_product: "whatsapp" }],
    ]);
  });

  test("what Meta does not offer is a 422 unsupported_by_provider naming the feature, in the caller's language, with no Graph call", async () => {
    const add = await api(app, "POST", `${base}/${GROUP}/participants`, org.key, { action: "add", participants: ["+5511955550009"] });
    expect(add.status).toBe(422);
    expect(add.body.error.code).toBe("unsupported_by_provider");
    expect(add.body.error.message).toBe("The provider WhatsApp Cloud API does not offer adding participants directly (people join by the invite link)");
    const promote = await api(
      app,
      "POST",
      `${base}/${GROUP}/participants`,
      org.key,
      { action: "promote", participants: ["+5511955550001"] },
      { "accept-language": "pt-BR" },
    );
    expect(promote.status).toBe(422);
    expect(promote.body.error.message).toBe("O provedor WhatsApp Cloud API não oferece promover participantes a administradores");
    const demote = await api(app, "POST", `${base}/${GROUP}/participants`, org.key, { action: "demote", participants: ["+5511955550001"] });
    expect(demote.body.error.message).toContain("demoting admins");
    const create = await api(app, "POST", base, org.key, { subject: "Novo", participants: ["+5511955550001"] });
    expect(create.status).toBe(422);
    expect(create.body.error.message).toContain("creating groups through this API");
    const leave = await api(app, "POST", `${base}/${GROUP}/leave`, org.key);
    expect(leave.status).toBe(422);
    expect(leave.body.error.message).toContain("leaving a group (Meta offers only deleting the group)");
    // A JPEG picture is refused before the subject in the same request is changed.
    const jpeg = `data:image/jpeg;base64,${Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]).toString("base64")}`;
    const picture = await api(app, "PATCH", `${base}/${GROUP}`, org.key, { subject: "Não muda", picture: jpeg });
    expect(picture.status).toBe(422);
    expect(picture.body.error.message).toContain("changing the group's picture");
    expect(state.subject).toBe("Clientes Ouro");
    expect(recorded).toEqual([]);
  });

  test("another organization's instance is a 404", async () => {
    const res = await api(app, "GET", base, other.key);
    expect(res.status).toBe(404);
    expect(recorded).toEqual([]);
  });
});
