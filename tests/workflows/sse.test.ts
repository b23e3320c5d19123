// Upstream AI streams end their lines with \n, \r\n or a lone \r (all three are valid SSE); each must
// split into the same events, whatever the chunk boundaries.
import { afterAll, describe, expect, test } from "bun:test";
import { readSseData } from "@/features/workflows/engines/sse";
import { aiSdkEngine } from "@/features/workflows/engines/ai-sdk";

const ENDINGS = { LF: "\n", CRLF: "\r\n", CR: "\r" } as const;
type Ending = keyof typeof ENDINGS;

function chunk(content: string) {
  return JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content } }] });
}

/** An OpenAI-compatible streaming server; `/{ending}/…` chooses the line ending, sent a few bytes at a time. */
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const ending = ENDINGS[new URL(req.url).pathname.split("/")[1] as Ending];
    const eol = ending;
    const text = [
      `: keep-alive comment${eol}`,
      `event: message${eol}data: ${chunk("Olá, ")}${eol}${eol}`,
      `data: ${chunk("tudo ")}${eol}${eol}`,
      `id: 3${eol}data: ${chunk("bem?")}${eol}${eol}`,
      // The last chunk carries the finish reason, as OpenAI's streams do (the AI SDK requires it).
      `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}${eol}${eol}`,
      `data: [DONE]${eol}${eol}`,
      // Past [DONE]: our AST reader stops before it; a model stream (/model/…) ends at [DONE] like OpenAI's.
      ...(new URL(req.url).pathname.includes("/model/") ? [] : [`data: ${chunk(" never read")}${eol}${eol}`]),
    ].join("");
    const bytes = new TextEncoder().encode(text);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      // Small chunks, one per read, put boundaries inside "\r\n" pairs and inside multi-byte characters.
      pull(c) {
        if (offset >= bytes.length) return c.close();
        c.enqueue(bytes.slice(offset, offset + 7));
        offset += 7;
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  },
});
afterAll(() => server.stop(true));
const base = (ending: Ending) => `http://127.0.0.1:${server.port}/${ending}/v1`;

describe("SSE line endings", () => {
  for (const ending of Object.keys(ENDINGS) as Ending[]) {
    test(`${ending}: the same three events, stopping at [DONE]`, async () => {
      const res = await fetch(`${base(ending)}/chat/completions`, { method: "POST" });
      const events: (string | undefined)[] = [];
      for await (const data of readSseData(res.body!)) events.push(JSON.parse(data).choices[0].delta.content);
      expect(events).toEqual(["Olá, ", "tudo ", "bem?", undefined]);
    });

    test(`${ending}: a streamed workflow reply is whole`, async () => {
      const engine = aiSdkEngine({
        vendor: "openai",
        baseUrl: base(ending).replace(/\/v1$/, "/model/v1"),
        operatorConfigured: true,
        apiKey: "sk",
        model: "m",
        timeoutMs: 5_000,
        maxSteps: 1,
      });
      const stream = engine.stream({ text: "oi", history: [], providerThreadId: "t" });
      const deltas: string[] = [];
      let step = await stream.next();
      while (!step.done) {
        deltas.push(step.value);
        step = await stream.next();
      }
      expect(deltas).toEqual(["Olá, ", "tudo ", "bem?"]);
      expect(step.value.content).toBe("Olá, tudo bem?");
    });
  }

  test("an event the upstream did not close with a blank line still counts at the end of the stream", async () => {
    const body = new Response("data: one\n\ndata: two").body!;
    const events: string[] = [];
    for await (const data of readSseData(body)) events.push(data);
    expect(events).toEqual(["one", "two"]);
  });
});
