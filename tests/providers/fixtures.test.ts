import { beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { and, count, eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, conversations, events, instances, messages, type Instance } from "@/db/schema";
import { pendingReceipts } from "@/features/inbound/inbound.service";
import { encryptCloudConfig } from "@/providers/cloud";
import { mapCloudPayload } from "@/providers/cloud.inbound";
import type { InboundEvent, InboundSender } from "@/providers/provider";
import { mapWuzapiPayload } from "@/providers/wuzapi.inbound";
import { createOwner } from "../helpers/factories";

/**
 * The fixture corpus (tests/fixtures/providers, origins in SOURCES.md): every payload is posted SIGNED
 * to the real hook routes, in file order (later files quote, react to, edit and delete earlier ones),
 * and what LivChat stored is checked against the table below; then the same body is posted again and
 * nothing new may appear (deduplication).
 */

const HMAC_KEY = "fixture-hmac-key-fixture-hmac-key-0123456789";
const APP_SECRET = "fixture-app-secret";
const PHONE_NUMBER_ID = "106540352242922"; // the phone number id of Meta's reference examples
const FIXTURES = join(import.meta.dir, "../fixtures/providers");

type Effect =
  /** A message row with this provider id (the fixture's own) is stored. */
  | "message"
  /** The edit/delete/reaction lands on `target`'s row. */
  | "edit"
  | "delete"
  | "reaction"
  /** Nothing stored; an `inbound.unparsed` event records it. */
  | "unparsed";

type Spec = {
  effect: Effect;
  /** Provider id of the message the fixture stores or changes (default: its own message id). */
  id?: string;
  target?: string;
  type?: string;
  body?: string | null;
  direction?: "inbound" | "outbound";
  sentBy?: string;
  mime?: string;
  source?: "base64" | "url" | "cloud_media";
  media?: Record<string, unknown>;
  quoted?: string;
  /** The quoted message was stored earlier, so the reply links to our id. */
  replyResolved?: boolean;
  interactive?: { kind: string; id?: string; title?: string; data?: Record<string, unknown> };
  referral?: Record<string, unknown>;
  context?: Record<string, unknown>;
  /** Identities the adapter must read from the payload (the identity service resolves them to one contact). */
  sender?: InboundSender;
  group?: string;
  fromMe?: boolean;
  /** For reactions: the emoji now shown on the target (null: none). */
  shown?: string | null;
  /** Stored as a message or, until identity resolution can file it, recorded: never dropped. */
  storedOrRecorded?: boolean;
  /** Other event kinds the adapter must emit alongside. */
  alsoEmits?: InboundEvent["kind"][];
};

const C = "+5511987654321";
const LID = "123456789012345";
const w = (n: number) => `3EB0A1B2C3D4E5F600${String(n).padStart(2, "0")}`;

const WUZAPI: Record<string, Spec> = {
  "01-text-conversation": {
    effect: "message",
    type: "text",
    body: "Oi, vocês entregam em Campinas?",
    direction: "inbound",
    sender: { phone: C, name: "Maria Souza" },
  },
  "02-text-reply-quote-mention": {
    effect: "message",
    type: "text",
    body: "Sobre isso aqui @5511900000000",
    quoted: w(1),
    replyResolved: true,
    context: { mentions: ["5511900000000"] },
  },
  "03-text-lid-sender": { effect: "message", type: "text", body: "Escrevo do meu LID", sender: { phone: C, lid: LID } },
  "04-image-base64": {
    effect: "message",
    type: "image",
    body: "Foto do produto",
    mime: "image/jpeg",
    source: "base64",
    media: { size: 2048, width: 1, height: 1 },
  },
  "05-image-s3": { effect: "message", type: "image", mime: "image/png", source: "url", media: { size: 48213 } },
  // WhatsApp's own mimetype wins over WuzAPI's guess from the bytes (application/ogg).
  "06-audio-voice-note": { effect: "message", type: "audio", mime: "audio/ogg; codecs=opus", source: "base64", media: { voice: true, seconds: 7 } },
  "07-video-caption": { effect: "message", type: "video", body: "Vídeo do defeito", mime: "video/mp4", media: { seconds: 12 } },
  "08-ptv-video-note": { effect: "message", type: "video", mime: "video/mp4", media: { videoNote: true, seconds: 9 } },
  "09-document-caption": { effect: "message", type: "document", body: "Segue o orçamento", mime: "application/pdf", media: { fileName: "Orcamento-maio.pdf" } },
  "10-sticker-animated": { effect: "message", type: "sticker", mime: "image/webp", media: { animated: true } },
  "11-location": { effect: "message", type: "location", body: "Loja Centro", media: { latitude: -22.9056, longitude: -47.0608 } },
  "12-live-location": { effect: "message", type: "location", body: "Estou chegando", context: { live: true } },
  "13-contact-card": { effect: "message", type: "contact", body: "João Lima", context: { contacts: [{ name: "João Lima", phones: ["+5511912345678"] }] } },
  "14-contacts-array": {
    effect: "message",
    type: "contact",
    body: "2 contatos",
    context: {
      contacts: [
        { name: "João Lima", phones: ["+5511912345678"] },
        { name: "Ana Paula", phones: ["+5521998877665"] },
      ],
    },
  },
  "15-reaction": { effect: "reaction", type: "reaction", target: w(1), shown: "👍" },
  "16-reaction-removed": { effect: "reaction", type: "reaction", target: w(1), shown: null },
  "17-buttons-response": {
    effect: "message",
    type: "interactive",
    body: "Falar com vendas",
    interactive: { kind: "button", id: "btn_sales", title: "Falar com vendas" },
  },
  "18-list-response": { effect: "message", type: "interactive", body: "Entrega amanhã", interactive: { kind: "list", id: "row_delivery_tomorrow" } },
  "19-template-button-reply": {
    effect: "message",
    type: "interactive",
    body: "Confirmar pedido",
    interactive: { kind: "template_button", id: "confirm_order_123", title: "Confirmar pedido" },
  },
  "20-poll-creation-v3": {
    effect: "message",
    type: "poll",
    body: "Qual horário prefere?",
    context: { poll: { name: "Qual horário prefere?", options: ["Manhã", "Tarde", "Noite"], selectableCount: 1 } },
  },
  "21-poll-update-encrypted": { effect: "message", type: "poll", context: { poll: { options: [], pollId: w(20), encrypted: true } } },
  "22-edit": { effect: "edit", target: w(2), body: "Sobre isso aqui (corrigido)" },
  "23-revoke": { effect: "delete", target: w(7) },
  "24-group-text": { effect: "message", type: "text", body: "Bom dia, grupo!", group: "120363025246125486", sender: { phone: C, lid: LID } },
  "25-from-me-echo": {
    effect: "message",
    type: "text",
    body: "Enviamos hoje pelo correio!",
    direction: "outbound",
    sentBy: "phone",
    fromMe: true,
    sender: { phone: C, lid: LID },
  },
  "26-ctwa-referral": {
    effect: "message",
    type: "text",
    referral: { sourceType: "ad", sourceId: "120210000000000", headline: "Promoção de Maio", sourceUrl: "https://fb.me/3xAmPlE", mediaType: "image" },
  },
  "27-order": {
    effect: "message",
    type: "order",
    body: "Quero esses dois",
    context: { order: { orderID: "1022489358941237", itemCount: 2, totalCurrencyCode: "BRL" } },
  },
  "28-unsupported-event": { effect: "message", type: "unsupported", context: { rawType: "eventMessage" } },
  "29-ephemeral-setting": { effect: "message", type: "system", context: { system: { kind: "ephemeral_setting" } } },
  "31-native-flow-reply": {
    effect: "message",
    type: "interactive",
    body: "Enviado",
    quoted: "3EB0B0B0B0B0B0B0B004",
    interactive: { kind: "flow", id: "galaxy_message", data: { flow_token: "agendamento-7731", periodo: "manha" } },
  },
  "30-view-once-image": { effect: "message", type: "image", mime: "image/jpeg", media: { size: 30211 } },
};

const W = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUFERjg0NDEzNDdFODU3MUMx";
const U = "+16505551234";
const CLOUD: Record<string, Spec> = {
  "01-text": { effect: "message", type: "text", body: "Does it come in another color?", sender: { phone: U, name: "Sheena Nelson" } },
  "02-text-reply-context": { effect: "message", type: "text", quoted: `${W}MDEA`, replyResolved: true },
  "03-image-media-id": { effect: "message", type: "image", body: "This is the one", mime: "image/jpeg", source: "cloud_media" },
  "04-image-url": { effect: "message", type: "image", mime: "image/jpeg", source: "url" },
  "05-audio-voice": { effect: "message", type: "audio", mime: "audio/ogg; codecs=opus", source: "cloud_media", media: { voice: true } },
  "06-video": { effect: "message", type: "video", body: "Unboxing", mime: "video/mp4" },
  "07-document": { effect: "message", type: "document", body: "Invoice attached", mime: "application/pdf", media: { fileName: "invoice-2025-02.pdf" } },
  "08-sticker-animated": { effect: "message", type: "sticker", mime: "image/webp", media: { animated: true } },
  "09-location": { effect: "message", type: "location", body: "Meta Headquarters", media: { latitude: 37.483307, longitude: -122.148981 } },
  "10-contacts-two": {
    effect: "message",
    type: "contact",
    body: "Barbara J. Johnson, Pablo Morales",
    context: {
      contacts: [
        { name: "Barbara J. Johnson", phones: ["+19405551234", U] },
        { name: "Pablo Morales", phones: ["+16505554321"] },
      ],
    },
  },
  "11-reaction": { effect: "reaction", type: "reaction", target: `${W}MDEA`, shown: "\u{1F600}" },
  "12-reaction-removed": { effect: "reaction", type: "reaction", target: `${W}MDEA`, shown: null },
  "13-interactive-button-reply": {
    effect: "message",
    type: "interactive",
    body: "Change",
    interactive: { kind: "button", id: "change-button", title: "Change" },
  },
  "14-interactive-list-reply": { effect: "message", type: "interactive", body: "Express Shipping", interactive: { kind: "list", id: "priority_express" } },
  "15-button-template-quick-reply": {
    effect: "message",
    type: "interactive",
    body: "Stop promotions",
    interactive: { kind: "template_button", id: "unsubscribe_marketing", title: "Stop promotions" },
  },
  "16-order": { effect: "message", type: "order", body: "Love these!", context: { order: { catalog_id: "194836987003835" } } },
  "17-system-customer-changed-number": {
    effect: "message",
    type: "system",
    context: { system: { kind: "user_changed_number" } },
    alsoEmits: ["identity_change"],
  },
  "18-referral-ctwa": {
    effect: "message",
    type: "text",
    referral: {
      sourceType: "ad",
      sourceId: "120226305854810726",
      headline: "Spring Sale",
      ctwaClid: "Afe6eUk5hUvGLnnKZ6q2XG0q-Yr5Zq0TQXQ6fQ-6jQ7HDUbM5tRx0l_z2V0Mi8I7oP",
    },
  },
  // Meta names what it could not render (`unsupported.type`): kept as the raw type.
  "19-unsupported": { effect: "message", type: "unsupported", context: { rawType: "poll" } },
  // No phone at all: filed under the contact the identity service finds or creates for the business-scoped id.
  "20-username-only": {
    effect: "message",
    type: "text",
    body: "Hi, I only share my username",
    sender: { bsuid: "US.13491208655302741918", username: "jules.designs", name: "Jules" },
  },
  "21-group-text": { effect: "message", type: "text", body: "Hello group!", group: "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyOTM4MjAZD" },
  "22-smb-message-echo": { effect: "message", type: "text", direction: "outbound", sentBy: "phone", fromMe: true, sender: { phone: U } },
  "23-edit": { effect: "edit", target: `${W}MDIA`, body: "Yes, the green one please" },
  "24-revoke": { effect: "delete", target: `${W}MDYA` },
  "26-interactive-flow-reply": {
    effect: "message",
    type: "interactive",
    body: "Sent",
    interactive: { kind: "flow", id: "flow", data: { flow_token: "AQAAAAACS5FpgQ_cAAAAAD0QI3s.", department: "sales" } },
  },
  // pywa's fixtures (a BSUID change names the person by the id they had).
  "27-pywa-system-user-id-change": {
    effect: "message",
    type: "system",
    body: "User changed from CO.1234567890 to MX.0987654321",
    context: { system: { kind: "user_changed_user_id" } },
    sender: { bsuid: "CO.1234567890" },
    alsoEmits: ["identity_change"],
  },
  "28-pywa-system-identity-changed": {
    effect: "message",
    type: "system",
    body: "User identity changed",
    context: { system: { kind: "customer_identity_changed" } },
  },
  "29-product-inquiry": {
    effect: "message",
    type: "text",
    body: "Is this available in green?",
    context: { product: { catalogId: "194836987003835", productRetailerId: "di9ozbzfi4" } },
  },
  "25-username-with-phone": { effect: "message", type: "text", sender: { phone: U, bsuid: "US.1502576394655843", username: "sheena" } },
};

const app = createApp();
let wuzapi: Instance;
let cloud: Instance;

beforeAll(async () => {
  config.wuzapi = { ...config.wuzapi, url: "http://127.0.0.1:9", adminToken: "unused-admin-token", hmacKey: HMAC_KEY };
  pendingReceipts.retryDelaysMs = [];
  const organizationId = (await createOwner()).organization.id;
  [wuzapi] = (await db.insert(instances).values({ organizationId, name: "WuzAPI", provider: "wuzapi", providerInstanceId: "fixture-user-1" }).returning()) as [
    Instance,
  ];
  const providerConfig = encryptCloudConfig({ phoneNumberId: PHONE_NUMBER_ID, accessToken: "token", appSecret: APP_SECRET, verifyToken: "verify" });
  [cloud] = (await db.insert(instances).values({ organizationId, name: "Cloud", provider: "cloud", providerConfig }).returning()) as [Instance];
});

function load(provider: "wuzapi" | "cloud"): [string, Record<string, unknown>][] {
  const dir = join(FIXTURES, provider);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(dir, f), "utf8"))]);
}

/** Posts like WuzAPI (JSON with userID, or its default form) or Meta (X-Hub-Signature-256), signed. */
async function post(provider: "wuzapi" | "cloud", payload: Record<string, unknown>, form: boolean): Promise<Response> {
  if (provider === "cloud") {
    const raw = JSON.stringify(payload);
    const signature = `sha256=${createHmac("sha256", APP_SECRET).update(raw).digest("hex")}`;
    return app.handle(
      new Request(`http://localhost/hooks/cloud/${cloud.id}`, {
        method: "POST",
        body: raw,
        headers: { "content-type": "application/json", "x-hub-signature-256": signature },
      }),
    );
  }
  const raw = form
    ? new URLSearchParams({ jsonData: JSON.stringify(payload), userID: "fixture-user-1", instanceName: "livchat" }).toString()
    : JSON.stringify({ ...payload, userID: "fixture-user-1", instanceName: "livchat" });
  const contentType = form ? "application/x-www-form-urlencoded" : "application/json";
  const signature = createHmac("sha256", HMAC_KEY).update(raw).digest("hex");
  return app.handle(
    new Request("http://localhost/hooks/wuzapi", { method: "POST", body: raw, headers: { "content-type": contentType, "x-hmac-signature": signature } }),
  );
}

async function counts(instance: Instance) {
  const [m] = await db.select({ n: count() }).from(messages).where(eq(messages.instanceId, instance.id));
  const [e] = await db.select({ n: count() }).from(events).where(eq(events.instanceId, instance.id));
  return { messages: m!.n, events: e!.n };
}

async function row(instance: Instance, providerMessageId: string) {
  const [found] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.instanceId, instance.id), eq(messages.providerMessageId, providerMessageId)));
  return found;
}

async function unparsedSince(instance: Instance, before: number) {
  return db
    .select()
    .from(events)
    .where(and(eq(events.instanceId, instance.id), eq(events.type, "inbound.unparsed")))
    .then((rows) => rows.slice(before));
}

function ownId(provider: "wuzapi" | "cloud", payload: Record<string, unknown>): string {
  if (provider === "wuzapi") return (payload as any).event.Info.ID;
  const value = (payload as any).entry[0].changes[0].value;
  return (value.messages ?? value.message_echoes)[0].id;
}

async function check(provider: "wuzapi" | "cloud", instance: Instance, name: string, payload: Record<string, unknown>, spec: Spec) {
  const mapped = provider === "wuzapi" ? mapWuzapiPayload(payload) : mapCloudPayload(payload, PHONE_NUMBER_ID);
  const message = mapped.find((e) => e.kind === "message");
  if (spec.sender) expect(message?.kind === "message" && message.sender).toMatchObject(spec.sender);
  if (spec.group) expect(message?.kind === "message" && message.group?.id).toBe(spec.group);
  if (spec.fromMe) expect(message?.kind === "message" && message.fromMe).toBe(true);
  for (const kind of spec.alsoEmits ?? []) expect(mapped.some((e) => e.kind === kind)).toBe(true);

  const id = spec.id ?? ownId(provider, payload);
  const [{ n: unparsedBefore }] = (await db
    .select({ n: count() })
    .from(events)
    .where(and(eq(events.instanceId, instance.id), eq(events.type, "inbound.unparsed")))) as [{ n: number }];
  const res = await post(provider, payload, provider === "wuzapi" && name < "05");
  expect(res.status).toBe(200);

  if (spec.storedOrRecorded) {
    const stored = await row(instance, id);
    const recorded = (await unparsedSince(instance, unparsedBefore)).some((e) => JSON.stringify(e.data).includes(id));
    expect(!!stored || recorded).toBe(true);
  } else if (spec.effect === "message" || spec.effect === "reaction") {
    const stored = await row(instance, id);
    expect(stored).toBeDefined();
    const m = stored!;
    if (spec.type) expect(m.type).toBe(spec.type as typeof m.type);
    if (spec.body !== undefined) expect(m.body).toBe(spec.body);
    expect(m.direction).toBe(spec.direction ?? "inbound");
    if (spec.sentBy) expect(m.sentBy).toBe(spec.sentBy as NonNullable<typeof m.sentBy>);
    if (spec.mime) expect(m.media?.mimeType).toBe(spec.mime);
    if (spec.source) expect((m.media?.source as { kind: string } | undefined)?.kind).toBe(spec.source);
    // Inline bytes never land in the message row.
    expect(JSON.stringify(m.media ?? {})).not.toMatch(/[A-Za-z0-9+/]{200,}/);
    if (spec.media) expect(m.media).toMatchObject(spec.media);
    if (spec.quoted) expect(m.quotedProviderMessageId).toBe(spec.quoted);
    if (spec.replyResolved) expect(m.replyToMessageId).toBe((await row(instance, spec.quoted!))!.id);
    if (spec.interactive) expect(m.context?.interactive).toMatchObject(spec.interactive);
    if (spec.referral) {
      expect(m.context?.referral).toMatchObject(spec.referral);
      const [conversation] = await db.select().from(conversations).where(eq(conversations.id, m.conversationId));
      expect(conversation!.referral).toMatchObject(spec.referral);
      const [received] = await db
        .select()
        .from(events)
        .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.received"), sql`${events.data}->'message'->>'id' = ${m.id}`));
      expect((received!.data as any).message.referral).toMatchObject(spec.referral);
    }
    if (spec.context) expect(m.context).toMatchObject(spec.context);
    if (spec.group) {
      // Filed under the group's contact, the participant as the sender.
      const [party] = await db.select().from(contacts).where(eq(contacts.id, m.contactId));
      expect(party!.kind).toBe("group");
      expect(m.senderContactId).not.toBeNull();
    }
    if (spec.direction === "outbound") {
      const [conversation] = await db.select().from(conversations).where(eq(conversations.id, m.conversationId));
      expect(m.status).toBe("sent");
      expect(conversation!.lastMessagePreview).toContain(m.body!.slice(0, 20));
    }
    if (spec.effect === "reaction") {
      const target = (await row(instance, spec.target!))!;
      const shown = (target.reactions ?? []).map((r) => r.emoji);
      if (spec.shown) expect(shown).toEqual([spec.shown]);
      else expect(shown).toEqual([]);
      const [evented] = await db
        .select()
        .from(events)
        .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.reaction"), sql`${events.data}->'reaction'->>'messageId' = ${m.id}`));
      expect((evented!.data as any).reaction).toMatchObject({ targetMessageId: target.id, emoji: spec.shown ?? "", removed: !spec.shown });
    }
  } else if (spec.effect === "edit") {
    const target = (await row(instance, spec.target!))!;
    expect(target.body).toBe(spec.body!);
    expect(target.editedAt).not.toBeNull();
    expect(target.previousVersions?.length).toBe(1);
    expect(await row(instance, id)).toBeUndefined();
    const edited = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.edited")));
    expect(edited.some((e) => (e.data as any).message.id === target.id && (e.data as any).message.body === spec.body)).toBe(true);
  } else if (spec.effect === "delete") {
    const target = (await row(instance, spec.target!))!;
    expect(target.deletedAt).not.toBeNull();
    // The organization keeps deleted content for the audit trail by default.
    expect(target.body ?? target.media).not.toBeNull();
    const deleted = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.deleted")));
    expect(deleted.some((e) => (e.data as any).message.id === target.id)).toBe(true);
  } else if (spec.effect === "unparsed") {
    expect((await unparsedSince(instance, unparsedBefore)).length).toBe(1);
  }

  // Delivered again (providers retry): nothing new is stored or evented.
  const before = await counts(instance);
  const again = await post(provider, payload, false);
  expect(again.status).toBe(200);
  const after = await counts(instance);
  expect(after.messages).toBe(before.messages);
  if (!spec.storedOrRecorded && spec.effect !== "unparsed") expect(after.events).toBe(before.events);
}

describe("fixture corpus", () => {
  test("every fixture file has an expectation and the corpus covers at least 30 payloads", () => {
    const wuzapiFiles = load("wuzapi").map(([name]) => name);
    const cloudFiles = load("cloud").map(([name]) => name);
    expect(wuzapiFiles).toEqual(Object.keys(WUZAPI).sort());
    expect(cloudFiles).toEqual(Object.keys(CLOUD).sort());
    expect(wuzapiFiles.length + cloudFiles.length).toBeGreaterThanOrEqual(30);
    const sources = readFileSync(join(FIXTURES, "SOURCES.md"), "utf8");
    for (const name of [...wuzapiFiles.map((n) => `wuzapi/${n}.json`), ...cloudFiles.map((n) => `cloud/${n}.json`)]) expect(sources).toContain(name);
  });

  describe("WuzAPI, posted signed to /hooks/wuzapi", () => {
    for (const [name, payload] of load("wuzapi")) {
      test(name, async () => {
        await check("wuzapi", wuzapi, name, payload, WUZAPI[name]!);
      });
    }
  });

  describe("Cloud API, posted signed to /hooks/cloud/:instanceId", () => {
    for (const [name, payload] of load("cloud")) {
      test(name, async () => {
        await check("cloud", cloud, name, payload, CLOUD[name]!);
      });
    }
  });
});
