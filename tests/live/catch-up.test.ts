import { beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { changedSince } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { connectedSandbox, inbound } from "../conversations/helpers";
import { setupOrg } from "../helpers/factories";
import { liveUpdatesArrived, readFrames, type SseFrame } from "../helpers/sse";

/**
 * A live page renders, then its browser opens the page's stream: a change committed in between sent
 * its notification before anyone listened for the page. The page's stream URL carries its render time,
 * and the stream sends a catch-up frame before `ready` when (and only when) its topic changed since.
 * Each test makes the change land in that gap for sure: the change's own notification has reached this
 * process before the stream opens.
 */

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let instanceId: string;
let phone = 5511970000000;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Catch-up" });
  instanceId = await connectedSandbox(app, org.key);
});

/** A contact writes; resolves once this process has heard of the message. */
async function messageHeard(o = org, instance = instanceId) {
  const sent = await inbound(app, o.key, instance, { from: `+${phone++}`, text: "Chegou no meio" });
  await liveUpdatesArrived();
  return sent;
}

/** The stream URL a page rendered (`data-stream`), with its render time. */
async function streamUrlOf(path: string, client = org.client): Promise<string> {
  const html = await (await client.get(path)).text();
  const url = /data-stream="([^"]+)"/.exec(html)?.[1]?.replaceAll("&amp;", "&");
  expect(url).toMatch(/[?&]since=\d+/);
  return url!;
}

/** The frames a stream sends up to and including `ready`. */
async function framesUntilReady(url: string, client = org.client): Promise<SseFrame[]> {
  const res = await client.get(url);
  expect(res.status).toBe(200);
  return readFrames(res, (f) => f.event === "ready");
}

describe("inbox", () => {
  test("a message stored between the render and the subscription → `catchup` before `ready`", async () => {
    await liveUpdatesArrived();
    const url = await streamUrlOf("/inbox");
    await messageHeard();
    expect((await framesUntilReady(url)).map((f) => f.event)).toEqual(["catchup", "ready"]);
  });

  test("nothing changed since the render → `ready` alone (the page is not redrawn for nothing)", async () => {
    await liveUpdatesArrived();
    const url = await streamUrlOf("/inbox");
    expect((await framesUntilReady(url)).map((f) => f.event)).toEqual(["ready"]);
  });

  test("another organization's message is not a change of this inbox", async () => {
    const other = await setupOrg(app, { orgName: "Catch-up other" });
    const otherInstance = await connectedSandbox(app, other.key);
    await liveUpdatesArrived();
    const url = await streamUrlOf("/inbox");
    await messageHeard(other, otherInstance);
    expect((await framesUntilReady(url)).map((f) => f.event)).toEqual(["ready"]);
  });

  test("an open conversation's page catches up the same way", async () => {
    const first = await inbound(app, org.key, instanceId, { from: `+${phone++}`, text: "Primeira" });
    await liveUpdatesArrived();
    const url = await streamUrlOf(`/inbox/${first.conversationId}`);
    await messageHeard();
    expect((await framesUntilReady(url)).map((f) => f.event)).toEqual(["catchup", "ready"]);
  });

  test("a stream without a render time (an old page) never catches up", async () => {
    await liveUpdatesArrived();
    await messageHeard();
    expect((await framesUntilReady("/inbox/stream")).map((f) => f.event)).toEqual(["ready"]);
    expect((await framesUntilReady("/inbox/stream?since=soon")).map((f) => f.event)).toEqual(["ready"]);
  });

  test("a page rendered before this process listened may have missed anything: it catches up", () => {
    // A topic nobody published on, and a time after nothing was forgotten yet but before this test
    // process started (and so before it listened): only the listening start can say "changed".
    const quiet = liveTopics.orgInbox(crypto.randomUUID());
    expect(changedSince(quiet, performance.timeOrigin - 1_000)).toBe(true);
    expect(changedSince(quiet, Date.now())).toBe(false);
  });
});

describe("unread badge", () => {
  test("the count changed between the badge's render and its stream → the current count before `ready`", async () => {
    await liveUpdatesArrived();
    const url = await streamUrlOf("/inbox/unread");
    const before = Number(/data-count="(\d+)"/.exec(await (await org.client.get("/inbox/unread")).text())?.[1]);
    await messageHeard();
    const frames = await framesUntilReady(url);
    expect(frames.map((f) => f.event)).toEqual(["unread", "ready"]);
    expect(Number(frames[0]!.data)).toBe(before + 1);
  });

  test("unchanged → `ready` alone", async () => {
    await liveUpdatesArrived();
    const url = await streamUrlOf("/inbox/unread");
    expect((await framesUntilReady(url)).map((f) => f.event)).toEqual(["ready"]);
  });
});

describe("supervisor monitor", () => {
  test("something happened between the render and the subscription → `changed` (the board is fetched again) before `ready`", async () => {
    await liveUpdatesArrived();
    const url = await streamUrlOf("/monitor");
    await messageHeard();
    expect((await framesUntilReady(url)).map((f) => f.event)).toEqual(["changed", "ready"]);
  });

  test("nothing happened → `ready` alone", async () => {
    await liveUpdatesArrived();
    const url = await streamUrlOf("/monitor");
    expect((await framesUntilReady(url)).map((f) => f.event)).toEqual(["ready"]);
  });
});

describe("events page live tail", () => {
  test("rows recorded between the render and the subscription come first, oldest first, in the page's filter", async () => {
    await liveUpdatesArrived();
    const url = await streamUrlOf("/events?type=message.received");
    const first = await messageHeard();
    const second = await messageHeard();
    const frames = await framesUntilReady(url);
    expect(frames.map((f) => f.event)).toEqual(["event", "ready"]);
    const rows = frames[0]!.data;
    const at = (messageId: string) => rows.indexOf(messageId);
    expect(at(first.messageId)).toBeGreaterThan(-1);
    expect(at(second.messageId)).toBeGreaterThan(at(first.messageId));
    // The filter holds: the new contacts' and conversations' events are not rows of this page.
    expect(rows).not.toContain("contact.created");
    expect(rows).not.toContain("conversation.created");
    expect(rows.match(/class="event-row"/g)?.length).toBeGreaterThanOrEqual(2);
  });

  test("nothing recorded → `ready` alone", async () => {
    await liveUpdatesArrived();
    const url = await streamUrlOf("/events");
    expect((await framesUntilReady(url)).map((f) => f.event)).toEqual(["ready"]);
  });
});

describe("availability (the header's switch and the team page)", () => {
  /** The stream URL availability.js builds: the earlier render time of the switch and the team table. */
  async function availabilityStreamUrl(): Promise<string> {
    const times = await Promise.all(
      ["/availability/control", "/availability"].map(async (path) => Number(/data-rendered-at="(\d+)"/.exec(await (await org.client.get(path)).text())?.[1])),
    );
    expect(times.every((t) => t > 0)).toBe(true);
    return `/availability/stream?since=${Math.min(...times)}`;
  }

  test("a status changed between the render and the subscription → every member's status before `ready`", async () => {
    await liveUpdatesArrived();
    const url = await availabilityStreamUrl();
    const next = (await org.client.get("/availability/control").then((r) => r.text())).includes('value="online" selected') ? "away" : "online";
    expect((await org.client.postForm("/availability/status", { status: next }, { htmx: true })).status).toBe(200);
    await liveUpdatesArrived();
    const frames = await framesUntilReady(url);
    expect(frames.map((f) => f.event)).toEqual(["statuses", "ready"]);
    expect(JSON.parse(frames[0]!.data)).toContainEqual({ userId: org.user.id, status: next });
  });

  test("unchanged → `ready` alone", async () => {
    await liveUpdatesArrived();
    const url = await availabilityStreamUrl();
    expect((await framesUntilReady(url)).map((f) => f.event)).toEqual(["ready"]);
  });
});

describe("the server's database listener drops and comes back", () => {
  test("open streams send their catch-up again (updates published while it was down never arrive), and live updates resume", async () => {
    await liveUpdatesArrived();
    const url = await streamUrlOf("/inbox");
    const res = await org.client.get(url);
    let dropped = false;
    let dropping: Promise<unknown> | undefined;
    const frames = await readFrames(res, (f) => {
      if (f.event === "ready" && !dropped) {
        dropped = true;
        // The connection postgres.js keeps for LISTEN (it reconnects and listens again by itself).
        // (Drizzle runs a query once it is awaited or then'd.)
        dropping = Promise.resolve(
          db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`),
        );
      }
      return dropped && f.event === "catchup";
    });
    await dropping;
    expect(frames.map((f) => f.event)).toEqual(["ready", "catchup"]);
    // Listening again (the catch-up was sent once it was): a new message reaches a stream as usual.
    let sending: Promise<unknown> | undefined;
    const after = await readFrames(await org.client.get("/inbox/stream"), (f) => {
      if (f.event === "ready") sending = inbound(app, org.key, instanceId, { from: `+${phone++}`, text: "Depois da volta" });
      return f.event === "msg";
    });
    await sending;
    expect(after.at(-1)!.data).toContain("Depois da volta");
  });
});
