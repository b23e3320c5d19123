import { z } from "zod";
import { knowledgeCollections, knowledgeDocuments } from "@/db/schema";
import { rowJson, timestamp } from "@/lib/openapi";

/** The JSON `/v1/knowledge` answers (collectionJson, documentJson, passageJson), documented in /openapi.json. */
export const collectionJsonSchema = rowJson(knowledgeCollections, ["id", "name", "description", "createdAt", "updatedAt"]).extend({
  documentCount: z.number().int().optional().describe("Documents in the collection (in lists)"),
});

export const collectionListSchema = z.object({
  data: z.array(collectionJsonSchema),
  nextCursor: z.null().describe("Always null: every collection is listed"),
});

export const documentJsonSchema = rowJson(knowledgeDocuments, [
  "id",
  "collectionId",
  "title",
  "source",
  "sourceUrl",
  "mimeType",
  "byteSize",
  "sha256",
  "status",
  "error",
  "chunkCount",
  "charCount",
  "embedded",
  "createdAt",
  "updatedAt",
]);

export const addedDocumentSchema = z.object({
  document: documentJsonSchema,
  duplicate: z.boolean().describe("True when the organization already had these bytes (same sha256): the existing document is answered and nothing was added"),
});

export const documentListSchema = z.object({
  data: z.array(documentJsonSchema),
  nextCursor: z.null().describe("Always null: every document of the collection is listed"),
});

export const searchResultSchema = z.object({
  mode: z.enum(["fts", "hybrid"]).describe("`fts`: Postgres full-text search only; `hybrid`: fused with embeddings (the organization has an endpoint)"),
  topScore: z.number(),
  data: z.array(
    z.object({
      label: z.string().describe('How a model cites it: "[n] title"'),
      documentId: z.string().meta({ format: "uuid" }),
      collectionId: z.string().meta({ format: "uuid" }),
      title: z.string(),
      position: z.number().int(),
      content: z.string(),
      score: z.number().describe("0..1: share of the question's terms found, or cosine similarity, whichever is higher"),
      matchedBy: z.array(z.enum(["fts", "vector"])),
    }),
  ),
});

export const settingsJsonSchema = z.object({
  embeddings: z
    .object({ baseUrl: z.string(), model: z.string(), hasApiKey: z.boolean(), updatedAt: timestamp() })
    .nullable()
    .describe("null: no embeddings endpoint, retrieval is full-text search only"),
  lowScore: z.number().describe("The threshold in force: a retrieval whose best score is under it counts as unanswered"),
  lowScoreThreshold: z.number().nullable().describe("The organization's own threshold; null: the default"),
  lowScoreDefault: z.number(),
});

export const unansweredJsonSchema = z.object({
  since: timestamp(),
  total: z.number().int().describe("Retrievals in the period"),
  unanswered: z.number().int().describe("Of those, nothing found or a best score under the threshold"),
  lowScore: z.number(),
  data: z.array(
    z.object({
      question: z.string(),
      asked: z.number().int(),
      nothingFound: z.number().int(),
      bestScore: z.number(),
      lastAsked: timestamp(),
    }),
  ),
});
