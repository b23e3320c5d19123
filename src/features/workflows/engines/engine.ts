/** One turn of conversation history sent to a model. */
export type ChatTurn = { role: "user" | "assistant" | "system" | "tool"; content: string };

export type EngineRequest = {
  /** The new user message. */
  text: string;
  /** Earlier turns, oldest first (only for engines that do not keep history themselves). */
  history: ChatTurn[];
  /** Thread id passed to engines that keep history (AST). */
  providerThreadId: string;
  signal?: AbortSignal;
};

export type EngineReply = { content: string; tokens?: number; providerThreadId?: string };

/** An AI backend for a workflow. `stream` yields text deltas and returns the full reply. */
export interface AiEngine {
  complete(request: EngineRequest): Promise<EngineReply>;
  stream(request: EngineRequest): AsyncGenerator<string, EngineReply>;
}

/** The upstream failed, timed out or answered nonsense; callers fall back (template or hand-off). */
export class EngineError extends Error {
  constructor(message: string, readonly timedOut = false) {
    super(message);
    this.name = "EngineError";
  }
}

export const ENGINE_TIMEOUT_MS = 60_000;

/** fetch with a timeout that also honours the caller's signal; maps failures to EngineError. */
export async function engineFetch(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: combined });
  } catch (err) {
    if (timeout.aborted) throw new EngineError(`AI provider timed out after ${timeoutMs} ms`, true);
    throw new EngineError(`AI provider unreachable: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const excerpt = (await res.text().catch(() => "")).slice(0, 200);
    throw new EngineError(`AI provider answered ${res.status}${excerpt ? `: ${excerpt}` : ""}`);
  }
  return res;
}
