import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, contactIdentities, contacts, conversations, instances, messages, organizations } from "@/db/schema";
import { groupRefreshesSettled } from "@/features/contacts/identity.service";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { createTemplate } from "@/features/templates/template.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { encryptSecret } from "@/lib/crypto";
import { runOutboundOnce } from "@/workers/outbound.worker";
import type { Instance } from "@/db/schema";
import type { InboundEvent } from "@/providers/provider";
import { api } from "../helpers/client";
import { portugueseOrg, setupOrg } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";

/**
 * A WuzAPI server as its handlers.go answers: `{code, data, success}`; `GET /group/info?groupJID=`
 * (whatsmeow GroupInfo), `POST /user/avatar` (ProfilePictureInfo), `POST /chat/send/text` whose
 * `Phone` is digits or a whole JID (parseJID). Every request is recorded.
 */
type Recorded = { method: string; path: string; query: URLSearchParams; body: any };
const recorded: Recorded[] = [];
const TOKEN = "user-token-groups";
const GROUP = "120363040000000001";
let sent = 0;
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
    switch (`${req.method} ${url.pathname}`) {
      case "GET /group/info":
        return ok({
          JID: url.searchParams.get("groupJID"),
          Name: "Equipe Vendas",
          Topic: "Pedidos do dia",
          Participants: [{ JID: "5511955550001@s.whatsapp.net", IsAdmin: true }, { JID: "5511955550002@s.whatsapp.net" }],
        });
      case "POST /user/avatar":
        return ok({ URL: "https://pps.whatsapp.net/v/group.jpg", ID: "1730", Type: "preview" });
      case "POST /chat/send/text":
        return ok({ Details: "Sent", Id: `3EB0GROUP${++sent}`, Timestamp: 1_700_000_000 });
      default:
        return Response.json({ code: 404, error: "not found", success: false }, { status: 404 });
    }
  },
});

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let wuzapi: Instance;
let seq = 0;

beforeAll(async () => {
  config.wuzapi = { url: `http://127.0.0.1:${server.port}`, adminToken: "admin", hmacKey: "hmac-key-for-tests-hmac-key-for-tests" };
  org = await setupOrg(app);
  [wuzapi] = (await db
    .insert(instances)
    .values({ organizationId: org.organization.id, name: "WuzAPI", provider: "wuzapi", status: "connected", providerTokenEnc: encryptSecret(TOKEN) })
    .returning()) as [Instance];
});

afterAll(async () => {
  await groupRefreshesSettled();
  server.stop(true);
});

const groupMessage = (body: string, sender: { phone: string; name?: string }): InboundEvent => ({
  kind: "message",
  providerMessageId: `G-${++seq}`,
  from: sender.phone,
  fromName: sender.name,
  sender,
  group: { id: `${GROUP}@g.us` },
  type: "text",
  body,
  timestamp: new Date(),
});

const sentTexts = () => recorded.filter((r) => r.path === "/chat/send/text");

describe("a WuzAPI group", () => {
  let groupId: string;
  let conversationId: string;

  test("messages land in one group conversation with each participant as sender; subject and picture are fetched once", async () => {
    const first = await ingestInbound(wuzapi, groupMessage("bom dia, grupo", { phone: "5511955550001", name: "Ana" }));
    const second = await ingestInbound(wuzapi, groupMessage("bom dia!", { phone: "5511955550002", name: "Bruno" }));
    if (first.kind !== "message" || second.kind !== "message") throw new Error("unexpected");
    expect(first.contact).toMatchObject({ kind: "group", phone: null });
    expect(second.contact!.id).toBe(first.contact!.id);
    expect(second.conversation!.id).toBe(first.conversation!.id);
    groupId = first.contact!.id;
    conversationId = first.conversation!.id;

    const senders = await db
      .select({ name: contacts.name, phone: contacts.phone, kind: contacts.kind })
      .from(messages)
      .innerJoin(contacts, eq(contacts.id, messages.senderContactId))
      .where(eq(messages.conversationId, conversationId))
      .orderBy(messages.createdAt);
    expect(senders).toEqual([
      { name: "Ana", phone: "+5511955550001", kind: "person" },
      { name: "Bruno", phone: "+5511955550002", kind: "person" },
    ]);
    // No private conversation was opened with either participant.
    const ana = (await byPhone("+5511955550001"))!;
    const privateOnes = await db
      .select()
      .from(conversations)
      .where(and(eq(conversations.instanceId, wuzapi.id), eq(conversations.contactId, ana.id)));
    expect(privateOnes).toHaveLength(0);

    await groupRefreshesSettled();
    const group = (await db.select().from(contacts).where(eq(contacts.id, groupId)))[0]!;
    expect(group).toMatchObject({ name: "Equipe Vendas", pictureUrl: "https://pps.whatsapp.net/v/group.jpg" });
    expect(group.profileFetchedAt).toBeInstanceOf(Date);
    const infoCalls = recorded.filter((r) => r.path === "/group/info");
    expect(infoCalls).toHaveLength(1);
    expect(infoCalls[0]!.query.get("groupJID")).toBe(`${GROUP}@g.us`);
    expect(recorded.find((r) => r.path === "/user/avatar")!.body).toEqual({ Phone: `${GROUP}@g.us`, Preview: true });

    // A later message within the day does not ask again.
    await ingestInbound(wuzapi, groupMessage("mais uma", { phone: "5511955550001" }));
    await groupRefreshesSettled();
    expect(recorded.filter((r) => r.path === "/group/info")).toHaveLength(1);
  });

  test("the inbox lists the group by its subject and names each participant in the thread", async () => {
    const res = await org.client.get(`/inbox/${conversationId}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Equipe Vendas");
    expect(html).toMatch(/class="badge badge-muted">group</);
    expect(html).toMatch(/class="sender small">Ana<\/span>/);
    expect(html).toMatch(/class="sender small">Bruno<\/span>/);
  });

  test("the conversations API names the participant of each group message", async () => {
    const res = await api(app, "GET", `/v1/conversations/${conversationId}/messages?order=asc`, org.key);
    expect(res.status).toBe(200);
    const senders = res.body.data.map((m: { sender: { name: string } | null }) => m.sender?.name);
    expect(senders).toEqual(["Ana", "Bruno", "Ana"]);
    const list = await api(app, "GET", "/v1/conversations", org.key);
    expect(list.body.data.find((c: { id: string }) => c.id === conversationId).contact).toMatchObject({ kind: "group", name: "Equipe Vendas", phone: null });
  });

  test("an inbox reply goes to the group JID, not to a participant", async () => {
    const res = await org.client.postForm(`/inbox/${conversationId}/reply`, { body: "Olá, equipe", kind: "reply" }, { htmx: true });
    expect(res.status).toBeLessThan(400);
    expect(await runOutboundOnce()).toBe(1);
    const call = sentTexts().at(-1)!;
    expect(call.body).toEqual({ Phone: `${GROUP}@g.us`, Body: "Olá, equipe" });
    const [reply] = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.body, "Olá, equipe")));
    expect(reply).toMatchObject({ status: "sent", direction: "outbound", contactId: groupId });
  });

  test("the API sends to the group by contactId; another organization's contact id is a 404", async () => {
    const res = await api(app, "POST", "/v1/messages", org.key, { instanceId: wuzapi.id, contactId: groupId, type: "text", text: "pelo API" });
    expect(res.status).toBe(202);
    expect(await runOutboundOnce()).toBe(1);
    expect(sentTexts().at(-1)!.body).toEqual({ Phone: `${GROUP}@g.us`, Body: "pelo API" });

    const other = await setupOrg(app);
    const [otherInstance] = await db
      .insert(instances)
      .values({ organizationId: other.organization.id, name: "Other", provider: "sandbox", status: "connected" })
      .returning();
    const notFound = await api(app, "POST", "/v1/messages", other.key, { instanceId: otherInstance!.id, contactId: groupId, type: "text", text: "x" });
    expect(notFound.status).toBe(404);
  });

  test("both to and contactId, or neither, is a 422 naming the field", async () => {
    const both = await api(app, "POST", "/v1/messages", org.key, { instanceId: wuzapi.id, to: "+5511955550001", contactId: groupId, type: "text", text: "x" });
    expect(both.status).toBe(422);
    expect(JSON.stringify(both.body)).toContain("contactId");
    const neither = await api(app, "POST", "/v1/messages", org.key, { instanceId: wuzapi.id, type: "text", text: "x" });
    expect(neither.status).toBe(422);
    expect(JSON.stringify(neither.body)).toContain('"to"');
  });
});

async function byPhone(phone: string) {
  return (
    await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, org.organization.id), eq(contacts.phone, phone)))
  )[0];
}

describe("contacts known only by a LID or a business-scoped id", () => {
  test("WuzAPI sends to the LID JID", async () => {
    const lid = await ingestInbound(wuzapi, {
      kind: "message",
      providerMessageId: `L-${++seq}`,
      from: "",
      sender: { lid: "98765000111@lid" },
      type: "text",
      body: "oi",
      timestamp: new Date(),
    });
    if (lid.kind !== "message") throw new Error("unexpected");
    const res = await api(app, "POST", "/v1/messages", org.key, { instanceId: wuzapi.id, contactId: lid.contact!.id, type: "text", text: "resposta" });
    expect(res.status).toBe(202);
    expect(await runOutboundOnce()).toBe(1);
    expect(sentTexts().at(-1)!.body).toEqual({ Phone: "98765000111@lid", Body: "resposta" });

    // The API and the contact page show who the contact is on WhatsApp; another organization reads 404.
    const read = await api(app, "GET", `/v1/contacts/${lid.contact!.id}`, org.key);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: lid.contact!.id, kind: "person", phone: null, identities: [{ kind: "lid", value: "98765000111" }] });
    const page = await (await org.client.get(`/contacts/${lid.contact!.id}`)).text();
    expect(page).toContain("WhatsApp LID");
    expect(page).toContain("<code>98765000111</code>");
    const stranger = await setupOrg(app);
    expect((await api(app, "GET", `/v1/contacts/${lid.contact!.id}`, stranger.key)).status).toBe(404);
  });

  test("a provider that cannot reach the identity answers 422 naming why, in the caller's language", async () => {
    const pt = await portugueseOrg(app);
    const [cloud] = await db
      .insert(instances)
      .values({ organizationId: pt.organization.id, name: "Cloud", provider: "cloud", status: "connected" })
      .returning();
    const [lidOnly] = await db.insert(contacts).values({ organizationId: pt.organization.id, phone: null, name: "Só LID" }).returning();
    await db.insert(contactIdentities).values({ organizationId: pt.organization.id, contactId: lidOnly!.id, kind: "lid", value: "555123" });
    const refused = await api(
      app,
      "POST",
      "/v1/messages",
      pt.key,
      { instanceId: cloud!.id, contactId: lidOnly!.id, type: "text", text: "oi" },
      { "accept-language": "pt-BR" },
    );
    expect(refused.status).toBe(422);
    const body = refused.body as { error: { code: string; details: { path: string; message: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details[0]!.path).toBe("contactId");
    expect(body.error.details[0]!.message).toContain("LID do WhatsApp");
    expect(body.error.details[0]!.message).toContain("cloud");
    expect(await db.select().from(messages).where(eq(messages.contactId, lidOnly!.id))).toHaveLength(0);

    const en = await api(app, "POST", "/v1/messages", pt.key, { instanceId: cloud!.id, contactId: lidOnly!.id, type: "text", text: "oi" });
    expect(en.status).toBe(422);
    expect(en.body.error.details[0].message).toBe("This contact is known only by WhatsApp LID, and this instance's provider cloud cannot send to it");
  });
});

describe("automation in groups", () => {
  test("off by default; on once the organization turns it on in settings", async () => {
    const owner = await setupOrg(app);
    const orgId = owner.organization.id;
    const [instance] = (await db.insert(instances).values({ organizationId: orgId, name: "Bot", provider: "sandbox", status: "connected" }).returning()) as [
      Instance,
    ];
    await createTemplate(systemCaller("test", orgId), { key: "hi", body: "Olá!", variants: [], variables: [], active: true });
    await createTrigger(systemCaller("test", orgId), triggerSchema.parse({ match: "any", action: "reply_template", templateKey: "hi" }));
    const outbound = async () =>
      db
        .select()
        .from(messages)
        .where(and(eq(messages.instanceId, instance.id), eq(messages.direction, "outbound")));

    const inGroup = await ingestInbound(instance, groupMessage("oi", { phone: "5511944440001" }));
    if (inGroup.kind !== "message") throw new Error("unexpected");
    await inGroup.hooks;
    expect(await outbound()).toHaveLength(0);

    // A private chat on the same instance is answered as before.
    const direct = await ingestInbound(instance, {
      kind: "message",
      providerMessageId: `D-${++seq}`,
      from: "5511944440001",
      type: "text",
      body: "oi",
      timestamp: new Date(),
    });
    if (direct.kind !== "message") throw new Error("unexpected");
    await direct.hooks;
    expect((await outbound()).map((m) => m.contactId)).toEqual([direct.contact!.id]);

    const saved = await owner.client.postForm("/settings/groups", { automationInGroups: "on" }, { htmx: true });
    expect(saved.status).toBeLessThan(400);
    expect((await db.select().from(organizations).where(eq(organizations.id, orgId)))[0]!.automationInGroups).toBe(true);

    const again = await ingestInbound(instance, groupMessage("oi de novo", { phone: "5511944440002" }));
    if (again.kind !== "message") throw new Error("unexpected");
    await again.hooks;
    const replies = await outbound();
    expect(replies.map((m) => m.contactId).sort()).toEqual([direct.contact!.id, again.contact!.id].sort());
    expect(replies.find((m) => m.contactId === again.contact!.id)!.body).toBe("Olá!");
  });
});

describe("merging two contacts by hand", () => {
  test("POST /v1/contacts/:id/merge folds the other contact in, audited as the key; 404 across organizations, 422 for itself or a group", async () => {
    const a = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511933331111", name: "Pedro", tags: ["vip"] });
    const b = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511933332222", tags: ["lead"] });
    expect([a.status, b.status]).toEqual([201, 201]);
    await ingestInbound(wuzapi, {
      kind: "message",
      providerMessageId: `M-${++seq}`,
      from: "5511933332222",
      type: "text",
      body: "outro número",
      timestamp: new Date(),
    });

    expect((await api(app, "POST", `/v1/contacts/${a.body.id}/merge`, org.key, { contactId: a.body.id })).status).toBe(422);
    const badId = await api(app, "POST", `/v1/contacts/${a.body.id}/merge`, org.key, { contactId: "nope" }, { "accept-language": "pt-BR" });
    expect(badId.status).toBe(422);
    expect(JSON.stringify(badId.body)).toContain("contactId deve ser o id do contato a unir");
    const [group] = await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, org.organization.id), eq(contacts.kind, "group")));
    const mixed = await api(app, "POST", `/v1/contacts/${a.body.id}/merge`, org.key, { contactId: group!.id });
    expect(mixed.status).toBe(422);
    expect(mixed.body.error.details[0].message).toBe("A group merges only with a group, and a person with a person");
    const stranger = await setupOrg(app);
    expect((await api(app, "POST", `/v1/contacts/${a.body.id}/merge`, stranger.key, { contactId: b.body.id })).status).toBe(404);

    const merged = await api(app, "POST", `/v1/contacts/${a.body.id}/merge`, org.key, { contactId: b.body.id });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ id: a.body.id, phone: "+5511933331111", name: "Pedro" });
    expect(merged.body.tags.sort()).toEqual(["lead", "vip"]);
    expect((await api(app, "GET", `/v1/contacts/${b.body.id}`, org.key)).status).toBe(404);
    const moved = await db.select().from(messages).where(eq(messages.body, "outro número"));
    expect(moved[0]!.contactId).toBe(a.body.id);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.action, "contact.merged"), eq(auditLogs.targetId, a.body.id)));
    expect(audit).toMatchObject({ actorType: "api_key", details: { mergedContactId: b.body.id, mergedPhone: "+5511933332222", reason: "manual" } });
  });
});

describe("merging from the contact page", () => {
  test("an admin merges the contact of a typed phone into this one; an unknown phone re-renders with the error", async () => {
    const keep = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511944445555", name: "Rita" });
    const other = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511988886666", tags: ["b"] });
    const page = await (await org.client.get(`/contacts/${keep.body.id}`)).text();
    expect(page).toContain(`action="/contacts/${keep.body.id}/merge"`);

    const unknown = await org.client.postForm(`/contacts/${keep.body.id}/merge`, { phone: "+5511900009999" });
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain("No contact has the phone +5511900009999");

    // Typed as people type it, without the ninth digit.
    const merged = await org.client.postForm(`/contacts/${keep.body.id}/merge`, { phone: "(11) 8888-6666" }, { htmx: true });
    expect(merged.status).toBeLessThan(400);
    expect((await api(app, "GET", `/v1/contacts/${other.body.id}`, org.key)).status).toBe(404);
    const kept = await api(app, "GET", `/v1/contacts/${keep.body.id}`, org.key);
    expect(kept.body.tags).toEqual(["b"]);
  });
});
