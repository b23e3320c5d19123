import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, contacts, conversations, events, instances, messages, organizations } from "@/db/schema";
import { encryptSecret } from "@/lib/crypto";
import { encryptCloudConfig } from "@/providers/cloud";
import { sandboxIdle, sandboxTiming } from "@/providers/sandbox";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { createTemplate } from "@/features/templates/template.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { systemCaller } from "@/lib/caller";
import { runOutboundOnce } from "@/workers/outbound.worker";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox } from "./helpers";

const app = createApp();
const TO = "+5511999990001";

/**
 * A WuzAPI server speaking handlers.go: `/chat/send/*` (with whatsmeow's `ContextInfo`), `/chat/send/edit
 * {Phone, Body, Id}`, `/chat/delete {Phone, Id}`, `/chat/presence {Phone, State, Media}`, behind `Token`.
 */
const wuz = { server: undefined as ReturnType<typeof Bun.serve> | undefined, calls: [] as { path: string; body: any }[], nextId: 1 };

beforeAll(() => {
  wuz.server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (req.headers.get("token") !== "user-token") return Response.json({ code: 401, error: "unauthorized", success: false }, { status: 401 });
      const body = (await req.json()) as any;
      wuz.calls.push({ path: url.pathname, body });
      // SendPoll reads `group` (any JID); every other handler `Phone`.
      if (url.pathname === "/chat/send/poll" ? !body.group || !body.header || body.options?.length < 2 : !body.Phone)
        return Response.json({ code: 400, error: "Missing Phone in Payload", success: false }, { status: 400 });
      if (url.pathname.startsWith("/chat/send/") || url.pathname === "/chat/delete") {
        const id = url.pathname === "/chat/send/edit" || url.pathname === "/chat/delete" ? body.Id : `WA${wuz.nextId++}`;
        return Response.json({ code: 200, data: { Details: "Sent", Id: id, Timestamp: Date.now() }, success: true });
      }
      if (url.pathname === "/chat/presence") return Response.json({ code: 200, data: { Details: "Chat presence set successfuly" }, success: true });
      return Response.json({ code: 404, error: "not found", success: false }, { status: 404 });
    },
  });
  config.wuzapi.url = `http://127.0.0.1:${wuz.server.port}`;
  config.wuzapi.adminToken = "admin";
  sandboxTiming.sentMs = 0;
  sandboxTiming.deliveredMs = 5;
  sandboxTiming.readMs = 10;
});
afterAll(() => wuz.server?.stop(true));
beforeEach(() => {
  wuz.calls = [];
});

async function row(id: string) {
  const [r] = await db.select().from(messages).where(eq(messages.id, id));
  return r!;
}

async function sentText(key: string, instanceId: string, text = "Olá", extra: Record<string, unknown> = {}) {
  const res = await api(app, "POST", "/v1/messages", key, { to: TO, instanceId, type: "text", text, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
  const stored = await row(res.body.id);
  expect(stored.providerMessageId).toBeTruthy();
  return stored;
}

const code = (res: { body: any }) => res.body.error?.code;
const paths = (res: { body: any }) => (res.body.error?.details ?? []).map((d: { path: string }) => d.path);

describe("outbound features on the sandbox", () => {
  test("reply, edit within the window, delete for everyone, presence; another org's ids are 404", async () => {
    const { key } = await setupOrg(app);
    const instanceId = await connectedSandbox(app, key);
    const first = await sentText(key, instanceId, "Primeira");

    // Reply: stored with the quoted message's provider id and our id of it.
    const reply = await sentText(key, instanceId, "Resposta", { replyTo: first.id });
    expect(reply.quotedProviderMessageId).toBe(first.providerMessageId);
    expect(reply.replyToMessageId).toBe(first.id);
    expect(reply.context).toEqual({ quote: { fromMe: true } });
    const got = await api(app, "GET", `/v1/messages/${reply.id}`, key);
    expect(got.body).toMatchObject({ quotedProviderMessageId: first.providerMessageId, replyToMessageId: first.id });

    // Edit: the new text, the old one kept.
    const edited = await api(app, "PATCH", `/v1/messages/${first.id}`, key, { text: "Primeira (editada)" });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body).toMatchObject({ id: first.id, body: "Primeira (editada)", previousVersions: [{ body: "Primeira" }] });
    expect(edited.body.editedAt).toBeString();

    // Outside WhatsApp's 15 minutes: 422 saying so.
    await db
      .update(messages)
      .set({ sentAt: new Date(Date.now() - 16 * 60_000) })
      .where(eq(messages.id, reply.id));
    const late = await api(app, "PATCH", `/v1/messages/${reply.id}`, key, { text: "tarde" });
    expect(late.status).toBe(422);
    expect(late.body.error.message).toContain("15 minutes");
    expect((await row(reply.id)).body).toBe("Resposta");
    const latePt = await api(app, "PATCH", `/v1/messages/${reply.id}`, key, { text: "tarde" }, { "accept-language": "pt-BR" });
    expect(latePt.body.error.message).toContain("15 minutos");

    // An empty text is a field error.
    const empty = await api(app, "PATCH", `/v1/messages/${first.id}`, key, { text: "" });
    expect(empty.status).toBe(422);
    expect(new Set(paths(empty))).toEqual(new Set(["text"]));

    // Delete for everyone.
    const deleted = await api(app, "DELETE", `/v1/messages/${reply.id}`, key);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body.deletedAt).toBeString();
    expect((await row(reply.id)).deletedAt).toBeInstanceOf(Date);
    // Webhooks and streams see our own changes as they see the contact's.
    const changes = await db.select().from(events).where(sql`${events.data}->'message'->>'id' in (${first.id}, ${reply.id})`);
    expect(changes.filter((e) => e.type === "message.edited").map((e) => e.data)).toEqual([
      { message: expect.objectContaining({ id: first.id, body: "Primeira (editada)", previousBody: "Primeira", direction: "outbound" }) },
    ]);
    expect(changes.filter((e) => e.type === "message.deleted").map((e) => e.data)).toEqual([
      { message: expect.objectContaining({ id: reply.id, contentKept: true }) },
    ]);
    const again = await api(app, "DELETE", `/v1/messages/${reply.id}`, key);
    expect(again.status).toBe(422);
    expect(again.body.error.message).toBe("This message was deleted");

    // Presence, each state; a bad one is a field error.
    const [conv] = await db.select().from(conversations).where(eq(conversations.instanceId, instanceId));
    for (const state of ["typing", "recording", "paused"]) {
      const res = await api(app, "POST", `/v1/conversations/${conv!.id}/presence`, key, { state });
      expect(res.status, JSON.stringify(res.body)).toBe(204);
    }
    const bad = await api(app, "POST", `/v1/conversations/${conv!.id}/presence`, key, { state: "dancing" });
    expect(bad.status).toBe(422);
    expect(paths(bad)).toEqual(["state"]);
    const badPt = await api(app, "POST", `/v1/conversations/${conv!.id}/presence`, key, { state: "dancing" }, { "accept-language": "pt-BR" });
    expect(badPt.body.error.details[0].message).toBe("state deve ser typing, recording ou paused");

    // Another organization sees none of it.
    const other = await setupOrg(app);
    expect((await api(app, "PATCH", `/v1/messages/${first.id}`, other.key, { text: "x" })).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/messages/${first.id}`, other.key)).status).toBe(404);
    expect((await api(app, "POST", `/v1/conversations/${conv!.id}/presence`, other.key, { state: "typing" })).status).toBe(404);
    expect((await api(app, "POST", `/v1/conversations/${crypto.randomUUID()}/presence`, key, { state: "typing" })).status).toBe(404);
    // A reply to another org's message is a field error on replyTo (nothing stored).
    const otherInstance = await connectedSandbox(app, other.key);
    const cross = await api(app, "POST", "/v1/messages", other.key, { to: TO, instanceId: otherInstance, type: "text", text: "x", replyTo: first.id });
    expect(cross.status).toBe(422);
    expect(paths(cross)).toEqual(["replyTo"]);
    await sandboxIdle();
  });

  test("received messages and unsent ones cannot be edited or deleted; only text is edited", async () => {
    const { key } = await setupOrg(app);
    const instanceId = await connectedSandbox(app, key);
    const queued = await api(app, "POST", "/v1/messages", key, { to: TO, instanceId, type: "text", text: "na fila" });
    const unsent = await api(app, "PATCH", `/v1/messages/${queued.body.id}`, key, { text: "x" });
    expect(unsent.status).toBe(422);
    expect(unsent.body.error.message).toContain("not reached WhatsApp");
    await runOutboundOnce();
    const loc = await api(app, "POST", "/v1/messages", key, { to: TO, instanceId, type: "location", location: { latitude: 1, longitude: 2 } });
    await runOutboundOnce();
    const notText = await api(app, "PATCH", `/v1/messages/${loc.body.id}`, key, { text: "x" });
    expect(notText.status).toBe(422);
    expect(notText.body.error.message).toBe("Only text messages can be edited");
    // A received message (as the inbound pipeline stores it).
    await db.update(messages).set({ direction: "inbound" }).where(eq(messages.id, loc.body.id));
    const inbound = await api(app, "DELETE", `/v1/messages/${loc.body.id}`, key);
    expect(inbound.status).toBe(422);
    expect(inbound.body.error.message).toBe("Only messages you sent can be edited or deleted for everyone");
    await sandboxIdle();
  });
});

async function providerInstance(provider: "wuzapi" | "cloud") {
  const org = await setupOrg(app);
  const [instance] = await db
    .insert(instances)
    .values({
      organizationId: org.organization.id,
      name: provider,
      provider,
      status: "connected",
      waJid: "5491155554444@s.whatsapp.net",
      ...(provider === "wuzapi"
        ? { providerInstanceId: "u-1", providerTokenEnc: encryptSecret("user-token") }
        : { providerConfig: encryptCloudConfig({ phoneNumberId: "1234", accessToken: "t", appSecret: "s", verifyToken: "v" }) }),
    })
    .returning();
  return { ...org, instanceId: instance!.id };
}

/** A message already sent through a Cloud instance (stored directly: a free-form send needs the contact's 24 h window). */
async function cloudSent(organizationId: string, instanceId: string) {
  const [contact] = await db.insert(contacts).values({ organizationId, phone: TO }).returning();
  const [conversation] = await db.insert(conversations).values({ organizationId, instanceId, contactId: contact!.id }).returning();
  const [message] = await db
    .insert(messages)
    .values({
      organizationId,
      instanceId,
      conversationId: conversation!.id,
      contactId: contact!.id,
      direction: "outbound",
      type: "text",
      body: "x",
      status: "sent",
      providerMessageId: `wamid.${crypto.randomUUID()}`,
      sentAt: new Date(),
    })
    .returning();
  return message!;
}

describe("WuzAPI maps every feature to its documented calls", () => {
  test("reply and mentions ride in ContextInfo; edit, delete and presence call their endpoints", async () => {
    const { key, instanceId } = await providerInstance("wuzapi");
    const first = await sentText(key, instanceId, "Primeira");
    expect(wuz.calls[0]).toEqual({ path: "/chat/send/text", body: { Phone: "5511999990001", Body: "Primeira" } });

    await sentText(key, instanceId, "Oi @5511988887777", { replyTo: first.id, mentions: ["+55 11 98888-7777"] });
    expect(wuz.calls[1]).toEqual({
      path: "/chat/send/text",
      body: {
        Phone: "5511999990001",
        Body: "Oi @5511988887777",
        // Our own message is quoted with our own JID as its participant.
        ContextInfo: { StanzaID: first.providerMessageId, Participant: "5491155554444@s.whatsapp.net", MentionedJID: ["5511988887777@s.whatsapp.net"] },
      },
    });

    // A reply to the contact's message names the contact as its author.
    await db.insert(messages).values({
      organizationId: (await db.select().from(instances).where(eq(instances.id, instanceId)))[0]!.organizationId,
      instanceId,
      conversationId: first.conversationId,
      contactId: first.contactId,
      direction: "inbound",
      type: "text",
      body: "pergunta",
      providerMessageId: "3EB0INBOUND",
      status: "received" as never,
    });
    const [inbound] = await db.select().from(messages).where(eq(messages.providerMessageId, "3EB0INBOUND"));
    await sentText(key, instanceId, "resposta", { replyTo: inbound!.id });
    expect(wuz.calls[2]!.body.ContextInfo).toEqual({ StanzaID: "3EB0INBOUND", Participant: "5511999990001@s.whatsapp.net" });

    const edited = await api(app, "PATCH", `/v1/messages/${first.id}`, key, { text: "Editada" });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(wuz.calls[3]).toEqual({ path: "/chat/send/edit", body: { Phone: "5511999990001", Body: "Editada", Id: first.providerMessageId } });

    const deleted = await api(app, "DELETE", `/v1/messages/${first.id}`, key);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(wuz.calls[4]).toEqual({ path: "/chat/delete", body: { Phone: "5511999990001", Id: first.providerMessageId } });

    for (const state of ["typing", "recording", "paused"]) {
      expect((await api(app, "POST", `/v1/conversations/${first.conversationId}/presence`, key, { state })).status).toBe(204);
    }
    expect(wuz.calls.slice(5)).toEqual([
      { path: "/chat/presence", body: { Phone: "5511999990001", State: "composing" } },
      { path: "/chat/presence", body: { Phone: "5511999990001", State: "composing", Media: "audio" } },
      { path: "/chat/presence", body: { Phone: "5511999990001", State: "paused" } },
    ]);
  });
});

describe("Cloud refuses what Meta does not offer, before any call", () => {
  test("edit, delete, mentions and recording: 422 unsupported_by_provider naming cloud and the feature", async () => {
    const { key, instanceId, organization } = await providerInstance("cloud");
    const res = await api(app, "POST", "/v1/messages", key, { to: TO, instanceId, type: "text", text: "x", mentions: ["+5511988887777"] });
    expect(res.status).toBe(422);
    expect(code(res)).toBe("unsupported_by_provider");
    expect(paths(res)).toEqual(["mentions"]);
    expect(res.body.error.message).toBe("This instance's provider, cloud, does not offer mentions in groups");
    const pt = await api(
      app,
      "POST",
      "/v1/messages",
      key,
      { to: TO, instanceId, type: "text", text: "x", mentions: ["+5511988887777"] },
      { "accept-language": "pt-BR" },
    );
    expect(pt.body.error.message).toBe("O provedor cloud desta instância não oferece menções em grupos");

    // A sent message, to edit and delete.
    const queued = { body: await cloudSent(organization.id, instanceId) };
    const edit = await api(app, "PATCH", `/v1/messages/${queued.body.id}`, key, { text: "y" });
    expect(edit.status).toBe(422);
    expect(code(edit)).toBe("unsupported_by_provider");
    expect(edit.body.error.message).toBe("This instance's provider, cloud, does not offer editing messages");
    const del = await api(app, "DELETE", `/v1/messages/${queued.body.id}`, key);
    expect(code(del)).toBe("unsupported_by_provider");
    const [conv] = await db.select().from(conversations).where(eq(conversations.instanceId, instanceId));
    const recording = await api(app, "POST", `/v1/conversations/${conv!.id}/presence`, key, { state: "recording" });
    expect(recording.status).toBe(422);
    expect(recording.body.error.message).toBe(`This instance's provider, cloud, does not offer the "recording audio" indicator`);
    // Nothing changed.
    const [after] = await db.select().from(messages).where(sql`${messages.id} = ${queued.body.id}`);
    expect(after).toMatchObject({ body: "x", deletedAt: null, editedAt: null });
  });
});

describe("polls", () => {
  test("sandbox and WuzAPI send a poll (question and options, kept in context.poll); Cloud refuses it; bad options are field errors", async () => {
    const poll = { name: "Qual horário?", options: ["Manhã", "Tarde", "Noite"] };
    const { key } = await setupOrg(app);
    const sandbox = await connectedSandbox(app, key);
    const res = await api(app, "POST", "/v1/messages", key, { to: TO, instanceId: sandbox, type: "poll", poll });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    const stored = await row(res.body.id);
    expect(stored).toMatchObject({ type: "poll", body: "Qual horário?", status: "sent", context: { poll: { ...poll, selectableCount: 1 } } });
    await sandboxIdle();

    const one = await api(app, "POST", "/v1/messages", key, { to: TO, instanceId: sandbox, type: "poll", poll: { name: "x", options: ["só uma"] } });
    expect(one.status).toBe(422);
    expect(paths(one)).toEqual(["poll.options"]);
    const same = await api(
      app,
      "POST",
      "/v1/messages",
      key,
      { to: TO, instanceId: sandbox, type: "poll", poll: { name: "x", options: ["a", "a"] } },
      { "accept-language": "pt-BR" },
    );
    expect(same.body.error.details[0]).toEqual({ path: "poll.options", message: "As opções da enquete devem ser diferentes entre si" });

    const wz = await providerInstance("wuzapi");
    const sent = await api(app, "POST", "/v1/messages", wz.key, { to: TO, instanceId: wz.instanceId, type: "poll", poll });
    expect(sent.status).toBe(202);
    expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    expect(wuz.calls.at(-1)).toEqual({
      path: "/chat/send/poll",
      body: { group: "5511999990001", header: "Qual horário?", options: ["Manhã", "Tarde", "Noite"] },
    });
    expect((await row(sent.body.id)).status).toBe("sent");

    const cloud = await providerInstance("cloud");
    const refused = await api(app, "POST", "/v1/messages", cloud.key, { to: TO, instanceId: cloud.instanceId, type: "poll", poll });
    expect(refused.status).toBe(422);
    expect(code(refused)).toBe("unsupported_by_provider");
    expect(refused.body.error.message).toBe("This instance's provider, cloud, does not offer polls");
  });
});

describe("forward", () => {
  test("a copy labelled forwarded: sandbox and WuzAPI (ContextInfo.IsForwarded); Cloud refuses; reactions and other orgs' messages cannot be forwarded", async () => {
    const { key } = await setupOrg(app);
    const sandbox = await connectedSandbox(app, key);
    const original = await sentText(key, sandbox, "Encaminhe isto");
    const res = await api(app, "POST", `/v1/messages/${original.id}/forward`, key, { to: "+5511977776666" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    const copy = await row(res.body.id);
    expect(copy).toMatchObject({ type: "text", body: "Encaminhe isto", status: "sent", context: { forwarded: true }, instanceId: sandbox });
    expect(copy.conversationId).not.toBe(original.conversationId);
    await sandboxIdle();

    const noTarget = await api(app, "POST", `/v1/messages/${original.id}/forward`, key, {});
    expect(noTarget.status).toBe(422);
    expect(paths(noTarget)).toEqual(["to"]);
    const reaction = await api(app, "POST", "/v1/messages", key, {
      to: TO,
      instanceId: sandbox,
      type: "reaction",
      reaction: { messageId: original.id, emoji: "👍" },
    });
    const fwdReaction = await api(app, "POST", `/v1/messages/${reaction.body.id}/forward`, key, { to: TO });
    expect(fwdReaction.status).toBe(422);
    expect(fwdReaction.body.error.message).toContain("cannot be forwarded");
    const other = await setupOrg(app);
    expect((await api(app, "POST", `/v1/messages/${original.id}/forward`, other.key, { to: TO })).status).toBe(404);
    await runOutboundOnce();
    await sandboxIdle();

    const wz = await providerInstance("wuzapi");
    const first = await sentText(wz.key, wz.instanceId, "Olá");
    const fwd = await api(app, "POST", `/v1/messages/${first.id}/forward`, wz.key, { to: "+5511977776666" });
    expect(fwd.status).toBe(202);
    expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    expect(wuz.calls.at(-1)).toEqual({ path: "/chat/send/text", body: { Phone: "5511977776666", Body: "Olá", ContextInfo: { IsForwarded: true } } });

    const cloud = await providerInstance("cloud");
    const queued = { body: await cloudSent(cloud.organization.id, cloud.instanceId) };
    const refused = await api(app, "POST", `/v1/messages/${queued.body.id}/forward`, cloud.key, { to: "+5511977776666" });
    expect(refused.status).toBe(422);
    expect(code(refused)).toBe("unsupported_by_provider");
    expect(refused.body.error.message).toBe("This instance's provider, cloud, does not offer forwarding messages");
  });
});

describe("voice notes", () => {
  test("an Ogg/Opus audio with voice: true goes as a voice note (WuzAPI ptt, Cloud audio.voice); anything else is a 422 on media.voice", async () => {
    const { key } = await setupOrg(app);
    const sandbox = await connectedSandbox(app, key);
    const ok = await api(app, "POST", "/v1/messages", key, {
      to: TO,
      instanceId: sandbox,
      type: "audio",
      media: { url: "https://example.com/nota.ogg", voice: true },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    expect((await row(ok.body.id)).media).toMatchObject({ url: "https://example.com/nota.ogg", voice: true });
    const mp3 = await api(app, "POST", "/v1/messages", key, {
      to: TO,
      instanceId: sandbox,
      type: "audio",
      media: { url: "https://example.com/song.mp3", voice: true },
    });
    expect(mp3.status).toBe(422);
    expect(paths(mp3)).toEqual(["media.voice"]);
    const mp3Pt = await api(
      app,
      "POST",
      "/v1/messages",
      key,
      { to: TO, instanceId: sandbox, type: "audio", media: { url: "https://example.com/song.mp3", voice: true } },
      { "accept-language": "pt-BR" },
    );
    expect(mp3Pt.body.error.details[0].message).toBe("Uma mensagem de voz (voice) precisa ser áudio Ogg/Opus");
    const declared = await api(app, "POST", "/v1/messages", key, {
      to: TO,
      instanceId: sandbox,
      type: "audio",
      media: { url: "https://example.com/a", mimeType: "audio/ogg", voice: true },
    });
    expect(declared.status).toBe(202);
    await runOutboundOnce();
    await sandboxIdle();

    const wz = await providerInstance("wuzapi");
    const sent = await api(app, "POST", "/v1/messages", wz.key, {
      to: TO,
      instanceId: wz.instanceId,
      type: "audio",
      media: { url: "https://example.com/nota.ogg", voice: true },
    });
    expect(sent.status).toBe(202);
    expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    expect(wuz.calls.at(-1)).toEqual({
      path: "/chat/send/audio",
      body: { Phone: "5511999990001", Audio: "https://example.com/nota.ogg", ptt: true, mimetype: "audio/ogg; codecs=opus" },
    });

    // Cloud's translation (Graph /messages body): audio.voice, and a reply's context.
    const { cloudMessageBody } = await import("@/providers/cloud");
    const { withCloudContext } = await import("@/providers/cloud.outbound");
    const message = {
      to: TO,
      type: "audio" as const,
      media: { url: "https://example.com/nota.ogg", voice: true },
      quoted: { providerMessageId: "wamid.Q", fromMe: false },
    };
    expect(withCloudContext(cloudMessageBody(message), message)).toMatchObject({
      type: "audio",
      audio: { link: "https://example.com/nota.ogg", voice: true },
      context: { message_id: "wamid.Q" },
    });
  });
});

describe("Cloud typing indicator", () => {
  test("answers the conversation's last received message through Graph; none received is a 422 saying so", async () => {
    const graphCalls: { path: string; body: any }[] = [];
    const graph = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        graphCalls.push({ path: new URL(req.url).pathname, body: await req.json() });
        return Response.json({ success: true });
      },
    });
    const previous = config.cloudApiBase;
    config.cloudApiBase = `http://127.0.0.1:${graph.port}/v21.0`;
    try {
      const { key, instanceId, organization } = await providerInstance("cloud");
      const sent = await cloudSent(organization.id, instanceId);
      const none = await api(app, "POST", `/v1/conversations/${sent.conversationId}/presence`, key, { state: "typing" });
      expect(none.status).toBe(422);
      expect(none.body.error.message).toBe("The Cloud API's typing indicator answers a received message, and this conversation has received none yet");
      expect(graphCalls).toEqual([]);
      await db.insert(messages).values({
        organizationId: organization.id,
        instanceId,
        conversationId: sent.conversationId,
        contactId: sent.contactId,
        direction: "inbound",
        type: "text",
        body: "oi",
        providerMessageId: "wamid.IN1",
        status: "received" as never,
      });
      const typing = await api(app, "POST", `/v1/conversations/${sent.conversationId}/presence`, key, { state: "typing" });
      expect(typing.status, JSON.stringify(typing.body)).toBe(204);
      expect(graphCalls).toEqual([
        { path: "/v21.0/1234/messages", body: { messaging_product: "whatsapp", status: "read", message_id: "wamid.IN1", typing_indicator: { type: "text" } } },
      ]);
    } finally {
      config.cloudApiBase = previous;
      graph.stop(true);
    }
  });
});

describe("interactive buttons and lists", () => {
  test("Cloud sends them natively, WuzAPI as numbered text, the sandbox as they are; WhatsApp's limits are field errors", async () => {
    const buttons = {
      body: "Confirma o pedido?",
      footer: "Loja",
      buttons: [
        { id: "yes", title: "Sim" },
        { id: "no", title: "Não" },
      ],
    };
    const list = {
      body: "Escolha o horário",
      list: {
        button: "Horários",
        sections: [
          {
            title: "Manhã",
            rows: [
              { id: "9", title: "9h", description: "café incluso" },
              { id: "10", title: "10h" },
            ],
          },
        ],
      },
    };
    const { key } = await setupOrg(app);
    const sandbox = await connectedSandbox(app, key);
    const res = await api(app, "POST", "/v1/messages", key, { to: TO, instanceId: sandbox, type: "interactive", interactive: buttons });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    expect(await row(res.body.id)).toMatchObject({
      type: "interactive",
      body: "Confirma o pedido?",
      status: "sent",
      media: { interactive: { footer: "Loja", buttons: buttons.buttons } },
    });
    await sandboxIdle();

    const four = await api(app, "POST", "/v1/messages", key, {
      to: TO,
      instanceId: sandbox,
      type: "interactive",
      interactive: { body: "x", buttons: [1, 2, 3, 4].map((i) => ({ id: `${i}`, title: `${i}` })) },
    });
    expect(four.status).toBe(422);
    expect(paths(four)).toEqual(["interactive.buttons"]);
    const both = await api(
      app,
      "POST",
      "/v1/messages",
      key,
      { to: TO, instanceId: sandbox, type: "interactive", interactive: { body: "x" } },
      { "accept-language": "pt-BR" },
    );
    expect(both.body.error.details[0]).toEqual({ path: "interactive.buttons", message: "Envie botões (buttons) ou uma lista (list), um dos dois" });

    const wz = await providerInstance("wuzapi");
    const sent = await api(app, "POST", "/v1/messages", wz.key, { to: TO, instanceId: wz.instanceId, type: "interactive", interactive: list });
    expect(sent.status).toBe(202);
    expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    expect(wuz.calls.at(-1)).toEqual({
      path: "/chat/send/text",
      body: { Phone: "5511999990001", Body: "Escolha o horário\n\n*Manhã*\n1. 9h — café incluso\n2. 10h" },
    });

    const { cloudMessageBody } = await import("@/providers/cloud");
    expect(cloudMessageBody({ to: TO, type: "interactive", interactive: buttons })).toMatchObject({
      type: "interactive",
      interactive: {
        type: "button",
        body: { text: "Confirma o pedido?" },
        footer: { text: "Loja" },
        action: {
          buttons: [
            { type: "reply", reply: { id: "yes", title: "Sim" } },
            { type: "reply", reply: { id: "no", title: "Não" } },
          ],
        },
      },
    });
    expect(cloudMessageBody({ to: TO, type: "interactive", interactive: list })).toMatchObject({
      type: "interactive",
      interactive: { type: "list", body: { text: "Escolha o horário" }, action: { button: "Horários", sections: list.list.sections } },
    });
  });
});

describe("stickers", () => {
  test("only WebP: a .webp URL or a declared image/webp is queued; a PNG is a 422 in the caller's language", async () => {
    const { key } = await setupOrg(app);
    const sandbox = await connectedSandbox(app, key);
    const send = (media: Record<string, unknown>, lang = "en") =>
      api(app, "POST", "/v1/messages", key, { to: TO, instanceId: sandbox, type: "sticker", media }, { "accept-language": lang });
    expect((await send({ url: "https://example.com/s.webp" })).status).toBe(202);
    expect((await send({ url: "https://example.com/s", mimeType: "image/webp" })).status).toBe(202);
    const png = await send({ url: "https://example.com/s.png" });
    expect(png.status).toBe(422);
    expect(png.body.error.details).toEqual([{ path: "media", message: "A sticker must be a WebP image" }]);
    expect((await send({ url: "https://example.com/s.png" }, "pt-BR")).body.error.details[0].message).toBe("Uma figurinha precisa ser uma imagem WebP");
    await runOutboundOnce();
    await sandboxIdle();
  });
});

describe("the organization's choice for buttons and lists through WuzAPI", () => {
  test("numbered text by default; an admin picks native buttons in Settings (audited), then WuzAPI gets /chat/send/buttons and /chat/send/list; a member cannot", async () => {
    const wz = await providerInstance("wuzapi");
    const page = await (await wz.client.get("/settings")).text();
    expect(page).toContain('name="interactiveMode" value="text" checked');
    const res = await wz.client.postForm("/settings/interactive", { interactiveMode: "native" }, { htmx: true });
    expect(res.status).toBeLessThan(400);
    const [org] = await db.select().from(organizations).where(eq(organizations.id, wz.organization.id));
    expect(org!.interactiveMode).toBe("native");
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, wz.organization.id), eq(auditLogs.action, "organization.interactive_mode_changed")));
    expect(audit!.details).toMatchObject({ interactiveMode: { from: "text", to: "native" } });
    const agent = await signIn(app, (await createMember(wz.organization.id, "agent")).id, wz.organization.id);
    expect((await agent.postForm("/settings/interactive", { interactiveMode: "text" }, { htmx: true })).status).toBe(403);

    const send = async (interactive: Record<string, unknown>) => {
      const r = await api(app, "POST", "/v1/messages", wz.key, { to: TO, instanceId: wz.instanceId, type: "interactive", interactive });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
      expect((await row(r.body.id)).status).toBe("sent");
      return wuz.calls.at(-1);
    };
    expect(await send({ body: "Confirma?", footer: "Loja", buttons: [{ id: "yes", title: "Sim" }] })).toEqual({
      path: "/chat/send/buttons",
      body: { Phone: "5511999990001", Title: "Confirma?\n\nLoja", Buttons: [{ ButtonId: "yes", ButtonText: "Sim" }] },
    });
    expect(await send({ body: "Escolha", list: { button: "Horários", sections: [{ title: "Manhã", rows: [{ id: "9", title: "9h" }] }] } })).toEqual({
      path: "/chat/send/list",
      body: {
        Phone: "5511999990001",
        Title: "Manhã",
        Description: "Escolha",
        ButtonText: "Horários",
        FooterText: "",
        Sections: [{ Title: "Manhã", Rows: [{ RowId: "9", Title: "9h", Description: "" }] }],
      },
    });
  });
});

describe("WuzAPI sends that cannot carry a reply or mentions", () => {
  test("a poll or native buttons/list with replyTo or mentions: 422 unsupported_by_provider naming the feature, nothing stored or sent; numbered text keeps the reply", async () => {
    const wz = await providerInstance("wuzapi");
    const first = await sentText(wz.key, wz.instanceId, "Primeira");
    const poll = { name: "Qual horário?", options: ["Manhã", "Tarde"] };
    const before = wuz.calls.length;
    const pollReply = await api(app, "POST", "/v1/messages", wz.key, { to: TO, instanceId: wz.instanceId, type: "poll", poll, replyTo: first.id });
    expect(pollReply.status).toBe(422);
    expect(code(pollReply)).toBe("unsupported_by_provider");
    expect(paths(pollReply)).toEqual(["replyTo"]);
    expect(pollReply.body.error.message).toBe("This instance's provider, wuzapi, does not offer replies quoting a message in polls");
    const pollMentions = await api(
      app,
      "POST",
      "/v1/messages",
      wz.key,
      { to: TO, instanceId: wz.instanceId, type: "poll", poll, mentions: ["+5511999990002"] },
      { "accept-language": "pt-BR" },
    );
    expect(pollMentions.status).toBe(422);
    expect(code(pollMentions)).toBe("unsupported_by_provider");
    expect(pollMentions.body.error.details).toEqual([
      { path: "mentions", message: "O provedor wuzapi desta instância não oferece menções em grupos em enquetes" },
    ]);

    // Numbered text (the default) goes through /chat/send/text, which carries the reply.
    const buttons = { body: "Confirma?", buttons: [{ id: "yes", title: "Sim" }] };
    const asText = await api(app, "POST", "/v1/messages", wz.key, {
      to: TO,
      instanceId: wz.instanceId,
      type: "interactive",
      interactive: buttons,
      replyTo: first.id,
    });
    expect(asText.status, JSON.stringify(asText.body)).toBe(202);
    expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    expect(wuz.calls.at(-1)).toMatchObject({ path: "/chat/send/text", body: { ContextInfo: { StanzaID: first.providerMessageId } } });

    await db.update(organizations).set({ interactiveMode: "native" }).where(eq(organizations.id, wz.organization.id));
    const native = await api(app, "POST", "/v1/messages", wz.key, {
      to: TO,
      instanceId: wz.instanceId,
      type: "interactive",
      interactive: buttons,
      replyTo: first.id,
    });
    expect(native.status).toBe(422);
    expect(native.body.error.message).toBe("This instance's provider, wuzapi, does not offer replies quoting a message in native buttons and lists");
    const nativeMentions = await api(app, "POST", "/v1/messages", wz.key, {
      to: TO,
      instanceId: wz.instanceId,
      type: "interactive",
      interactive: buttons,
      mentions: ["+5511999990002"],
    });
    expect(paths(nativeMentions)).toEqual(["mentions"]);
    // Only the allowed numbered-text send reached WuzAPI; the refused ones stored nothing.
    expect(wuz.calls.slice(before).map((c) => c.path)).toEqual(["/chat/send/text"]);
    const stored = await db.select({ id: messages.id }).from(messages).where(eq(messages.instanceId, wz.instanceId));
    expect(stored).toHaveLength(2);
  });
});

describe("delete for everyone window", () => {
  test("up to 60 hours after sending it is deleted; later is a 422 in the caller's language and nothing reaches WuzAPI", async () => {
    const wz = await providerInstance("wuzapi");
    const recent = await sentText(wz.key, wz.instanceId, "Recente");
    const old = await sentText(wz.key, wz.instanceId, "Antiga");
    await db
      .update(messages)
      .set({ sentAt: new Date(Date.now() - 59 * 3_600_000) })
      .where(eq(messages.id, recent.id));
    await db
      .update(messages)
      .set({ sentAt: new Date(Date.now() - 61 * 3_600_000) })
      .where(eq(messages.id, old.id));
    wuz.calls = [];

    const late = await api(app, "DELETE", `/v1/messages/${old.id}`, wz.key);
    expect(late.status).toBe(422);
    expect(late.body.error.message).toBe("WhatsApp only allows deleting a message for everyone up to 60 hours after it was sent");
    expect(paths(late)).toEqual(["id"]);
    const latePt = await api(app, "DELETE", `/v1/messages/${old.id}`, wz.key, undefined, { "accept-language": "pt-BR" });
    expect(latePt.status).toBe(422);
    expect(latePt.body.error.message).toBe("O WhatsApp só permite apagar uma mensagem para todos até 60 horas depois do envio");
    expect(wuz.calls).toEqual([]);
    expect((await row(old.id)).deletedAt).toBeNull();

    const inTime = await api(app, "DELETE", `/v1/messages/${recent.id}`, wz.key);
    expect(inTime.status, JSON.stringify(inTime.body)).toBe(200);
    expect(wuz.calls).toEqual([{ path: "/chat/delete", body: { Phone: "5511999990001", Id: recent.providerMessageId } }]);
    expect((await row(recent.id)).deletedAt).toBeInstanceOf(Date);
  });
});

describe("numbered-text answers to buttons and lists (WuzAPI)", () => {
  test("the number of an option of our last interactive message becomes context.interactive {kind, id, title}; other texts, out-of-range numbers and native sends do not", async () => {
    const wz = await providerInstance("wuzapi");
    const [instance] = await db.select().from(instances).where(eq(instances.id, wz.instanceId));
    let seq = 0;
    const answer = async (text: string) => {
      const result = await ingestInbound(instance!, {
        kind: "message",
        providerMessageId: `num-${Date.now()}-${++seq}`,
        from: TO,
        type: "text",
        body: text,
        timestamp: new Date(),
      });
      expect(result.kind).toBe("message");
      const stored = result.kind === "message" ? result.message : undefined;
      expect(stored).toBeDefined();
      // What hooks (triggers, flow choices) receive equals what is stored.
      expect((await row(stored!.id)).context).toEqual(stored!.context);
      return stored!.context?.interactive;
    };
    const send = async (interactive: Record<string, unknown>) => {
      const r = await api(app, "POST", "/v1/messages", wz.key, { to: TO, instanceId: wz.instanceId, type: "interactive", interactive });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    };

    await send({
      body: "Confirma?",
      buttons: [
        { id: "yes", title: "Sim" },
        { id: "no", title: "Não" },
      ],
    });
    expect(wuz.calls.at(-1)!.path).toBe("/chat/send/text");
    expect(await answer("1")).toEqual({ kind: "button", id: "yes", title: "Sim" });
    expect(await answer(" 2 ")).toEqual({ kind: "button", id: "no", title: "Não" });
    expect(await answer("2.")).toEqual({ kind: "button", id: "no", title: "Não" });
    expect(await answer("3")).toBeUndefined();
    expect(await answer("2 pizzas")).toBeUndefined();

    // A list: rows numbered across sections, as the numbered text showed them.
    await send({
      body: "Escolha",
      list: {
        button: "Horários",
        sections: [
          { title: "Manhã", rows: [{ id: "h9", title: "9h" }] },
          {
            title: "Tarde",
            rows: [
              { id: "h14", title: "14h" },
              { id: "h16", title: "16h" },
            ],
          },
        ],
      },
    });
    expect(await answer("3")).toEqual({ kind: "list", id: "h16", title: "16h" });

    // Our last message is plain text now: a number is just a number.
    await sentText(wz.key, wz.instanceId, "Anotado");
    expect(await answer("1")).toBeUndefined();

    // Native buttons (the organization's choice): WhatsApp reports the tap itself, a typed number is text.
    await db.update(organizations).set({ interactiveMode: "native" }).where(eq(organizations.id, wz.organization.id));
    await send({ body: "Confirma?", buttons: [{ id: "yes", title: "Sim" }] });
    expect(wuz.calls.at(-1)!.path).toBe("/chat/send/buttons");
    expect(await answer("1")).toBeUndefined();
  });
});

describe("numbered-text answers fire triggers by the option's id", () => {
  test("a trigger equal to a button's id answers the contact who typed its number", async () => {
    const wz = await providerInstance("wuzapi");
    const org = wz.organization.id;
    await createTemplate(systemCaller("test", org), { key: "confirmed", body: "Confirmado!", variants: [], variables: [], active: true });
    await createTrigger(
      systemCaller("test", org),
      triggerSchema.parse({ match: "equals", pattern: "yes", action: "reply_template", templateKey: "confirmed" }),
    );
    const r = await api(app, "POST", "/v1/messages", wz.key, {
      to: TO,
      instanceId: wz.instanceId,
      type: "interactive",
      interactive: {
        body: "Confirma?",
        buttons: [
          { id: "no", title: "Não" },
          { id: "yes", title: "Sim" },
        ],
      },
    });
    expect(r.status).toBe(202);
    expect(await runOutboundOnce()).toBeGreaterThanOrEqual(1);
    const [instance] = await db.select().from(instances).where(eq(instances.id, wz.instanceId));
    const result = await ingestInbound(instance!, {
      kind: "message",
      providerMessageId: `trg-${Date.now()}`,
      from: TO,
      type: "text",
      body: "2",
      timestamp: new Date(),
    });
    if (result.kind === "message") await result.hooks;
    const replies = await db
      .select({ body: messages.body, sentBy: messages.sentBy })
      .from(messages)
      .where(and(eq(messages.instanceId, wz.instanceId), eq(messages.direction, "outbound"), eq(messages.type, "text")));
    expect(replies).toEqual([{ body: "Confirmado!", sentBy: "bot" }]);
  });
});

describe("reactions carry no quote nor mentions", () => {
  test("a reaction with replyTo or mentions is a 422 on those fields in the caller's language, on any provider", async () => {
    const { key } = await setupOrg(app);
    const instanceId = await connectedSandbox(app, key);
    const first = await sentText(key, instanceId, "Primeira");
    const reaction = { messageId: first.id, emoji: "👍" };
    const both = await api(app, "POST", "/v1/messages", key, {
      to: TO,
      instanceId,
      type: "reaction",
      reaction,
      replyTo: first.id,
      mentions: ["+5511999990002"],
    });
    expect(both.status).toBe(422);
    expect(both.body.error.details).toEqual([
      { path: "replyTo", message: "A reaction neither quotes nor mentions: it already points to the message reacted to (reaction.messageId)" },
      { path: "mentions", message: "A reaction neither quotes nor mentions: it already points to the message reacted to (reaction.messageId)" },
    ]);
    const pt = await api(
      app,
      "POST",
      "/v1/messages",
      key,
      { to: TO, instanceId, type: "reaction", reaction, replyTo: first.id },
      { "accept-language": "pt-BR" },
    );
    expect(pt.body.error.details).toEqual([
      { path: "replyTo", message: "Uma reação não cita nem menciona: ela já aponta para a mensagem reagida (reaction.messageId)" },
    ]);
    const plain = await api(app, "POST", "/v1/messages", key, { to: TO, instanceId, type: "reaction", reaction });
    expect(plain.status, JSON.stringify(plain.body)).toBe(202);
  });
});
