import { createParser, type EventSourceMessage } from "eventsource-parser";
import { tText } from "@/lib/i18n";
import { EngineError } from "./engine";

/** A hostile or broken upstream cannot make us buffer an endless event. */
const MAX_EVENT_CHARS = 1_000_000;

/**
 * Server-Sent Events reader for upstream AI streams (OpenAI-compatible and AST both answer with
 * `data: …` events). `eventsource-parser` follows the spec: lines end in `\r\n`, `\n` or `\r`
 * alike. Yields each event's data; stops at `[DONE]` or the end of the stream, where an event the
 * upstream did not close with a blank line still counts.
 */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const ready: EventSourceMessage[] = [];
  let tooLarge = false;
  const parser = createParser({
    maxBufferSize: MAX_EVENT_CHARS,
    onEvent: (event) => ready.push(event),
    onError: (err) => {
      if (err.type === "max-buffer-size-exceeded") tooLarge = true;
    },
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    let done = false;
    while (!done) {
      const chunk = await reader.read();
      done = chunk.done;
      parser.feed(done ? `${decoder.decode()}\n\n` : decoder.decode(chunk.value, { stream: true }));
      if (tooLarge) throw new EngineError(tText("workflows:engine.eventTooLarge"));
      for (const event of ready.splice(0)) {
        if (!event.data) continue;
        if (event.data === "[DONE]") return;
        yield event.data;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
