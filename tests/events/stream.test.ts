import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { recordEvent, type EventType } from "@/features/events/event.service";
import { streamSettings } from "@/features/events/event.stream";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const app = createApp();
const defaults = { ...streamSettings };
afterEach(() => Object.assign(streamSettings, defaults));

async function instanceOf(organizationId: string, name = "Main") {
  const [row] = await db.insert(instances).values({ organizationId, name }).returning();
  return row!;
}

const record = (organizationId: string, type: EventType, data: Record<string, unknown> = {}, instanceId?: string) =>
  recordEvent({ organizationId, instanceId, type, data });

type Frame = { id?: string; event?: string; data?: string; comment?: string; retry?: string };

/** An SSE client over app.handle: parses frames as EventSource does, and can disconnect. */
async function connect(path: string, key: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await app.handle(
    new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}`, "accept-language": "en", ...headers }, signal: abort.signal }),
  );
  const frames: Frame[] = [];
  let ended = false;
  if (res.status === 200) {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            const frame: Frame = {};
            for (const line of buffer.slice(0, end).split("\n")) {
              if (line.startsWith(":")) frame.comment = line.slice(1).trim();
              else {
                const colon = line.indexOf(":");
                const name = line.slice(0, colon) as keyof Frame;
                const value = line.slice(colon + 1).replace(/^ /, "");
                frame[name] = frame[name] === undefined ? value : `${frame[name]}\n${value}`;
              }
            }
            frames.push(frame);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
          }
        }
      } catch {}
      ended = true;
    })();
  }
  const events = () => frames.filter((f) => f.id !== undefined);
  return {
    res,
    frames,
    events,
    ids: () => events().map((f) => f.id!),
    ended: () => ended,
    close: () => abort.abort(),
    until: (count: number) => waitFor(() => events().length >= count, { what: () => `${count} events, got ${events().length}` }),
  };
}

describe("GET /v1/events/stream", () => {
  test("events recorded after connecting arrive as frames: id = event id, event = type, data = the webhook payload; heartbeats in silence", async () => {
    const { organization, key } = await setupOrg(app);
    const stream = await connect("/v1/events/stream", key);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get("content-type")).toStartWith("text/event-stream");
    await waitFor(() => stream.frames.some((f) => f.comment === "ready"));
    expect(stream.frames[0]!.retry).toBe(String(streamSettings.retryMs));

    const inst = await instanceOf(organization.id);
    const a = await record(organization.id, "message.received", { n: 1 }, inst.id);
    const b = await record(organization.id, "instance.connected", { n: 2 }, inst.id);
    await stream.until(2);
    expect(stream.ids()).toEqual([a.id, b.id]);
    const first = stream.events()[0]!;
    expect(first.event).toBe("message.received");
    expect(JSON.parse(first.data!)).toEqual({
      id: a.id,
      type: "message.received",
      timestamp: a.at.toISOString(),
      organizationId: organization.id,
      instanceId: inst.id,
      data: { n: 1 },
    });

    streamSettings.heartbeatMs = 30;
    await waitFor(() => stream.frames.some((f) => f.comment === "keep-alive"), { what: "a heartbeat" });
    stream.close();
    await waitFor(() => stream.ended(), { what: "the stream to end on disconnect" });
  });

  test("Last-Event-ID (or ?after=) resumes after the last frame received: nothing missed, nothing repeated", async () => {
    const { organization, key } = await setupOrg(app);
    const e1 = await record(organization.id, "message.received", { n: 1 });
    const first = await connect(`/v1/events/stream?after=${e1.id}`, key);
    const e2 = await record(organization.id, "message.received", { n: 2 });
    const e3 = await record(organization.id, "message.sent", { n: 3 });
    await first.until(2);
    expect(first.ids()).toEqual([e2.id, e3.id]);
    first.close();
    await waitFor(() => first.ended());

    // Recorded while no client is connected.
    const missed = [];
    for (let i = 4; i < 9; i++) missed.push(await record(organization.id, "message.read", { n: i }));
    const resumed = await connect("/v1/events/stream", key, { "last-event-id": first.ids().at(-1)! });
    const later = await record(organization.id, "message.delivered", { n: 9 });
    await resumed.until(6);
    expect(resumed.ids()).toEqual([...missed.map((e) => e.id), later.id]);
    expect(resumed.events().map((f) => JSON.parse(f.data!).data.n)).toEqual([4, 5, 6, 7, 8, 9]);
    resumed.close();

    // The header wins over ?after=.
    const both = await connect(`/v1/events/stream?after=${e1.id}`, key, { "last-event-id": missed.at(-1)!.id });
    await both.until(1);
    expect(both.ids()).toEqual([later.id]);
    both.close();
  });

  test("an event whose transaction commits late is not skipped: frames follow commit order behind the visibility horizon", async () => {
    const { organization, key } = await setupOrg(app);
    const start = await record(organization.id, "message.received", { n: 0 });
    const stream = await connect(`/v1/events/stream?after=${start.id}`, key);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let early: Awaited<ReturnType<typeof record>> | undefined;
    // A transaction that records its event first but commits last.
    const slow = db.transaction(async (tx) => {
      early = await recordEvent({ organizationId: organization.id, type: "message.received", data: { n: 1 } }, tx);
      await held;
    });
    await waitFor(() => early);
    const late = await record(organization.id, "message.sent", { n: 2 });
    // `late` is committed and NOTIFYed, but sending it now would let `early` slip behind the client's cursor.
    release();
    await slow;
    await stream.until(2);
    expect(stream.ids()).toEqual([early!.id, late.id]);
    stream.close();
  });

  test("a batch larger than one read arrives whole and in commit order", async () => {
    const { organization, key } = await setupOrg(app);
    streamSettings.batch = 3;
    const start = await record(organization.id, "message.received", { n: 0 });
    const recorded = [];
    for (let i = 1; i <= 10; i++) recorded.push(await record(organization.id, "message.received", { n: i }));
    const stream = await connect(`/v1/events/stream?after=${start.id}`, key);
    await stream.until(10);
    expect(stream.ids()).toEqual(recorded.map((e) => e.id));
    stream.close();
  });

  test("the key's scopes filter the stream; a bound key streams its instance only; type and instance filters apply", async () => {
    const { organization, key } = await setupOrg(app);
    const a = await instanceOf(organization.id, "A");
    const b = await instanceOf(organization.id, "B");
    const start = await record(organization.id, "message.received", { n: 0 });
    const { secret: messagesOnly } = await createApiKey({ organizationId: organization.id, name: "messages", scopes: ["messages:read"] });
    const { secret: bound } = await createApiKey({ organizationId: organization.id, name: "bound", scopes: ["*"], instanceId: a.id });

    const onA = await record(organization.id, "message.received", { n: 1 }, a.id);
    await record(organization.id, "instance.connected", { n: 2 }, a.id);
    const onB = await record(organization.id, "message.sent", { n: 3 }, b.id);
    await record(organization.id, "contact.created", { n: 4 });
    const last = await record(organization.id, "message.read", { n: 5 }, a.id);

    const scoped = await connect(`/v1/events/stream?after=${start.id}`, messagesOnly);
    await scoped.until(3);
    expect(scoped.ids()).toEqual([onA.id, onB.id, last.id]);
    const boundStream = await connect(`/v1/events/stream?after=${start.id}`, bound);
    await boundStream.until(3);
    expect(boundStream.events().map((f) => JSON.parse(f.data!).data.n)).toEqual([1, 2, 5]);
    const typed = await connect(`/v1/events/stream?after=${start.id}&type=message.sent,contact.created&instanceId=${b.id}`, key);
    await typed.until(1);
    expect(typed.ids()).toEqual([onB.id]);

    // A type the key cannot read is a 403 naming the scope; another instance is a 404 for a bound key.
    const hidden = await api(app, "GET", "/v1/events/stream?type=instance.connected", messagesOnly);
    expect(hidden.status).toBe(403);
    expect(hidden.body.error.message).toContain("instances:read");
    expect((await api(app, "GET", `/v1/events/stream?instanceId=${b.id}`, bound)).status).toBe(404);
    for (const s of [scoped, boundStream, typed]) s.close();
  });

  test("logged out 401, bad cursor 422 in the reader's language, another organization's event as cursor 404", async () => {
    const { organization } = await setupOrg(app);
    const theirs = await setupOrg(app);
    const foreign = await record(theirs.organization.id, "message.received", {});
    await record(organization.id, "message.received", {});
    const { key } = await setupOrg(app);
    expect((await api(app, "GET", "/v1/events/stream")).status).toBe(401);
    const bad = await api(app, "GET", "/v1/events/stream", key, undefined, { "last-event-id": "not-an-id" });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain("Last-Event-ID");
    const badPt = await api(app, "GET", "/v1/events/stream?after=ontem", key, undefined, { "accept-language": "pt-BR" });
    expect(badPt.status).toBe(422);
    expect(badPt.body.error.message).not.toMatch(/validation failed/i);
    expect((await api(app, "GET", `/v1/events/stream?after=${foreign.id}`, key)).status).toBe(404);
    expect((await api(app, "GET", "/v1/events/stream", key, undefined, { "last-event-id": foreign.id })).status).toBe(404);
  });
});
