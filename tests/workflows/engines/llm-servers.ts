/**
 * Real local HTTP servers speaking three model APIs as documented, with tool calls, streaming and not:
 * - OpenAI chat completions: `POST {base}/chat/completions` (JSON, or SSE `data:` chunks ending in [DONE]);
 * - Anthropic Messages: `POST {base}/messages` (JSON, or SSE events message_start … message_stop);
 * - Gemini: `POST {base}/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`.
 *
 * What they answer is one script for all three: when the newest user text reads
 * `call <tool> <json args>` and no tool result came back since, they call that tool; otherwise they
 * answer in text — `tool said: <result>` after a tool result, `echo: <text>` otherwise.
 */

export type Decision = { tool: { name: string; args: Record<string, unknown> } } | { text: string };
export type Seen = { lastUser: string; toolResults: string[]; tools: string[] };

export function defaultScript(seen: Seen): Decision {
  const call = seen.lastUser.match(/^call (\S+) (\{.*\})$/s);
  if (call && seen.toolResults.length === 0) return { tool: { name: call[1]!, args: JSON.parse(call[2]!) } };
  if (seen.toolResults.length > 0) return { text: `tool said: ${seen.toolResults.join(" | ")}` };
  return { text: `echo: ${seen.lastUser}` };
}

const enc = new TextEncoder();

/** One SSE frame per read, so deltas arrive separately without a timer. */
function sse(frames: string[]): Response {
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (next >= frames.length) return c.close();
      c.enqueue(enc.encode(frames[next++]!));
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

const words = (text: string) => text.split(/(?<= )/);

type ServerState = {
  requests: any[];
  headers: Headers[];
  script: (seen: Seen) => Decision;
  /** "error": answer 500; "hang": never answer (the client's timeout ends it). */
  mode: "ok" | "error" | "hang";
};

function serve(handler: (req: Request, url: URL, body: any, state: ServerState) => Response | Promise<Response>) {
  const state: ServerState = { requests: [], headers: [], script: defaultScript, mode: "ok" };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const body = req.method === "POST" ? await req.json() : null;
      state.requests.push(body);
      state.headers.push(req.headers);
      if (state.mode === "error") return Response.json({ error: { message: "secret upstream detail", type: "server_error" } }, { status: 500 });
      if (state.mode === "hang") await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve(), { once: true }));
      return handler(req, url, body, state);
    },
  });
  return { state, server, origin: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

// ——— OpenAI chat completions ———

function openAiSeen(body: any): Seen {
  const messages: any[] = body.messages ?? [];
  const lastUserIndex = messages.findLastIndex((m) => m.role === "user");
  const lastUser = String(messages[lastUserIndex]?.content ?? "");
  const toolResults = messages
    .slice(lastUserIndex + 1)
    .filter((m) => m.role === "tool")
    .map((m) => String(m.content));
  return { lastUser, toolResults, tools: (body.tools ?? []).map((t: any) => t.function.name) };
}

export function startOpenAiCompatible() {
  const s = serve((_req, url, body, state) => {
    if (url.pathname !== "/v1/chat/completions") return new Response("not found", { status: 404 });
    const decision = state.script(openAiSeen(body));
    const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
    const toolCall =
      "tool" in decision
        ? { id: `call_${state.requests.length}`, type: "function", function: { name: decision.tool.name, arguments: JSON.stringify(decision.tool.args) } }
        : null;
    if (!body.stream) {
      return Response.json({
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1_700_000_000,
        model: body.model,
        choices: [
          {
            index: 0,
            message: toolCall
              ? { role: "assistant", content: null, tool_calls: [toolCall] }
              : { role: "assistant", content: (decision as { text: string }).text },
            finish_reason: toolCall ? "tool_calls" : "stop",
          },
        ],
        usage,
      });
    }
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1_700_000_000, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const frames = [chunk({ role: "assistant", content: "" })];
    if (toolCall) {
      const args = toolCall.function.arguments;
      frames.push(chunk({ tool_calls: [{ index: 0, id: toolCall.id, type: "function", function: { name: toolCall.function.name, arguments: "" } }] }));
      frames.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, 5) } }] }));
      frames.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(5) } }] }));
      frames.push(chunk({}, "tool_calls"));
    } else {
      for (const w of words((decision as { text: string }).text)) frames.push(chunk({ content: w }));
      frames.push(chunk({}, "stop"));
    }
    // stream_options.include_usage: a last chunk with no choices carries the usage.
    frames.push(`data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1_700_000_000, model: body.model, choices: [], usage })}\n\n`);
    frames.push("data: [DONE]\n\n");
    return sse(frames);
  });
  return { ...s, baseUrl: `${s.origin}/v1` };
}

// ——— Anthropic Messages ———

function anthropicSeen(body: any): Seen {
  const messages: any[] = body.messages ?? [];
  const blocks = (m: any) => (typeof m.content === "string" ? [{ type: "text", text: m.content }] : (m.content as any[]));
  const lastUserIndex = messages.findLastIndex((m) => m.role === "user" && blocks(m).some((b) => b.type === "text"));
  const lastUser = blocks(messages[lastUserIndex] ?? { content: "" })
    .filter((b) => b.type === "text")
    .map((b) => b.text)
    .join("");
  const toolResults = messages
    .slice(lastUserIndex + 1)
    .flatMap((m) => blocks(m).filter((b) => b.type === "tool_result"))
    .map((b) => (typeof b.content === "string" ? b.content : (b.content as any[]).map((c) => c.text).join("")));
  return { lastUser, toolResults, tools: (body.tools ?? []).map((t: any) => t.name) };
}

export function startAnthropic(opts: { apiKey: string }) {
  const s = serve((req, url, body, state) => {
    if (url.pathname !== "/v1/messages") return new Response("not found", { status: 404 });
    if (req.headers.get("x-api-key") !== opts.apiKey)
      return Response.json({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }, { status: 401 });
    const decision = state.script(anthropicSeen(body));
    const toolUse = "tool" in decision ? { type: "tool_use", id: `toolu_${state.requests.length}`, name: decision.tool.name, input: decision.tool.args } : null;
    const stopReason = toolUse ? "tool_use" : "end_turn";
    if (!body.stream) {
      return Response.json({
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: body.model,
        content: toolUse ? [toolUse] : [{ type: "text", text: (decision as { text: string }).text }],
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5 },
      });
    }
    const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const frames = [
      ev("message_start", {
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: 1 },
        },
      }),
    ];
    if (toolUse) {
      const json = JSON.stringify(toolUse.input);
      frames.push(ev("content_block_start", { index: 0, content_block: { type: "tool_use", id: toolUse.id, name: toolUse.name, input: {} } }));
      frames.push(ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: json.slice(0, 4) } }));
      frames.push(ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: json.slice(4) } }));
    } else {
      frames.push(ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
      for (const w of words((decision as { text: string }).text)) frames.push(ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: w } }));
    }
    frames.push(ev("content_block_stop", { index: 0 }));
    frames.push(ev("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 5 } }));
    frames.push(ev("message_stop", {}));
    return sse(frames);
  });
  return { ...s, baseUrl: `${s.origin}/v1` };
}

// ——— Gemini generateContent ———

function geminiSeen(body: any): Seen {
  const contents: any[] = body.contents ?? [];
  const lastUserIndex = contents.findLastIndex((c) => c.role === "user" && c.parts.some((p: any) => typeof p.text === "string"));
  const lastUser = (contents[lastUserIndex]?.parts ?? [])
    .filter((p: any) => typeof p.text === "string")
    .map((p: any) => p.text)
    .join("");
  const toolResults = contents
    .slice(lastUserIndex + 1)
    .flatMap((c) => c.parts.filter((p: any) => p.functionResponse))
    .map((p: any) => JSON.stringify(p.functionResponse.response?.content ?? p.functionResponse.response));
  const tools = (body.tools ?? []).flatMap((t: any) => (t.functionDeclarations ?? []).map((f: any) => f.name));
  return { lastUser, toolResults, tools };
}

export function startGemini(opts: { apiKey: string }) {
  const s = serve((req, url, body, state) => {
    const m = url.pathname.match(/^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/);
    if (!m) return new Response("not found", { status: 404 });
    if (req.headers.get("x-goog-api-key") !== opts.apiKey)
      return Response.json({ error: { code: 403, message: "API key not valid", status: "PERMISSION_DENIED" } }, { status: 403 });
    const decision = state.script(geminiSeen(body));
    const usageMetadata = { promptTokenCount: 12, candidatesTokenCount: 8, totalTokenCount: 20 };
    const parts =
      "tool" in decision ? [{ functionCall: { name: decision.tool.name, args: decision.tool.args } }] : [{ text: (decision as { text: string }).text }];
    if (m[2] === "generateContent") {
      return Response.json({ candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }], usageMetadata, modelVersion: m[1] });
    }
    if (url.searchParams.get("alt") !== "sse") return new Response("only alt=sse here", { status: 400 });
    const frame = (data: object) => `data: ${JSON.stringify(data)}\r\n\r\n`;
    const frames =
      "tool" in decision
        ? [frame({ candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }], usageMetadata })]
        : [
            ...words((decision as { text: string }).text).map((w) => frame({ candidates: [{ content: { role: "model", parts: [{ text: w }] }, index: 0 }] })),
            frame({ candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: "STOP", index: 0 }], usageMetadata }),
          ];
    return sse(frames);
  });
  return { ...s, baseUrl: `${s.origin}/v1beta` };
}
