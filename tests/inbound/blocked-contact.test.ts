import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, conversations, events, messages, threads, triggerFirings } from "@/db/schema";
import { processDueReplies } from "@/features/automation/automation.service";
import { createFlow, publishFlow, saveStep } from "@/features/flows/flow.service";
import { flowStepSchema } from "@/features/flows/flow.schema";
import { createTemplate } from "@/features/templates/template.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createWorkflow } from "@/features/workflows/workflow.service";
import type { Instance } from "@/db/schema";
import { botTexts, connectedInstance, contactWrites } from "../automation/helpers";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startOpenAiServer } from "../workflows/ai-servers";
import { systemCaller } from "@/lib/caller";

// Issue 14 item 7: a blocked contact's messages are stored (nothing lost) but raise no unread count,
// stay out of the default inbox lists, reach no trigger, flow or workflow, and show on the contact page.

const app = createApp();
const openai = startOpenAiServer();
config.openai.baseUrl = openai.baseUrl;
afterAll(() => openai.stop());

let org: Awaited<ReturnType<typeof setupOrg>>;
let instance: Instance;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Blocking" });
  instance = await connectedInstance(org.organization.id);
});

const BLOCKED = "+5511955550001";
const FRIEND = "+5511955550002";

async function block(phone: string) {
  await db
    .update(contacts)
    .set({ blocked: true })
    .where(and(eq(contacts.organizationId, org.organization.id), eq(contacts.phone, phone)));
}

async function conversationOf(phone: string, on: Instance = instance) {
  const [row] = await db
    .select({ conversation: conversations })
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(and(eq(conversations.instanceId, on.id), eq(contacts.phone, phone)));
  return row!.conversation;
}

describe("a blocked contact's messages", () => {
  test("are stored and evented, but raise no unread count and reopen nothing", async () => {
    await contactWrites(instance, BLOCKED, "before the block");
    expect((await conversationOf(BLOCKED)).unreadCount).toBe(1);
    await block(BLOCKED);
    await db
      .update(conversations)
      .set({ status: "resolved", unreadCount: 0, resolvedAt: new Date() })
      .where(eq(conversations.id, (await conversationOf(BLOCKED)).id));

    const result = await contactWrites(instance, BLOCKED, "spam one");
    await contactWrites(instance, BLOCKED, "spam two");
    expect(result).toMatchObject({ kind: "message", stored: true });
    const stored = await db
      .select({ body: messages.body })
      .from(messages)
      .where(eq(messages.contactId, (await conversationOf(BLOCKED)).contactId));
    expect(stored.map((m) => m.body).sort()).toEqual(["before the block", "spam one", "spam two"]);
    const conversation = await conversationOf(BLOCKED);
    expect(conversation.unreadCount).toBe(0);
    expect(conversation.status).toBe("resolved");
    expect(conversation.lastMessagePreview).toBe("spam two");
    const received = await db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, org.organization.id), eq(events.type, "message.received")));
    expect(received.filter((e) => (e.data as { message: { body: string } }).message.body.startsWith("spam")).length).toBe(2);

    // A contact that is not blocked still counts up, in the same batch statement.
    await contactWrites(instance, FRIEND, "hello");
    expect((await conversationOf(FRIEND)).unreadCount).toBe(1);
  });

  test("stay out of the default conversation list (API and inbox page) and are listed on request", async () => {
    const blocked = await conversationOf(BLOCKED);
    const friend = await conversationOf(FRIEND);
    const ids = async (query: string) =>
      ((await api(app, "GET", `/v1/conversations?status=all${query}`, org.key)).body.data as { id: string }[]).map((c) => c.id);
    expect(await ids("")).toEqual([friend.id]);
    expect(await ids("&blocked=true")).toEqual([blocked.id]);
    expect((await ids("&blocked=any")).sort()).toEqual([blocked.id, friend.id].sort());
    expect((await api(app, "GET", `/v1/conversations?blocked=maybe`, org.key)).status).toBe(422);

    await db.update(conversations).set({ status: "open" }).where(eq(conversations.id, blocked.id));
    const inbox = await (await org.client.get("/inbox")).text();
    expect(inbox).toContain(`/inbox/${friend.id}`);
    expect(inbox).not.toContain(`/inbox/${blocked.id}`);
    const list = await (await org.client.get("/inbox/list?status=all", { htmx: true })).text();
    expect(list).toContain(`/inbox/${friend.id}`);
    expect(list).not.toContain(BLOCKED);
  });

  test("show on the contact page, with the contact's conversation", async () => {
    const blocked = await conversationOf(BLOCKED);
    const res = await org.client.get(`/contacts/${blocked.contactId}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("spam one");
    expect(html).toContain("spam two");
    expect(html).toContain(`/inbox/${blocked.id}`);
    expect(html).toContain("Recent messages");
  });
});

describe("automation never hears a blocked contact", () => {
  test("triggers: a catch-all reply fires for others, not for the blocked contact (no firing recorded)", async () => {
    const orgId = org.organization.id;
    const own = await connectedInstance(orgId);
    await createTemplate(systemCaller("test", orgId), { key: "hello-back", body: "hello back", variants: [], variables: [], active: true });
    const trigger = await createTrigger(
      systemCaller("test", orgId),
      triggerSchema.parse({ match: "any", action: "reply_template", templateKey: "hello-back", instanceIds: [own.id] }),
    );
    await contactWrites(own, FRIEND, "hi");
    expect(await botTexts(own.id)).toEqual(["hello back"]);
    await contactWrites(own, BLOCKED, "hi");
    expect(await botTexts(own.id)).toEqual(["hello back"]);
    // The send would have been refused anyway; the trigger must not even have matched.
    const firings = await db.select().from(triggerFirings).where(eq(triggerFirings.triggerId, trigger.id));
    expect(firings.length).toBe(1);
  });

  test("flows: a running flow does not advance on a message sent after the block", async () => {
    const orgId = org.organization.id;
    const own = await connectedInstance(orgId);
    const phone = "+5511955550010";
    const flow = await createFlow(systemCaller("test", orgId), { name: "Ask" });
    const step = (s: Record<string, unknown>) => flowStepSchema.parse(s);
    await saveStep(
      systemCaller("test", orgId),
      flow.id,
      step({ key: "ask", type: "send_text", text: "Yes or no?", waitForInput: true, transitions: { "*": "done" }, order: 0 }),
    );
    await saveStep(systemCaller("test", orgId), flow.id, step({ key: "done", type: "end", text: "Got it.", order: 1 }));
    await publishFlow(systemCaller("test", orgId), flow.id);
    await createTrigger(
      systemCaller("test", orgId),
      triggerSchema.parse({ match: "equals", pattern: "start", action: "start_flow", flowId: flow.id, instanceIds: [own.id] }),
    );
    await contactWrites(own, phone, "start");
    expect(await botTexts(own.id)).toEqual(["Yes or no?"]);
    const [before] = await db.select().from(threads).where(eq(threads.organizationId, orgId));
    await block(phone);
    await contactWrites(own, phone, "yes");
    expect(await botTexts(own.id)).toEqual(["Yes or no?"]);
    const [thread] = await db.select().from(threads).where(eq(threads.id, before!.id));
    expect(thread!.status).toBe("active");
    expect(thread!.state).toEqual(before!.state);
    // Not handed to a human either (a flow that tried to answer and failed would be).
    expect((await conversationOf(phone, own)).handledBy).toBe("bot");
  });

  test("workflows: no turn is scheduled for a blocked contact, and one scheduled before the block is not answered", async () => {
    const orgId = org.organization.id;
    const own = await connectedInstance(orgId);
    const workflow = await createWorkflow(systemCaller("test", orgId), {
      name: "Assistant",
      provider: "openai",
      config: { baseUrl: openai.baseUrl, model: "gpt-test", debounceSeconds: 1 } as never,
    });
    await createTrigger(
      systemCaller("test", orgId),
      triggerSchema.parse({ match: "any", action: "hand_to_workflow", workflowId: workflow.id, instanceIds: [own.id] }),
    );
    const later = (ms: number) => new Date(Date.now() + ms);

    // Control: an ordinary contact is answered.
    await contactWrites(own, "+5511955550020", "question");
    expect(await processDueReplies(later(2_000))).toBe(1);
    expect(await botTexts(own.id)).toEqual(["echo: question"]);
    const asked = openai.state.requests.length;

    await block(BLOCKED);
    await contactWrites(own, BLOCKED, "let me in");
    expect(await processDueReplies(later(4_000))).toBe(0);

    // Scheduled while still allowed, blocked before the debounce ran out.
    const late = "+5511955550021";
    await contactWrites(own, late, "soon blocked");
    await block(late);
    await processDueReplies(later(6_000));
    expect(await botTexts(own.id)).toEqual(["echo: question"]);
    expect(openai.state.requests.length).toBe(asked);
  });
});
