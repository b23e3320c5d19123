import { publishLive, subscribeLive } from "@/lib/live";

export type SseFrame = { event: string; data: string };

/**
 * Reads Server-Sent Events frames from a streaming response until `until` matches one (or the stream
 * ends; the test's timeout bounds a stream that never does), then cancels the stream. Returns every
 * frame read, in order; comments (keep-alives) are skipped, a frame without `event:` is "message".
 */
export async function readFrames(res: Response, until: (frame: SseFrame) => boolean): Promise<SseFrame[]> {
  // The body may yield strings (Bun's ReadableStream<string> behind sseResponse) or bytes.
  const reader = (res.body as ReadableStream<Uint8Array | string>).getReader();
  const decoder = new TextDecoder();
  const frames: SseFrame[] = [];
  let buffer = "";
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return frames;
      buffer += typeof chunk.value === "string" ? chunk.value : decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (raw.startsWith(":")) continue;
        const event = /^event: (.*)$/m.exec(raw)?.[1] ?? "message";
        const data = raw
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6))
          .join("\n");
        const frame = { event, data };
        frames.push(frame);
        if (until(frame)) return frames;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * Resolves once every live update published before the call has reached this process: live
 * notifications arrive in commit order, so a barrier of our own arriving means the earlier ones did.
 */
export async function liveUpdatesArrived(): Promise<void> {
  const topic = `test:barrier:${crypto.randomUUID()}`;
  const arrived = Promise.withResolvers<void>();
  const stop = await subscribeLive(topic, () => arrived.resolve());
  await publishLive(topic, {});
  await arrived.promise.finally(stop);
}
