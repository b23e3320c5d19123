/**
 * `GET /v1/events/stream`: the event log as Server-Sent Events. Every frame is read from the log with
 * pollEvents (commit order, behind the visibility horizon), never from the NOTIFY payload: the live
 * NOTIFY only wakes the reader early, so a frame is sent at least once and none is skipped, and
 * `Last-Event-ID` (the last frame's `id:`, an event id) resumes exactly where a client left off.
 */
import { subscribeLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { log } from "@/lib/logger";
import type { Tenant } from "@/lib/tenant";
import { type EventFilter, type EventPoll, eventPayload, pollEvents } from "./event.service";

/** Tuning; tests shorten the heartbeat. */
export const streamSettings = {
  /** A comment frame after this much silence keeps proxies from closing the connection. */
  heartbeatMs: 15_000,
  /**
   * After a wake-up that found nothing new (the event is still behind the visibility horizon: an older
   * transaction is running), re-read this often, `recheckPolls` times; an event is then read at most
   * this long after it becomes visible.
   */
  pollMs: 1_000,
  recheckPolls: 15,
  /** With no wake-up at all, re-read this often anyway (a safety net: every event insert NOTIFYs). */
  idlePollMs: 5_000,
  /** Events per read. */
  batch: 200,
  /** What EventSource waits before reconnecting (sent once as `retry:`). */
  retryMs: 3_000,
};

const encoder = new TextEncoder();

/** One SSE frame per event: `id:` is the event id (the resume cursor), `event:` its type, `data:` the webhook payload. */
export function eventFrame(event: Parameters<typeof eventPayload>[0]): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(eventPayload(event))}\n\n`;
}

export type StreamOptions = {
  tenant: Tenant;
  filter: EventFilter;
  boundInstanceId?: string | null;
  /** An event id or an ISO timestamp; the stream starts strictly after it. */
  after: string;
  signal: AbortSignal;
};

/**
 * Reads the first batch before answering, so a bad cursor (404) or instance (404) is an ordinary
 * error response, then streams. The body is pulled: a slow client is sent the next batch only once
 * it has read the previous one, so nothing piles up in memory.
 */
export async function eventStream(opts: StreamOptions): Promise<Response> {
  const { tenant, filter, boundInstanceId, signal } = opts;
  let cursor = opts.after;
  const read = async () => {
    const page = await pollEvents(tenant, { filter, after: cursor, limit: streamSettings.batch, boundInstanceId });
    cursor = page.nextCursor;
    return page;
  };
  let pending: EventPoll | null = await read();

  let wake: (() => void) | undefined;
  let rechecks = 0;
  const woken = () => {
    rechecks = streamSettings.recheckPolls;
    const w = wake;
    wake = undefined;
    w?.();
  };
  const unsubscribe = tenant.organizationId ? await subscribeLive(liveTopics.orgEvents(tenant.organizationId), woken) : () => {};
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    woken();
  };
  signal.addEventListener("abort", close, { once: true });
  let lastSentAt = Date.now();

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // `retry:` for EventSource, then a comment: the subscription is live, nothing after this point can be missed.
      controller.enqueue(encoder.encode(`retry: ${streamSettings.retryMs}\n: ready\n\n`));
    },
    async pull(controller) {
      try {
        for (;;) {
          if (closed) {
            controller.close();
            return;
          }
          const page = pending ?? (await read());
          pending = null;
          if (page.data.length > 0) {
            controller.enqueue(encoder.encode(page.data.map(eventFrame).join("")));
            lastSentAt = Date.now();
            return;
          }
          const silentFor = Date.now() - lastSentAt;
          if (silentFor >= streamSettings.heartbeatMs) {
            controller.enqueue(encoder.encode(": keep-alive\n\n"));
            lastSentAt = Date.now();
            return;
          }
          const delay = rechecks > 0 ? streamSettings.pollMs : streamSettings.idlePollMs;
          rechecks = Math.max(0, rechecks - 1);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(delay, streamSettings.heartbeatMs - silentFor));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      } catch (err) {
        // The database went away mid-stream: end it; the client reconnects with Last-Event-ID.
        log.warn("event stream ended by an error", { err });
        close();
        controller.close();
      }
    },
    cancel: close,
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
  });
}
