import { gate } from "../helpers/wait";

/** One `POST /v1/audio/transcriptions` as the server parsed it from the multipart body. */
export type TranscriptionRequest = {
  authorization: string | null;
  model: string | null;
  language: string | null;
  responseFormat: string | null;
  fileName: string | null;
  fileType: string | null;
  bytes: Uint8Array;
};

/**
 * A real local HTTP server speaking OpenAI's `POST /v1/audio/transcriptions` (multipart/form-data:
 * `file`, `model`, optional `language`, `response_format`) and answering `{text}` like the `json`
 * response format. `mode` makes it fail like a real upstream: 500 (overloaded), 401 (bad key), or hang.
 */
export function startTranscriptionServer(opts: { apiKey?: string } = {}) {
  const state = {
    mode: "ok" as "ok" | "error" | "unauthorized" | "hang",
    requests: [] as TranscriptionRequest[],
    reply: (_req: TranscriptionRequest) => "Olá, quero saber do meu boleto",
  };
  const stopped = gate();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST" || url.pathname !== "/v1/audio/transcriptions") return new Response("not found", { status: 404 });
      if (!(req.headers.get("content-type") ?? "").startsWith("multipart/form-data")) {
        return Response.json({ error: { message: "expected multipart/form-data", type: "invalid_request_error" } }, { status: 400 });
      }
      const form = await req.formData();
      const file = form.get("file");
      const field = (name: string) => {
        const v = form.get(name);
        return typeof v === "string" ? v : null;
      };
      const received: TranscriptionRequest = {
        authorization: req.headers.get("authorization"),
        model: field("model"),
        language: field("language"),
        responseFormat: field("response_format"),
        fileName: file instanceof File ? file.name : null,
        fileType: file instanceof File ? file.type : null,
        bytes: file instanceof Blob ? new Uint8Array(await file.arrayBuffer()) : new Uint8Array(),
      };
      state.requests.push(received);
      if (!(file instanceof Blob) || !received.model) {
        return Response.json({ error: { message: "file and model are required", type: "invalid_request_error" } }, { status: 400 });
      }
      if (state.mode === "unauthorized" || (opts.apiKey && received.authorization !== `Bearer ${opts.apiKey}`)) {
        return Response.json({ error: { message: "Incorrect API key provided", type: "invalid_request_error" } }, { status: 401 });
      }
      if (state.mode === "error") return Response.json({ error: { message: "overloaded", type: "server_error" } }, { status: 500 });
      if (state.mode === "hang") {
        await Promise.race([new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve(), { once: true })), stopped.wait]);
      }
      return Response.json({ text: state.reply(received), usage: { type: "duration", seconds: 3 } });
    },
  });
  return {
    state,
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    stop() {
      stopped.open();
      server.stop(true);
    },
  };
}
