import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { embed, embedMany } from "ai";
import { guardedFetch } from "@/lib/outbound";
import { KNOWLEDGE_LIMITS } from "./knowledge.schema";

/** An organization's embeddings endpoint, its key decrypted. */
export type EmbeddingsEndpoint = { baseUrl: string; model: string; apiKey?: string };

/** Texts sent per `/embeddings` request at most. */
const BATCH = 64;

/**
 * The endpoint as an AI SDK embedding model whose every request goes through the outbound guard
 * (the URL is the tenant's: checked, pinned, no redirects; failures with our own short reasons).
 */
function modelOf(endpoint: EmbeddingsEndpoint) {
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return guardedFetch(url, init ?? {}, { timeoutMs: KNOWLEDGE_LIMITS.embeddingsTimeoutMs, signal: init?.signal ?? undefined });
  }) as typeof globalThis.fetch;
  return createOpenAICompatible({ name: "knowledge-embeddings", baseURL: endpoint.baseUrl.replace(/\/+$/, ""), apiKey: endpoint.apiKey, fetch }).embeddingModel(
    endpoint.model,
  );
}

/** Unit length, so cosine similarity is a dot product (and pgvector's `<=>` agrees with ours). */
export function normalized(vector: readonly number[]): number[] {
  const norm = Math.hypot(...vector);
  return norm > 0 ? vector.map((x) => x / norm) : [...vector];
}

/** Embeddings of passages, in order (batched; no retries: a failed document is shown failed and can be reindexed). */
export async function embedPassages(endpoint: EmbeddingsEndpoint, texts: string[]): Promise<number[][]> {
  const model = modelOf(endpoint);
  const out: number[][] = [];
  for (let i = 0; i < texts.length; i += BATCH) {
    const { embeddings } = await embedMany({ model, values: texts.slice(i, i + BATCH), maxRetries: 0 });
    out.push(...embeddings.map(normalized));
  }
  return out;
}

export async function embedQuery(endpoint: EmbeddingsEndpoint, text: string, signal?: AbortSignal): Promise<number[]> {
  const { embedding } = await embed({ model: modelOf(endpoint), value: text, maxRetries: 0, abortSignal: signal });
  return normalized(embedding);
}
