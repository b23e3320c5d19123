import { ProviderError } from "./provider";

/** Upper bound for one provider HTTP call (mutable for tests); the outbound worker retries timeouts with backoff. */
export const providerHttp = { timeoutMs: 15_000 };

export type ProviderRequest = {
  method?: "GET" | "POST" | "DELETE" | "PUT";
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
};

/**
 * One JSON call to a provider API. Failures become `ProviderError`s the outbound worker understands:
 * network errors, timeouts, 5xx and 429 are retryable; other 4xx are not (the request itself is wrong).
 * `describe` extracts the provider's own error message from a JSON error body.
 */
export async function providerFetch<T = unknown>(
  provider: string,
  url: string,
  init: ProviderRequest,
  describe: (body: unknown) => string | undefined,
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...(init.headers ?? {}) };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs ?? providerHttp.timeoutMs),
      redirect: "error",
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new ProviderError(`${provider}: ${timedOut ? "request timed out" : "could not reach the server"}`, true);
  }
  const text = await res.text().catch(() => "");
  let parsed: unknown;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) {
    const detail = (parsed !== undefined ? describe(parsed) : undefined) ?? (text.slice(0, 200) || res.statusText);
    const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
    throw new ProviderError(`${provider}: ${detail} (HTTP ${res.status})`, retryable, res.status);
  }
  if (text && parsed === undefined) throw new ProviderError(`${provider}: response is not JSON`, true, res.status);
  return (parsed ?? {}) as T;
}

/** Narrowing helpers for the loosely typed JSON that providers send. */
export function obj(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : typeof value === "number" ? String(value) : undefined;
}

export function num(value: unknown): number | undefined {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
