import { createAnthropic } from "@ai-sdk/anthropic";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, stepCountIs, streamText, type LanguageModel, type ModelMessage, type StepResult, type ToolSet } from "ai";
import type { TurnToolSet } from "@/features/tools/tool.runtime";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import type { LlmVendor } from "../workflow.schema";
import { EngineError, engineFetch, type AiEngine, type EngineReply, type EngineRequest, type ToolTrace } from "./engine";

export type { LlmVendor };

export type LlmSettings = {
  vendor: LlmVendor;
  baseUrl: string;
  /** The base URL is the operator's (OPENAI_BASE_URL and friends, may be private), not one a tenant chose. */
  operatorConfigured: boolean;
  apiKey?: string;
  model: string;
  temperature?: number;
  maxTokens?: number;
  systemPrompt?: string;
  timeoutMs: number;
  /** Model calls per turn at most (each tool round is one): `stopWhen: stepCountIs(maxSteps)`. */
  maxSteps: number;
};

/**
 * Every request the SDK makes goes through the outbound guard (engineFetch): a tenant's endpoint is
 * checked and pinned, redirects are refused, upstream error bodies never reach users.
 */
function guardedFetchFor(settings: LlmSettings): typeof fetch {
  const guarded = async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const res = await engineFetch(url, init ?? {}, {
      timeoutMs: settings.timeoutMs,
      signal: init?.signal ?? undefined,
      operatorConfigured: settings.operatorConfigured,
    });
    return capped(res);
  };
  return guarded as typeof fetch;
}

/** No model answer is this large; a hostile or broken endpoint cannot make us buffer more. */
export const MAX_MODEL_RESPONSE_BYTES = 8 * 1024 * 1024;

/** The response with its body cut off (an error the turn fails with) past MAX_MODEL_RESPONSE_BYTES. */
function capped(res: Response): Response {
  if (!res.body) return res;
  let seen = 0;
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > MAX_MODEL_RESPONSE_BYTES) controller.error(new EngineError(tText("workflows:engine.responseTooLarge")));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The AI SDK model of a connection, every request through the outbound guard (also for one-off calls: HITL suggestions, sentiment). */
export function modelFor(settings: LlmSettings): LanguageModel {
  const fetch = guardedFetchFor(settings);
  const baseURL = settings.baseUrl.replace(/\/+$/, "");
  // The key is always passed (empty when none), so no provider falls back to reading the environment.
  const apiKey = settings.apiKey ?? "";
  if (settings.vendor === "anthropic") return createAnthropic({ baseURL, apiKey, fetch })(settings.model);
  if (settings.vendor === "google") return createGoogleGenerativeAI({ baseURL, apiKey, fetch })(settings.model);
  // Structured output (HITL suggestions, sentiment) asks for `response_format: json_schema` with the zod schema, which
  // OpenAI and the common compatible servers (vLLM, Ollama, LM Studio) honour; plain turns are unaffected.
  return createOpenAICompatible({ name: "openai-compatible", baseURL, apiKey: settings.apiKey, fetch, includeUsage: true, supportsStructuredOutputs: true })(
    settings.model,
  );
}

/** Thread history as model messages: tool rows are kept for people (the model saw them in their turn). */
function messagesOf(request: EngineRequest): ModelMessage[] {
  const messages: ModelMessage[] = [];
  for (const turn of request.history) {
    if (turn.role === "user") messages.push({ role: "user", content: turn.content });
    else if (turn.role === "assistant") messages.push({ role: "assistant", content: turn.content });
  }
  // Images of the new message as image parts (vision workflows); earlier turns keep their placeholders.
  messages.push({ role: "user", content: request.parts ?? request.text });
  // A history window cut mid-conversation may open with an answer; Anthropic and Gemini want a user turn first.
  while (messages[0]?.role === "assistant") messages.shift();
  return messages;
}

/** Tool calls of every step, with what each returned (or why it failed), for the thread. */
function tracesOf(steps: readonly StepResult<ToolSet>[]): ToolTrace[] {
  const traces: ToolTrace[] = [];
  for (const step of steps) {
    for (const part of step.content) {
      if (part.type === "tool-result") traces.push({ tool: part.toolName, input: part.input, output: part.output });
      else if (part.type === "tool-error") traces.push({ tool: part.toolName, input: part.input, error: String((part.error as Error)?.message ?? part.error) });
    }
  }
  return traces;
}

const tokensOf = (usage: { totalTokens?: number; inputTokens?: number; outputTokens?: number }) =>
  usage.totalTokens ?? ((usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) || undefined);

/** Our own EngineError somewhere in what the SDK threw (it may wrap what our fetch threw). */
function findEngineError(err: unknown, depth = 0): EngineError | undefined {
  if (err instanceof EngineError) return err;
  if (!err || typeof err !== "object" || depth > 4) return undefined;
  const e = err as { cause?: unknown; lastError?: unknown; errors?: unknown[] };
  return findEngineError(e.cause, depth + 1) ?? findEngineError(e.lastError, depth + 1) ?? e.errors?.map((x) => findEngineError(x, depth + 1)).find(Boolean);
}

/**
 * What reaches users and threads when a turn fails: our own short reason. The upstream's words stay
 * in our logs (they may carry anything).
 */
function engineErrorOf(err: unknown, ctx: { timeout: AbortSignal; timeoutMs: number; tools?: TurnToolSet }): EngineError {
  const toolFailure = ctx.tools?.failure();
  if (toolFailure) return new EngineError(tText("workflows:engine.toolFailed", { reason: toolFailure }));
  // The turn's own budget ran out: whatever the request in flight then threw, the turn timed out.
  if (ctx.timeout.aborted) return new EngineError(tText("workflows:engine.failed", { reason: `timed out after ${ctx.timeoutMs / 1000} s` }), true);
  const own = findEngineError(err);
  if (own) return own;
  log.warn("AI provider failed", { error: String((err as Error)?.message ?? err).slice(0, 300) });
  return new EngineError(tText("workflows:engine.upstreamError"));
}

/**
 * A workflow's model through the Vercel AI SDK: history + the new message, the workflow's tools with
 * at most `maxSteps` model calls per turn, tokens counted over every step.
 */
export function aiSdkEngine(settings: LlmSettings, tools?: TurnToolSet): AiEngine {
  const model = modelFor(settings);
  const call = (request: EngineRequest) => {
    // One budget for the whole turn (every step and tool call), besides each request's own timeout.
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    const toolAbort = new AbortController();
    const signals = [timeout, toolAbort.signal, ...(request.signal ? [request.signal] : [])];
    // Tokens of the steps that finished: a turn that fails later still spent them (metered all the same).
    let spent = 0;
    const options = {
      model,
      system: settings.systemPrompt || undefined,
      messages: messagesOf(request),
      ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
      ...(settings.maxTokens !== undefined ? { maxOutputTokens: settings.maxTokens } : {}),
      ...(tools && Object.keys(tools.tools).length > 0 ? { tools: tools.tools, stopWhen: stepCountIs(settings.maxSteps) } : {}),
      // Failures fall back (template or a person) at once rather than after retries.
      maxRetries: 0,
      abortSignal: AbortSignal.any(signals),
      onStepFinish: (step: StepResult<ToolSet>) => {
        spent += tokensOf(step.usage) ?? 0;
        // A failed tool ends the turn: the customer gets the fallback, not a model improvising around it.
        if (step.content.some((p) => p.type === "tool-error") && tools?.failure()) toolAbort.abort();
      },
    };
    /** Whatever ended the turn, as our EngineError carrying the tokens spent until then. */
    const fail = (err: unknown): EngineError => {
      const error = engineErrorOf(err, { timeout, timeoutMs: settings.timeoutMs, tools });
      error.tokensUsed = spent || undefined;
      return error;
    };
    /** A tool failed although the model went on: the turn still fails. */
    const assertNoToolFailure = () => {
      const failure = tools?.failure();
      if (failure) throw new EngineError(tText("workflows:engine.toolFailed", { reason: failure }));
    };
    return { options, fail, assertNoToolFailure };
  };
  const finish = (text: string, steps: readonly StepResult<ToolSet>[], usage: Parameters<typeof tokensOf>[0], empty: string): EngineReply => {
    if (!text.trim()) throw new EngineError(tText(empty));
    return { content: text, tokens: tokensOf(usage), tools: tracesOf(steps) };
  };
  return {
    async complete(request) {
      const { options, fail, assertNoToolFailure } = call(request);
      try {
        const result = await generateText(options);
        assertNoToolFailure();
        return finish(result.text, result.steps, result.totalUsage, "workflows:engine.noContent");
      } catch (err) {
        throw fail(err);
      }
    },
    async *stream(request): AsyncGenerator<string, EngineReply> {
      const { options, fail, assertNoToolFailure } = call(request);
      let content = "";
      try {
        const result = streamText(options);
        for await (const part of result.fullStream) {
          if (part.type === "text-delta" && part.text) {
            content += part.text;
            yield part.text;
          } else if (part.type === "error") {
            throw part.error;
          } else if (part.type === "abort") {
            throw new Error("aborted");
          }
        }
        assertNoToolFailure();
        return finish(content, await result.steps, await result.totalUsage, "workflows:engine.streamedNothing");
      } catch (err) {
        throw fail(err);
      }
    },
  };
}

/**
 * One plain completion with the workflow's model, through the same provider and outbound guard as its
 * turns, without tools or history: memory's summaries (memory.ts). Tokens are returned for metering.
 */
export async function completeOnce(settings: LlmSettings, input: { system: string; prompt: string }): Promise<{ text: string; tokens?: number }> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  try {
    const result = await generateText({ model: modelFor(settings), system: input.system, prompt: input.prompt, maxRetries: 0, abortSignal: timeout });
    if (!result.text.trim()) throw new EngineError(tText("workflows:engine.noContent"));
    return { text: result.text.trim(), tokens: tokensOf(result.totalUsage) };
  } catch (err) {
    throw engineErrorOf(err, { timeout, timeoutMs: settings.timeoutMs });
  }
}
