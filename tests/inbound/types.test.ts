import { beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, conversations, events, instances, messages, organizations, triggerFirings, triggers, type Instance } from "@/db/schema";
import { createFlow, publishFlow, saveStep } from "@/features/flows/flow.service";
import { flowStepSchema } from "@/features/flows/flow.schema";
import { ingestEvents, ingestInbound, pendingReceipts } from "@/features/inbound/inbound.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { encryptCloudConfig } from "@/providers/cloud";
import type { InboundEvent } from "@/providers/provider";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { withLocale } from "@/lib/i18n";
import { MessageList } from "@views/inbox/_conversation";
import { MessageBubble } from "@views/inbox/_message";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { api } from "../helpers/client";
import { createMember, createOwner, setupOrg, signIn } from "../helpers/factories";
import { systemCaller } from "@/lib/caller";

/**
 * What the inbound service does with the types beyond a plain message: edits keep their history,
 * deletions follow the organization's audit setting, reactions land on their target per party, the
 * business's own echoes are sent messages (never a second copy of one we sent), referrals are first
 * touch, interactive ids reach triggers, and bad input is answered and recorded, never dropped.
 */

const app = createApp();
let organizationId: string;
let instance: Instance;
const HMAC_KEY = "types-hmac-key-types-hmac-key-0123456789";
const APP_SECRET = "types-app-secret";
let cloud: Instance;

beforeAll(async () => {
  config.wuzapi = { ...config.wuzapi, url: "http://127.0.0.1:9", adminToken: "unused", hmacKey: HMAC_KEY };
  pendingReceipts.retryDelaysMs = [];
  organizationId = (await createOwner()).organization.id;
  [instance] = (await db
    .insert(instances)
    .values({ organizationId, name: "types", provider: "wuzapi", status: "connected", providerInstanceId: "types-user" })
    .returning()) as [Instance];
  const providerConfig = encryptCloudConfig({ phoneNumberId: "555000", accessToken: "t", appSecret: APP_SECRET, verifyToken: "v" });
  [cloud] = (await db.insert(instances).values({ organizationId, name: "cloud", provider: "cloud", providerConfig }).returning()) as [Instance];
});

type MessageEvent = Extract<InboundEvent, { kind: "message" }>;
const at = (minute: number) => new Date(Date.UTC(2026, 0, 2, 10, minute));
const message = (id: string, extra: Partial<MessageEvent> = {}): MessageEvent => ({
  kind: "message",
  providerMessageId: id,
  from: "+5511944443333",
  sender: { phone: "+5511944443333", name: "João" },
  type: "text",
  body: "bom dia",
  timestamp: at(0),
  ...extra,
});
const byId = async (id: string, on: Instance = instance) =>
  (
    await db
      .select()
      .from(messages)
      .where(and(eq(messages.instanceId, on.id), eq(messages.providerMessageId, id)))
  )[0];
/** An instance's events of a type in the order they were recorded (each ingest is its own transaction). */
const eventsOf = async (type: string, on: Instance = instance) =>
  db
    .select()
    .from(events)
    .where(and(eq(events.instanceId, on.id), eq(events.type, type)))
    .orderBy(events.txId, events.at);

describe("edits and deletions", () => {
  test("each edit replaces the body and keeps the one before; a redelivered edit changes nothing", async () => {
    await ingestEvents(instance, [message("E-1", { body: "first" })]);
    await ingestEvents(instance, [{ kind: "edit", targetProviderMessageId: "E-1", body: "second", timestamp: at(1) }]);
    const edit2: InboundEvent = { kind: "edit", targetProviderMessageId: "E-1", body: "third", timestamp: at(2) };
    await ingestEvents(instance, [edit2]);
    const { counts } = await ingestEvents(instance, [edit2]);
    expect(counts.duplicates).toBe(1);
    const row = (await byId("E-1"))!;
    expect(row.body).toBe("third");
    expect(row.editedAt!.toISOString()).toBe(at(2).toISOString());
    expect(row.previousVersions?.map((v) => v.body)).toEqual(["first", "second"]);
    const edited = await eventsOf("message.edited");
    expect(edited.map((e) => (e.data as any).message.body)).toEqual(["second", "third"]);
    expect((edited[1]!.data as any).message.previousBody).toBe("second");
  });

  test("an edit or delete of a message never stored is recorded as unparsed, not lost", async () => {
    const before = (await eventsOf("inbound.unparsed")).length;
    await ingestEvents(instance, [
      { kind: "edit", targetProviderMessageId: "NEVER", body: "x", timestamp: at(3) },
      { kind: "delete", targetProviderMessageId: "NEVER", timestamp: at(3) },
    ]);
    const recorded = (await eventsOf("inbound.unparsed")).slice(before);
    expect(recorded.map((e) => (e.data as any).reason)).toEqual([
      "edit of a message this instance never stored",
      "deletion of a message this instance never stored",
    ]);
  });

  test("deleted for everyone: kept for the audit trail by default, cleared when the organization says so", async () => {
    await ingestEvents(instance, [
      message("D-1", { body: "keep me" }),
      message("D-2", { body: "forget me", type: "image", media: { url: "https://x/y.jpg" } }),
    ]);
    await ingestEvents(instance, [{ kind: "delete", targetProviderMessageId: "D-1", timestamp: at(4) }]);
    expect(await byId("D-1")).toMatchObject({ body: "keep me" });
    expect((await byId("D-1"))!.deletedAt).not.toBeNull();

    await db.update(organizations).set({ keepDeletedMessages: false }).where(eq(organizations.id, organizationId));
    await ingestEvents(instance, [{ kind: "delete", targetProviderMessageId: "D-2", timestamp: at(5) }]);
    const cleared = (await byId("D-2"))!;
    expect(cleared).toMatchObject({ body: null, media: null });
    expect(cleared.deletedAt).not.toBeNull();
    const deleted = await eventsOf("message.deleted");
    expect(deleted.map((e) => (e.data as any).message.contentKept)).toEqual([true, false]);
    await db.update(organizations).set({ keepDeletedMessages: true }).where(eq(organizations.id, organizationId));
  });
});

describe("the organization's setting for deleted messages", () => {
  test("an admin turns keeping deleted content off and on in Settings; audited; a member cannot", async () => {
    const owner = await setupOrg(app);
    const page = await (await owner.client.get("/settings")).text();
    expect(page).toContain('name="keepDeletedMessages" value="on" checked');
    const off = await owner.client.postForm("/settings/deleted-messages", {}, { htmx: true });
    expect(off.status).toBeLessThan(400);
    const read = async () => (await db.select().from(organizations).where(eq(organizations.id, owner.organization.id)))[0]!.keepDeletedMessages;
    expect(await read()).toBe(false);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, owner.organization.id), eq(auditLogs.action, "organization.deleted_messages_changed")));
    expect(audit!.details).toMatchObject({ keepDeletedMessages: { from: true, to: false } });
    await owner.client.postForm("/settings/deleted-messages", { keepDeletedMessages: "on" }, { htmx: true });
    expect(await read()).toBe(true);
    const agent = await signIn(app, (await createMember(owner.organization.id, "agent")).id, owner.organization.id);
    expect((await agent.postForm("/settings/deleted-messages", {}, { htmx: true })).status).toBe(403);
    expect(await read()).toBe(true);
  });
});

describe("reactions", () => {
  test("one reaction per party on the target: the contact's and the business's, each replaced or removed on its own", async () => {
    await ingestEvents(instance, [message("R-T", { body: "target" })]);
    const react = (id: string, emoji: string, fromMe = false): MessageEvent =>
      message(id, { type: "reaction", body: emoji || undefined, reaction: { targetProviderMessageId: "R-T", emoji }, ...(fromMe ? { fromMe: true } : {}) });
    await ingestEvents(instance, [react("R-1", "👍")]);
    await ingestEvents(instance, [react("R-2", "❤️", true)]);
    await ingestEvents(instance, [react("R-3", "😂")]);
    let target = (await byId("R-T"))!;
    expect(target.reactions?.map((r) => [r.by === "business" ? "business" : "contact", r.emoji]).sort()).toEqual([
      ["business", "❤️"],
      ["contact", "😂"],
    ]);
    await ingestEvents(instance, [react("R-4", "")]);
    target = (await byId("R-T"))!;
    expect(target.reactions?.map((r) => r.emoji)).toEqual(["❤️"]);
    // Each reaction is kept as its own message too (the record), a removal included.
    expect((await byId("R-4"))!.type).toBe("reaction");
    const evented = await eventsOf("message.reaction");
    expect(evented.map((e) => (e.data as any).reaction.removed)).toEqual([false, false, false, true]);
  });
});

describe("own messages echoed by the provider", () => {
  test("stored as sent outbound in the contact's conversation, not unread, automation-free; a message we sent is not stored twice", async () => {
    await ingestEvents(instance, [message("O-0", { body: "hello" })]);
    const first = (await byId("O-0"))!;
    const [before] = await db.select().from(conversations).where(eq(conversations.id, first.conversationId));
    const { counts } = await ingestEvents(instance, [message("O-1", { body: "from the phone", fromMe: true, fromName: "Loja" })]);
    expect(counts.stored).toBe(1);
    const echo = (await byId("O-1"))!;
    expect(echo).toMatchObject({ direction: "outbound", status: "sent", sentBy: "phone", conversationId: first.conversationId });
    const [after] = await db.select().from(conversations).where(eq(conversations.id, first.conversationId));
    expect(after!.unreadCount).toBe(before!.unreadCount);
    const sent = await eventsOf("message.sent");
    expect(sent.some((e) => (e.data as any).message.id === echo.id && (e.data as any).message.sentBy === "phone")).toBe(true);

    // Our own send (the outbound worker stored its provider id) echoed back: no second row.
    await db.insert(messages).values({
      organizationId,
      instanceId: instance.id,
      conversationId: first.conversationId,
      contactId: first.contactId,
      direction: "outbound",
      providerMessageId: "O-OURS",
      type: "text",
      body: "sent by the API",
      status: "sent",
      sentBy: "api",
    });
    const again = await ingestEvents(instance, [message("O-OURS", { body: "sent by the API", fromMe: true })]);
    expect(again.counts).toMatchObject({ stored: 0, duplicates: 1 });
    expect((await byId("O-OURS"))!.sentBy).toBe("api");
  });
});

describe("referrals and quotes", () => {
  test("the conversation keeps the first ad that brought the contact; each message keeps its own", async () => {
    const contact = { from: "+5511955554444", sender: { phone: "+5511955554444" } };
    await ingestEvents(instance, [message("F-1", { ...contact, referral: { sourceId: "ad-1", ctwaClid: "clid-1" } })]);
    await ingestEvents(instance, [message("F-2", { ...contact, referral: { sourceId: "ad-2" } })]);
    const second = (await byId("F-2"))!;
    expect(second.context?.referral).toMatchObject({ sourceId: "ad-2" });
    const [conversation] = await db.select().from(conversations).where(eq(conversations.id, second.conversationId));
    expect(conversation!.referral).toMatchObject({ sourceId: "ad-1", ctwaClid: "clid-1" });
    const received = await eventsOf("message.received");
    expect(received.some((e) => (e.data as any).message.referral?.ctwaClid === "clid-1")).toBe(true);
  });

  test("a quote of a message we never stored keeps the provider id without a link", async () => {
    await ingestEvents(instance, [message("Q-1", { quotedProviderMessageId: "UNKNOWN-Q" })]);
    expect(await byId("Q-1")).toMatchObject({ quotedProviderMessageId: "UNKNOWN-Q", replyToMessageId: null });
  });
});

describe("interactive replies reach automation by their id", () => {
  test("a trigger whose pattern is a button id fires for that button whatever its visible text", async () => {
    // An organization of its own: trigger lookups are cached per organization.
    const orgId = (await createOwner()).organization.id;
    const [own] = (await db.insert(instances).values({ organizationId: orgId, name: "buttons", provider: "wuzapi", status: "connected" }).returning()) as [
      Instance,
    ];
    const [trigger] = await db
      .insert(triggers)
      .values({ organizationId: orgId, name: "sales button", match: "equals", pattern: "btn_sales", action: "reply_template", templateKey: "missing-template" })
      .returning();
    const result = await ingestEvents(own, [
      message("I-1", {
        from: "+5511966665555",
        sender: { phone: "+5511966665555" },
        type: "interactive",
        body: "Falar com vendas",
        interactive: { kind: "button", id: "btn_sales", title: "Falar com vendas" },
      }),
    ]);
    expect(result.counts.stored).toBe(1);
    const stored = (await byId("I-1", own))!;
    const { waitFor } = await import("../helpers/wait");
    const firing = await waitFor(async () => (await db.select().from(triggerFirings).where(eq(triggerFirings.contactId, stored.contactId)))[0], {
      what: "the trigger firing",
    });
    expect(firing.triggerId).toBe(trigger!.id);
  });
});

describe("a flow's choice by button id", () => {
  test("the option named by the button's payload id is taken, whatever the button's text", async () => {
    const orgId = (await createOwner()).organization.id;
    const bot = await connectedInstance(orgId);
    const flow = await createFlow(systemCaller("test", orgId), { name: "Buttons" });
    const step = (s: Record<string, unknown>) => flowStepSchema.parse(s);
    // Without the id, the text matches no option and the flow would fall through to the next step (support).
    await saveStep(
      systemCaller("test", orgId),
      flow.id,
      step({ key: "menu", type: "send_text", text: "Pick one", waitForInput: true, transitions: { btn_support: "support", btn_sales: "sales" }, order: 0 }),
    );
    await saveStep(systemCaller("test", orgId), flow.id, step({ key: "support", type: "end", text: "Support here.", order: 1 }));
    await saveStep(systemCaller("test", orgId), flow.id, step({ key: "sales", type: "end", text: "Sales will call you.", order: 2 }));
    await publishFlow(systemCaller("test", orgId), flow.id);
    await createTrigger(systemCaller("test", orgId), triggerSchema.parse({ match: "equals", pattern: "menu", action: "start_flow", flowId: flow.id }));
    await contactWrites(bot, "+5511999990077", "menu");
    expect(await botTexts(bot.id)).toEqual(["Pick one"]);
    const tapped = await ingestInbound(bot, {
      kind: "message",
      providerMessageId: "FLOW-BTN-1",
      from: "+5511999990077",
      type: "interactive",
      body: "Falar com vendas",
      interactive: { kind: "button", id: "btn_sales", title: "Falar com vendas" },
      timestamp: new Date(),
    });
    if (tapped.kind === "message") await tapped.hooks;
    expect(await botTexts(bot.id)).toEqual(["Pick one", "Sales will call you."]);
  });
});

describe("bad input", () => {
  const wuzapiHook = (raw: string, headers: Record<string, string>) =>
    app.handle(new Request("http://localhost/hooks/wuzapi", { method: "POST", body: raw, headers }));
  const cloudHook = (raw: string, headers: Record<string, string>) =>
    app.handle(new Request(`http://localhost/hooks/cloud/${cloud.id}`, { method: "POST", body: raw, headers }));

  test("unsigned or wrongly signed: 401 and nothing stored or recorded", async () => {
    const raw = JSON.stringify({
      type: "Message",
      userID: "types-user",
      event: { Info: { ID: "BAD-SIG", Sender: "5511944443333@s.whatsapp.net" }, Message: { conversation: "x" } },
    });
    const before = (await eventsOf("inbound.unparsed")).length;
    expect((await wuzapiHook(raw, { "content-type": "application/json" })).status).toBe(401);
    expect((await wuzapiHook(raw, { "content-type": "application/json", "x-hmac-signature": "0".repeat(64) })).status).toBe(401);
    const cloudRaw = JSON.stringify({ object: "whatsapp_business_account", entry: [] });
    expect((await cloudHook(cloudRaw, { "content-type": "application/json", "x-hub-signature-256": `sha256=${"0".repeat(64)}` })).status).toBe(401);
    expect(await byId("BAD-SIG")).toBeUndefined();
    expect((await eventsOf("inbound.unparsed")).length).toBe(before);
  });

  test("signed but unreadable: 200, and the reason with an excerpt in the event log", async () => {
    const junk = "this is not json {";
    const sig = createHmac("sha256", APP_SECRET).update(junk).digest("hex");
    const res = await cloudHook(junk, { "content-type": "application/json", "x-hub-signature-256": `sha256=${sig}` });
    expect(res.status).toBe(200);
    const [recorded] = await eventsOf("inbound.unparsed", cloud);
    expect(recorded!.data).toMatchObject({ provider: "cloud", reason: "Cloud webhook body is not JSON", excerpt: junk });

    const form = `jsonData=${encodeURIComponent("{not json")}&userID=types-user`;
    const wsig = createHmac("sha256", HMAC_KEY).update(form).digest("hex");
    const wres = await wuzapiHook(form, { "content-type": "application/x-www-form-urlencoded", "x-hmac-signature": wsig });
    expect(wres.status).toBe(200);
    const wrecorded = await eventsOf("inbound.unparsed");
    expect(wrecorded.some((e) => (e.data as any).reason === "WuzAPI body is not JSON or form data with jsonData")).toBe(true);

    // Signed junk naming no instance: still a 200 (WuzAPI's, since it is signed), kept in the platform's log.
    const junkRaw = "garbage without any user";
    const junkRes = await wuzapiHook(junkRaw, {
      "content-type": "application/json",
      "x-hmac-signature": createHmac("sha256", HMAC_KEY).update(junkRaw).digest("hex"),
    });
    expect(junkRes.status).toBe(200);
    const [platformWide] = await db
      .select()
      .from(events)
      .where(and(eq(events.type, "inbound.unparsed"), sql`${events.instanceId} is null`, sql`${events.data}->>'excerpt' = ${junkRaw}`));
    expect(platformWide!.organizationId).toBeNull();

    // A message the adapter cannot read (no id) is recorded with the payload, capped in size.
    const huge = JSON.stringify({ type: "Message", userID: "types-user", event: { Info: {}, Message: { conversation: "y".repeat(20_000) } } });
    const hsig = createHmac("sha256", HMAC_KEY).update(huge).digest("hex");
    expect((await wuzapiHook(huge, { "content-type": "application/json", "x-hmac-signature": hsig })).status).toBe(200);
    // The events are read without an order: this one is found by its reason, not by its place.
    const unread = (await eventsOf("inbound.unparsed")).find((e) => (e.data as any).reason === "WuzAPI message without Info.ID");
    expect(unread).toBeDefined();
    expect((unread!.data as any).excerpt.length).toBeLessThan(5000);
  });

  test("a well-formed message of a type nobody knows is stored as unsupported with its raw type, and evented", async () => {
    const payload = {
      type: "Message",
      userID: "types-user",
      event: {
        Info: { ID: "UNK-1", Chat: "5511944443333@s.whatsapp.net", Sender: "5511944443333@s.whatsapp.net", Timestamp: "2026-01-02T10:00:00Z" },
        Message: { brandNewMessage: { foo: 1 } },
      },
    };
    const raw = JSON.stringify(payload);
    const sig = createHmac("sha256", HMAC_KEY).update(raw).digest("hex");
    expect((await wuzapiHook(raw, { "content-type": "application/json", "x-hmac-signature": sig })).status).toBe(200);
    const row = (await byId("UNK-1"))!;
    expect(row).toMatchObject({ type: "unsupported", context: { rawType: "brandNewMessage" } });
    const received = await eventsOf("message.received");
    expect(received.some((e) => (e.data as any).message.id === row.id && (e.data as any).message.type === "unsupported")).toBe(true);
  });
});

describe("polls the provider cannot read", () => {
  const fixture = (path: string) => Bun.file(new URL(`../fixtures/providers/${path}`, import.meta.url)).json();
  const bubbleIn = (locale: "en" | "pt-BR", row: typeof messages.$inferSelect) =>
    withLocale({ locale, timeZone: "America/Sao_Paulo" }, async () => String(await MessageBubble({ message: row })));

  test("a WuzAPI vote (encrypted) and a Cloud poll (not delivered) are stored as such and said plainly in the inbox and the API, in pt-BR and en", async () => {
    const { secret } = await createApiKey({ organizationId, name: "polls", scopes: ["*"] });
    for (const name of ["20-poll-creation-v3", "21-poll-update-encrypted"]) {
      const raw = JSON.stringify({ ...(await fixture(`wuzapi/${name}.json`)), userID: "types-user" });
      const sig = createHmac("sha256", HMAC_KEY).update(raw).digest("hex");
      const res = await app.handle(
        new Request("http://localhost/hooks/wuzapi", { method: "POST", body: raw, headers: { "content-type": "application/json", "x-hmac-signature": sig } }),
      );
      expect(res.status).toBe(200);
    }
    const vote = (await byId("3EB0A1B2C3D4E5F60021"))!;
    expect(vote).toMatchObject({ type: "poll", body: null, context: { poll: { pollId: "3EB0A1B2C3D4E5F60020", encrypted: true } } });
    expect(await bubbleIn("en", vote)).toContain("Poll vote received, not readable: WhatsApp encrypts votes and the provider does not decrypt them");
    expect(await bubbleIn("pt-BR", vote)).toContain("Voto em enquete recebido, não legível");
    // Not drawn as an empty poll: no options list, no "📊" heading.
    expect(await bubbleIn("en", vote)).not.toContain("poll-options");
    const poll = (await byId("3EB0A1B2C3D4E5F60020"))!;
    expect(poll.type).toBe("poll");
    expect(await bubbleIn("en", poll)).toContain("poll-options");
    // In the thread, the vote links to the poll it answers (by the poll's provider id), its question as the preview.
    const thread = await withLocale({ locale: "en" }, async () =>
      String(await MessageList({ conversationId: vote.conversationId, messages: [poll, vote], olderCursor: null })),
    );
    const voteBubble = thread.slice(thread.indexOf(`id="msg-${vote.id}"`));
    expect(voteBubble).toContain(`href="#msg-${poll.id}"`);
    expect(voteBubble).toContain(poll.body!);
    // The API gives the same honest shape: a poll message, no body, the vote marked encrypted with the poll it answers.
    const apiVote = await api(app, "GET", `/v1/messages/${vote.id}`, secret);
    expect(apiVote.status).toBe(200);
    expect(apiVote.body).toMatchObject({ type: "poll", body: null, context: { poll: { pollId: "3EB0A1B2C3D4E5F60020", encrypted: true } } });

    // The Cloud API does not deliver polls: Meta sends `unsupported` naming the type.
    const cloudPayload = await fixture("cloud/19-unsupported.json");
    cloudPayload.entry[0].changes[0].value.metadata.phone_number_id = "555000";
    const raw = JSON.stringify(cloudPayload);
    const sig = createHmac("sha256", APP_SECRET).update(raw).digest("hex");
    const res = await app.handle(
      new Request(`http://localhost/hooks/cloud/${cloud.id}`, {
        method: "POST",
        body: raw,
        headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${sig}` },
      }),
    );
    expect(res.status).toBe(200);
    const cloudPoll = (await byId("wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMTkA", cloud))!;
    expect(cloudPoll).toMatchObject({ type: "unsupported", context: { rawType: "poll" } });
    expect(await bubbleIn("en", cloudPoll)).toContain("Poll received, not readable: the WhatsApp Cloud API does not deliver the content of polls");
    expect(await bubbleIn("pt-BR", cloudPoll)).toContain("Enquete recebida, não legível");
    const apiPoll = await api(app, "GET", `/v1/messages/${cloudPoll.id}`, secret);
    expect(apiPoll.body).toMatchObject({ type: "unsupported", context: { rawType: "poll" } });
  });
});
