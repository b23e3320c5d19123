import { tText } from "@/lib/i18n";
import { guardedFetch, OutboundError, TargetRefused } from "@/lib/outbound";
import type { TurnPart } from "../media-context";

/** One turn of conversation history sent to a model. */
export type ChatTurn = { role: "user" | "assistant" | "system" | "tool"; content: string };

export type EngineRequest = {
  /** The new user message. */
  text: string;
  /**
   * The same message as content parts (text and images, media-context.ts), for engines that take them
   * (the AI SDK's); the others read `text`, where images are placeholders.
   */
  parts?: TurnPart[];
  /** Earlier turns, oldest first (only for engines that do not keep history themselves). */
  history: ChatTurn[];
  /** A member's direct chat with the agent (agent-chats): no thread; tools that act on no customer only. */
  direct?: { organizationId: string };
  /** A hybrid-mode turn (HITL): its reply waits for an agent, so tools that would reach the contact are left out. */
  draft?: boolean;
  /** Thread id passed to engines that keep history (AST). */
  providerThreadId: string;
  /** Memory's summary of the turns no longer in `history` (memory.ts), composed into the system prompt. */
  summary?: string | null;
  signal?: AbortSignal;
};

/** One tool call of a turn: what the model asked for and what the tool answered (or why it failed). */
export type ToolTrace = { tool: string; input: unknown; output?: unknown; error?: string };

export type EngineReply = {
  content: string;
  /** Tokens the model used for the whole turn (every step), when the provider reports them. */
  tokens?: number;
  providerThreadId?: string;
  /** Tool calls made during the turn, kept in the thread as `tool` messages. */
  tools?: ToolTrace[];
  /** The workflow's prompt version whose instructions answered (recorded on the assistant row). */
  promptVersion?: number;
};

/** An AI backend for a workflow. `stream` yields text deltas and returns the full reply. */
export interface AiEngine {
  complete(request: EngineRequest): Promise<EngineReply>;
  stream(request: EngineRequest): AsyncGenerator<string, EngineReply>;
}

/** The upstream failed, timed out or answered nonsense; callers fall back (template or hand-off). */
export class EngineError extends Error {
  /** Tokens the turn spent before it failed (steps that finished), metered like any others. */
  tokensUsed?: number;

  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

export const ENGINE_TIMEOUT_MS = 60_000;

/**
 * A request to an AI backend through the outbound guard: a tenant's own endpoint is checked and
 * pinned like a webhook target, the operator's (OPENAI_BASE_URL, AST_URL) may be private. Failures
 * become EngineError with our own short reason — these reach users and threads, so the upstream
 * body never does.
 */
export async function engineFetch(
  url: string,
  init: RequestInit,
  opts: { timeoutMs: number; signal?: AbortSignal; operatorConfigured: boolean },
): Promise<Response> {
  try {
    return await guardedFetch(url, init, opts);
  } catch (err) {
    if (err instanceof TargetRefused) throw new EngineError(tText("workflows:engine.urlRefused", { reason: err.message }));
    if (err instanceof OutboundError) throw new EngineError(tText("workflows:engine.failed", { reason: err.message }), err.timedOut);
    throw err;
  }
}
