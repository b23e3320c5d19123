import { z } from "zod";
import { tText } from "@/lib/i18n";

export const TRANSCRIPTION_LIMITS = { baseUrl: 500, apiKey: 500, model: 200 } as const;

const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());
/** An empty form field means "not set" (the platform's default). */
const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** The settings form (and its service input): switch, endpoint, key and model of the organization. */
export const transcriptionSettingsSchema = z.object({
  enabled: checkbox.default(false),
  /** Empty = TRANSCRIBE_BASE_URL. Any other endpoint needs its own `apiKey` and passes the outbound guard. */
  baseUrl: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .max(TRANSCRIPTION_LIMITS.baseUrl, { error: () => tText("transcription:errors.baseUrlMax", { count: TRANSCRIPTION_LIMITS.baseUrl }) })
      .refine(
        (v) => {
          try {
            const url = new URL(v);
            return url.protocol === "http:" || url.protocol === "https:";
          } catch {
            return false;
          }
        },
        { error: () => tText("transcription:errors.baseUrl") },
      )
      .optional(),
  ),
  /** A new key; empty keeps the saved one. */
  apiKey: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .max(TRANSCRIPTION_LIMITS.apiKey, { error: () => tText("transcription:errors.apiKeyMax", { count: TRANSCRIPTION_LIMITS.apiKey }) })
      .optional(),
  ),
  removeApiKey: checkbox.default(false),
  /** Empty = TRANSCRIBE_MODEL. */
  model: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .max(TRANSCRIPTION_LIMITS.model, { error: () => tText("transcription:errors.modelMax", { count: TRANSCRIPTION_LIMITS.model }) })
      .optional(),
  ),
});
export type TranscriptionSettingsInput = z.infer<typeof transcriptionSettingsSchema>;
