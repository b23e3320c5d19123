import { z } from "zod";
import { tText } from "@/lib/i18n";

export const KNOWLEDGE_LIMITS = {
  name: 120,
  description: 2000,
  url: 2000,
  model: 200,
  apiKey: 500,
  query: 1000,
  /** Largest document accepted (upload or fetched page). */
  documentBytes: 10 * 1024 * 1024,
  /** Characters of extracted text indexed per document at most (the rest is cut, and said so). */
  documentChars: 1_000_000,
  /** Target size of a passage and how much of the previous one it repeats (so an answer split by a cut is still found whole). */
  chunkChars: 1000,
  chunkOverlap: 150,
  /** Passages a search returns by default and at most. */
  topK: 4,
  topKMax: 20,
  /** Collections a workflow attaches at most. */
  collectionsPerWorkflow: 20,
  urlTimeoutMs: 15_000,
  embeddingsTimeoutMs: 30_000,
} as const;

/**
 * A retrieval whose best passage scores under this is recorded as not answered (low score): for
 * full-text search the score is the share of the question's terms the passage contains, for
 * embeddings the cosine similarity.
 */
export const LOW_SCORE = 0.5;

/** Form fields arrive as "" when not set; JSON may send null. Both mean "none". */
const blankToNull = (v: unknown) => (v === "" ? null : v);

const httpUrl = z
  .string()
  .trim()
  .max(KNOWLEDGE_LIMITS.url)
  .url({ error: () => tText("knowledge:errors.url") })
  .refine((u) => /^https?:\/\//i.test(u), { error: () => tText("knowledge:errors.url") });

export const createCollectionSchema = z.object({
  name: z.string().trim().min(1).max(KNOWLEDGE_LIMITS.name),
  description: z.preprocess(blankToNull, z.string().trim().max(KNOWLEDGE_LIMITS.description).nullable()).optional(),
});
export type CreateCollectionInput = z.infer<typeof createCollectionSchema>;
export const updateCollectionSchema = createCollectionSchema.partial();
export type UpdateCollectionInput = z.infer<typeof updateCollectionSchema>;

/** A web page to fetch (through the outbound guard) and index. */
export const addUrlSchema = z.object({ url: httpUrl });

export const searchSchema = z.object({
  q: z.string().trim().min(1).max(KNOWLEDGE_LIMITS.query),
  /** Collections to search (default: every collection of the organization). */
  collectionIds: z
    .array(z.uuid({ error: () => tText("knowledge:errors.collectionId") }))
    .max(KNOWLEDGE_LIMITS.collectionsPerWorkflow)
    .optional(),
  limit: z.coerce.number().int().min(1).max(KNOWLEDGE_LIMITS.topKMax).default(KNOWLEDGE_LIMITS.topK),
});
export type SearchInput = z.infer<typeof searchSchema>;

/** The organization's OpenAI-compatible embeddings endpoint; `apiKey` omitted keeps the stored one (for the same base URL). */
export const embeddingsSettingsSchema = z.object({
  baseUrl: httpUrl,
  model: z.string().trim().min(1).max(KNOWLEDGE_LIMITS.model),
  apiKey: z.preprocess(blankToNull, z.string().min(1).max(KNOWLEDGE_LIMITS.apiKey).nullable()).optional(),
});
export type EmbeddingsSettingsInput = z.infer<typeof embeddingsSettingsSchema>;

/**
 * The organization's own low-score threshold (0..1); null or "" goes back to LOW_SCORE. A form sends
 * text, JSON a number.
 */
export const lowScoreSchema = z.object({
  lowScore: z.preprocess(
    (v) => (v === "" || v === undefined ? null : typeof v === "string" ? Number(v.trim().replace(",", ".")) : v),
    z
      .number({ error: () => tText("knowledge:errors.lowScore") })
      .min(0, { error: () => tText("knowledge:errors.lowScore") })
      .max(1, { error: () => tText("knowledge:errors.lowScore") })
      .nullable(),
  ),
});
export type LowScoreInput = z.infer<typeof lowScoreSchema>;

export const UNANSWERED_PERIODS = ["1d", "7d", "30d", "90d"] as const;
export const unansweredQuerySchema = z.object({
  period: z.enum(UNANSWERED_PERIODS, { error: () => tText("knowledge:errors.period") }).default("30d"),
});

/** `config.knowledgeCollectionIds` of an AI workflow: the collections its model answers from. */
export const knowledgeCollectionIdsSchema = z
  .array(z.uuid({ error: () => tText("knowledge:errors.collectionId") }))
  .max(KNOWLEDGE_LIMITS.collectionsPerWorkflow);
