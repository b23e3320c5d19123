/**
 * A real local OpenAI-compatible server for the knowledge tests: `POST /v1/chat/completions`
 * (JSON or `stream: true` SSE) and `POST /v1/embeddings`. Its chat model answers from the context it
 * was given: it quotes the first source label (`[n] title`) in the system message and the passage's
 * first line — so a test sees the citation only if the knowledge really reached the model. Its
 * embeddings are a bag of hashed word stems (256 dimensions): texts sharing words are close, which is
 * what retrieval needs to be exercised end to end.
 */
const DIMENSIONS = 256;

/** A crude stem: lowercase, accents stripped, the first 5 letters (so "preço"/"preços" meet). */
const stems = (text: string) =>
  text
    .toLowerCase()
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 2)
    .map((w) => w.slice(0, 5));

export function fakeEmbedding(text: string): number[] {
  const v = new Array<number>(DIMENSIONS).fill(0);
  for (const s of stems(text)) v[Number(Bun.hash(s) % BigInt(DIMENSIONS))]! += 1;
  return v;
}

/** What the chat model says: the first cited source and its first line, or that it does not know. */
export function answerFrom(messages: { role: string; content: unknown }[]): string {
  const system = messages
    .filter((m) => m.role === "system")
    .map((m) => String(m.content))
    .join("\n");
  const lines = system.split("\n");
  const at = lines.findIndex((l) => /^\[\d+\] .+/.test(l));
  if (at < 0) return "Não sei responder a isso.";
  return `Segundo ${lines[at]}: ${lines[at + 1] ?? ""}`;
}

export function startModelServer() {
  /** `searchFirst`: the model first calls search_knowledge with this query (when offered), then answers from the tool's result. */
  const state = { chats: [] as any[], embeddings: [] as any[], failEmbeddings: false, searchFirst: null as string | null };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "POST" && url.pathname === "/v1/embeddings") {
        const body = await req.json();
        state.embeddings.push(body);
        if (state.failEmbeddings) return Response.json({ error: { message: "down", type: "server_error" } }, { status: 503 });
        const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
        return Response.json({
          object: "list",
          model: body.model,
          data: inputs.map((text, index) => ({ object: "embedding", index, embedding: fakeEmbedding(text) })),
          usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
        });
      }
      if (req.method === "POST" && url.pathname === "/v1/chat/completions") {
        const body = await req.json();
        state.chats.push(body);
        const toolResult = body.messages.find((m: any) => m.role === "tool");
        const offered = (body.tools ?? []).some((t: any) => t.function?.name === "search_knowledge");
        if (state.searchFirst && offered && !toolResult && !body.stream) {
          return Response.json({
            id: "chatcmpl-kb-tool",
            object: "chat.completion",
            created: Math.floor(Date.now() / 1000),
            model: body.model,
            choices: [
              {
                index: 0,
                message: {
                  role: "assistant",
                  content: null,
                  tool_calls: [
                    { id: "call_1", type: "function", function: { name: "search_knowledge", arguments: JSON.stringify({ query: state.searchFirst }) } },
                  ],
                },
                finish_reason: "tool_calls",
              },
            ],
            usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
          });
        }
        const found = toolResult ? JSON.parse(String(toolResult.content)).results?.[0] : undefined;
        const content = toolResult
          ? found
            ? `Pela busca, ${found.label}: ${String(found.content).split("\n")[0]}`
            : "A busca não achou nada."
          : answerFrom(body.messages);
        if (!body.stream) {
          return Response.json({
            id: "chatcmpl-kb",
            object: "chat.completion",
            created: Math.floor(Date.now() / 1000),
            model: body.model,
            choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
            usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
          });
        }
        const chunk = (delta: object, finish_reason: string | null = null) =>
          `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason }] })}\n\n`;
        const frames = [chunk({ role: "assistant" }), ...content.split(/(?<= )/).map((w) => chunk({ content: w })), chunk({}, "stop"), "data: [DONE]\n\n"];
        return new Response(frames.join(""), { headers: { "content-type": "text/event-stream" } });
      }
      return new Response("not found", { status: 404 });
    },
  });
  return { state, server, baseUrl: `http://127.0.0.1:${server.port}/v1`, stop: () => server.stop(true) };
}
