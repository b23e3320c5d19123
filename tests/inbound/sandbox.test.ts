import { beforeAll, describe, expect, test } from "bun:test";
import { flushUsage } from "@/features/usage/usage.service";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, conversations, devices, events, instances, messages, usageDaily } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { onInboundMessage, pendingReceiptCount, type InboundMessageContext } from "@/features/inbound/inbound.service";
import { subscribeLive } from "@/lib/live";
import { qrDataUrl } from "@/providers/qr";
import { providerFor } from "@/providers";
import { sandboxIdle, sandboxTiming } from "@/providers/sandbox";
import { sandboxPair } from "@/features/inbound/sandbox.service";
import { applyInstanceStatus, connectInstance, logoutInstance, requestPairingCode } from "@/features/instances/instance.service";
import { systemCaller } from "@/lib/caller";
import type { Instance } from "@/db/schema";
import { TestClient, api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

async function newInstance(organizationId: string | null, extra: Partial<typeof instances.$inferInsert> = {}): Promise<Instance> {
  const [row] = await db
    .insert(instances)
    .values({ organizationId, name: "Sandbox test", provider: "sandbox", ...extra })
    .returning();
  return row!;
}

async function reload(id: string): Promise<Instance> {
  const [row] = await db.select().from(instances).where(eq(instances.id, id));
  return row!;
}

async function eventTypes(instanceId: string): Promise<string[]> {
  const rows = await db.select({ type: events.type }).from(events).where(eq(events.instanceId, instanceId)).orderBy(events.at);
  return rows.map((r) => r.type);
}

/** The wired sandbox adapter (createApp hands it the inbound sink and the pairing memory). */
const sandbox = () => providerFor({ provider: "sandbox" });
const orgScope = () => systemCaller("sandbox test", org.organization.id);

async function connected(organizationId: string | null, extra: Partial<typeof instances.$inferInsert> = {}) {
  const instance = await newInstance(organizationId, extra);
  await applyInstanceStatus(instance, await sandbox().connect(instance));
  return sandboxPair(await reload(instance.id));
}

beforeAll(async () => {
  org = await setupOrg(app);
  other = await setupOrg(app);
  Object.assign(sandboxTiming, { sentMs: 5, deliveredMs: 10, readMs: 15 });
});

describe("sandbox connect and pairing", () => {
  test("connect shows a QR linking to the pairing page; opening it and pressing Pair connects", async () => {
    const instance = await newInstance(org.organization.id);
    // The adapter answers a QR link and writes no instance state; the instance service stores it once.
    expect((await sandbox().connect(instance)).status).toBe("qr");
    expect((await reload(instance.id)).status).toBe("disconnected");
    expect(await eventTypes(instance.id)).toEqual([]);
    const connectedResult = await connectInstance(orgScope(), instance.id);
    const result = { status: connectedResult.status, qrCode: connectedResult.qr?.code };
    expect(result.status).toBe("qr");
    expect(result.qrCode!.startsWith(`${config.appUrl}/sandbox/pair/${instance.id}.`)).toBe(true);
    const image = await qrDataUrl(result.qrCode!);
    expect(image.startsWith("data:image/png;base64,")).toBe(true);
    expect(Buffer.from(image.split(",")[1]!, "base64").subarray(1, 4).toString()).toBe("PNG");
    expect((await reload(instance.id)).status).toBe("qr");
    expect(await eventTypes(instance.id)).toEqual(["instance.qr"]);
    expect((await sandbox().getQr(await reload(instance.id))).qrCode).toBe(result.qrCode!);

    const path = new URL(result.qrCode!).pathname;
    const browser = new TestClient(app);
    const page = await browser.get(path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Sandbox test");
    expect(html).toContain('type="submit"');

    const withoutCsrf = await browser.postForm(path, {}, { csrf: false });
    expect(withoutCsrf.status).toBe(403);
    expect((await reload(instance.id)).status).toBe("qr");

    const paired = await browser.postForm(path, {});
    expect(paired.status).toBe(200);
    expect(await paired.text()).toContain("is paired");
    const after = await reload(instance.id);
    expect(after.status).toBe("connected");
    expect(after.waJid).toMatch(/^55000\d{8}@s\.whatsapp\.net$/);
    expect(after.lastConnectedAt).toBeInstanceOf(Date);
    expect(await eventTypes(instance.id)).toEqual(["instance.qr", "instance.connected"]);

    // The link stops working once used.
    expect((await browser.get(path)).status).toBe(404);
    expect((await browser.get("/sandbox/pair/not-a-token")).status).toBe(404);
  });

  test("POST /v1/sandbox/instances/:id/scan pairs a showing QR; other orgs get 404, no key 401, wrong scope 403", async () => {
    const instance = await newInstance(org.organization.id);
    const early = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, org.key, {});
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain("Connect the instance first");

    await connectInstance(orgScope(), instance.id);
    expect((await api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, undefined, {})).status).toBe(401);
    const otherOrg = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, other.key, {});
    expect(otherOrg.status).toBe(404);
    expect(otherOrg.body.error.code).toBe("not_found");
    expect((await api(app, "POST", `/v1/sandbox/instances/not-a-uuid/scan`, org.key, {})).status).toBe(404);
    const readOnly = await createApiKey({ organizationId: org.organization.id, name: "ro", scopes: ["instances:read"] });
    expect((await api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, readOnly.secret, {})).status).toBe(403);
    const boundElsewhere = await createApiKey({
      organizationId: org.organization.id,
      name: "bound",
      scopes: ["*"],
      instanceId: (await newInstance(org.organization.id)).id,
    });
    expect((await api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, boundElsewhere.secret, {})).status).toBe(404);
    expect((await reload(instance.id)).status).toBe("qr");

    const res = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, org.key);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("connected");
    expect(res.body.waJid).toMatch(/@s\.whatsapp\.net$/);
    // Scanning again is harmless and emits nothing new.
    expect((await api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, org.key, {})).body.status).toBe("connected");
    expect(await eventTypes(instance.id)).toEqual(["instance.qr", "instance.connected"]);
  });

  test("pairing code: an 8-character code pairs through scan {code} with the phone it was issued for", async () => {
    const instance = await newInstance(org.organization.id);
    const { code } = await requestPairingCode(orgScope(), instance.id, "+55 11 99999-0001");
    expect((await reload(instance.id)).status).toBe("connecting");
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    const wrong = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, org.key, { code: "ZZZZZZZZ" === code ? "YYYYYYYY" : "ZZZZZZZZ" });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details[0].path).toBe("code");
    const ok = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/scan`, org.key, { code: `${code.slice(0, 4)}-${code.slice(4).toLowerCase()}` });
    expect(ok.status).toBe(200);
    expect(ok.body.waJid).toBe("5511999990001@s.whatsapp.net");
  });

  test("logout moves to logged_out; status and checkNumbers answer like a provider", async () => {
    const instance = await connected(org.organization.id);
    expect(await sandbox().status(instance)).toMatchObject({ status: "connected" });
    expect(await sandbox().checkNumbers(instance, ["+5511999990001", "12"])).toEqual([
      { phone: "+5511999990001", exists: true, jid: "5511999990001@s.whatsapp.net" },
      { phone: "12", exists: false },
    ]);
    expect(await sandbox().logout(instance)).toEqual({ status: "logged_out" });
    expect((await reload(instance.id)).status).toBe("connected");
    await logoutInstance(orgScope(), instance.id);
    expect((await reload(instance.id)).status).toBe("logged_out");
    expect(await eventTypes(instance.id)).toContain("instance.logged_out");
    await expect(sandbox().send(await reload(instance.id), { to: "+5511999990001", type: "text", text: "x" })).rejects.toMatchObject({ retryable: false });
  });
});

describe("sandbox inbound simulator", () => {
  test("a contact writing creates contact + conversation + message + events, and reopens resolved conversations", async () => {
    const instance = await connected(org.organization.id);
    const seen: InboundMessageContext[] = [];
    const hook = async (ctx: InboundMessageContext) => {
      seen.push(ctx);
    };
    onInboundMessage.push(hook);
    const live: Record<string, unknown>[] = [];
    const unsubscribe = await subscribeLive(`org:${org.organization.id}:inbox`, (data) => live.push(data));

    const res = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, {
      from: "+5511988887777",
      text: "Olá, tudo bem?",
      name: "Maria",
    });
    expect(res.status).toBe(201);
    const { messageId, conversationId, contactId } = res.body;
    const [message] = await db.select().from(messages).where(eq(messages.id, messageId));
    expect(message).toMatchObject({
      direction: "inbound",
      type: "text",
      body: "Olá, tudo bem?",
      organizationId: org.organization.id,
      conversationId,
      contactId,
    });
    expect(message!.providerMessageId).toMatch(/^SBIN/);
    const [contact] = await db.select().from(contacts).where(eq(contacts.id, contactId));
    expect(contact).toMatchObject({ phone: "+5511988887777", name: "Maria", organizationId: org.organization.id });
    expect(contact!.lastInteractionAt).toBeInstanceOf(Date);
    const [conversation] = await db.select().from(conversations).where(eq(conversations.id, conversationId));
    expect(conversation).toMatchObject({ status: "open", unreadCount: 1, lastMessagePreview: "Olá, tudo bem?", instanceId: instance.id });
    expect((await reload(instance.id)).lastActivityAt).toBeInstanceOf(Date);

    const received = await db
      .select()
      .from(events)
      .where(and(eq(events.instanceId, instance.id), eq(events.type, "message.received")));
    expect(received.length).toBe(1);
    expect(received[0]!.data).toMatchObject({ message: { id: messageId, from: "+5511988887777", fromName: "Maria", body: "Olá, tudo bem?", type: "text" } });
    expect(await eventTypes(instance.id)).toEqual(["instance.qr", "instance.connected", "contact.created", "conversation.created", "message.received"]);
    await flushUsage(); // received messages are metered in batches
    const [usage] = await db
      .select()
      .from(usageDaily)
      .where(and(eq(usageDaily.organizationId, org.organization.id), eq(usageDaily.metric, "messages_received"), eq(usageDaily.instanceId, instance.id)));
    expect(usage!.count).toBe(1);

    // Media, then resolution, then a new message reopens it (and hands it back to the bot).
    const media = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, {
      from: "+5511988887777",
      media: { url: "https://example.test/cat.jpg", caption: "gato" },
    });
    expect(media.status).toBe(201);
    const [mediaMessage] = await db.select().from(messages).where(eq(messages.id, media.body.messageId));
    expect(mediaMessage).toMatchObject({ type: "image", body: "gato", media: { url: "https://example.test/cat.jpg", caption: "gato" } });
    await db.update(conversations).set({ status: "resolved", handledBy: "human", resolvedAt: new Date() }).where(eq(conversations.id, conversationId));
    await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, { from: "+5511988887777", text: "voltei" });
    const [reopened] = await db.select().from(conversations).where(eq(conversations.id, conversationId));
    expect(reopened).toMatchObject({ status: "open", handledBy: "bot", resolvedAt: null, unreadCount: 3, lastMessagePreview: "voltei" });
    expect((await db.select().from(contacts).where(eq(contacts.phone, "+5511988887777"))).length).toBe(1);

    await waitFor(() => seen.length >= 3 && live.length >= 3, { what: "three inbound hooks and live notifications" });
    onInboundMessage.splice(onInboundMessage.indexOf(hook), 1);
    unsubscribe();
    // Hooks of different messages run concurrently: compare the set, not the order.
    expect(seen.map((s) => s.message.body).sort()).toEqual(["Olá, tudo bem?", "gato", "voltei"].sort());
    expect(seen[0]!.conversation.id).toBe(conversationId);
    expect(live[0]).toEqual({ conversationId, messageId });
  });

  test("a tapped button (its id kept for automation) and a reply quoting an earlier message", async () => {
    const instance = await connected(org.organization.id);
    const first = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, { from: "+5511988886666", text: "menu?" });
    const [quoted] = await db.select().from(messages).where(eq(messages.id, first.body.messageId));
    const tap = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, {
      from: "+5511988886666",
      button: { id: "menu_sales", title: "Vendas" },
      replyTo: quoted!.providerMessageId,
    });
    expect(tap.status).toBe(201);
    const [row] = await db.select().from(messages).where(eq(messages.id, tap.body.messageId));
    expect(row).toMatchObject({
      type: "interactive",
      body: "Vendas",
      context: { interactive: { kind: "button", id: "menu_sales", title: "Vendas" } },
      quotedProviderMessageId: quoted!.providerMessageId,
      replyToMessageId: quoted!.id,
    });
    const blank = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, { from: "+5511988886666", button: { id: " " } });
    expect(blank.status).toBe(422);
    expect(blank.body.error.details.map((d: { path: string }) => d.path)).toContain("button.id");
  });

  test("validation, disconnected instance, other organization", async () => {
    const instance = await connected(org.organization.id);
    const empty = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, { from: "+5511988887777" });
    expect(empty.status).toBe(422);
    expect(empty.body.error.code).toBe("validation_failed");
    const badPhone = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, { from: "abc", text: "x" });
    expect(badPhone.status).toBe(422);
    expect(badPhone.body.error.details[0].path).toBe("from");
    expect((await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, other.key, { from: "+5511988887777", text: "x" })).status).toBe(404);
    expect((await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, undefined, { from: "+5511988887777", text: "x" })).status).toBe(401);
    const idle = await newInstance(org.organization.id);
    const notConnected = await api(app, "POST", `/v1/sandbox/instances/${idle.id}/inbound`, org.key, { from: "+5511988887777", text: "x" });
    expect(notConnected.status).toBe(409);
    const [wuz] = await db.insert(instances).values({ organizationId: org.organization.id, name: "w", provider: "wuzapi", status: "connected" }).returning();
    expect((await api(app, "POST", `/v1/sandbox/instances/${wuz!.id}/inbound`, org.key, { from: "+5511988887777", text: "x" })).status).toBe(409);
    expect(await db.select().from(messages).where(eq(messages.instanceId, idle.id))).toEqual([]);
  });

  test("an unclaimed visitor's sandbox keeps its contacts on the device and publishes to the device inbox", async () => {
    const [device] = await db.insert(devices).values({ name: "visitor", kind: "browser" }).returning();
    const instance = await connected(null, { createdByDeviceId: device!.id });
    const { secret } = await createApiKey({ organizationId: null, deviceId: device!.id, name: "visitor", scopes: ["*"] });
    const live: Record<string, unknown>[] = [];
    const unsubscribe = await subscribeLive(`device:${device!.id}:inbox`, (data) => live.push(data));
    const res = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, secret, { from: "+5511977776666", text: "oi" });
    expect(res.status).toBe(201);
    const [contact] = await db.select().from(contacts).where(eq(contacts.id, res.body.contactId));
    expect(contact).toMatchObject({ organizationId: null, deviceId: device!.id });
    expect((await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, { from: "+5511977776666", text: "oi" })).status).toBe(404);
    await waitFor(() => live.length > 0, { what: "a live notification" });
    unsubscribe();
    expect(live[0]).toMatchObject({ conversationId: res.body.conversationId });
  });
});

describe("sandbox sends", () => {
  test("a sent message gets a provider id, then sent → delivered → read receipts, each event once", async () => {
    const instance = await connected(org.organization.id);
    const inbound = await api(app, "POST", `/v1/sandbox/instances/${instance.id}/inbound`, org.key, { from: "+5511966665555", text: "oi" });
    const [queued] = await db
      .insert(messages)
      .values({
        organizationId: org.organization.id,
        instanceId: instance.id,
        conversationId: inbound.body.conversationId,
        contactId: inbound.body.contactId,
        direction: "outbound",
        type: "text",
        body: "Olá!",
        status: "queued",
        sentBy: "api",
      })
      .returning();
    const { providerMessageId } = await providerFor(instance).send(instance, { to: "+5511966665555", type: "text", text: "Olá!" });
    expect(providerMessageId).toMatch(/^SB[0-9A-F]{20}$/);
    // The outbound worker stores the id after the send returns; receipts that arrive first wait for it.
    await waitFor(() => pendingReceiptCount() > 0, { what: "a receipt waiting for its message" });
    await db.update(messages).set({ providerMessageId }).where(eq(messages.id, queued!.id));
    await sandboxIdle();
    const [done] = await db.select().from(messages).where(eq(messages.id, queued!.id));
    expect(done!.status).toBe("read");
    expect(done!.sentAt).toBeInstanceOf(Date);
    expect(done!.deliveredAt).toBeInstanceOf(Date);
    expect(done!.readAt).toBeInstanceOf(Date);
    const statusEvents = (await eventTypes(instance.id)).filter((t) => /^message\.(sent|delivered|read|failed)$/.test(t));
    expect(statusEvents).toEqual(["message.sent", "message.delivered", "message.read"]);
  });
});
