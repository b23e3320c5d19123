import { log } from "@/lib/logger";
import { tText } from "@/lib/i18n";
import { readSseData } from "./sse";
import { EngineError, engineFetch, type AiEngine, type EngineReply, type EngineRequest } from "./engine";

/** `url` and `secret` are the operator's (AST_URL, AST_SECRET), never a tenant's. */
export type AstSettings = { url: string; secret?: string; workflowId: string; timeoutMs: number };

/** A workflow listed by `GET {AST_URL}/workflows`. */
export type AstWorkflow = { id: string; name: string; description?: string | null };

function headers(secret?: string, stream = false): Record<string, string> {
  return {
    "content-type": "application/json",
    ...(secret ? { authorization: `Bearer ${secret}` } : {}),
    ...(stream ? { accept: "text/event-stream" } : {}),
  };
}

/** Lists the AST service's workflows; accepts a bare array or `{workflows|data: [...]}`. */
export async function listAstWorkflows(url: string, secret: string | undefined, timeoutMs = 15_000): Promise<AstWorkflow[]> {
  const res = await engineFetch(`${url}/workflows`, { headers: headers(secret) }, { timeoutMs, operatorConfigured: true });
  const json = (await res.json().catch(() => null)) as unknown;
  const list = Array.isArray(json) ? json : ((json as { workflows?: unknown; data?: unknown })?.workflows ?? (json as { data?: unknown })?.data);
  if (!Array.isArray(list)) throw new EngineError(tText("workflows:engine.astShape"));
  return list
    .filter((w): w is { id: string; name?: string; description?: string } => typeof (w as { id?: unknown })?.id === "string")
    .map((w) => ({ id: w.id, name: String(w.name ?? w.id), description: w.description ?? null }));
}

/** The AST agent service keeps history itself: we pass `threadId` and only the new message. */
export function astEngine(settings: AstSettings): AiEngine {
  const base = `${settings.url}/workflows/${encodeURIComponent(settings.workflowId)}`;
  const payload = (request: EngineRequest) => JSON.stringify({ message: request.text, threadId: request.providerThreadId });
  const fetchOptions = (request: EngineRequest) => ({ timeoutMs: settings.timeoutMs, signal: request.signal, operatorConfigured: true });
  return {
    async complete(request) {
      const res = await engineFetch(`${base}/invoke`, { method: "POST", headers: headers(settings.secret), body: payload(request) }, fetchOptions(request));
      const json = (await res.json().catch(() => null)) as { message?: { content?: string }; threadId?: string } | null;
      const content = json?.message?.content;
      if (typeof content !== "string") throw new EngineError(tText("workflows:engine.astNoContent"));
      return { content, providerThreadId: json?.threadId };
    },
    async *stream(request): AsyncGenerator<string, EngineReply> {
      const res = await engineFetch(
        `${base}/stream`,
        { method: "POST", headers: headers(settings.secret, true), body: payload(request) },
        fetchOptions(request),
      );
      if (!res.body) throw new EngineError(tText("workflows:engine.astEmptyStream"));
      let content = "";
      let completed: string | undefined;
      for await (const data of readSseData(res.body)) {
        let event: { type?: string; content?: string };
        try {
          event = JSON.parse(data);
        } catch {
          continue;
        }
        // The upstream's own words stay in our logs: they may carry anything and this message reaches users.
        if (event.type === "error") {
          log.warn("AST streamed an error", { workflowId: settings.workflowId, error: String(event.content ?? "").slice(0, 200) });
          throw new EngineError(tText("workflows:engine.astError"));
        }
        if (event.type === "token" && event.content) {
          content += event.content;
          yield event.content;
        }
        if (event.type === "complete") completed = event.content ?? content;
      }
      const final = completed ?? content;
      if (!final) throw new EngineError(tText("workflows:engine.astStreamedNothing"));
      return { content: final };
    },
  };
}
