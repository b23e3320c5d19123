import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { guardedFetch, OutboundError, TargetRefused } from "@/lib/outbound";
import type { TranscriptionEndpoint } from "./transcription.settings";

/** OpenAI's upload limit for `/audio/transcriptions`; most compatible servers keep it. */
export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;

/** A transcription that did not happen; `message` is ours (i18n), `retryable` says whether trying later may help. */
export class TranscriptionFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "TranscriptionFailure";
  }
}

/** Servers pick the decoder from the file name's extension, so it follows the stored type. */
const EXTENSIONS: Record<string, string> = {
  "audio/ogg": "ogg",
  "audio/opus": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/mp4": "m4a",
  "audio/m4a": "m4a",
  "audio/x-m4a": "m4a",
  "audio/aac": "m4a",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/webm": "webm",
  "audio/flac": "flac",
  "audio/x-flac": "flac",
  "audio/amr": "amr",
  "video/mp4": "mp4",
  "video/webm": "webm",
};

export function audioFileName(mimeType: string | null | undefined): string {
  const base = (mimeType ?? "").split(";")[0]!.trim().toLowerCase();
  return `audio.${EXTENSIONS[base] ?? "ogg"}`;
}

/** Statuses that mean the request itself is wrong (key, model, file): trying again cannot help. */
const PERMANENT = new Set([400, 401, 403, 404, 413, 415, 422]);

/**
 * One call to an OpenAI-compatible `POST {base}/audio/transcriptions` (multipart: `file`, `model`,
 * `response_format=json`, and `language` when given) through the outbound guard: a tenant's endpoint
 * is checked and pinned like a webhook target, the operator's TRANSCRIBE_BASE_URL may be private.
 *
 * A direct call rather than the AI SDK's `experimental_transcribe` with `@ai-sdk/openai`: that model
 * accepts a custom base URL and a `fetch` (our guard would fit), but it chooses `response_format`
 * itself — `verbose_json` for every model except gpt-4o(-mini)-transcribe, with no option to change
 * it — and several OpenAI-compatible servers answer only `json`/`text`. What is left is one FormData
 * and one JSON field, sent directly.
 */
export async function requestTranscription(
  endpoint: TranscriptionEndpoint,
  audio: { bytes: Uint8Array; mimeType: string | null },
  opts: { language?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<string> {
  if (audio.bytes.byteLength > MAX_AUDIO_BYTES) {
    throw new TranscriptionFailure(tText("transcription:failures.tooLarge", { size: MAX_AUDIO_BYTES / 1024 / 1024 }), false);
  }
  const form = new FormData();
  const type = audio.mimeType?.split(";")[0]?.trim() || "application/octet-stream";
  form.append("file", new Blob([new Uint8Array(audio.bytes)], { type }), audioFileName(audio.mimeType));
  form.append("model", endpoint.model);
  form.append("response_format", "json");
  if (opts.language) form.append("language", opts.language);
  let res: Response;
  try {
    res = await guardedFetch(
      `${endpoint.baseUrl.replace(/\/$/, "")}/audio/transcriptions`,
      { method: "POST", headers: endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}, body: form },
      { timeoutMs: opts.timeoutMs, signal: opts.signal, operatorConfigured: endpoint.operatorConfigured },
    );
  } catch (err) {
    if (err instanceof TargetRefused) throw new TranscriptionFailure(tText("transcription:failures.refused", { reason: err.message }), false);
    if (err instanceof OutboundError) {
      const retryable = err.status === null || !PERMANENT.has(err.status);
      throw new TranscriptionFailure(tText("transcription:failures.request", { reason: err.message }), retryable);
    }
    throw err;
  }
  const json = (await res.json().catch(() => null)) as { text?: unknown } | null;
  if (typeof json?.text !== "string") {
    log.warn("transcription endpoint answered without text", { baseUrl: endpoint.baseUrl });
    throw new TranscriptionFailure(tText("transcription:failures.noText"), true);
  }
  return json.text.trim();
}
