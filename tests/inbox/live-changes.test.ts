import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { contacts, conversations, instances, messages, type Instance } from "@/db/schema";
import { CONVERSATION_LIMITS } from "@/features/conversations/conversation.schema";
import { ingestEvents } from "@/features/inbound/inbound.service";
import type { InboundEvent } from "@/providers/provider";
import { runOutboundOnce } from "@/workers/outbound.worker";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";
import { liveUpdatesArrived } from "../helpers/sse";

/**
 * What a change to a stored message looks like in an open inbox: the live stream redraws the TARGET
 * bubble (a reaction on it, an edit with its mark, a delete-for-everyone), a reaction's own record is
 * marked so the page does not append it while its target is shown, an edit of the last message moves
 * the conversation's preview, and reactions we send land on their target like a contact's.
 */

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let instance: Instance;
const PHONE = "+5511955554444";

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Live changes" });
  const id = await connectedSandbox(app, org.key);
  [instance] = (await db.select().from(instances).where(eq(instances.id, id))) as [Instance];
});

type Frame = { event: string; data: string };

/**
 * The organization's inbox stream, read frame by frame. Opened once the live updates of what the test
 * already stored have reached this process: a message's own update arriving after the subscription
 * would be read as the frame of the change that follows (seen in CI: the edit's bubble read old text).
 */
async function openStream() {
  await liveUpdatesArrived();
  const controller = new AbortController();
  const res = await org.client.get("/inbox/stream", { signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const frames: Frame[] = [];
  const stream = {
    frames,
    /** Reads until a frame satisfies `match`; returns it. */
    async next(match: (f: Frame) => boolean): Promise<Frame> {
      for (;;) {
        const found = frames.find(match);
        if (found) {
          frames.splice(frames.indexOf(found), 1);
          return found;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += typeof value === "string" ? value : decoder.decode(value as Uint8Array);
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(raw)?.[1];
          const data = [...raw.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join("\n");
          if (event) frames.push({ event, data });
          end = buffer.indexOf("\n\n");
        }
      }
    },
    /** The next "msg" frame that renders the bubble of message `id`. */
    bubble(id: string) {
      return stream.next((f) => f.event === "msg" && f.data.includes(`id="msg-${id}"`)).then((f) => f.data);
    },
    close: () => controller.abort(),
  };
  await stream.next((f) => f.event === "ready");
  return stream;
}

let seq = 0;
const at = () => new Date(Date.UTC(2026, 0, 5, 9, 0, seq++));
const fromContact = (providerMessageId: string, extra: Partial<Extract<InboundEvent, { kind: "message" }>>): Extract<InboundEvent, { kind: "message" }> => ({
  kind: "message",
  providerMessageId,
  from: PHONE,
  sender: { phone: PHONE, name: "Ana" },
  type: "text",
  timestamp: at(),
  ...extra,
});
/** A reaction as both providers' parsers give it (wuzapi.inbound.ts, cloud.inbound.ts): the target in `reaction` and in `media`. */
const reactionOf = (providerMessageId: string, target: string, emoji: string) =>
  fromContact(providerMessageId, {
    type: "reaction",
    body: emoji || undefined,
    reaction: { targetProviderMessageId: target, emoji },
    media: { messageId: target, emoji },
  });
const row = async (id: string) => (await db.select().from(messages).where(eq(messages.id, id)))[0]!;
const preview = async (conversationId: string) =>
  (await db.select({ p: conversations.lastMessagePreview }).from(conversations).where(eq(conversations.id, conversationId)))[0]!.p;

describe("live changes on a stored message", () => {
  test("a contact's reaction redraws its target with the reaction, and its removal takes it off; the reaction's own bubble names its target", async () => {
    const target = await inbound(app, org.key, instance.id, { from: PHONE, text: "react to me" });
    const providerId = (await row(target.messageId)).providerMessageId!;
    expect(providerId).toBeTruthy();
    const stream = await openStream();

    await ingestEvents(instance, [reactionOf("LIVE-R1", providerId, "👍")]);
    const reacted = await stream.bubble(target.messageId);
    expect(reacted).toContain('class="reaction-chip"');
    expect(reacted).toContain("👍");
    expect(reacted).toContain(`data-provider-id="${providerId}"`);
    const [record] = await db.select().from(messages).where(eq(messages.providerMessageId, "LIVE-R1"));
    // The record's frame says which bubble it belongs to, so the page leaves it out while that bubble is shown.
    const recordFrame = await stream.bubble(record!.id);
    expect(recordFrame).toContain(`data-reacts-to="${providerId}"`);

    // Removed right after (the same message rendered again within moments must not come from an earlier frame).
    await ingestEvents(instance, [reactionOf("LIVE-R2", providerId, "")]);
    const removed = await stream.bubble(target.messageId);
    expect(removed).not.toContain("reaction-chip");
    expect((await row(target.messageId)).reactions).toEqual([]);

    // A reload shows neither record as a bubble of its own: both are on the target.
    const page = await org.client.get(`/inbox/${target.conversationId}/messages`);
    const html = await page.text();
    expect(html).toContain(`msg-${target.messageId}`);
    expect(html).not.toContain(`msg-${record!.id}`);
    stream.close();
  });

  test("an edit redraws the bubble with the new text and the edited mark, and moves the preview when it is the last message", async () => {
    const first = await inbound(app, org.key, instance.id, { from: PHONE, text: "first words" });
    const last = await inbound(app, org.key, instance.id, { from: PHONE, text: "typo here" });
    const lastProvider = (await row(last.messageId)).providerMessageId!;
    const firstProvider = (await row(first.messageId)).providerMessageId!;
    expect(await preview(last.conversationId)).toBe("typo here");
    const stream = await openStream();

    const edit: InboundEvent = { kind: "edit", targetProviderMessageId: lastProvider, body: "no typo here", timestamp: at() };
    await ingestEvents(instance, [edit]);
    const edited = await stream.bubble(last.messageId);
    expect(edited).toContain("no typo here");
    expect(edited).toContain("edit-history");
    expect(edited).toContain("edited");
    expect(await preview(last.conversationId)).toBe("no typo here");
    // No bubble of its own for the edit: the next frame about this conversation is the target again.
    expect(stream.frames.filter((f) => f.event === "msg" && !f.data.includes(`msg-${last.messageId}`))).toEqual([]);

    // An earlier message edited: its bubble changes, the preview (the last message's) does not.
    await ingestEvents(instance, [{ kind: "edit", targetProviderMessageId: firstProvider, body: "first words, edited", timestamp: at() }]);
    expect(await stream.bubble(first.messageId)).toContain("first words, edited");
    expect(await preview(last.conversationId)).toBe("no typo here");

    // The same edit delivered again changes nothing.
    await ingestEvents(instance, [edit]);
    expect(await preview(last.conversationId)).toBe("no typo here");
    expect((await row(last.messageId)).previousVersions!.map((v) => v.body)).toEqual(["typo here"]);
    stream.close();
  });

  test("a delete for everyone redraws the bubble as deleted and, as the last message, takes its text out of the list's preview", async () => {
    const gone = await inbound(app, org.key, instance.id, { from: PHONE, text: "regret this" });
    const providerId = (await row(gone.messageId)).providerMessageId!;
    expect(await preview(gone.conversationId)).toBe("regret this");
    const stream = await openStream();
    await ingestEvents(instance, [{ kind: "delete", targetProviderMessageId: providerId, timestamp: at() }]);
    const deleted = await stream.bubble(gone.messageId);
    expect(deleted).toContain("bubble-deleted");
    expect(deleted).toContain("Deleted for everyone");
    expect(await preview(gone.conversationId)).toBe("[deleted]");
    // The list names it in the reader's language, without the deleted text.
    const list = await (await org.client.get("/inbox/list")).text();
    expect(list).toContain("[deleted]");
    expect(list).not.toContain("regret this");
    stream.close();
  });
});

describe("reactions we send", () => {
  test("POST /v1/messages type reaction lands on its target (our side's entry), is redrawn live, and an empty emoji clears it", async () => {
    const target = await inbound(app, org.key, instance.id, { from: PHONE, text: "rate us" });
    const stream = await openStream();
    const sent = await api(app, "POST", "/v1/messages", org.key, {
      instanceId: instance.id,
      to: PHONE,
      type: "reaction",
      reaction: { messageId: target.messageId, emoji: "❤️" },
    });
    expect(sent.status).toBe(202);
    const reactions = (await row(target.messageId)).reactions!;
    expect(reactions.map((r) => [r.by, r.emoji])).toEqual([["business", "❤️"]]);
    // The frame redrawn with the reaction (the target's own first render may still be on its way).
    const redrawn = await stream.next((f) => f.event === "msg" && f.data.includes(`id="msg-${target.messageId}"`) && f.data.includes("❤️"));
    expect(redrawn.data).toContain("❤️");
    // The API shows it on the target too.
    const listed = await api(app, "GET", `/v1/messages/${target.messageId}`, org.key);
    expect(listed.status).toBe(200);
    expect(listed.body.reactions.map((r: { by: string; emoji: string }) => [r.by, r.emoji])).toEqual([["business", "❤️"]]);

    // The contact's own reaction sits beside ours; ours replaced, then removed, leaves theirs.
    const providerId = (await row(target.messageId)).providerMessageId!;
    await ingestEvents(instance, [reactionOf("LIVE-R3", providerId, "😂")]);
    await api(app, "POST", "/v1/messages", org.key, {
      instanceId: instance.id,
      to: PHONE,
      type: "reaction",
      reaction: { messageId: target.messageId, emoji: "🙏" },
    });
    expect((await row(target.messageId)).reactions!.map((r) => r.emoji).sort()).toEqual(["😂", "🙏"].sort());
    const cleared = await api(app, "POST", "/v1/messages", org.key, {
      instanceId: instance.id,
      to: PHONE,
      type: "reaction",
      reaction: { messageId: target.messageId, emoji: "" },
    });
    expect(cleared.status).toBe(202);
    expect((await row(target.messageId)).reactions!.map((r) => [r.by === "business" ? "business" : "contact", r.emoji])).toEqual([["contact", "😂"]]);

    // Our reaction records are not bubbles of their own once the target is on the page.
    const ours = await db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.type, "reaction"), eq(messages.direction, "outbound"), eq(messages.conversationId, target.conversationId)));
    expect(ours.length).toBe(3);
    const html = await (await org.client.get(`/inbox/${target.conversationId}/messages`)).text();
    for (const r of ours) expect(html).not.toContain(`msg-${r.id}`);
    stream.close();
  });

  test("a reaction of ours that fails to send comes off its target and stays a bubble of its own, showing the failure", async () => {
    const phone = "+5511955553333";
    const target = await inbound(app, org.key, instance.id, { from: phone, text: "will you react?" });
    const sent = await api(app, "POST", "/v1/messages", org.key, {
      instanceId: instance.id,
      to: phone,
      type: "reaction",
      reaction: { messageId: target.messageId, emoji: "🔥" },
    });
    expect(sent.status).toBe(202);
    expect((await row(target.messageId)).reactions!.map((r) => r.emoji)).toEqual(["🔥"]);
    // Blocked before the worker sends it: the send fails for good (the worker checks the rules again).
    await db.update(contacts).set({ blocked: true }).where(eq(contacts.id, target.contactId));
    const stream = await openStream();
    await runOutboundOnce();
    expect((await row(sent.body.id)).status).toBe("failed");
    expect((await row(target.messageId)).reactions).toEqual([]);
    // One frame: the failed reaction (no longer hidden behind its target) and the target redrawn without it.
    const frame = await stream.bubble(sent.body.id);
    expect(frame).not.toContain("data-reacts-to");
    expect(frame).toContain('data-status="failed"');
    expect(frame).toContain(`id="msg-${target.messageId}"`);
    expect(frame).not.toContain("reaction-chip");
    const html = await (await org.client.get(`/inbox/${target.conversationId}/messages`)).text();
    expect(html).toContain(`msg-${sent.body.id}`);
    stream.close();
  });
});

describe("older pages", () => {
  test("a page loaded above the latest shows a reaction on its target there, not as a bubble of its own", async () => {
    const phone = "+5511955552222";
    const target = await inbound(app, org.key, instance.id, { from: phone, text: "an old message" });
    const providerId = (await row(target.messageId)).providerMessageId!;
    const reaction = { ...reactionOf("OLD-R1", providerId, "🎉"), from: phone, sender: { phone, name: "Bia" } };
    await ingestEvents(instance, [reaction]);
    // A full latest page after them, so they are on the older one.
    const later = Array.from({ length: CONVERSATION_LIMITS.messagesDefault }, (_, i) => ({
      ...fromContact(`OLD-${i}`, { body: `later ${i}` }),
      from: phone,
      sender: { phone, name: "Bia" },
    }));
    await ingestEvents(instance, later);
    const latest = await (await org.client.get(`/inbox/${target.conversationId}`)).text();
    expect(latest).not.toContain(`msg-${target.messageId}`);
    const olderUrl = /hx-get="(\/inbox\/[^"]+\/older\?cursor=[^"]+)"/.exec(latest)?.[1];
    expect(olderUrl).toBeTruthy();
    const older = await (await org.client.get(olderUrl!.replaceAll("&amp;", "&"))).text();
    const [record] = await db.select().from(messages).where(eq(messages.providerMessageId, "OLD-R1"));
    expect(older).toContain(`msg-${target.messageId}`);
    expect(older).toContain("🎉");
    expect(older).not.toContain(`msg-${record!.id}`);
  });
});
