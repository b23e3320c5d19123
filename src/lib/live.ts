import { listen, notifyMany, type DbOrTx, type Notification } from "@/db/client";
import { log } from "@/lib/logger";

/**
 * Cross-process live updates for SSE pages: publishers NOTIFY on one Postgres channel, every process
 * LISTENs once and fans out to its local subscribers by topic (e.g. `org:<id>:inbox`, `instance:<id>`).
 */
export const LIVE_CHANNEL = "livchat_live";
type Handler = (data: Record<string, unknown>) => void;
const subscribers = new Map<string, Set<Handler>>();
let listening: Promise<unknown> | undefined;

/**
 * When this process last received an update per topic, oldest first (a topic moves to the end when
 * updated), kept for RECENT_MS: enough to tell whether a page's topic changed between the page's render
 * and its stream's subscription (see `changedSince`).
 */
const lastUpdateAt = new Map<string, number>();
const RECENT_MS = 5 * 60_000;
/** Since when every update has reached this process: the latest (re)LISTEN. Infinity before the first. */
let heardSince = Number.POSITIVE_INFINITY;
/** Updates before this time may have been forgotten (dropped from `lastUpdateAt`). */
let rememberedSince = 0;
/**
 * The open streams' catch-ups (`sseResponse`'s `current`), sent again when the LISTEN connection comes
 * back after a drop: updates published while it was down never arrive.
 */
const resyncs = new Set<() => void>();

function noteUpdate(topic: string, now: number) {
  lastUpdateAt.delete(topic);
  lastUpdateAt.set(topic, now);
  for (const [oldTopic, at] of lastUpdateAt) {
    if (at >= now - RECENT_MS) break;
    lastUpdateAt.delete(oldTopic);
    rememberedSince = at;
  }
}

function ensureListening() {
  listening ??= listen(
    LIVE_CHANNEL,
    (payload) => {
      try {
        const { topic, data } = JSON.parse(payload) as { topic: string; data: Record<string, unknown> };
        noteUpdate(topic, Date.now());
        for (const handler of subscribers.get(topic) ?? []) handler(data);
      } catch (err) {
        log.warn("bad live payload", { err });
      }
    },
    () => {
      const reconnected = heardSince !== Number.POSITIVE_INFINITY;
      heardSince = Date.now();
      if (reconnected) for (const resync of resyncs) resync();
    },
  ).catch((err) => {
    listening = undefined;
    log.error("live listen failed", { err });
  });
  return listening;
}

/**
 * Whether `topic` may have changed since `since` (a page's render time, ms) as far as this process
 * heard: an update arrived since then, or this process was not listening the whole time (then it cannot
 * know, and says yes). Ask it once subscribed, so that nothing can arrive unseen between the answer and
 * the subscription. A page rendered by another process compares clocks: hosts are assumed in sync to
 * well under the render-to-subscribe time.
 */
export function changedSince(topic: string, since: number): boolean {
  if (since < heardSince || since <= rememberedSince) return true;
  return (lastUpdateAt.get(topic) ?? 0) >= since;
}

/** A page's render time as its stream URL carries it (`?since=`), or null when absent or not a time. */
function renderTimeOf(value: unknown): number | null {
  const n = typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

export type LiveUpdate = { topic: string; data: Record<string, unknown> };

/** The NOTIFY that carries a live update, for callers that batch it with their own notifications. */
export const liveNotification = ({ topic, data }: LiveUpdate): Notification => ({ channel: LIVE_CHANNEL, payload: JSON.stringify({ topic, data }) });

/** Publishes to every process; inside a transaction it is sent only on commit. Payloads stay small (< 8 KB). */
export async function publishLive(topic: string, data: Record<string, unknown>, tx?: DbOrTx): Promise<void> {
  await notifyMany([liveNotification({ topic, data })], tx);
}

/** Subscribes to a topic; returns the unsubscribe function. */
export async function subscribeLive(topic: string, handler: Handler): Promise<() => void> {
  await ensureListening();
  let set = subscribers.get(topic);
  if (!set) {
    set = new Set();
    subscribers.set(topic, set);
  }
  set.add(handler);
  return () => {
    set!.delete(handler);
    if (set!.size === 0) subscribers.delete(topic);
  };
}

type Frame = { event: string; data: string };

/**
 * A page stream's `current` (see `sseResponse`): `frame`, the catch-up the page needs, only when the
 * topic changed since the page was rendered. `sinceParam` is the stream URL's `?since=` as the page
 * wrote it (its render time, ms); without one there is no catch-up. `frame` gets the render time.
 */
export function catchUpSince(topic: string, sinceParam: unknown, frame: (since: number) => Frame | null | Promise<Frame | null>): () => Promise<Frame | null> {
  const since = renderTimeOf(sinceParam);
  return async () => (since !== null && changedSince(topic, since) ? frame(since) : null);
}

/**
 * An SSE Response that forwards a topic's updates as `event: <name>` frames (htmx sse extension or
 * EventSource). `render` turns an update into the frame's data (HTML fragment or JSON). `current`, when
 * given, is the state as read once subscribed, sent first: an update published between the page's
 * render and the subscription sent no frame, and a page whose last update it was (an import that
 * finished) would wait for one forever. It is sent again whenever this process's LISTEN connection
 * comes back after a drop, for the updates lost meanwhile.
 */
export function sseResponse(
  request: Request,
  topic: string,
  render: (data: Record<string, unknown>) => Frame | null | Promise<Frame | null>,
  current?: () => Promise<Frame | null>,
): Response {
  let unsubscribe: (() => void) | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let resync: (() => void) | undefined;
  const end = () => {
    clearInterval(heartbeat);
    unsubscribe?.();
    if (resync) resyncs.delete(resync);
  };
  const stream = new ReadableStream<string>({
    async start(controller) {
      const send = (event: string, data: string) => {
        const lines = data
          .split("\n")
          .map((l) => `data: ${l}`)
          .join("\n");
        controller.enqueue(`event: ${event}\n${lines}\n\n`);
      };
      const deliver = async (frameOf: () => Frame | null | Promise<Frame | null>) => {
        try {
          const frame = await frameOf();
          if (frame) send(frame.event, frame.data);
        } catch (err) {
          log.warn("sse render failed", { err });
        }
      };
      unsubscribe = await subscribeLive(topic, (data) => deliver(() => render(data)));
      if (current) {
        await deliver(current);
        resync = () => void deliver(current);
        resyncs.add(resync);
      }
      // "ready" only once subscribed, so a client that acts on it cannot miss an update.
      send("ready", "{}");
      heartbeat = setInterval(() => controller.enqueue(": keep-alive\n\n"), 15_000);
      request.signal.addEventListener("abort", () => {
        end();
        try {
          controller.close();
        } catch {}
      });
    },
    cancel: end,
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
  });
}
