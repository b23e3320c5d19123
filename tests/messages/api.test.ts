import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { contacts, conversations, instances, messages, organizations, templates, usageDaily } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { createVisitorDevice, createVisitorKey } from "@/features/devices/device.service";
import { secondsUntilUtcMidnight } from "@/features/messages/message.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { connectedSandbox } from "./helpers";

const app = createApp();
const TO = "+5511999990001";

const paths = (res: { body: any }) => (res.body.error?.details ?? []).map((d: { path: string }) => d.path);

describe("POST /v1/messages", () => {
  test("logged out → 401 even with a bad body; GET and read too", async () => {
    expect((await api(app, "POST", "/v1/messages", undefined, { nonsense: true })).status).toBe(401);
    expect((await api(app, "GET", `/v1/messages/${crypto.randomUUID()}`)).status).toBe(401);
    expect((await api(app, "POST", `/v1/messages/${crypto.randomUUID()}/read`)).status).toBe(401);
  });

  test("every message type is accepted, queued, and stored with contact, conversation and preview", async () => {
    const { key, organization } = await setupOrg(app);
    const instanceId = await connectedSandbox(app, key);
    await db.insert(templates).values({ organizationId: organization.id, key: "welcome", body: "Olá {{name}}, seu pedido {{order}} chegou", locale: "pt_BR" });
    const bodies: Record<string, unknown>[] = [
      { type: "text", text: "Olá" },
      { type: "image", media: { url: "https://example.com/a.jpg", caption: "Look" } },
      { type: "video", media: { url: "https://example.com/a.mp4" } },
      { type: "audio", media: { url: "https://example.com/a.ogg" } },
      { type: "document", media: { url: "https://example.com/a.pdf", fileName: "a.pdf", caption: "Invoice" } },
      { type: "sticker", media: { url: "https://example.com/a.webp" } },
      { type: "location", location: { latitude: -23.55, longitude: -46.63, name: "Paulista" } },
      { type: "contact", contact: { name: "Maria", phone: "+55 11 98888-7777" } },
      { type: "template", template: { key: "welcome", variables: { name: "Ana", order: 42 } } },
    ];
    const ids: string[] = [];
    for (const body of bodies) {
      const res = await api(app, "POST", "/v1/messages", key, { to: TO, ...body });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ id: expect.any(String), status: "queued" });
      ids.push(res.body.id);
    }
    const reaction = await api(app, "POST", "/v1/messages", key, { to: TO, type: "reaction", reaction: { messageId: ids[0], emoji: "👍" } });
    // The target has not been sent yet (no provider id): a clear 422, not a broken send later.
    expect(reaction.status).toBe(422);
    expect(paths(reaction)).toEqual(["reaction.messageId"]);
    const byProviderId = await api(app, "POST", "/v1/messages", key, { to: TO, type: "reaction", reaction: { messageId: "ABCDEF123", emoji: "❤️" } });
    expect(byProviderId.status).toBe(202);

    const rows = await db.select().from(messages).where(eq(messages.instanceId, instanceId));
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(["queued"]));
    expect(new Set(rows.map((r) => r.conversationId)).size).toBe(1);
    const template = rows.find((r) => r.type === "template")!;
    expect(template.body).toBe("Olá Ana, seu pedido 42 chegou");
    expect(template.media).toMatchObject({ template: { key: "welcome", language: "pt_BR", variables: { name: "Ana", order: "42" } } });
    const contactCard = rows.find((r) => r.type === "contact")!;
    expect(contactCard.media).toMatchObject({ name: "Maria", phone: "+5511988887777" });
    const [conversation] = await db.select().from(conversations).where(eq(conversations.id, rows[0]!.conversationId));
    expect(conversation!.lastMessagePreview).toBe("[reaction] ❤️");
    expect(conversation!.organizationId).toBe(organization.id);
    const [contact] = await db.select().from(contacts).where(eq(contacts.id, rows[0]!.contactId));
    expect(contact!.phone).toBe(TO);

    const got = await api(app, "GET", `/v1/messages/${ids[0]}`, key);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: ids[0], to: TO, from: null, direction: "outbound", type: "text", body: "Olá", status: "queued", sentBy: "api" });
  });

  test("bad bodies → 422 with the failing fields", async () => {
    const { key, organization } = await setupOrg(app);
    await connectedSandbox(app, key);
    const cases: [Record<string, unknown>, string][] = [
      [{ to: TO, type: "text" }, "text"],
      [{ to: TO, type: "text", text: "   " }, "text"],
      [{ to: TO, type: "text", text: "x".repeat(4097) }, "text"],
      [{ to: "not a phone", type: "text", text: "hi" }, "to"],
      [{ type: "text", text: "hi" }, "to"],
      [{ to: TO, type: "fax", text: "hi" }, "type"],
      [{ to: TO, type: "image", media: { url: "ftp://example.com/a.jpg" } }, "media.url"],
      [{ to: TO, type: "image" }, "media"],
      [{ to: TO, type: "document", media: { url: "https://example.com/a.pdf", caption: "x".repeat(1025) } }, "media.caption"],
      [{ to: TO, type: "location", location: { latitude: 91, longitude: 0 } }, "location.latitude"],
      [{ to: TO, type: "location", location: { latitude: "north", longitude: 0 } }, "location.latitude"],
      [{ to: TO, type: "contact", contact: { name: "Maria", phone: "12" } }, "contact.phone"],
      [{ to: TO, type: "reaction", reaction: { emoji: "👍" } }, "reaction.messageId"],
      [{ to: TO, type: "template", template: { variables: {} } }, "template.key"],
      [{ to: TO, type: "text", text: "hi", instanceId: "nope" }, "instanceId"],
    ];
    for (const [body, path] of cases) {
      const res = await api(app, "POST", "/v1/messages", key, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
      expect(paths(res), JSON.stringify(body)).toContain(path);
    }
    const malformed = await api(app, "POST", "/v1/messages", key, "{not json");
    expect([400, 422]).toContain(malformed.status);
    expect(await db.$count(messages, eq(messages.organizationId, organization.id))).toBe(0);
  });

  test("templates: unknown key, inactive and missing variables are 422 naming them", async () => {
    const { key, organization } = await setupOrg(app);
    await connectedSandbox(app, key);
    await db.insert(templates).values([
      { organizationId: organization.id, key: "greet", body: "Hi {{name}}", variants: ["Hello {{ name }}, code {{code}}"] },
      { organizationId: organization.id, key: "old", body: "Bye", active: false },
    ]);
    const missing = await api(app, "POST", "/v1/messages", key, { to: TO, type: "template", template: { key: "greet", variables: { name: "Ana" } } });
    expect(missing.status).toBe(422);
    expect(paths(missing)).toEqual(["template.variables.code"]);
    expect(missing.body.error.message).toContain('"code"');
    const unknown = await api(app, "POST", "/v1/messages", key, { to: TO, type: "template", template: { key: "nope" } });
    expect(unknown.status).toBe(422);
    expect(paths(unknown)).toEqual(["template.key"]);
    const inactive = await api(app, "POST", "/v1/messages", key, { to: TO, type: "template", template: { key: "old" } });
    expect(inactive.status).toBe(422);
    const ok = await api(app, "POST", "/v1/messages", key, { to: TO, type: "template", template: { key: "greet", variables: { name: "Ana", code: "7" } } });
    expect(ok.status).toBe(202);
    const [row] = await db.select().from(messages).where(eq(messages.id, ok.body.id));
    expect(["Hi Ana", "Hello Ana, code 7"]).toContain(row!.body!);
  });

  test("instanceId may be omitted only when unambiguous", async () => {
    const { key, organization } = await setupOrg(app);
    const none = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "hi" });
    expect(none.status).toBe(422);
    expect(paths(none)).toEqual(["instanceId"]);

    const first = await connectedSandbox(app, key, "First");
    const one = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "hi" });
    expect(one.status).toBe(202);
    const [row] = await db.select().from(messages).where(eq(messages.id, one.body.id));
    expect(row!.instanceId).toBe(first);

    const second = await connectedSandbox(app, key, "Second");
    const two = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "hi" });
    expect(two.status).toBe(422);
    expect(paths(two)).toEqual(["instanceId"]);
    expect(two.body.error.details[0].message).toContain("instanceId");
    const named = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "hi", instanceId: second });
    expect(named.status).toBe(202);

    // A key bound to an instance sends through it without naming it, and cannot use another.
    const { secret: bound } = await createApiKey({
      organizationId: organization.id,
      name: "bound",
      scopes: ["messages:write", "messages:read"],
      instanceId: second,
    });
    const viaBound = await api(app, "POST", "/v1/messages", bound, { to: TO, type: "text", text: "hi" });
    expect(viaBound.status).toBe(202);
    const [boundRow] = await db.select().from(messages).where(eq(messages.id, viaBound.body.id));
    expect(boundRow!.instanceId).toBe(second);
    const otherInstance = await api(app, "POST", "/v1/messages", bound, { to: TO, type: "text", text: "hi", instanceId: first });
    expect(otherInstance.status).toBe(404);
    expect((await api(app, "GET", `/v1/messages/${one.body.id}`, bound)).status).toBe(404);
  });

  test("an instance that is not connected → 409 with a clear message", async () => {
    const { key } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/instances", key, { name: "Offline" });
    const res = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "hi", instanceId: created.body.id });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain("not connected");
  });

  test("Idempotency-Key replays the first response; another API key's same key is independent", async () => {
    const { key, organization } = await setupOrg(app);
    await connectedSandbox(app, key);
    const headers = { "Idempotency-Key": "order-42" };
    const first = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "Once" }, headers);
    expect(first.status).toBe(202);
    const again = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "Once" }, headers);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    // Concurrent retries with one key store one message; those racing the first are told it is in flight (409).
    const racing = await Promise.all(
      [1, 2, 3, 4].map(() => api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "Race" }, { "Idempotency-Key": "race-1" })),
    );
    expect(racing.every((r) => r.status === 202 || r.status === 409)).toBe(true);
    expect(new Set(racing.filter((r) => r.status === 202).map((r) => r.body.id)).size).toBe(1);
    // The same idempotency key under another API key is a different request.
    const { secret: otherKey } = await createApiKey({ organizationId: organization.id, name: "other", scopes: ["*"] });
    const other = await api(app, "POST", "/v1/messages", otherKey, { to: TO, type: "text", text: "Once" }, headers);
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(first.body.id);
    expect(await db.$count(messages, eq(messages.organizationId, organization.id))).toBe(3);
    const tooLong = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "x" }, { "Idempotency-Key": "k".repeat(300) });
    expect(tooLong.status).toBe(422);
    expect(paths(tooLong)).toEqual(["Idempotency-Key"]);
  });

  test("blocked or opted-out contacts → 422 and nothing queued", async () => {
    const { key, organization } = await setupOrg(app);
    await connectedSandbox(app, key);
    await db.insert(contacts).values([
      { organizationId: organization.id, phone: "+5511900000001", blocked: true },
      { organizationId: organization.id, phone: "+5511900000002", optedOut: true },
    ]);
    const blocked = await api(app, "POST", "/v1/messages", key, { to: "+5511900000001", type: "text", text: "hi" });
    expect(blocked.status).toBe(422);
    expect(paths(blocked)).toEqual(["to"]);
    expect(blocked.body.error.details[0].message).toContain("blocked");
    const optedOut = await api(app, "POST", "/v1/messages", key, { to: "+5511900000002", type: "text", text: "hi" });
    expect(optedOut.status).toBe(422);
    expect(optedOut.body.error.details[0].message).toContain("opted out");
    expect(await db.$count(messages, eq(messages.organizationId, organization.id))).toBe(0);
  });

  test("daily quota: key ?? instance ?? plan; 429 quota_exceeded with Retry-After", async () => {
    const { key, organization } = await setupOrg(app);
    const instanceId = await connectedSandbox(app, key);
    await db.update(organizations).set({ maxMessagesPerDay: 2 }).where(eq(organizations.id, organization.id));
    const send = (k = key) => api(app, "POST", "/v1/messages", k, { to: TO, type: "text", text: "hi" });
    expect((await send()).status).toBe(202);
    expect((await send()).status).toBe(202);
    const over = await send();
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe("quota_exceeded");
    const retryAfter = Number(over.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);

    // Sent messages count through usage_daily: pretend both were sent (the worker increments usage).
    await db.update(messages).set({ status: "sent" }).where(eq(messages.instanceId, instanceId));
    const day = new Date().toISOString().slice(0, 10);
    await db.insert(usageDaily).values({ organizationId: organization.id, instanceId, day, metric: "messages_sent", count: 2 });
    expect((await send()).status).toBe(429);

    // The instance override beats the plan…
    await db.update(instances).set({ maxMessagesPerDay: 3 }).where(eq(instances.id, instanceId));
    expect((await send()).status).toBe(202);
    expect((await send()).status).toBe(429);
    // …and the key override beats both.
    const { secret: generous } = await createApiKey({ organizationId: organization.id, name: "bulk", scopes: ["*"], maxMessagesPerDay: 10 });
    expect((await send(generous)).status).toBe(202);
    const { secret: stingy } = await createApiKey({ organizationId: organization.id, name: "tiny", scopes: ["*"], maxMessagesPerDay: 1 });
    expect((await send(stingy)).status).toBe(429);
  });

  test("secondsUntilUtcMidnight", () => {
    expect(secondsUntilUtcMidnight(new Date("2030-01-01T23:59:30Z"))).toBe(30);
    expect(secondsUntilUtcMidnight(new Date("2030-01-01T00:00:00Z"))).toBe(86_400);
  });

  test("another organization's message is 404 on GET and read", async () => {
    const mine = await setupOrg(app);
    const theirs = await setupOrg(app);
    await connectedSandbox(app, theirs.key);
    const sent = await api(app, "POST", "/v1/messages", theirs.key, { to: TO, type: "text", text: "private" });
    expect((await api(app, "GET", `/v1/messages/${sent.body.id}`, mine.key)).status).toBe(404);
    expect((await api(app, "POST", `/v1/messages/${sent.body.id}/read`, mine.key)).status).toBe(404);
    expect((await api(app, "GET", "/v1/messages/not-a-uuid", mine.key)).status).toBe(404);
    // Their instance cannot be used to send either.
    const [inst] = await db.select().from(instances).where(eq(instances.organizationId, theirs.organization.id));
    const hijack = await api(app, "POST", "/v1/messages", mine.key, { to: TO, type: "text", text: "x", instanceId: inst!.id });
    expect(hijack.status).toBe(404);
  });

  test("POST /:id/read marks the inbound message and earlier ones read and resets unread", async () => {
    const { key } = await setupOrg(app);
    const instanceId = await connectedSandbox(app, key);
    const a = await api(app, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, key, { from: TO, text: "one" });
    const b = await api(app, "POST", `/v1/sandbox/instances/${instanceId}/inbound`, key, { from: TO, text: "two" });
    expect(b.status).toBe(201);
    const [before] = await db.select().from(conversations).where(eq(conversations.id, b.body.conversationId));
    expect(before!.unreadCount).toBe(2);
    const read = await api(app, "POST", `/v1/messages/${b.body.messageId}/read`, key);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ id: b.body.messageId, status: "read" });
    const [after] = await db.select().from(conversations).where(eq(conversations.id, b.body.conversationId));
    expect(after!.unreadCount).toBe(0);
    const rows = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, b.body.conversationId), eq(messages.direction, "inbound")));
    expect(rows.map((r) => r.status)).toEqual(["read", "read"]);
    expect(rows.every((r) => r.readAt)).toBe(true);
    const got = await api(app, "GET", `/v1/messages/${a.body.messageId}`, key);
    expect(got.body).toMatchObject({ direction: "inbound", from: TO, to: null, status: "read" });

    const out = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "reply" });
    const readOutbound = await api(app, "POST", `/v1/messages/${out.body.id}/read`, key);
    expect(readOutbound.status).toBe(422);
  });

  test("an unclaimed visitor key sends through its own sandbox only", async () => {
    const device = await createVisitorDevice();
    const [inst] = await db.insert(instances).values({ organizationId: null, createdByDeviceId: device.id, name: "Try" }).returning();
    const { secret } = await createVisitorKey(device.id, inst!.id);
    expect((await api(app, "POST", `/v1/instances/${inst!.id}/connect`, secret)).status).toBe(200);
    expect((await api(app, "POST", `/v1/sandbox/instances/${inst!.id}/scan`, secret, {})).status).toBe(200);
    const sent = await api(app, "POST", "/v1/messages", secret, { to: TO, type: "text", text: "Olá" });
    expect(sent.status).toBe(202);
    const [row] = await db.select().from(messages).where(eq(messages.id, sent.body.id));
    expect(row!.organizationId).toBeNull();
    const [contact] = await db.select().from(contacts).where(eq(contacts.id, row!.contactId));
    expect(contact).toMatchObject({ organizationId: null, deviceId: device.id });
    expect((await api(app, "GET", `/v1/messages/${sent.body.id}`, secret)).body.status).toBe("queued");
    // Someone else's message stays invisible to the visitor.
    const org = await setupOrg(app);
    await connectedSandbox(app, org.key);
    const theirs = await api(app, "POST", "/v1/messages", org.key, { to: TO, type: "text", text: "x" });
    expect((await api(app, "GET", `/v1/messages/${theirs.body.id}`, secret)).status).toBe(404);
    expect((await api(app, "GET", `/v1/messages/${sent.body.id}`, org.key)).status).toBe(404);
  });
});
