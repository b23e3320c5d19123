import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { conversations, messages } from "@/db/schema";
import { api, TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let instanceId: string;
let conv: { messageId: string; conversationId: string; contactId: string };

const XSS_NAME = `<script>alert("name")</script>`;
const XSS_BODY = `<img src=x onerror=alert(1)>"quoted" & more`;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Inbox A" });
  other = await setupOrg(app, { orgName: "Inbox B" });
  instanceId = await connectedSandbox(app, org.key);
  conv = await inbound(app, org.key, instanceId, { from: "+5511966665555", name: XSS_NAME, text: XSS_BODY });
});

async function html(res: Response) {
  return { status: res.status, text: await res.text() };
}

describe("inbox pages", () => {
  test("the list shows conversations by last message with unread counts, escaping names and previews", async () => {
    const res = await html(await org.client.get("/inbox"));
    expect(res.status).toBe(200);
    expect(res.text).toContain(`href="/inbox/${conv.conversationId}?status=open"`);
    expect(res.text).not.toContain(XSS_NAME);
    expect(res.text).toContain("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;");
    expect(res.text).not.toContain("<img src=x");
    expect(res.text).toMatch(/class="unread"[^>]*>1</);
    expect(res.text).toMatch(/data-stream="\/inbox\/stream\?since=\d+"/);
  });

  test("opening a conversation shows messages escaped and resets the unread count", async () => {
    const res = await html(await org.client.get(`/inbox/${conv.conversationId}`));
    expect(res.status).toBe(200);
    expect(res.text).toContain(`id="msg-${conv.messageId}"`);
    expect(res.text).not.toContain("<img src=x");
    expect(res.text).toContain("&lt;img src=x onerror=alert(1)&gt;&quot;quoted&quot; &amp; more");
    expect(res.text).not.toContain(XSS_NAME);
    const [row] = await db.select().from(conversations).where(eq(conversations.id, conv.conversationId));
    expect(row!.unreadCount).toBe(0);
  });

  test("status filters and 'mine'", async () => {
    const resolvedTab = await html(await org.client.get("/inbox?status=resolved"));
    expect(resolvedTab.text).not.toContain(`/inbox/${conv.conversationId}?`);
    const mine = await html(await org.client.get("/inbox?status=open&mine=1"));
    expect(mine.text).not.toContain(`/inbox/${conv.conversationId}?`);
    const fragment = await html(await org.client.get("/inbox/list?status=all", { htmx: true }));
    expect(fragment.text.startsWith('<div id="conversation-list"')).toBe(true);
    expect(fragment.text).toContain(conv.conversationId);
    // A bad filter value falls back to the default instead of failing the page.
    expect((await org.client.get("/inbox?status=%3Cx%3E")).status).toBe(200);
  });

  test("media as thumbnails/links, locations as map links, unsafe URLs never linked", async () => {
    const img = await inbound(app, org.key, instanceId, {
      from: "+5511966665555",
      media: { url: "https://cdn.example.test/p.jpg", caption: "a photo", type: "image" },
    });
    await db.insert(messages).values([
      {
        organizationId: org.organization.id,
        instanceId,
        conversationId: conv.conversationId,
        contactId: conv.contactId,
        direction: "inbound",
        type: "location",
        media: { latitude: -23.55, longitude: -46.63, name: "Paulista" },
        status: "delivered",
      },
      {
        organizationId: org.organization.id,
        instanceId,
        conversationId: conv.conversationId,
        contactId: conv.contactId,
        direction: "inbound",
        type: "document",
        media: { url: "javascript:alert(1)", fileName: "evil.pdf" },
        status: "delivered",
      },
    ]);
    const res = await html(await org.client.get(`/inbox/${conv.conversationId}/messages`, { htmx: true }));
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<img src="https://cdn.example.test/p.jpg"`);
    expect(res.text).toContain(`id="msg-${img.messageId}"`);
    expect(res.text).toContain("https://www.openstreetmap.org/?mlat=-23.55&mlon=-46.63");
    expect(res.text).not.toContain("javascript:");
    expect(res.text).toContain("evil.pdf");
  });
});

describe("reply box, notes and actions", () => {
  test("a reply queues an outbound message sent by the user through the instance", async () => {
    const res = await org.client.postForm(`/inbox/${conv.conversationId}/reply`, { body: "Olá! <b>bold</b>", kind: "reply" }, { htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("hx-trigger")).toContain("inbox:sent");
    const sent = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conv.conversationId), eq(messages.direction, "outbound")));
    const reply = sent.find((m) => m.body === "Olá! <b>bold</b>")!;
    expect(reply).toMatchObject({ sentBy: "user", userId: org.user.id, status: "queued", isPrivateNote: false, instanceId });
    const page = await html(await org.client.get(`/inbox/${conv.conversationId}/messages`, { htmx: true }));
    expect(page.text).toContain("Olá! &lt;b&gt;bold&lt;/b&gt;");
    expect(page.text).toContain('data-status="queued"');
  });

  test("an empty reply re-renders the form with a 422 field error", async () => {
    const res = await org.client.postForm(`/inbox/${conv.conversationId}/reply`, { body: "   ", kind: "reply" }, { htmx: true });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).toContain('id="reply-form"');
    expect(text).toContain('class="error"');
  });

  test("a private note is stored but never queued for WhatsApp", async () => {
    const res = await org.client.postForm(`/inbox/${conv.conversationId}/reply`, { body: "internal: VIP <customer>", kind: "note" }, { htmx: true });
    expect(res.status).toBe(200);
    const [note] = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conv.conversationId), eq(messages.isPrivateNote, true)));
    expect(note).toMatchObject({ body: "internal: VIP <customer>", userId: org.user.id, isPrivateNote: true });
    expect(note!.status).not.toBe("queued");
    expect(note!.nextAttemptAt).toBeNull();
    const page = await html(await org.client.get(`/inbox/${conv.conversationId}/messages`, { htmx: true }));
    expect(page.text).toContain("bubble-note");
    expect(page.text).toContain("internal: VIP &lt;customer&gt;");
  });

  test("assign to me, assign a member, hand off, back to bot, pending, resolve, reopen", async () => {
    const base = `/inbox/${conv.conversationId}`;
    let res = await org.client.postForm(`${base}/assign`, { userId: org.user.id }, { htmx: true });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Assigned to Test Owner");
    const mine = await html(await org.client.get("/inbox?status=open&mine=1"));
    expect(mine.text).toContain(`/inbox/${conv.conversationId}?`);

    const agent = await createMember(org.organization.id, "agent");
    res = await org.client.postForm(`${base}/assign`, { userId: agent.id }, { htmx: true });
    expect(await res.text()).toContain("Assigned to Test agent");
    res = await org.client.postForm(`${base}/assign`, { userId: other.user.id }, { htmx: true });
    expect(res.status).toBe(422);

    res = await org.client.postForm(`${base}/handoff`, { to: "human" }, { htmx: true });
    expect(await res.text()).toContain("handled by a human");
    res = await org.client.postForm(`${base}/handoff`, { to: "bot" }, { htmx: true });
    expect(await res.text()).toContain("handled by the bot");
    res = await org.client.postForm(`${base}/status`, { status: "pending" }, { htmx: true });
    expect(await res.text()).toContain(">pending<");
    res = await org.client.postForm(`${base}/resolve`, {}, { htmx: true });
    expect(await res.text()).toContain("Reopen");
    const [row] = await db.select().from(conversations).where(eq(conversations.id, conv.conversationId));
    expect(row).toMatchObject({ status: "resolved", handledBy: "bot" });
    res = await org.client.postForm(`${base}/status`, { status: "open" }, { htmx: true });
    expect(await res.text()).toContain("Resolve");
    // Without htmx the actions redirect back to the conversation.
    res = await org.client.postForm(`${base}/handoff`, { to: "human" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(base);
  });

  test("a reply through a disconnected instance re-renders the box with the reason (422)", async () => {
    const second = await connectedSandbox(app, org.key, "Soon offline");
    const written = await inbound(app, org.key, second, { from: "+5511966661111", text: "hello?" });
    expect((await api(app, "POST", `/v1/instances/${second}/logout`, org.key)).status).toBeLessThan(300);
    const res = await org.client.postForm(`/inbox/${written.conversationId}/reply`, { body: "are you there?", kind: "reply" }, { htmx: true });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).toContain("not connected");
    expect(text).toContain("are you there?");
    const outbound = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, written.conversationId), eq(messages.direction, "outbound")));
    expect(outbound).toEqual([]);
  });

  test("agents can use the inbox", async () => {
    const agent = await createMember(org.organization.id, "agent");
    const client = await signIn(app, agent.id, org.organization.id);
    expect((await client.get(`/inbox/${conv.conversationId}`)).status).toBe(200);
  });
});

describe("isolation and auth", () => {
  const routes = (id: string): [string, string, Record<string, string>?][] => [
    ["GET", `/inbox/${id}`],
    ["GET", `/inbox/${id}/header`],
    ["GET", `/inbox/${id}/messages`],
    ["GET", `/inbox/${id}/older?cursor=x`],
    ["POST", `/inbox/${id}/reply`, { body: "hijack", kind: "reply" }],
    ["POST", `/inbox/${id}/reply`, { body: "hijack", kind: "note" }],
    ["POST", `/inbox/${id}/assign`, { userId: "" }],
    ["POST", `/inbox/${id}/resolve`, {}],
    ["POST", `/inbox/${id}/handoff`, { to: "human" }],
    ["POST", `/inbox/${id}/status`, { status: "pending" }],
  ];

  test("another organization's conversation is a 404 everywhere and nothing changes", async () => {
    const before = await db.select().from(messages).where(eq(messages.conversationId, conv.conversationId));
    for (const [method, path, form] of routes(conv.conversationId)) {
      const res = method === "GET" ? await other.client.get(path) : await other.client.postForm(path, form ?? {});
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 404`);
    }
    const after = await db.select().from(messages).where(eq(messages.conversationId, conv.conversationId));
    expect(after.length).toBe(before.length);
  });

  test("logged out: pages redirect to the login, the stream too", async () => {
    const anon = new TestClient(app);
    for (const [method, path, form] of [...routes(conv.conversationId), ["GET", "/inbox"], ["GET", "/inbox/list"], ["GET", "/inbox/stream"]] as [
      string,
      string,
      Record<string, string>?,
    ][]) {
      const res = method === "GET" ? await anon.get(path) : await anon.postForm(path, form ?? {});
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 303`);
      expect(res.headers.get("location")).toStartWith("/login");
    }
  });
});

describe("live stream", () => {
  test("pushes the rendered bubble of a new inbound message to the organization's inbox only", async () => {
    const controller = new AbortController();
    const res = await org.client.get("/inbox/stream", { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const otherController = new AbortController();
    const otherRes = await other.client.get("/inbox/stream", { signal: otherController.signal });
    const decoder = new TextDecoder();
    const chunk = (v: unknown) => (typeof v === "string" ? v : decoder.decode(v as Uint8Array));
    const streamOf = (body: ReadableStream) => {
      const reader = body.getReader();
      const s = {
        text: "",
        async until(needle: string) {
          while (!s.text.includes(needle)) {
            const { value, done } = await reader.read();
            if (done) break;
            s.text += chunk(value);
          }
          return s.text;
        },
      };
      return s;
    };
    const mine = streamOf(res.body!);
    const theirs = streamOf(otherRes.body!);
    await mine.until("event: ready");
    await theirs.until("event: ready");
    const written = await inbound(app, org.key, instanceId, { from: "+5511966665555", text: "live <u>hello</u>" });
    await mine.until(`msg-${written.messageId}`);
    expect(mine.text).toContain("event: msg");
    expect(mine.text).toContain("live &lt;u&gt;hello&lt;/u&gt;");
    expect(mine.text).toContain(`data-conversation-id="${conv.conversationId}"`);

    // The other organization's stream gets its own message, and never saw ours (notifications keep their order).
    const otherInstance = await connectedSandbox(app, other.key, "Other");
    const theirMessage = await inbound(app, other.key, otherInstance, { from: "+5511966660000", text: "theirs" });
    await theirs.until(`msg-${theirMessage.messageId}`);
    expect(theirs.text).not.toContain(written.messageId);
    controller.abort();
    otherController.abort();
  });
});
