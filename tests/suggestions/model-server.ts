/**
 * A real local OpenAI-compatible server (`POST /v1/chat/completions`) for the human-in-the-loop and
 * sentiment tests: plain requests get `reply(body)` as text; requests asking for structured output
 * (`response_format: {type: "json_schema"}`, what the AI SDK sends for `Output.object`) get
 * `object(body)` as the JSON content, as OpenAI answers them.
 */
export function startModelServer() {
  const state = {
    mode: "ok" as "ok" | "error",
    requests: [] as any[],
    reply: (body: any) => `Draft: ${body.messages.at(-1)?.content}`,
    object: (_body: any): Record<string, unknown> => ({}),
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST" || url.pathname !== "/v1/chat/completions") return new Response("not found", { status: 404 });
      const body = await req.json();
      state.requests.push(body);
      if (state.mode === "error") return Response.json({ error: { message: "overloaded", type: "server_error" } }, { status: 500 });
      const structured = body.response_format?.type === "json_schema";
      const content = structured ? JSON.stringify(state.object(body)) : state.reply(body);
      return Response.json({
        id: "chatcmpl-hitl",
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 },
      });
    },
  });
  return {
    state,
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    /** The structured-output requests received (the AI SDK's json_schema requests). */
    structured: () => state.requests.filter((r) => r.response_format?.type === "json_schema"),
    stop: () => server.stop(true),
  };
}
