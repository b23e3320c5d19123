import { log } from "@/lib/logger";
import { tText } from "@/lib/i18n";
import { readSseData } from "./sse";
import { EngineError, engineFetch, type AiEngine, type EngineReply, type EngineRequest } from "./engine";

export type OpenAiSettings = {
  baseUrl: string;
  /** The base URL is the operator's OPENAI_BASE_URL (may be private), not one a tenant chose. */
  operatorConfigured: boolean;
  apiKey?: string;
  model: string;
  temperature?: number;
  maxTokens?: number;
  systemPrompt?: string;
  timeoutMs: number;
};

/** Any OpenAI-compatible `POST {baseUrl}/chat/completions`; we send the thread history each turn. */
export function openAiEngine(settings: OpenAiSettings): AiEngine {
  const body = (request: EngineRequest, stream: boolean) => ({
    model: settings.model,
    messages: [
      ...(settings.systemPrompt ? [{ role: "system", content: settings.systemPrompt }] : []),
      ...request.history.map((t) => ({ role: t.role, content: t.content })),
      { role: "user", content: request.text },
    ],
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.maxTokens !== undefined ? { max_tokens: settings.maxTokens } : {}),
    stream,
  });
  const call = (request: EngineRequest, stream: boolean) =>
    engineFetch(
      `${settings.baseUrl.replace(/\/$/, "")}/chat/completions`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
          ...(stream ? { accept: "text/event-stream" } : {}),
        },
        body: JSON.stringify(body(request, stream)),
      },
      { timeoutMs: settings.timeoutMs, signal: request.signal, operatorConfigured: settings.operatorConfigured },
    );

  return {
    async complete(request) {
      const res = await call(request, false);
      const json = (await res.json().catch(() => null)) as {
        choices?: { message?: { content?: string } }[];
        usage?: { total_tokens?: number };
      } | null;
      const content = json?.choices?.[0]?.message?.content;
      if (typeof content !== "string") throw new EngineError(tText("workflows:engine.noContent"));
      return { content, tokens: json?.usage?.total_tokens };
    },
    async *stream(request): AsyncGenerator<string, EngineReply> {
      const res = await call(request, true);
      if (!res.body) throw new EngineError(tText("workflows:engine.emptyStream"));
      let content = "";
      for await (const data of readSseData(res.body)) {
        let chunk: { choices?: { delta?: { content?: string } }[]; error?: { message?: string } };
        try {
          chunk = JSON.parse(data);
        } catch {
          continue;
        }
        // The upstream's own words stay in our logs: they may carry anything and this message reaches users.
        if (chunk.error) {
          log.warn("AI provider streamed an error", { error: String(chunk.error.message ?? "").slice(0, 200) });
          throw new EngineError(tText("workflows:engine.upstreamError"));
        }
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) {
          content += delta;
          yield delta;
        }
      }
      if (!content) throw new EngineError(tText("workflows:engine.streamedNothing"));
      return { content };
    },
  };
}
