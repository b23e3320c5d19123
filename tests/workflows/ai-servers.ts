import { gate } from "../helpers/wait";

/**
 * Real local HTTP servers speaking the documented protocols of an OpenAI-compatible endpoint
 * (`POST /chat/completions`, optional `stream: true` SSE) and the AST agent service
 * (`GET /workflows`, `POST /workflows/{wf}/invoke`, `POST /workflows/{wf}/stream`).
 */
type Mode = "ok" | "error" | "hang";

/** A hanging upstream: answers nothing until the client gives up (aborts) or the server stops. */
function hangUntilAbandoned(req: Request, stopped: Promise<void>): Promise<void> {
  return Promise.race([new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve(), { once: true })), stopped]);
}

/** An SSE body that hands out one frame per read, so tokens arrive separately without a timer. */
function sseFrames(frames: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let next = 0;
  return new ReadableStream({
    pull(c) {
      if (next >= frames.length) return c.close();
      c.enqueue(enc.encode(`data: ${frames[next++]}\n\n`));
    },
  });
}

export function startOpenAiServer(opts: { apiKey?: string } = {}) {
  const state = {
    mode: "ok" as Mode,
    requests: [] as any[],
    /** The Authorization header of every chat request received (null when absent). */
    authorizations: [] as (string | null)[],
    reply: (messages: any[]) => `echo: ${messages.at(-1)?.content}`,
  };
  const stopped = gate();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST" || url.pathname !== "/v1/chat/completions") return new Response("not found", { status: 404 });
      state.authorizations.push(req.headers.get("authorization"));
      if (opts.apiKey && req.headers.get("authorization") !== `Bearer ${opts.apiKey}`) {
        return Response.json({ error: { message: "Incorrect API key", type: "invalid_request_error" } }, { status: 401 });
      }
      const body = await req.json();
      state.requests.push(body);
      if (state.mode === "error") return Response.json({ error: { message: "overloaded", type: "server_error" } }, { status: 500 });
      if (state.mode === "hang") await hangUntilAbandoned(req, stopped.wait);
      const content = state.reply(body.messages);
      if (!body.stream) {
        return Response.json({
          id: "chatcmpl-1",
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
        });
      }
      const chunk = (delta: object, finish_reason: string | null = null) =>
        JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason }] });
      const frames = [chunk({ role: "assistant" }), ...content.split(/(?<= )/).map((w) => chunk({ content: w })), chunk({}, "stop"), "[DONE]"];
      return new Response(sseFrames(frames), { headers: { "content-type": "text/event-stream" } });
    },
  });
  return {
    state,
    server,
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    stop: () => {
      stopped.open();
      return server.stop(true);
    },
  };
}

export function startAstServer(opts: { secret: string }) {
  const state = {
    mode: "ok" as Mode,
    invocations: [] as { workflow: string; message: string; threadId: string }[],
    workflows: [
      { id: "wf_support", name: "Support agent", description: "Answers support questions" },
      { id: "wf_sales", name: "Sales agent", description: null },
    ],
  };
  const stopped = gate();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      if (req.headers.get("authorization") !== `Bearer ${opts.secret}`) return Response.json({ error: "unauthorized" }, { status: 401 });
      const url = new URL(req.url);
      if (req.method === "GET" && url.pathname === "/workflows") return Response.json({ workflows: state.workflows });
      const m = url.pathname.match(/^\/workflows\/(wf_[\w-]+)\/(invoke|stream)$/);
      if (!m || req.method !== "POST") return new Response("not found", { status: 404 });
      const body = (await req.json()) as { message: string; threadId: string };
      state.invocations.push({ workflow: m[1]!, message: body.message, threadId: body.threadId });
      if (state.mode === "error") return Response.json({ error: "agent crashed" }, { status: 500 });
      if (state.mode === "hang") await hangUntilAbandoned(req, stopped.wait);
      const content = `[${m[1]}] ${body.message}`;
      if (m[2] === "invoke") return Response.json({ message: { content }, threadId: body.threadId });
      const frames = [
        ...content.split(/(?<= )/).map((piece) => JSON.stringify({ type: "token", content: piece })),
        JSON.stringify({ type: "complete", content }),
        "[DONE]",
      ];
      return new Response(sseFrames(frames), { headers: { "content-type": "text/event-stream" } });
    },
  });
  return {
    state,
    server,
    url: `http://127.0.0.1:${server.port}`,
    stop: () => {
      stopped.open();
      return server.stop(true);
    },
  };
}

/** Parses an SSE response body into [{event, data}] frames. */
export async function readSse(res: Response): Promise<{ event: string; data: any }[]> {
  const text = await res.text();
  return text
    .split(/\n\n/)
    .filter((f) => f.trim())
    .map((frame) => {
      const event = frame.match(/^event: (.*)$/m)?.[1] ?? "message";
      const data = frame
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      let parsed: unknown = data;
      try {
        parsed = JSON.parse(data);
      } catch {}
      return { event, data: parsed };
    });
}
