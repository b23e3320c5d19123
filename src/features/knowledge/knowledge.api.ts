import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { validationFailed, zodDetails } from "@/lib/errors";
import { noContent, ok } from "@/lib/openapi";
import {
  addedDocumentSchema,
  collectionJsonSchema,
  collectionListSchema,
  documentJsonSchema,
  documentListSchema,
  searchResultSchema,
  settingsJsonSchema,
  unansweredJsonSchema,
} from "./knowledge.openapi";
import {
  addUrlSchema,
  createCollectionSchema,
  embeddingsSettingsSchema,
  lowScoreSchema,
  searchSchema,
  unansweredQuerySchema,
  updateCollectionSchema,
} from "./knowledge.schema";
import { listUnanswered, passageJson, searchKnowledge } from "./knowledge.search";
import {
  addUploadedDocument,
  addUrlDocument,
  clearEmbeddingsSettings,
  collectionJson,
  createCollection,
  deleteCollection,
  deleteDocument,
  documentJson,
  getCollection,
  getDocument,
  getKnowledgeSettings,
  listCollections,
  listDocuments,
  reindexDocument,
  setEmbeddingsSettings,
  setLowScoreThreshold,
  settingsJson,
  updateCollection,
} from "./knowledge.service";

const idParams = z.object({ id: z.string() });
const tags = ["Knowledge base"];

/** `/v1/knowledge`: collections, their documents, search, the embeddings endpoint and unanswered questions (scopes workflows:read / workflows:write). */
export const knowledgeApi = new Elysia({ name: "knowledge-api", prefix: "/v1/knowledge" })
  .use(authPlugin)
  .get(
    "/collections",
    async ({ caller }) => ({ data: (await listCollections(caller)).map((r) => collectionJson(r.collection, r.documents)), nextCursor: null }),
    { apiKey: "workflows:read", detail: { tags, summary: "List knowledge collections", responses: ok(collectionListSchema) } },
  )
  .post(
    "/collections",
    async ({ caller, body, set }) => {
      set.status = 201;
      return collectionJson(await createCollection(caller, body));
    },
    {
      apiKey: "workflows:write",
      body: createCollectionSchema,
      detail: { tags, summary: "Create a knowledge collection", responses: ok(collectionJsonSchema, 201) },
    },
  )
  .get("/collections/:id", async ({ caller, params }) => collectionJson(await getCollection(caller, params.id)), {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags, summary: "Get a knowledge collection", responses: ok(collectionJsonSchema) },
  })
  .patch("/collections/:id", async ({ caller, params, body }) => collectionJson(await updateCollection(caller, params.id, body)), {
    apiKey: "workflows:write",
    params: idParams,
    body: updateCollectionSchema,
    detail: { tags, summary: "Rename or describe a knowledge collection", responses: ok(collectionJsonSchema) },
  })
  .delete(
    "/collections/:id",
    async ({ caller, params, set }) => {
      await deleteCollection(caller, params.id);
      set.status = 204;
    },
    { apiKey: "workflows:write", params: idParams, detail: { tags, summary: "Delete a knowledge collection and its documents", responses: noContent() } },
  )
  .get("/collections/:id/documents", async ({ caller, params }) => ({ data: (await listDocuments(caller, params.id)).map(documentJson), nextCursor: null }), {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags, summary: "List a collection's documents", responses: ok(documentListSchema) },
  })
  .post(
    "/collections/:id/documents",
    async ({ caller, params, body, set }) => {
      const input = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
      let added: Awaited<ReturnType<typeof addUrlDocument>>;
      if ("url" in input) {
        const parsed = addUrlSchema.safeParse(input);
        if (!parsed.success) throw validationFailed(zodDetails(parsed.error.issues));
        added = await addUrlDocument(caller, params.id, parsed.data.url);
      } else {
        added = await addUploadedDocument(caller, params.id, input.file);
      }
      set.status = added.duplicate ? 200 : 201;
      return { document: documentJson(added.document), duplicate: added.duplicate };
    },
    {
      apiKey: "workflows:write",
      params: idParams,
      // JSON ({url}) read here, multipart (file) by Elysia's parser; "application/json" listed so the /v1 415 rule admits it.
      parse: [
        async ({ request, contentType }) => {
          if (contentType.startsWith("application/json")) return request.json().catch(() => ({}));
        },
        "multipart/form-data",
        "application/json",
      ],
      detail: {
        tags,
        summary: "Add a document (upload a file or fetch a URL)",
        description:
          "multipart/form-data with the file in `file` (PDF, DOCX, TXT, Markdown or HTML, at most 10 MB), or JSON `{url}`: the page or file is fetched through the outbound guard (public addresses only, no redirects, size and type checked). The text is extracted, split into overlapping passages and indexed (full-text search in Portuguese and English; embeddings when the organization set an endpoint) before the answer: `status` is `ready`, or `failed` with `error`. The same bytes already in the organization answer 200 with `duplicate: true` and the existing document.",
        requestBody: {
          content: {
            "multipart/form-data": { schema: { type: "object", properties: { file: { type: "string", format: "binary" } }, required: ["file"] } },
            "application/json": { schema: { type: "object", properties: { url: { type: "string", format: "uri" } }, required: ["url"] } },
          },
        },
        responses: { ...ok(addedDocumentSchema, 201), ...ok(addedDocumentSchema, 200, { description: "Already in the organization (duplicate)" }) },
      },
    },
  )
  .get("/documents/:id", async ({ caller, params }) => documentJson(await getDocument(caller, params.id)), {
    apiKey: "workflows:read",
    params: idParams,
    detail: { tags, summary: "Get a knowledge document", responses: ok(documentJsonSchema) },
  })
  .post("/documents/:id/reindex", async ({ caller, params }) => documentJson(await reindexDocument(caller, params.id)), {
    apiKey: "workflows:write",
    params: idParams,
    detail: {
      tags,
      summary: "Index a document again",
      description: "A URL document is fetched again; an upload has its passages embedded again (after the embeddings endpoint changed).",
      responses: ok(documentJsonSchema),
    },
  })
  .delete(
    "/documents/:id",
    async ({ caller, params, set }) => {
      await deleteDocument(caller, params.id);
      set.status = 204;
    },
    { apiKey: "workflows:write", params: idParams, detail: { tags, summary: "Delete a knowledge document", responses: noContent() } },
  )
  .post(
    "/search",
    async ({ caller, body }) => {
      const r = await searchKnowledge(caller, body, "api");
      return { mode: r.mode, topScore: r.topScore, data: r.passages.map(passageJson) };
    },
    {
      apiKey: "workflows:read",
      body: searchSchema,
      detail: {
        tags,
        summary: "Search the knowledge base",
        description: "What a workflow's model would be given for this question; recorded like every retrieval (see /v1/knowledge/unanswered).",
        responses: ok(searchResultSchema),
      },
    },
  )
  .get("/settings", async ({ caller }) => settingsJson(await getKnowledgeSettings(caller)), {
    apiKey: "workflows:read",
    detail: { tags, summary: "Get the embeddings endpoint", responses: ok(settingsJsonSchema) },
  })
  .put("/settings", async ({ caller, body }) => settingsJson(await setEmbeddingsSettings(caller, body)), {
    apiKey: "workflows:write",
    body: embeddingsSettingsSchema,
    detail: {
      tags,
      summary: "Set the embeddings endpoint",
      description:
        "An OpenAI-compatible `POST {baseUrl}/embeddings` (checked by the outbound guard). `apiKey` is stored encrypted and never shown; omitted, the stored key is kept for the same base URL. Documents indexed before are embedded by reindexing them.",
      responses: ok(settingsJsonSchema),
    },
  })
  .put("/settings/low-score", async ({ caller, body }) => settingsJson(await setLowScoreThreshold(caller, body)), {
    apiKey: "workflows:write",
    body: lowScoreSchema,
    detail: {
      tags,
      summary: "Set the low-score threshold",
      description:
        "A retrieval whose best passage scores under `lowScore` (0..1: the share of the question's terms found, or the cosine similarity) counts as unanswered. null goes back to the default.",
      responses: ok(settingsJsonSchema),
    },
  })
  .delete(
    "/settings",
    async ({ caller, set }) => {
      await clearEmbeddingsSettings(caller);
      set.status = 204;
    },
    { apiKey: "workflows:write", detail: { tags, summary: "Remove the embeddings endpoint (full-text search only)", responses: noContent() } },
  )
  .get(
    "/unanswered",
    async ({ caller, query }) => {
      const r = await listUnanswered(caller, query.period);
      return { since: r.since, total: r.total, unanswered: r.unanswered, lowScore: r.lowScore, data: r.questions };
    },
    {
      apiKey: "workflows:read",
      query: unansweredQuerySchema,
      detail: { tags, summary: "Questions the knowledge base could not answer", responses: ok(unansweredJsonSchema) },
    },
  );
