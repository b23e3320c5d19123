import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { recordEvent, type EventType } from "@/features/events/event.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const app = createApp();

async function instanceOf(organizationId: string, name = "Main") {
  const [row] = await db.insert(instances).values({ organizationId, name }).returning();
  return row!;
}

async function record(organizationId: string, type: EventType, data: Record<string, unknown> = {}, instanceId?: string) {
  return recordEvent({ organizationId, instanceId, type, data });
}

/** Polls until the snapshot horizon has passed our commits (another database's open transaction may hold it back briefly). */
async function pollUntil(path: string, key: string, count: number) {
  let res = await api(app, "GET", path, key);
  await waitFor(async () => {
    res = await api(app, "GET", path, key);
    return res.status !== 200 || res.body.data.length >= count;
  }).catch(() => {}); // the caller's expectations say what is missing
  return res;
}

describe("GET /v1/events", () => {
  test("newest first with cursor pages, the webhook payload shape, and type/instance filters", async () => {
    const { organization, key } = await setupOrg(app);
    const a = await instanceOf(organization.id, "A");
    const b = await instanceOf(organization.id, "B");
    const recorded = [];
    for (let i = 0; i < 5; i++) recorded.push(await record(organization.id, "message.received", { n: i }, a.id));
    recorded.push(await record(organization.id, "message.sent", { n: 5 }, b.id));
    recorded.push(await record(organization.id, "instance.connected", { n: 6 }, b.id));

    const first = await api(app, "GET", "/v1/events?limit=3", key);
    expect(first.status).toBe(200);
    expect(first.body.data.map((e: { data: { n: number } }) => e.data.n)).toEqual([6, 5, 4]);
    expect(first.body.data[0]).toEqual({
      id: recorded[6]!.id,
      type: "instance.connected",
      timestamp: recorded[6]!.at.toISOString(),
      organizationId: organization.id,
      instanceId: b.id,
      data: { n: 6 },
    });
    const second = await api(app, "GET", `/v1/events?limit=3&cursor=${first.body.nextCursor}`, key);
    expect(second.body.data.map((e: { data: { n: number } }) => e.data.n)).toEqual([3, 2, 1]);
    const third = await api(app, "GET", `/v1/events?limit=3&before=${second.body.nextCursor}`, key);
    expect(third.body.data.map((e: { data: { n: number } }) => e.data.n)).toEqual([0]);
    expect(third.body.nextCursor).toBeNull();

    const byType = await api(app, "GET", "/v1/events?type=message.sent,instance.connected", key);
    expect(byType.body.data.map((e: { type: string }) => e.type)).toEqual(["instance.connected", "message.sent"]);
    const byInstance = await api(app, "GET", `/v1/events?instanceId=${a.id}`, key);
    expect(byInstance.body.data.length).toBe(5);
    const both = await api(app, "GET", `/v1/events?instanceId=${b.id}&type=message.sent`, key);
    expect(both.body.data.map((e: { data: { n: number } }) => e.data.n)).toEqual([5]);

    const one = await api(app, "GET", `/v1/events/${recorded[0]!.id}`, key);
    expect(one.status).toBe(200);
    expect(one.body.data).toEqual({ n: 0 });
  });

  test("after=<id> polls strictly newer events oldest first; nextCursor is always the place to resume", async () => {
    const { organization, key } = await setupOrg(app);
    const e1 = await record(organization.id, "message.received", { n: 1 });
    const e2 = await record(organization.id, "message.sent", { n: 2 });
    const e3 = await record(organization.id, "message.read", { n: 3 });

    const page = await pollUntil(`/v1/events?after=${e1.id}&limit=1`, key, 1);
    expect(page.body.data.map((e: { id: string }) => e.id)).toEqual([e2.id]);
    expect(page.body.hasMore).toBe(true);
    const next = await pollUntil(`/v1/events?after=${page.body.nextCursor}`, key, 1);
    expect(next.body.data.map((e: { id: string }) => e.id)).toEqual([e3.id]);
    expect(next.body.hasMore).toBe(false);
    // Nothing new: the cursor is handed back unchanged.
    const idle = await api(app, "GET", `/v1/events?after=${e3.id}`, key);
    expect(idle.body).toEqual({ data: [], nextCursor: e3.id, hasMore: false });

    // A timestamp works as the starting point too.
    const since = await pollUntil(`/v1/events?after=${encodeURIComponent(new Date(e1.at.getTime() - 60_000).toISOString())}`, key, 3);
    expect(since.body.data.map((e: { id: string }) => e.id)).toEqual([e1.id, e2.id, e3.id]);
    const filtered = await pollUntil(`/v1/events?after=${e1.id}&type=message.read`, key, 1);
    expect(filtered.body.data.map((e: { id: string }) => e.id)).toEqual([e3.id]);
  });

  test("a poller never skips an event whose transaction started earlier but committed later", async () => {
    const { organization, key } = await setupOrg(app);
    const start = await record(organization.id, "message.received", { n: 0 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((r) => (inserted = r));
    // The slow transaction inserts its event first (earlier `at`) and commits last.
    const slow = db.transaction(async (tx) => {
      await recordEvent({ organizationId: organization.id, type: "message.sent", data: { n: "slow" } }, tx);
      inserted();
      await gate;
    });
    await insertedSignal;
    const fast = await record(organization.id, "message.read", { n: "fast" });

    // While the slow transaction is open, the fast event is held back: returning it now would move
    // the cursor past the slow event, which would then never be seen.
    const during = await api(app, "GET", `/v1/events?after=${start.id}`, key);
    expect(during.status).toBe(200);
    expect(during.body.data.map((e: { id: string }) => e.id)).not.toContain(fast.id);
    expect(during.body.nextCursor).toBe(start.id);

    release();
    await slow;
    const after = await pollUntil(`/v1/events?after=${start.id}`, key, 2);
    expect(after.body.data.map((e: { data: { n: unknown } }) => e.data.n)).toEqual(["slow", "fast"]);
  });

  test("another organization never sees the events, not even through cursors or ids", async () => {
    const mine = await setupOrg(app);
    const theirs = await setupOrg(app);
    const inst = await instanceOf(mine.organization.id);
    const secret = await record(mine.organization.id, "message.received", { text: "private" }, inst.id);
    await record(theirs.organization.id, "message.sent", { text: "theirs" });

    const list = await api(app, "GET", "/v1/events", theirs.key);
    expect(list.body.data.map((e: { data: { text: string } }) => e.data.text)).toEqual(["theirs"]);
    expect((await api(app, "GET", `/v1/events/${secret.id}`, theirs.key)).status).toBe(404);
    expect((await api(app, "GET", `/v1/events?after=${secret.id}`, theirs.key)).status).toBe(404);
    expect((await api(app, "GET", `/v1/events?cursor=${secret.id}`, theirs.key)).status).toBe(404);
    const foreignInstance = await api(app, "GET", `/v1/events?instanceId=${inst.id}`, theirs.key);
    expect(foreignInstance.status).toBe(404);
    expect(foreignInstance.body.error.code).toBe("not_found");
  });

  test("a key bound to one instance reads that instance's events only", async () => {
    const { organization, key } = await setupOrg(app);
    const a = await instanceOf(organization.id, "A");
    const b = await instanceOf(organization.id, "B");
    const { secret: bound } = await createApiKey({ organizationId: organization.id, name: "bound", scopes: ["*"], instanceId: a.id });
    const ea = await record(organization.id, "message.received", {}, a.id);
    const eb = await record(organization.id, "message.received", {}, b.id);
    const list = await api(app, "GET", "/v1/events", bound);
    expect(list.body.data.map((e: { id: string }) => e.id)).toEqual([ea.id]);
    expect((await api(app, "GET", `/v1/events/${eb.id}`, bound)).status).toBe(404);
    expect((await api(app, "GET", `/v1/events?instanceId=${b.id}`, bound)).status).toBe(404);
    expect((await api(app, "GET", "/v1/events", key)).body.data.length).toBe(2);
  });

  test("read scopes: events:read (or *) reads every type; other read scopes only the types they cover; none is a 403", async () => {
    const { organization } = await setupOrg(app);
    const message = await record(organization.id, "message.received", { n: 1 });
    const contact = await record(organization.id, "contact.created", { n: 2 });
    const webhook = await record(organization.id, "webhook.test", { n: 3 });
    const keyWith = async (scopes: string[]) => (await createApiKey({ organizationId: organization.id, name: scopes.join(" "), scopes })).secret;
    const idsOf = (res: { body: { data: { id: string }[] } }) => res.body.data.map((e) => e.id).sort();

    for (const scopes of [["events:read"], ["*"]]) {
      const res = await api(app, "GET", "/v1/events", await keyWith(scopes));
      expect(res.status).toBe(200);
      expect(idsOf(res)).toEqual([message.id, contact.id, webhook.id].sort());
    }

    const messagesOnly = await keyWith(["messages:read"]);
    const list = await api(app, "GET", "/v1/events", messagesOnly);
    expect(list.status).toBe(200);
    expect(idsOf(list)).toEqual([message.id]);
    const polled = await pollUntil(`/v1/events?after=${new Date(Date.now() - 60_000).toISOString()}`, messagesOnly, 1);
    expect(idsOf(polled)).toEqual([message.id]);
    expect((await api(app, "GET", `/v1/events/${message.id}`, messagesOnly)).status).toBe(200);
    expect((await api(app, "GET", `/v1/events/${contact.id}`, messagesOnly)).status).toBe(404);
    const askedForHidden = await api(app, "GET", "/v1/events?type=contact.created", messagesOnly);
    expect(askedForHidden.status).toBe(403);
    expect(askedForHidden.body.error.message).toContain("contacts:read");

    const two = await keyWith(["messages:read", "contacts:read"]);
    expect(idsOf(await api(app, "GET", "/v1/events", two))).toEqual([message.id, contact.id].sort());

    for (const scopes of [["messages:write"], ["devices:read", "usage:read"]]) {
      const refused = await api(app, "GET", "/v1/events", await keyWith(scopes));
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain("events:read");
      expect((await api(app, "GET", `/v1/events/${message.id}`, await keyWith(scopes))).status).toBe(403);
    }
  });

  test("401 without a key; 422 for bad filters", async () => {
    const { key } = await setupOrg(app);
    const anonymous = await api(app, "GET", "/v1/events");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("unauthorized");
    for (const q of [
      "type=message.exploded",
      "limit=0",
      "limit=501",
      "after=yesterday",
      "instanceId=nope",
      `after=${crypto.randomUUID()}&before=${crypto.randomUUID()}`,
    ]) {
      const res = await api(app, "GET", `/v1/events?${q}`, key);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
      expect(res.body.error.details.length).toBeGreaterThan(0);
    }
    expect((await api(app, "GET", "/v1/events/not-a-uuid", key)).status).toBe(404);
  });
});
