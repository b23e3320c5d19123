import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, events, instances, messages } from "@/db/schema";
import { pendingReceipts } from "@/features/inbound/inbound.service";
import { connectInstance } from "@/features/instances/instance.service";
import { systemCaller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { encryptCloudConfig, providerFor, readCloudConfig } from "@/providers";
import { cloudMessageBody, cloudProvider } from "@/providers/cloud";
import type { Instance } from "@/db/schema";
import { ProviderError } from "@/providers/provider";
import { createOwner } from "../helpers/factories";

const PHONE_NUMBER_ID = "106540352242922";
const ACCESS_TOKEN = "EAAG-test-access-token";
const APP_SECRET = "app-secret-for-tests";
const VERIFY_TOKEN = "verify-me";

/** A Graph API server: `GET /{phone-number-id}` and `POST /{phone-number-id}/messages` behind a Bearer token. */
type Recorded = { method: string; path: string; auth: string | null; body: any };
const recorded: Recorded[] = [];
let wamid = 0;
const graphError = (status: number, message: string, code: number, type = "OAuthException") =>
  Response.json({ error: { message, type, code, error_subcode: 2494010, fbtrace_id: "Az8or2yhqkZfEZ-_4Qn_Bam" } }, { status });

const graph = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const text = await req.text();
    const body = text ? JSON.parse(text) : undefined;
    recorded.push({ method: req.method, path: `${url.pathname}${url.search}`, auth: req.headers.get("authorization"), body });
    if (req.headers.get("authorization") !== `Bearer ${ACCESS_TOKEN}`) return graphError(401, "Invalid OAuth access token - Cannot parse access token", 190);
    if (req.method === "GET" && url.pathname === `/v21.0/${PHONE_NUMBER_ID}`) {
      return Response.json({ verified_name: "Loja Teste", display_phone_number: "+1 555-010-0000", quality_rating: "GREEN", id: PHONE_NUMBER_ID });
    }
    if (req.method === "POST" && url.pathname === `/v21.0/${PHONE_NUMBER_ID}/messages`) {
      if (body?.messaging_product !== "whatsapp") return graphError(400, "(#100) The parameter messaging_product is required.", 100);
      if (body.status === "read") return Response.json({ success: true });
      if (body.to === "5511999990500") return graphError(500, "An unknown error has occurred.", 1, "OAuthException");
      if (body.to === "5511999990429") return graphError(400, "(#130429) Rate limit hit", 130429);
      if (body.to === "5511999990400") return graphError(400, "(#131009) Parameter value is not valid", 131009);
      return Response.json({
        messaging_product: "whatsapp",
        contacts: [{ input: body.to, wa_id: body.to }],
        messages: [{ id: `wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI${++wamid}` }],
      });
    }
    return graphError(404, "Unknown path components", 2500);
  },
});

const app = createApp();
let organizationId: string;
let instance: Instance;
let otherInstance: Instance;

beforeAll(async () => {
  config.cloudApiBase = `http://127.0.0.1:${graph.port}/v21.0`;
  pendingReceipts.retryDelaysMs = [];
  organizationId = (await createOwner()).organization.id;
  const providerConfig = encryptCloudConfig({ phoneNumberId: PHONE_NUMBER_ID, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN });
  [instance] = (await db.insert(instances).values({ organizationId, name: "Cloud", provider: "cloud", providerConfig }).returning()) as [Instance];
  [otherInstance] = (await db
    .insert(instances)
    .values({
      organizationId,
      name: "Cloud 2",
      provider: "cloud",
      providerConfig: encryptCloudConfig({ phoneNumberId: "999", accessToken: "x", appSecret: "other-secret", verifyToken: "other" }),
    })
    .returning()) as [Instance];
});

afterAll(() => graph.stop(true));

const sign = (raw: string, secret = APP_SECRET) => `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`;

async function hook(id: string, payload: unknown, signature?: string) {
  const raw = typeof payload === "string" ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== undefined) headers["x-hub-signature-256"] = signature;
  const res = await app.handle(new Request(`http://localhost/hooks/cloud/${id}`, { method: "POST", body: raw, headers }));
  return { status: res.status, body: await res.json() };
}

describe("Cloud API adapter", () => {
  test("secrets are encrypted at rest and read back decrypted", () => {
    expect(JSON.stringify(instance.providerConfig)).not.toContain(ACCESS_TOKEN);
    expect(JSON.stringify(instance.providerConfig)).not.toContain(APP_SECRET);
    expect(instance.providerConfig.phoneNumberId).toBe(PHONE_NUMBER_ID);
    expect(readCloudConfig(instance)).toEqual({ phoneNumberId: PHONE_NUMBER_ID, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN });
    expect(() => readCloudConfig({ providerConfig: { phoneNumberId: "1" } })).toThrow(AppError);
  });

  test("connect verifies the token with GET /{phone-number-id}; QR and pairing code are a clear 422", async () => {
    expect(providerFor(instance).name).toBe(cloudProvider.name);
    expect(await cloudProvider.connect(instance)).toEqual({ status: "connected", jid: "15550100000@s.whatsapp.net", name: "Loja Teste" });
    expect(recorded.at(-1)).toMatchObject({ method: "GET", auth: `Bearer ${ACCESS_TOKEN}` });
    expect(recorded.at(-1)!.path).toStartWith(`/v21.0/${PHONE_NUMBER_ID}?fields=`);
    // The adapter only answers; the instance service stores the state (once, with its event).
    expect((await db.select().from(instances).where(eq(instances.id, instance.id)))[0]!.status).toBe("disconnected");
    expect(await connectInstance(systemCaller("cloud test", organizationId), instance.id)).toEqual({ status: "connected" });
    const [row] = await db.select().from(instances).where(eq(instances.id, instance.id));
    expect(row).toMatchObject({ status: "connected", waJid: "15550100000@s.whatsapp.net", waName: "Loja Teste" });
    const types = (await db.select().from(events).where(eq(events.instanceId, instance.id))).map((e) => e.type);
    expect(types).toEqual(["instance.connected"]);
    const qr = await cloudProvider.getQr(instance).catch((e) => e);
    expect(qr).toBeInstanceOf(AppError);
    expect(qr.status).toBe(422);
    expect(qr.message).toContain("no QR code");
    expect((await cloudProvider.pairingCode(instance, "+5511999990001").catch((e) => e)).status).toBe(422);

    const badToken = { ...instance, providerConfig: encryptCloudConfig({ accessToken: "wrong" }, instance.providerConfig) };
    const failure = await cloudProvider.connect(badToken).catch((e) => e);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ retryable: false, httpStatus: 401 });
    expect(failure.message).toContain("Invalid OAuth access token");
    expect(await cloudProvider.status(badToken)).toEqual({ status: "disconnected" });
  });

  test("send posts each message type to /{phone-number-id}/messages", async () => {
    const to = "+5511999990001";
    const sent = await cloudProvider.send(instance, { to, type: "text", text: "Olá https://livchat.test" });
    expect(sent.providerMessageId).toStartWith("wamid.");
    expect(recorded.at(-1)).toMatchObject({ method: "POST", path: `/v21.0/${PHONE_NUMBER_ID}/messages`, auth: `Bearer ${ACCESS_TOKEN}` });
    expect(recorded.at(-1)!.body).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "5511999990001",
      type: "text",
      text: { body: "Olá https://livchat.test", preview_url: true },
    });

    const cases: [Parameters<typeof cloudProvider.send>[1], Record<string, unknown>][] = [
      [
        { to, type: "image", media: { url: "https://example.test/a.jpg", caption: "foto" } },
        { type: "image", image: { link: "https://example.test/a.jpg", caption: "foto" } },
      ],
      [
        { to, type: "audio", media: { url: "https://example.test/a.ogg", caption: "ignored" } },
        { type: "audio", audio: { link: "https://example.test/a.ogg" } },
      ],
      [
        { to, type: "video", media: { url: "https://example.test/a.mp4" } },
        { type: "video", video: { link: "https://example.test/a.mp4" } },
      ],
      [
        { to, type: "document", media: { url: "https://example.test/r.pdf", fileName: "r.pdf", caption: "relatório" } },
        { type: "document", document: { link: "https://example.test/r.pdf", caption: "relatório", filename: "r.pdf" } },
      ],
      [
        { to, type: "location", location: { latitude: -23.55, longitude: -46.63, name: "Sé", address: "Praça da Sé" } },
        { type: "location", location: { latitude: -23.55, longitude: -46.63, name: "Sé", address: "Praça da Sé" } },
      ],
      [
        { to, type: "reaction", reaction: { messageId: "wamid.XYZ", emoji: "👍" } },
        { type: "reaction", reaction: { message_id: "wamid.XYZ", emoji: "👍" } },
      ],
      [
        { to, type: "contact", contact: { name: "John Doe", phone: "+1 617 555 1212" } },
        {
          type: "contacts",
          contacts: [
            {
              name: { formatted_name: "John Doe", first_name: "John", last_name: "Doe" },
              phones: [{ phone: "+16175551212", type: "CELL", wa_id: "16175551212" }],
            },
          ],
        },
      ],
      [
        { to, type: "template", template: { name: "order_update", language: "pt_BR", variables: { "2": "amanhã", "1": "Ana" } } },
        {
          type: "template",
          template: {
            name: "order_update",
            language: { code: "pt_BR" },
            components: [
              {
                type: "body",
                parameters: [
                  { type: "text", text: "Ana" },
                  { type: "text", text: "amanhã" },
                ],
              },
            ],
          },
        },
      ],
    ];
    for (const [message, expected] of cases) {
      await cloudProvider.send(instance, message);
      expect(recorded.at(-1)!.body).toEqual({ messaging_product: "whatsapp", recipient_type: "individual", to: "5511999990001", ...expected });
    }
    expect(cloudMessageBody({ to, type: "template", template: { name: "", body: "rendered" } })).toMatchObject({ type: "text", text: { body: "rendered" } });

    await cloudProvider.markRead(instance, to, ["wamid.A"]);
    expect(recorded.at(-1)!.body).toEqual({ messaging_product: "whatsapp", status: "read", message_id: "wamid.A" });
  });

  test("5xx and throttling are retryable; other 4xx are not, with Graph's message", async () => {
    const fail = (to: string) =>
      cloudProvider.send(instance, { to, type: "text", text: "x" }).then(
        () => {
          throw new Error("expected a failure");
        },
        (e) => e as ProviderError,
      );
    expect(await fail("+5511999990500")).toMatchObject({ retryable: true, httpStatus: 500 });
    expect(await fail("+5511999990429")).toMatchObject({ retryable: true, httpStatus: 400 });
    const invalid = await fail("+5511999990400");
    expect(invalid).toMatchObject({ retryable: false, httpStatus: 400 });
    expect(invalid.message).toContain("Parameter value is not valid");
  });
});

/** Notification payloads in the shape of Meta's "Webhooks: messages" examples. */
const notification = (value: Record<string, unknown>, phoneNumberId = PHONE_NUMBER_ID) => ({
  object: "whatsapp_business_account",
  entry: [
    {
      id: "102290129340398",
      changes: [
        {
          value: { messaging_product: "whatsapp", metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId }, ...value },
          field: "messages",
        },
      ],
    },
  ],
});

const textMessage = (id: string, body = "this is a text message") =>
  notification({
    contacts: [{ profile: { name: "Sheena Nelson" }, wa_id: "16505551234" }],
    messages: [{ from: "16505551234", id, timestamp: "1749416383", type: "text", text: { body } }],
  });

describe("/hooks/cloud/:instanceId", () => {
  test("GET answers hub.challenge only for subscribe with the right verify token", async () => {
    const verify = (q: string) => app.handle(new Request(`http://localhost/hooks/cloud/${instance.id}?${q}`));
    const ok = await verify(`hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("1158201444");
    expect((await verify(`hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`)).status).toBe(403);
    expect((await verify(`hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`)).status).toBe(403);
    expect(
      (await app.handle(new Request(`http://localhost/hooks/cloud/not-a-uuid?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`))).status,
    ).toBe(403);
  });

  test("a signed text message is stored with the profile name, once", async () => {
    const payload = textMessage("wamid.HBgLMTY1MDUwNzY1MjAVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
    const raw = JSON.stringify(payload);
    const first = await hook(instance.id, raw, sign(raw));
    expect(first).toMatchObject({ status: 200, body: { ok: true, stored: 1 } });
    expect((await hook(instance.id, raw, sign(raw))).body).toMatchObject({ stored: 0, duplicates: 1 });
    const rows = await db.select().from(messages).where(eq(messages.instanceId, instance.id));
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ direction: "inbound", type: "text", body: "this is a text message" });
    expect(rows[0]!.sentAt!.toISOString()).toBe(new Date(1749416383 * 1000).toISOString());
    const [contact] = await db.select().from(contacts).where(eq(contacts.id, rows[0]!.contactId));
    expect(contact).toMatchObject({ phone: "+16505551234", name: "Sheena Nelson" });
    expect(
      (
        await db
          .select()
          .from(events)
          .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.received")))
      ).length,
    ).toBe(1);
  });

  test("bad or missing signatures are 401 and store nothing; another instance's secret does not work", async () => {
    const raw = JSON.stringify(textMessage("wamid.UNSIGNED"));
    expect((await hook(instance.id, raw)).status).toBe(401);
    expect((await hook(instance.id, raw, sign(raw, "wrong-secret"))).status).toBe(401);
    expect((await hook(instance.id, raw, sign(raw).replace("sha256=", "sha1="))).status).toBe(401);
    expect((await hook(instance.id, raw, sign(raw, "other-secret"))).status).toBe(401);
    expect((await hook(otherInstance.id, raw, sign(raw))).status).toBe(401);
    expect((await hook("00000000-0000-0000-0000-000000000000", raw, sign(raw))).status).toBe(404);
    expect(await db.select().from(messages).where(eq(messages.providerMessageId, "wamid.UNSIGNED"))).toEqual([]);
  });

  test("media, location, reactions, interactive replies; changes for another number are skipped", async () => {
    const payload = notification({
      contacts: [{ profile: { name: "Kerry Fisher" }, wa_id: "16315551181" }],
      messages: [
        {
          from: "16315551181",
          id: "wamid.IMG",
          timestamp: "1749416400",
          type: "image",
          image: {
            caption: "This is a caption",
            mime_type: "image/jpeg",
            sha256: "81d3bd8a8db4868c9520ed47186e8b7c5789e61ff79f7f834be6950b808a90d3",
            id: "2754859441498128",
          },
        },
        {
          from: "16315551181",
          id: "wamid.LOC",
          timestamp: "1749416401",
          type: "location",
          location: {
            address: "1071 5th Ave, New York, NY 10128",
            latitude: 40.782910059774,
            longitude: -73.959147034132,
            name: "Solomon R. Guggenheim Museum",
          },
        },
        { from: "16315551181", id: "wamid.REACT", timestamp: "1749416402", type: "reaction", reaction: { message_id: "wamid.IMG", emoji: "😀" } },
        {
          from: "16315551181",
          id: "wamid.BTN",
          timestamp: "1749416403",
          type: "interactive",
          interactive: { type: "button_reply", button_reply: { id: "yes", title: "Yes, please" } },
        },
        { from: "16315551181", id: "wamid.SYS", timestamp: "1749416404", type: "unsupported", errors: [{ code: 131051, title: "Message type unknown" }] },
      ],
    });
    const raw = JSON.stringify(payload);
    // Every message is kept, the one Meta could not render included.
    expect((await hook(instance.id, raw, sign(raw))).body).toMatchObject({ stored: 5 });
    const byId = async (id: string) => (await db.select().from(messages).where(eq(messages.providerMessageId, id)))[0];
    expect(await byId("wamid.IMG")).toMatchObject({
      type: "image",
      body: "This is a caption",
      media: { mimeType: "image/jpeg", caption: "This is a caption", source: { kind: "cloud_media", id: "2754859441498128" } },
    });
    expect(await byId("wamid.LOC")).toMatchObject({
      type: "location",
      body: "Solomon R. Guggenheim Museum",
      media: { latitude: 40.782910059774, longitude: -73.959147034132 },
    });
    expect(await byId("wamid.REACT")).toMatchObject({ type: "reaction", body: "😀", media: { messageId: "wamid.IMG", emoji: "😀" } });
    expect(await byId("wamid.BTN")).toMatchObject({
      type: "interactive",
      body: "Yes, please",
      context: { interactive: { kind: "button", id: "yes", title: "Yes, please" } },
    });
    expect(await byId("wamid.SYS")).toMatchObject({ type: "unsupported", context: { rawType: "unsupported" } });

    const elsewhere = JSON.stringify(
      notification({ messages: [{ from: "16315551181", id: "wamid.ELSEWHERE", timestamp: "1749416405", type: "text", text: { body: "x" } }] }, "123"),
    );
    expect((await hook(instance.id, elsewhere, sign(elsewhere))).body).toMatchObject({ stored: 0 });
  });

  test("statuses advance outbound messages: sent → delivered → read, failed with its error", async () => {
    const [seed] = await db.select().from(messages).where(eq(messages.instanceId, instance.id)).limit(1);
    const outbound = async (providerMessageId: string) =>
      (
        await db
          .insert(messages)
          .values({
            organizationId,
            instanceId: instance.id,
            conversationId: seed!.conversationId,
            contactId: seed!.contactId,
            direction: "outbound",
            providerMessageId,
            type: "text",
            body: "hi",
            status: "queued",
          })
          .returning()
      )[0]!;
    const ok = await outbound("wamid.OUT1");
    const bad = await outbound("wamid.OUT2");
    const status = (id: string, value: string, extra: Record<string, unknown> = {}) => ({
      id,
      status: value,
      timestamp: "1750263773",
      recipient_id: "16505551234",
      ...extra,
    });
    const payload = notification({
      statuses: [
        status("wamid.OUT1", "sent", {
          conversation: { id: "6ceb9d929c1d1ee6bd4a5b9c1a4b2c2e", origin: { type: "service" } },
          pricing: { billable: false, pricing_model: "PMP", category: "service" },
        }),
        status("wamid.OUT1", "delivered"),
        status("wamid.OUT1", "read"),
        status("wamid.OUT2", "failed", {
          errors: [
            {
              code: 131049,
              title: "This message was not delivered to maintain healthy ecosystem engagement.",
              message: "This message was not delivered to maintain healthy ecosystem engagement.",
              error_data: { details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered." },
            },
          ],
        }),
      ],
    });
    const raw = JSON.stringify(payload);
    expect((await hook(instance.id, raw, sign(raw))).body).toMatchObject({ receipts: 4 });
    const [a] = await db.select().from(messages).where(eq(messages.id, ok.id));
    const [b] = await db.select().from(messages).where(eq(messages.id, bad.id));
    expect(a!.status).toBe("read");
    expect(b!.status).toBe("failed");
    expect(b!.error).toContain("healthy ecosystem engagement");
    expect(b!.error).toContain("code 131049");
    const types = (await db.select().from(events).where(eq(events.instanceId, instance.id))).map((e) => e.type);
    for (const t of ["message.sent", "message.delivered", "message.read", "message.failed"]) expect(types.filter((x) => x === t).length).toBe(1);
    // Redelivery of the same statuses changes nothing and emits nothing.
    expect((await hook(instance.id, raw, sign(raw))).body).toMatchObject({ receipts: 0 });
    expect((await db.select().from(events).where(eq(events.instanceId, instance.id))).length).toBe(types.length);
  });
});
