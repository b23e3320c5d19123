import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, conversations, events } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { createVisitorDevice } from "@/features/devices/device.service";
import { api } from "../helpers/client";
import { createMember, setupOrg } from "../helpers/factories";
import { connectedSandbox, inbound } from "./helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let instanceId: string;
let conv: { messageId: string; conversationId: string; contactId: string };

async function eventsOf(type: string, conversationId: string) {
  const rows = await db
    .select()
    .from(events)
    .where(and(eq(events.organizationId, org.organization.id), eq(events.type, type)));
  return rows.filter((e) => (e.data as any).conversation?.id === conversationId);
}

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Conv A" });
  other = await setupOrg(app, { orgName: "Conv B" });
  instanceId = await connectedSandbox(app, org.key);
  conv = await inbound(app, org.key, instanceId, { from: "+5511988887777", name: "Edu", text: "first" });
  await inbound(app, org.key, instanceId, { from: "+5511988887777", text: "second" });
  await inbound(app, org.key, instanceId, { from: "+5511988887777", text: "third" });
});

describe("GET /v1/conversations", () => {
  test("lists by last message, newest first, with contact and unread count", async () => {
    const later = await inbound(app, org.key, instanceId, { from: "+5511988886666", text: "hello" });
    const res = await api(app, "GET", "/v1/conversations", org.key);
    expect(res.status).toBe(200);
    expect(res.body.data.map((c: any) => c.id)).toEqual([later.conversationId, conv.conversationId]);
    const edu = res.body.data[1];
    expect(edu).toMatchObject({
      status: "open",
      handledBy: "bot",
      unreadCount: 3,
      lastMessagePreview: "third",
      contact: { phone: "+5511988887777", name: "Edu" },
    });
  });

  test("filters by status, instance, assignment and paginates with a cursor", async () => {
    const open = await api(app, "GET", `/v1/conversations?status=open&instanceId=${instanceId}`, org.key);
    expect(open.body.data.length).toBe(2);
    const resolved = await api(app, "GET", "/v1/conversations?status=resolved", org.key);
    expect(resolved.body.data).toEqual([]);
    const unassigned = await api(app, "GET", "/v1/conversations?assigned=none", org.key);
    expect(unassigned.body.data.length).toBe(2);
    const page1 = await api(app, "GET", "/v1/conversations?limit=1", org.key);
    expect(page1.body.data.length).toBe(1);
    const page2 = await api(app, "GET", `/v1/conversations?limit=1&cursor=${page1.body.nextCursor}`, org.key);
    expect(page2.body.data.length).toBe(1);
    expect(page2.body.data[0].id).not.toBe(page1.body.data[0].id);
    expect(page2.body.nextCursor).toBeNull();
    expect((await api(app, "GET", "/v1/conversations?status=bogus", org.key)).status).toBe(422);
  });

  test("another organization sees none of them", async () => {
    const res = await api(app, "GET", "/v1/conversations?status=all", other.key);
    expect(res.body.data).toEqual([]);
  });

  test("a key bound to another instance does not see this instance's conversations", async () => {
    const secondInstance = await connectedSandbox(app, org.key, "Second");
    const { secret } = await createApiKey({ organizationId: org.organization.id, name: "bound", scopes: ["*"], instanceId: secondInstance });
    expect((await api(app, "GET", "/v1/conversations", secret)).body.data).toEqual([]);
    expect((await api(app, "GET", `/v1/conversations/${conv.conversationId}`, secret)).status).toBe(404);
  });
});

describe("GET /v1/conversations/:id/messages", () => {
  test("newest first by default, oldest first with order=asc, cursor pagination", async () => {
    const desc = await api(app, "GET", `/v1/conversations/${conv.conversationId}/messages`, org.key);
    expect(desc.status).toBe(200);
    expect(desc.body.data.map((m: any) => m.body)).toEqual(["third", "second", "first"]);
    const asc = await api(app, "GET", `/v1/conversations/${conv.conversationId}/messages?order=asc&limit=2`, org.key);
    expect(asc.body.data.map((m: any) => m.body)).toEqual(["first", "second"]);
    const rest = await api(app, "GET", `/v1/conversations/${conv.conversationId}/messages?order=asc&limit=2&cursor=${asc.body.nextCursor}`, org.key);
    expect(rest.body.data.map((m: any) => m.body)).toEqual(["third"]);
    expect(rest.body.nextCursor).toBeNull();
    expect(desc.body.data[0]).toMatchObject({ direction: "inbound", type: "text", isPrivateNote: false, conversationId: conv.conversationId });
  });
});

describe("POST /v1/conversations/:id/assign", () => {
  test("assigns a member (conversation.assigned event) and unassigns with null", async () => {
    const agent = await createMember(org.organization.id, "agent");
    // A department is named by its name (any case); it must exist in the organization.
    expect((await api(app, "POST", "/v1/departments", org.key, { name: "sales" })).status).toBe(201);
    const unknown = await api(app, "POST", `/v1/conversations/${conv.conversationId}/assign`, org.key, { department: "nowhere" });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details[0].path).toBe("department");
    const res = await api(app, "POST", `/v1/conversations/${conv.conversationId}/assign`, org.key, { userId: agent.id, department: "Sales" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ assignedUserId: agent.id, department: "sales" });
    const mine = await api(app, "GET", `/v1/conversations?assigned=${agent.id}`, org.key);
    expect(mine.body.data.map((c: any) => c.id)).toEqual([conv.conversationId]);
    const [event] = await eventsOf("conversation.assigned", conv.conversationId);
    expect(event!.data).toMatchObject({ assignedUserId: agent.id, department: "sales", by: { type: "api_key" } });

    const cleared = await api(app, "POST", `/v1/conversations/${conv.conversationId}/assign`, org.key, { userId: null });
    expect(cleared.body.assignedUserId).toBeNull();
    expect(cleared.body.department).toBe("sales");
    expect((await eventsOf("conversation.assigned", conv.conversationId)).length).toBe(2);
  });

  test("422 when the user is not a member of the organization", async () => {
    const res = await api(app, "POST", `/v1/conversations/${conv.conversationId}/assign`, org.key, { userId: other.user.id });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe("userId");
    const empty = await api(app, "POST", `/v1/conversations/${conv.conversationId}/assign`, org.key, {});
    expect(empty.status).toBe(422);
  });
});

describe("hand-off and resolve", () => {
  test("handoff sets handledBy=human (audited); resolve returns it to the bot with resolvedAt and an event", async () => {
    const handed = await api(app, "POST", `/v1/conversations/${conv.conversationId}/handoff`, org.key);
    expect(handed.status).toBe(200);
    expect(handed.body.handledBy).toBe("human");
    const human = await api(app, "GET", "/v1/conversations?handledBy=human", org.key);
    expect(human.body.data.map((c: any) => c.id)).toEqual([conv.conversationId]);
    const audits = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.targetId, conv.conversationId), eq(auditLogs.action, "conversation.handed_off")));
    expect(audits.length).toBe(1);

    const resolved = await api(app, "POST", `/v1/conversations/${conv.conversationId}/resolve`, org.key);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: "resolved", handledBy: "bot" });
    expect(resolved.body.resolvedAt).toBeTruthy();
    const [event] = await eventsOf("conversation.resolved", conv.conversationId);
    expect(event).toBeDefined();
    // Resolving again is a no-op: no second event.
    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/resolve`, org.key)).status).toBe(200);
    expect((await eventsOf("conversation.resolved", conv.conversationId)).length).toBe(1);

    // The contact writing again reopens it.
    await inbound(app, org.key, instanceId, { from: "+5511988887777", text: "again" });
    const [row] = await db.select().from(conversations).where(eq(conversations.id, conv.conversationId));
    expect(row!.status).toBe("open");
    expect(row!.resolvedAt).toBeNull();
  });

  test("handoff {to: bot} gives it back; bad body is 422", async () => {
    await api(app, "POST", `/v1/conversations/${conv.conversationId}/handoff`, org.key, { to: "human" });
    const back = await api(app, "POST", `/v1/conversations/${conv.conversationId}/handoff`, org.key, { to: "bot" });
    expect(back.body.handledBy).toBe("bot");
    expect((await api(app, "POST", `/v1/conversations/${conv.conversationId}/handoff`, org.key, { to: "alien" })).status).toBe(422);
  });
});

describe("isolation and auth on every route", () => {
  const routes = (id: string): [string, string, unknown?][] => [
    ["GET", `/v1/conversations/${id}`],
    ["GET", `/v1/conversations/${id}/messages`],
    ["POST", `/v1/conversations/${id}/assign`, { userId: null }],
    ["POST", `/v1/conversations/${id}/resolve`],
    ["POST", `/v1/conversations/${id}/handoff`, { to: "human" }],
  ];

  test("another organization's conversation is a 404 and changes nothing", async () => {
    const before = await db.select().from(conversations).where(eq(conversations.id, conv.conversationId));
    for (const [method, path, body] of routes(conv.conversationId)) {
      const res = await api(app, method, path, other.key, body);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    const after = await db.select().from(conversations).where(eq(conversations.id, conv.conversationId));
    expect(after[0]!.handledBy).toBe(before[0]!.handledBy);
    expect(after[0]!.status).toBe(before[0]!.status);
  });

  test("no key is 401; a key without the scope is 403; a malformed id is 404", async () => {
    const { secret } = await createApiKey({ organizationId: org.organization.id, name: "contacts only", scopes: ["contacts:read"] });
    for (const [method, path, body] of routes(conv.conversationId)) {
      expect((await api(app, method, path, undefined, body)).status).toBe(401);
      expect((await api(app, method, path, secret, body)).status).toBe(403);
    }
    for (const [method, path, body] of routes("nope")) {
      expect((await api(app, method, path, org.key, body)).status).toBe(404);
    }
  });
});

describe("unclaimed visitor devices (try before sign-up)", () => {
  test("a device key sees only its own device's contacts and conversations", async () => {
    const deviceA = await createVisitorDevice();
    const deviceB = await createVisitorDevice();
    const { secret: keyA } = await createApiKey({ organizationId: null, deviceId: deviceA.id, name: "visitor A", scopes: ["*"] });
    const { secret: keyB } = await createApiKey({ organizationId: null, deviceId: deviceB.id, name: "visitor B", scopes: ["*"] });
    const sandboxA = await connectedSandbox(app, keyA, "Visitor A");
    const written = await inbound(app, keyA, sandboxA, { from: "+5511977776666", text: "hi visitor" });

    const listA = await api(app, "GET", "/v1/conversations", keyA);
    expect(listA.body.data.map((c: any) => c.id)).toEqual([written.conversationId]);
    expect((await api(app, "GET", "/v1/conversations", keyB)).body.data).toEqual([]);
    expect((await api(app, "GET", `/v1/conversations/${written.conversationId}/messages`, keyB)).status).toBe(404);
    expect((await api(app, "GET", `/v1/conversations/${written.conversationId}`, org.key)).status).toBe(404);

    const contactsA = await api(app, "GET", "/v1/contacts", keyA);
    expect(contactsA.body.data.map((c: any) => c.phone)).toEqual(["+5511977776666"]);
    expect((await api(app, "GET", "/v1/contacts", keyB)).body.data).toEqual([]);
    expect((await api(app, "GET", `/v1/contacts/${written.contactId}`, keyB)).status).toBe(404);
    // A visitor's contact is created for its device only, and the same phone stays free for another device.
    expect((await api(app, "POST", "/v1/contacts", keyB, { phone: "+5511977776666" })).status).toBe(201);
    expect((await api(app, "POST", "/v1/contacts", keyA, { phone: "+5511977776666" })).status).toBe(409);
    // No organization: assigning to anyone is refused.
    const assign = await api(app, "POST", `/v1/conversations/${written.conversationId}/assign`, keyA, { userId: org.user.id });
    expect(assign.status).toBe(422);
  });
});
