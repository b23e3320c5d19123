import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contactIdentities, contacts, events, instances, type Instance } from "@/db/schema";
import { encryptSecret } from "@/lib/crypto";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

/**
 * A WuzAPI server as its handlers.go answers group calls: `{code, data, success}`; GroupInfo as whatsmeow
 * serializes it (JID, OwnerJID, Name, Topic, IsLocked, IsAnnounce, GroupCreated, Participants [{JID, LID,
 * PhoneNumber, IsAdmin, IsSuperAdmin}]); it keeps its groups, so every change can be read back. Every
 * request is recorded.
 */
type Recorded = { method: string; path: string; query: URLSearchParams; body: any };
const recorded: Recorded[] = [];
const TOKEN = "user-token-group-admin";
const OWN = "5511900000000";
type FakeGroup = {
  JID: string;
  Name: string;
  Topic: string;
  Participants: { JID: string; LID?: string; IsAdmin: boolean; IsSuperAdmin: boolean }[];
  invite: string;
  photo?: string;
};
const groups = new Map<string, FakeGroup>();
groups.set("120363000000000001@g.us", {
  JID: "120363000000000001@g.us",
  Name: "Clientes VIP",
  Topic: "Atendimento",
  invite: "AAAA",
  Participants: [
    { JID: `${OWN}@s.whatsapp.net`, IsAdmin: true, IsSuperAdmin: true },
    { JID: "123456789012345@lid", IsAdmin: false, IsSuperAdmin: false },
    { JID: "5511955551111@s.whatsapp.net", LID: "999888777666555@lid", IsAdmin: false, IsSuperAdmin: false },
  ],
});
let created = 0;
const info = (g: FakeGroup) => ({
  JID: g.JID,
  OwnerJID: `${OWN}@s.whatsapp.net`,
  Name: g.Name,
  Topic: g.Topic,
  IsLocked: false,
  IsAnnounce: true,
  GroupCreated: "2026-11-01T12:00:00Z",
  Participants: g.Participants,
});

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const text = await req.text();
    const body = text ? JSON.parse(text) : undefined;
    recorded.push({ method: req.method, path: url.pathname, query: url.searchParams, body });
    if (req.headers.get("token") !== TOKEN) return Response.json({ code: 401, error: "unauthorized", success: false }, { status: 401 });
    const ok = (data: unknown) => Response.json({ code: 200, data, success: true });
    const fail = (code: number, error: string) => Response.json({ code, error, success: false }, { status: code });
    const jid = url.searchParams.get("groupJID") ?? body?.GroupJID ?? body?.Phone;
    const group = jid ? groups.get(jid) : undefined;
    switch (`${req.method} ${url.pathname}`) {
      case "GET /group/list":
        return ok({ Groups: [...groups.values()].map(info) });
      case "POST /group/create": {
        const g: FakeGroup = {
          JID: `12036300000000099${++created}@g.us`,
          Name: body.Name,
          Topic: "",
          invite: "NEW1",
          Participants: [
            { JID: `${OWN}@s.whatsapp.net`, IsAdmin: true, IsSuperAdmin: true },
            ...body.Participants.map((p: string) => ({ JID: `${p}@s.whatsapp.net`, IsAdmin: false, IsSuperAdmin: false })),
          ],
        };
        groups.set(g.JID, g);
        return ok(info(g));
      }
    }
    if (!group) return fail(500, "failed to get group info: info query returned status 404: item-not-found");
    switch (`${req.method} ${url.pathname}`) {
      case "GET /group/info":
        return ok(info(group));
      case "POST /user/avatar":
        return group.photo ? ok({ URL: `https://pps.whatsapp.net/v/${group.photo}.jpg`, ID: "1" }) : fail(500, "No avatar found");
      case "POST /group/name":
        group.Name = body.Name;
        return ok({ Details: "Group Name set successfully" });
      case "POST /group/topic":
        group.Topic = body.Topic;
        return ok({ Details: "Group Topic set successfully" });
      case "POST /group/photo":
        if (!String(body.Image).startsWith("data:image/jpeg;base64,")) return fail(400, 'Image data should start with "data:image/jpeg;base64,"');
        group.photo = "pic1";
        return ok({ Details: "Group Photo set successfully", PictureID: "1" });
      case "POST /group/updateparticipants": {
        for (const phone of body.Phone as string[]) {
          const pjid = `${phone}@s.whatsapp.net`;
          if (body.Action === "add") group.Participants.push({ JID: pjid, IsAdmin: false, IsSuperAdmin: false });
          if (body.Action === "remove") group.Participants = group.Participants.filter((p) => p.JID !== pjid);
          if (body.Action === "promote" || body.Action === "demote")
            for (const p of group.Participants) if (p.JID === pjid) p.IsAdmin = body.Action === "promote";
        }
        return ok({ Details: "Group Participants updated successfully" });
      }
      case "GET /group/invitelink":
        if (url.searchParams.get("reset") === "true") group.invite = `R${group.invite}`;
        return ok({ InviteLink: `https://chat.whatsapp.com/${group.invite}` });
      case "POST /group/leave":
        groups.delete(group.JID);
        return ok({ Details: "Left group successfully" });
      default:
        return fail(404, "not found");
    }
  },
});

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let wuzapi: Instance;
const base = () => `/v1/instances/${wuzapi.id}/groups`;
const G1 = "120363000000000001";

beforeAll(async () => {
  config.wuzapi = { url: `http://127.0.0.1:${server.port}`, adminToken: "admin", hmacKey: "hmac-key-for-tests-hmac-key-for-tests" };
  org = await setupOrg(app);
  [wuzapi] = (await db
    .insert(instances)
    .values({
      organizationId: org.organization.id,
      name: "WuzAPI",
      provider: "wuzapi",
      status: "connected",
      waJid: `${OWN}@s.whatsapp.net`,
      providerTokenEnc: encryptSecret(TOKEN),
    })
    .returning()) as [Instance];
});

afterAll(() => server.stop(true));

const groupEvents = async () =>
  (await db.select().from(events).where(eq(events.organizationId, org.organization.id)).orderBy(events.at)).filter((e) => e.type.startsWith("group."));

async function groupContact(groupId: string) {
  const [row] = await db
    .select({ contact: contacts })
    .from(contactIdentities)
    .innerJoin(contacts, eq(contacts.id, contactIdentities.contactId))
    .where(and(eq(contactIdentities.organizationId, org.organization.id), eq(contactIdentities.kind, "group"), eq(contactIdentities.value, groupId)));
  return row?.contact;
}

describe("WuzAPI groups through /v1/instances/:id/groups", () => {
  test("list answers each group with participants (phone, LID, admin) and keeps the group's contact", async () => {
    const res = await api(app, "GET", base(), org.key);
    expect(res.status).toBe(200);
    expect(recorded.at(-1)).toMatchObject({ method: "GET", path: "/group/list" });
    const g = res.body.data.find((x: { id: string }) => x.id === G1);
    expect(g).toMatchObject({
      subject: "Clientes VIP",
      description: "Atendimento",
      owner: `+${OWN}`,
      announce: true,
      locked: false,
      createdAt: "2026-11-01T12:00:00.000Z",
    });
    expect(g.participants).toEqual([
      { phone: `+${OWN}`, lid: null, admin: true, superAdmin: true },
      { phone: null, lid: "123456789012345", admin: false, superAdmin: false },
      { phone: "+5511955551111", lid: "999888777666555", admin: false, superAdmin: false },
    ]);
    const contact = await groupContact(G1);
    expect(contact).toMatchObject({ kind: "group", name: "Clientes VIP", phone: null });
    expect(g.contactId).toBe(contact!.id);
  });

  test("create sends the name and digits, answers the new group and records group.created", async () => {
    const res = await api(app, "POST", base(), org.key, { subject: "Pedidos", participants: ["+55 11 95555-2222", "5511955553333"] });
    expect(res.status).toBe(201);
    expect(recorded.at(-1)).toMatchObject({ path: "/group/create", body: { Name: "Pedidos", Participants: ["5511955552222", "5511955553333"] } });
    expect(res.body.subject).toBe("Pedidos");
    expect(res.body.participants.map((p: { phone: string }) => p.phone)).toEqual([`+${OWN}`, "+5511955552222", "+5511955553333"]);
    const contact = await groupContact(res.body.id);
    expect(contact).toMatchObject({ kind: "group", name: "Pedidos" });
    const created = (await groupEvents()).find((e) => e.type === "group.created")!;
    expect(created.data).toMatchObject({ groupId: res.body.id, contactId: contact!.id, subject: "Pedidos" });
  });

  test("get reads info and the picture; an unknown group is a 404", async () => {
    const res = await api(app, "GET", `${base()}/${G1}`, org.key);
    expect(res.status).toBe(200);
    expect(recorded.find((r) => r.path === "/group/info")!.query.get("groupJID")).toBe(`${G1}@g.us`);
    expect(res.body).toMatchObject({ id: G1, subject: "Clientes VIP", pictureUrl: null });
    const missing = await api(app, "GET", `${base()}/120363999999999999`, org.key);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
  });

  test("PATCH changes subject, description and picture; the contact follows and group.updated is recorded", async () => {
    const jpeg = `data:image/jpeg;base64,${Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).toString("base64")}`;
    const res = await api(app, "PATCH", `${base()}/${G1}`, org.key, { subject: "Clientes Ouro", description: "Só ouro", picture: jpeg });
    expect(res.status).toBe(200);
    expect(recorded.find((r) => r.path === "/group/name")!.body).toEqual({ GroupJID: `${G1}@g.us`, Name: "Clientes Ouro" });
    expect(recorded.find((r) => r.path === "/group/topic")!.body).toEqual({ GroupJID: `${G1}@g.us`, Topic: "Só ouro" });
    expect(recorded.find((r) => r.path === "/group/photo")!.body).toEqual({ GroupJID: `${G1}@g.us`, Image: jpeg });
    expect(res.body).toMatchObject({ subject: "Clientes Ouro", description: "Só ouro", pictureUrl: "https://pps.whatsapp.net/v/pic1.jpg" });
    expect(await groupContact(G1)).toMatchObject({ name: "Clientes Ouro", pictureUrl: "https://pps.whatsapp.net/v/pic1.jpg" });
    const updated = (await groupEvents()).find((e) => e.type === "group.updated")!;
    expect(updated.data).toMatchObject({ groupId: G1, changed: ["subject", "description", "picture"], subject: "Clientes Ouro" });
  });

  test("bad input is a 422 naming each field, in the caller's language", async () => {
    const png = `data:image/png;base64,${Buffer.from("not a jpeg").toString("base64")}`;
    const bad = await api(app, "PATCH", `${base()}/${G1}`, org.key, { subject: "x".repeat(101), picture: png }, { "accept-language": "pt-BR" });
    expect(bad.status).toBe(422);
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["subject", "picture"]));
    expect(JSON.stringify(bad.body)).toContain("O nome do grupo tem no máximo 100 caracteres");
    const empty = await api(app, "PATCH", `${base()}/${G1}`, org.key, {});
    expect(empty.status).toBe(422);
    const phones = await api(app, "POST", `${base()}/${G1}/participants`, org.key, { action: "kick", participants: ["abc"] });
    expect(phones.status).toBe(422);
    expect(phones.body.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(["action", "participants.0"]));
    const noSubject = await api(app, "POST", base(), org.key, { participants: ["+5511955552222"] });
    expect(noSubject.status).toBe(422);
    expect(noSubject.body.error.details[0].path).toBe("subject");
  });

  test("participants: add, promote, demote, remove go to /group/updateparticipants and are recorded", async () => {
    for (const action of ["add", "promote", "demote", "remove"] as const) {
      const res = await api(app, "POST", `${base()}/${G1}/participants`, org.key, { action, participants: ["+5511955554444"] });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([{ phone: "+5511955554444", ok: true, error: null }]);
      expect(recorded.at(-1)).toMatchObject({ path: "/group/updateparticipants", body: { GroupJID: `${G1}@g.us`, Phone: ["5511955554444"], Action: action } });
    }
    const changes = (await groupEvents()).filter((e) => e.type === "group.participants_changed").map((e) => e.data.action);
    expect(changes).toEqual(["add", "promote", "demote", "remove"]);
  });

  test("invite link: read, then revoke answers a new one", async () => {
    const link = await api(app, "GET", `${base()}/${G1}/invite-link`, org.key);
    expect(link.status).toBe(200);
    expect(link.body.link).toBe("https://chat.whatsapp.com/AAAA");
    expect(recorded.at(-1)!.query.get("reset")).toBe("false");
    const revoked = await api(app, "POST", `${base()}/${G1}/invite-link/revoke`, org.key);
    expect(revoked.status).toBe(200);
    expect(revoked.body.link).toBe("https://chat.whatsapp.com/RAAAA");
    expect(recorded.at(-1)!.query.get("reset")).toBe("true");
  });

  test("another organization's instance is a 404; a key without contacts:write is a 403", async () => {
    const other = await setupOrg(app);
    expect((await api(app, "GET", base(), other.key)).status).toBe(404);
    expect((await api(app, "POST", `${base()}/${G1}/leave`, other.key)).status).toBe(404);
    const reader = await setupOrg(app, { scopes: ["contacts:read"] });
    const [own] = await db
      .insert(instances)
      .values({ organizationId: reader.organization.id, name: "R", provider: "wuzapi", status: "connected", providerTokenEnc: encryptSecret(TOKEN) })
      .returning();
    expect((await api(app, "POST", `/v1/instances/${own!.id}/groups/${G1}/leave`, reader.key)).status).toBe(403);
    expect(groups.has(`${G1}@g.us`)).toBe(true);
  });

  test("leave calls /group/leave, answers 204 and records group.left", async () => {
    const res = await api(app, "POST", `${base()}/${G1}/leave`, org.key);
    expect(res.status).toBe(204);
    expect(recorded.at(-1)).toMatchObject({ path: "/group/leave", body: { GroupJID: `${G1}@g.us` } });
    expect(groups.has(`${G1}@g.us`)).toBe(false);
    expect((await groupEvents()).some((e) => e.type === "group.left" && e.data.groupId === G1)).toBe(true);
  });
});
