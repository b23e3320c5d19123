import { z } from "zod";

export const SENTIMENT_LIMITS = { model: 200, reason: 300 } as const;

/** The organization's sentiment settings, as the settings form and `PUT /v1/sentiment/settings` send them. */
export const sentimentSettingsSchema = z.object({
  enabled: z.boolean(),
  /** The AI workflow whose connection (vendor, endpoint, key) classifies; required when enabled. */
  workflowId: z.string().uuid().nullable().optional(),
  /** A (cheaper) model name on that connection; empty = the workflow's own model. */
  model: z.string().trim().max(SENTIMENT_LIMITS.model).nullable().optional(),
  alertOnNegative: z.boolean().optional(),
});
export type SentimentSettingsInput = z.infer<typeof sentimentSettingsSchema>;

const formCheckbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());
const emptyToNull = (v: unknown) => (typeof v === "string" && v.trim() === "" ? null : v);

/** The same from the settings form (checkboxes, empty strings = not set). */
export const sentimentSettingsFormSchema = z.object({
  enabled: formCheckbox.default(false),
  workflowId: z.preprocess(emptyToNull, z.string().uuid().nullable().optional()),
  model: z.preprocess(emptyToNull, z.string().trim().max(SENTIMENT_LIMITS.model).nullable().optional()),
  alertOnNegative: formCheckbox.default(false),
});

/** What the classifier must answer (AI SDK structured output). */
export const classificationSchema = z.object({
  sentiment: z.enum(["positive", "neutral", "negative"]),
  urgency: z.enum(["low", "medium", "high"]),
  reason: z.string().max(1000),
});
export type Classification = z.infer<typeof classificationSchema>;
