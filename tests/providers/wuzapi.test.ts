import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, events, instances, messages } from "@/db/schema";
import { pendingReceipts } from "@/features/inbound/inbound.service";
import { connectInstance, logoutInstance } from "@/features/instances/instance.service";
import { systemCaller } from "@/lib/caller";
import { outboundMessageOf } from "@/features/messages/message.service";
import { decryptSecret } from "@/lib/crypto";
import { providerFor } from "@/providers";
import { providerHttp } from "@/providers/http";
import type { Instance } from "@/db/schema";
import { ProviderError } from "@/providers/provider";
import { wuzapiProvider, wuzapiTiming } from "@/providers/wuzapi";
import { createOwner } from "../helpers/factories";

/**
 * A WuzAPI server speaking API.md: admin users behind the admin token in `Authorization`, everything
 * else behind the user's `Token` header, `{code, data, success}` envelopes.
 */
type Recorded = { method: string; path: string; headers: Headers; body: any };
const ADMIN = "admin-token-for-tests";
const HMAC_KEY = "hmac-key-for-tests-hmac-key-for-tests";
const recorded: Recorded[] = [];
const users = new Map<string, { id: string; token: string; loggedIn: boolean; connected: boolean; hmac?: string }>();
let nextId = 1;

const ok = (data: unknown, code = 200) => Response.json({ code, data, success: true }, { status: code });
const fail = (error: string, code: number) => Response.json({ code, error, success: false }, { status: code });

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const text = await req.text();
    const body = text ? JSON.parse(text) : undefined;
    recorded.push({ method: req.method, path: url.pathname, headers: req.headers, body });
    if (url.pathname.startsWith("/admin/")) {
      if (req.headers.get("authorization") !== ADMIN) return fail("unauthorized", 401);
      if (req.method === "POST" && url.pathname === "/admin/users") {
        if (!body?.name || !body?.token) return fail("missing name or token", 400);
        const id = (nextId++).toString(16).padStart(32, "a");
        users.set(body.token, { id, token: body.token, loggedIn: false, connected: false });
        return ok({ id, name: body.name, token: body.token, webhook: body.webhook, events: body.events }, 201);
      }
      const del = /^\/admin\/users\/(.+)$/.exec(url.pathname);
      if (req.method === "DELETE" && del) {
        const user = [...users.values()].find((u) => u.id === del[1]);
        if (!user) return fail("user not found", 404);
        users.delete(user.token);
        return ok({ Details: "User deleted successfully" });
      }
      return fail("not found", 404);
    }
    const user = users.get(req.headers.get("token") ?? "");
    if (!user) return fail("unauthorized", 401);
    switch (`${req.method} ${url.pathname}`) {
      case "POST /session/hmac/config":
        if ((body?.hmac_key ?? "").length < 32) return fail("HMAC key must be at least 32 characters", 400);
        user.hmac = body.hmac_key;
        return ok({ Details: "HMAC configuration saved successfully" });
      case "POST /session/connect":
        if (user.connected) return fail("already connected", 500);
        user.connected = true;
        return ok({ details: "Connected!", events: "All", jid: "", webhook: "" });
      case "GET /session/status":
        return ok({ Connected: user.connected, LoggedIn: user.loggedIn, ...(user.loggedIn ? { jid: "5491155554444.0:52@s.whatsapp.net" } : {}) });
      case "GET /session/qr":
        if (!user.connected) return fail("not connected", 500);
        return ok({ QRCode: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAQAAAAEAAQMAAABmvDolAAAABlBMVEX" });
      case "POST /session/pairphone":
        return ok({ LinkingCode: "9H3J-H3J8" });
      case "POST /session/logout":
        user.loggedIn = false;
        user.connected = false;
        return ok({ Details: "Logged out" });
      case "POST /chat/send/text":
        if (body?.Phone === "5511999990500") return fail("failed to send message: server error", 500);
        if (body?.Phone === "5511999990400") return fail("missing Phone in Payload", 400);
        if (body?.Phone === "5511999990408") {
          // Answers only after the client has given up.
          await new Promise((resolve) => req.signal.addEventListener("abort", resolve, { once: true }));
          return ok({ Details: "Sent", Id: "late" });
        }
        return ok({ Details: "Sent", Id: "90B2F8B13FAC8A9CF6B06E99C7834DC5", Timestamp: "2022-04-20T12:49:08-03:00" });
      case "POST /chat/send/image":
      case "POST /chat/send/document":
      case "POST /chat/send/location":
      case "POST /chat/send/contact":
      case "POST /chat/react":
        return ok({ Details: "Sent", Id: `ID-${url.pathname.split("/").pop()}`, Timestamp: "2022-04-20T12:49:08-03:00" });
      case "POST /chat/markread":
        return ok({ Details: "Message(s) marked as read" });
      case "POST /user/check":
        return ok({
          Users: (body.Phone as string[]).map((p) => ({ IsInWhatsapp: p.endsWith("1"), JID: `${p}@s.whatsapp.net`, Query: p, VerifiedName: "" })),
        });
      default:
        return fail("not found", 404);
    }
  },
});

const app = createApp();
let organizationId: string;
let instance: Instance;

beforeAll(async () => {
  config.wuzapi = { url: `http://127.0.0.1:${server.port}`, adminToken: ADMIN, hmacKey: HMAC_KEY };
  Object.assign(wuzapiTiming, { qrPollMs: 20, qrPollAttempts: 3 });
  pendingReceipts.retryDelaysMs = [];
  organizationId = (await createOwner()).organization.id;
  const [row] = await db.insert(instances).values({ organizationId, name: "WuzAPI", provider: "wuzapi" }).returning();
  instance = row!;
});

afterAll(() => server.stop(true));

const sign = (raw: string, key = HMAC_KEY) => createHmac("sha256", key).update(raw).digest("hex");

async function hook(body: string, headers: Record<string, string>) {
  const res = await app.handle(new Request("http://localhost/hooks/wuzapi", { method: "POST", body, headers }));
  return { status: res.status, body: await res.json() };
}

describe("WuzAPI adapter", () => {
  test("provision creates a WuzAPI user with the admin token, our webhook, all events, and signs its webhooks", async () => {
    const fields = await providerFor(instance).provision!(instance);
    const create = recorded.find((r) => r.path === "/admin/users")!;
    expect(create.headers.get("authorization")).toBe(ADMIN);
    expect(create.body).toMatchObject({ name: `livchat-${instance.id}`, webhook: `${config.appUrl}/hooks/wuzapi`, events: "All" });
    const token = create.body.token as string;
    expect(token.length).toBeGreaterThanOrEqual(24);
    expect(fields.providerInstanceId).toBe(users.get(token)!.id);
    expect(fields.providerTokenEnc).not.toContain(token);
    expect(decryptSecret(fields.providerTokenEnc!)).toBe(token);
    expect(users.get(token)!.hmac).toBe(HMAC_KEY);
    expect(recorded.find((r) => r.path === "/session/hmac/config")!.headers.get("token")).toBe(token);
    [instance] = (await db.update(instances).set(fields).where(eq(instances.id, instance.id)).returning()) as [Instance];
  });

  test("connect starts the session and returns WuzAPI's QR image; pairing code and status", async () => {
    const result = await wuzapiProvider.connect(instance);
    expect(result.status).toBe("qr");
    expect(result.qrCode).toStartWith("data:image/png;base64,");
    const connect = recorded.find((r) => r.path === "/session/connect")!;
    expect(connect.body).toEqual({ Subscribe: ["All"], Immediate: true });
    expect(connect.headers.get("token")).toBe(decryptSecret(instance.providerTokenEnc!));
    // The adapter only answers; the instance service stores the state (once, with its event).
    const [untouched] = await db.select().from(instances).where(eq(instances.id, instance.id));
    expect(untouched!.status).toBe("disconnected");
    expect((await connectInstance(systemCaller("wuzapi test", organizationId), instance.id)).status).toBe("qr");
    const [row] = await db.select().from(instances).where(eq(instances.id, instance.id));
    expect(row!.status).toBe("qr");
    expect((await db.select().from(events).where(eq(events.instanceId, instance.id))).map((e) => e.type)).toEqual(["instance.qr"]);
    // Connecting again ("already connected") is fine.
    expect((await wuzapiProvider.connect(instance)).status).toBe("qr");
    expect(await wuzapiProvider.getQr(instance)).toMatchObject({ status: "qr" });
    expect(await wuzapiProvider.pairingCode(instance, "+55 11 99999-0001")).toEqual({ code: "9H3J-H3J8", status: "disconnected" });
    expect(recorded.findLast((r) => r.path === "/session/pairphone")!.body).toEqual({ Phone: "5511999990001" });
    users.get(decryptSecret(instance.providerTokenEnc!))!.loggedIn = true;
    expect(await wuzapiProvider.status(instance)).toEqual({ status: "connected", jid: "5491155554444@s.whatsapp.net", name: undefined });
  });

  test("send maps every message type to its /chat endpoint and returns WuzAPI's id", async () => {
    expect(await wuzapiProvider.send(instance, { to: "+5511999990001", type: "text", text: "Olá" })).toEqual({
      providerMessageId: "90B2F8B13FAC8A9CF6B06E99C7834DC5",
    });
    expect(recorded.findLast((r) => r.path === "/chat/send/text")!.body).toEqual({ Phone: "5511999990001", Body: "Olá" });
    await wuzapiProvider.send(instance, { to: "+5511999990001", type: "image", media: { url: "https://example.test/a.jpg", caption: "Look" } });
    expect(recorded.findLast((r) => r.path === "/chat/send/image")!.body).toEqual({
      Phone: "5511999990001",
      Image: "https://example.test/a.jpg",
      Caption: "Look",
    });
    await wuzapiProvider.send(instance, { to: "+5511999990001", type: "document", media: { url: "https://example.test/files/report.pdf" } });
    expect(recorded.findLast((r) => r.path === "/chat/send/document")!.body).toEqual({
      Phone: "5511999990001",
      Document: "https://example.test/files/report.pdf",
      FileName: "report.pdf",
    });
    await wuzapiProvider.send(instance, { to: "+5511999990001", type: "location", location: { latitude: 48.85837, longitude: 2.294481, name: "Paris" } });
    expect(recorded.findLast((r) => r.path === "/chat/send/location")!.body).toEqual({
      Phone: "5511999990001",
      Latitude: 48.85837,
      Longitude: 2.294481,
      Name: "Paris",
    });
    await wuzapiProvider.send(instance, { to: "+5511999990001", type: "contact", contact: { name: "John Doe", phone: "+1 617 555 1212" } });
    const contact = recorded.findLast((r) => r.path === "/chat/send/contact")!.body;
    expect(contact.Name).toBe("John Doe");
    expect(contact.Vcard).toContain("BEGIN:VCARD");
    expect(contact.Vcard).toContain("waid=16175551212:+16175551212");
    // The caller says whether the reacted-to message is ours (the adapter has no database to ask).
    await wuzapiProvider.send(instance, { to: "+5511999990001", type: "reaction", reaction: { messageId: "3EB0OURS", emoji: "👍", fromMe: true } });
    expect(recorded.findLast((r) => r.path === "/chat/react")!.body).toEqual({ Phone: "5511999990001", Body: "👍", Id: "me:3EB0OURS" });
    await wuzapiProvider.send(instance, { to: "+5511999990001", type: "reaction", reaction: { messageId: "3EB0THEIRS", emoji: "❤️" } });
    expect(recorded.findLast((r) => r.path === "/chat/react")!.body).toEqual({ Phone: "5511999990001", Body: "❤️", Id: "3EB0THEIRS" });
    // The stored reaction remembers it, so the outbound worker can pass it on.
    expect(
      outboundMessageOf({ type: "reaction", body: "👍", media: { providerMessageId: "3EB0OURS", emoji: "👍", fromMe: true } }, "+5511999990001").reaction,
    ).toEqual({ messageId: "3EB0OURS", emoji: "👍", fromMe: true });
    await wuzapiProvider.send(instance, { to: "+5511999990001", type: "reaction", reaction: { messageId: "AABB", emoji: "❤️" } });
    expect(recorded.findLast((r) => r.path === "/chat/react")!.body).toEqual({ Phone: "5511999990001", Body: "❤️", Id: "AABB" });
    await wuzapiProvider.send(instance, { to: "+5511999990001", type: "template", template: { name: "welcome", body: "Bem-vindo, Ana!" } });
    expect(recorded.findLast((r) => r.path === "/chat/send/text")!.body).toEqual({ Phone: "5511999990001", Body: "Bem-vindo, Ana!" });
    await wuzapiProvider.markRead(instance, "+5511999990001", ["AA", "BB"]);
    expect(recorded.findLast((r) => r.path === "/chat/markread")!.body).toEqual({ Id: ["AA", "BB"], ChatPhone: "5511999990001", SenderPhone: "5511999990001" });
    expect(await wuzapiProvider.checkNumbers(instance, ["+5511999990001", "+5511999990002", "nope"])).toEqual([
      { phone: "+5511999990001", exists: true, jid: "5511999990001@s.whatsapp.net" },
      { phone: "+5511999990002", exists: false, jid: "5511999990002@s.whatsapp.net" },
      { phone: "nope", exists: false },
    ]);
    for (const r of recorded.filter((r) => r.path.startsWith("/chat/") || r.path.startsWith("/user/"))) {
      expect(r.headers.get("token")).toBe(decryptSecret(instance.providerTokenEnc!));
    }
  });

  test("5xx and timeouts are retryable; 4xx are not", async () => {
    const error = async (to: string) => {
      try {
        await wuzapiProvider.send(instance, { to, type: "text", text: "x" });
      } catch (err) {
        return err as ProviderError;
      }
      throw new Error("expected a failure");
    };
    const server500 = await error("+5511999990500");
    expect(server500).toBeInstanceOf(ProviderError);
    expect(server500).toMatchObject({ retryable: true, httpStatus: 500 });
    expect(server500.message).toContain("failed to send message");
    expect(await error("+5511999990400")).toMatchObject({ retryable: false, httpStatus: 400 });
    const previous = providerHttp.timeoutMs;
    providerHttp.timeoutMs = 150;
    try {
      const timeout = await error("+5511999990408");
      expect(timeout).toMatchObject({ retryable: true });
      expect(timeout.message).toContain("timed out");
    } finally {
      providerHttp.timeoutMs = previous;
    }
    const broken = { ...instance, providerTokenEnc: null };
    await expect(wuzapiProvider.send(broken, { to: "+5511999990001", type: "text", text: "x" })).rejects.toMatchObject({ retryable: false });
  });
});

/** Payloads as wuzapi's event handler builds them (`type`, `event`, `userID`, `instanceName`). */
const messagePayload = (id: string, text = "Hello from the phone") => ({
  type: "Message",
  event: {
    Info: {
      Chat: "5491155553934@s.whatsapp.net",
      Sender: "5491155553934@s.whatsapp.net",
      IsFromMe: false,
      IsGroup: false,
      ID: id,
      Type: "text",
      PushName: "Carlos",
      Timestamp: "2024-05-01T12:00:00-03:00",
    },
    Message: { conversation: text },
    IsEphemeral: false,
  },
  userID: "",
  instanceName: "livchat",
});

describe("POST /hooks/wuzapi", () => {
  test("a signed JSON Message is stored once, however often it is delivered", async () => {
    const payload = { ...messagePayload("3EB06F9067F80BAB89FF"), userID: instance.providerInstanceId };
    const raw = JSON.stringify(payload);
    const first = await hook(raw, { "content-type": "application/json", "x-hmac-signature": sign(raw) });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ok: true, stored: 1 });
    const again = await hook(raw, { "content-type": "application/json", "x-hmac-signature": sign(raw) });
    expect(again.body).toMatchObject({ stored: 0, duplicates: 1 });
    const rows = await db
      .select()
      .from(messages)
      .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, "3EB06F9067F80BAB89FF")));
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ direction: "inbound", type: "text", body: "Hello from the phone" });
    expect(rows[0]!.sentAt!.toISOString()).toBe("2024-05-01T15:00:00.000Z");
    const [contact] = await db.select().from(contacts).where(eq(contacts.id, rows[0]!.contactId));
    expect(contact).toMatchObject({ phone: "+5491155553934", name: "Carlos" });
    const received = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.received")));
    expect(received.length).toBe(1);
  });

  test("the default form format (jsonData + userID) with its signature over the encoded form", async () => {
    const form = new URLSearchParams({
      instanceName: "livchat",
      jsonData: JSON.stringify(messagePayload("FORM-1", "via form")),
      userID: instance.providerInstanceId!,
    });
    const raw = form.toString();
    const res = await hook(raw, { "content-type": "application/x-www-form-urlencoded", "x-hmac-signature": sign(raw) });
    expect(res.status).toBe(200);
    const [row] = await db.select().from(messages).where(eq(messages.providerMessageId, "FORM-1"));
    expect(row!.body).toBe("via form");
  });

  test("missing or wrong signatures are refused with 401 and nothing is stored", async () => {
    const raw = JSON.stringify({ ...messagePayload("UNSIGNED-1"), userID: instance.providerInstanceId });
    const missing = await hook(raw, { "content-type": "application/json" });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("unauthorized");
    expect((await hook(raw, { "content-type": "application/json", "x-hmac-signature": sign(raw, "another-key-another-key-another-key") })).status).toBe(401);
    expect((await hook(raw, { "content-type": "application/json", "x-hmac-signature": sign(`${raw} `) })).status).toBe(401);
    expect((await hook(raw, { "content-type": "application/json", "x-hmac-signature": "zz" })).status).toBe(401);
    expect(await db.select().from(messages).where(eq(messages.providerMessageId, "UNSIGNED-1"))).toEqual([]);
  });

  test("media, group and own messages are kept (inline bytes never in the row); unknown users are acknowledged and ignored", async () => {
    const image = {
      ...messagePayload("IMG-1"),
      userID: instance.providerInstanceId,
      base64: "iVBORw0KGgo=",
      mimeType: "image/png",
      fileName: "IMG-1.png",
    };
    image.event.Message = { imageMessage: { caption: "a photo", mimetype: "image/png" } } as never;
    const group = { ...messagePayload("GRP-1"), userID: instance.providerInstanceId };
    group.event.Info = { ...group.event.Info, IsGroup: true, Chat: "120362023605733675@g.us" };
    const mine = { ...messagePayload("MINE-1"), userID: instance.providerInstanceId };
    mine.event.Info = { ...mine.event.Info, IsFromMe: true };
    for (const payload of [image, group, mine]) {
      const raw = JSON.stringify(payload);
      expect((await hook(raw, { "content-type": "application/json", "x-hmac-signature": sign(raw) })).status).toBe(200);
    }
    const [img] = await db.select().from(messages).where(eq(messages.providerMessageId, "IMG-1"));
    expect(img).toMatchObject({ type: "image", body: "a photo", media: { mimeType: "image/png", caption: "a photo" } });
    expect(JSON.stringify(img!.media)).not.toContain("iVBORw0KGgo=");
    expect((await db.select().from(messages).where(eq(messages.providerMessageId, "GRP-1"))).length).toBe(1);
    // Written from the business's phone: an outbound message already sent, not an unread inbound one.
    const [own] = await db.select().from(messages).where(eq(messages.providerMessageId, "MINE-1"));
    expect(own).toMatchObject({ direction: "outbound", status: "sent", sentBy: "phone" });
    const raw = JSON.stringify({ ...messagePayload("GHOST-1"), userID: "no-such-user" });
    const ghost = await hook(raw, { "content-type": "application/json", "x-hmac-signature": sign(raw) });
    expect(ghost).toEqual({ status: 200, body: { ok: true, ignored: true } });
  });

  test("ReadReceipt advances our outbound message; connection events move the instance", async () => {
    const [seed] = await db.select().from(messages).where(eq(messages.providerMessageId, "3EB06F9067F80BAB89FF"));
    const [out] = await db
      .insert(messages)
      .values({
        organizationId,
        instanceId: instance.id,
        conversationId: seed!.conversationId,
        contactId: seed!.contactId,
        direction: "outbound",
        providerMessageId: "OUT-W1",
        type: "text",
        body: "hi",
        status: "sent",
      })
      .returning();
    const receipt = (state: string) => ({
      type: "ReadReceipt",
      state,
      event: {
        Chat: "5491155553934@s.whatsapp.net",
        Sender: "5491155553934@s.whatsapp.net",
        IsFromMe: false,
        IsGroup: false,
        MessageIDs: ["OUT-W1"],
        Timestamp: "2024-05-01T12:01:00-03:00",
        Type: state === "Read" ? "read" : "",
      },
      userID: instance.providerInstanceId,
    });
    for (const state of ["Delivered", "Read", "ReadSelf"]) {
      const raw = JSON.stringify(receipt(state));
      expect((await hook(raw, { "content-type": "application/json", "x-hmac-signature": sign(raw) })).status).toBe(200);
    }
    const [after] = await db.select().from(messages).where(eq(messages.id, out!.id));
    expect(after!.status).toBe("read");
    expect(after!.readAt!.toISOString()).toBe("2024-05-01T15:01:00.000Z");

    const send = async (payload: Record<string, unknown>) => {
      const raw = JSON.stringify({ ...payload, userID: instance.providerInstanceId });
      expect((await hook(raw, { "content-type": "application/json", "x-hmac-signature": sign(raw) })).status).toBe(200);
      const [row] = await db.select().from(instances).where(eq(instances.id, instance.id));
      return row!;
    };
    expect((await send({ type: "LoggedOut", event: { OnConnect: false, Reason: 401 } })).status).toBe("logged_out");
    expect((await send({ type: "QR", event: "code", qrCodeBase64: "data:image/png;base64,QUJD" })).status).toBe("qr");
    const paired = await send({ type: "PairSuccess", event: { ID: "5491155554444.0:52@s.whatsapp.net", BusinessName: "Loja", Platform: "android" } });
    expect(paired).toMatchObject({ status: "connected", waJid: "5491155554444@s.whatsapp.net", waName: "Loja" });
    expect((await send({ type: "Connected", event: {} })).status).toBe("connected");
    expect((await send({ type: "Disconnected", event: {} })).status).toBe("disconnected");
    const types = (
      await db
        .select()
        .from(events)
        .where(and(eq(events.instanceId, instance.id)))
        .orderBy(events.at)
    )
      .map((e) => e.type)
      .filter((t) => t.startsWith("instance."));
    expect(types.slice(-4)).toEqual(["instance.logged_out", "instance.qr", "instance.connected", "instance.disconnected"]);
  });

  test("logout and deprovision call WuzAPI", async () => {
    const before = (await db.select().from(instances).where(eq(instances.id, instance.id)))[0]!.status;
    expect(await wuzapiProvider.logout(instance)).toEqual({ status: "logged_out" });
    expect((await db.select().from(instances).where(eq(instances.id, instance.id)))[0]!.status).toBe(before);
    expect((await logoutInstance(systemCaller("wuzapi test", organizationId), instance.id)).status).toBe("logged_out");
    expect(recorded.findLast((r) => r.path === "/session/logout")!.method).toBe("POST");
    expect((await db.select().from(instances).where(eq(instances.id, instance.id)))[0]!.status).toBe("logged_out");
    await wuzapiProvider.deprovision!(instance);
    expect(recorded.findLast((r) => r.method === "DELETE")!.path).toBe(`/admin/users/${instance.providerInstanceId}`);
    await wuzapiProvider.deprovision!(instance); // already gone: fine
  });
});
