import { sql } from "drizzle-orm";
import { boolean, customType, index, integer, pgTable, real, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { organizations } from "./tenancy";
import { conversations } from "./messaging";
import { threads, workflows } from "./automation";

/** Postgres `tsvector` (drizzle has no built-in type for it). */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

export const KNOWLEDGE_DOCUMENT_STATUSES = ["pending", "ready", "failed"] as const;
export const KNOWLEDGE_SOURCES = ["upload", "url"] as const;
/** Where a retrieval came from: a workflow's turn, the model's `search_knowledge` tool, the API or the admin's search box. */
export const RETRIEVAL_ORIGINS = ["workflow", "tool", "api", "admin"] as const;

/** A knowledge base of an organization (seed 004 `client_files`, grouped): workflows attach collections. */
export const knowledgeCollections = pgTable(
  "knowledge_collections",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Unique in the organization. */
    name: text().notNull(),
    description: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("knowledge_collections_org_name_unique").on(t.organizationId, t.name)],
);

/** A file or web page in a collection; its text lives in knowledge_chunks. */
export const knowledgeDocuments = pgTable(
  "knowledge_documents",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    collectionId: uuid()
      .notNull()
      .references(() => knowledgeCollections.id, { onDelete: "cascade" }),
    /** The file name, or the page's URL for a fetched page: the label citations show. */
    title: text().notNull(),
    source: text({ enum: KNOWLEDGE_SOURCES }).notNull(),
    sourceUrl: text(),
    mimeType: text().notNull(),
    byteSize: integer().notNull(),
    /** Hex sha256 of the bytes: the same file twice in one organization is one document (seed 004 `file_hash`). */
    sha256: text().notNull(),
    /** pending while extracted and indexed, then ready or failed (`error` says why). */
    status: text({ enum: KNOWLEDGE_DOCUMENT_STATUSES }).notNull().default("pending"),
    error: text(),
    chunkCount: integer().notNull().default(0),
    charCount: integer().notNull().default(0),
    /** Whether its chunks carry embeddings (the organization had an embeddings endpoint when it was indexed). */
    embedded: boolean().notNull().default(false),
    /**
     * Where the document's bytes are kept (the media store's content key): the worker extracts them, and
     * a reindex extracts them again. Null for documents indexed before files were kept.
     */
    storageKey: text(),
    /** The worker processing a pending document holds it until then; a crashed worker's document is taken again after. */
    leaseUntil: timestamp({ withTimezone: true }),
    /** Processing attempts of the current pending state (a document that keeps crashing its worker is failed). */
    attempts: integer().notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("knowledge_documents_org_sha256_unique").on(t.organizationId, t.sha256),
    index("knowledge_documents_collection_idx").on(t.collectionId, t.createdAt),
    index("knowledge_documents_pending_idx").on(t.createdAt).where(sql`status = 'pending'`),
  ],
);

/**
 * A passage of a document. Searched by Postgres full-text search in Portuguese and English (generated
 * tsvectors of the text as written AND accent-folded — `livchat_unaccent`, migration 0043: the Snowball
 * stemmers need the accents ("instalação" → instal, "instalacao" → instalaca), so both forms are indexed
 * and a question matches either; GIN indexes) and, when
 * the organization has an embeddings endpoint, by cosine similarity of `embedding`, a unit-length
 * `real[]`. Where the database has pgvector (the embedded PGlite always; Postgres when installed),
 * migration 0043 adds `embedding_vector`, a `vector` generated from it, which search ranks with `<=>`
 * (see knowledge.search.ts); it is not declared here because it exists only there.
 */
export const knowledgeChunks = pgTable(
  "knowledge_chunks",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    collectionId: uuid()
      .notNull()
      .references(() => knowledgeCollections.id, { onDelete: "cascade" }),
    documentId: uuid()
      .notNull()
      .references(() => knowledgeDocuments.id, { onDelete: "cascade" }),
    /** 0-based order in the document. */
    position: integer().notNull(),
    content: text().notNull(),
    tsvPt: tsvector()
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('portuguese'::regconfig, content) || to_tsvector('portuguese'::regconfig, livchat_unaccent(content))`),
    tsvEn: tsvector()
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('english'::regconfig, content) || to_tsvector('english'::regconfig, livchat_unaccent(content))`),
    embedding: real().array(),
  },
  (t) => [
    index("knowledge_chunks_document_idx").on(t.documentId, t.position),
    index("knowledge_chunks_collection_idx").on(t.collectionId),
    index("knowledge_chunks_tsv_pt_idx").using("gin", t.tsvPt),
    index("knowledge_chunks_tsv_en_idx").using("gin", t.tsvEn),
  ],
);

/** An organization's knowledge settings: its OpenAI-compatible embeddings endpoint (`POST {baseUrl}/embeddings`; none = full-text search only) and its low-score threshold. */
export const knowledgeSettings = pgTable("knowledge_settings", {
  organizationId: uuid()
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  /** Tenant-chosen: checked by the outbound guard when saved and on every call. Null: no endpoint (full-text search only). */
  embeddingsBaseUrl: text(),
  embeddingsModel: text(),
  /** AES-GCM (src/lib/crypto.ts); never shown again. */
  embeddingsApiKeyEnc: text(),
  /** A retrieval whose best score is under this counts as unanswered (the unanswered-questions page); null: the default LOW_SCORE. */
  lowScoreThreshold: real(),
  updatedAt: updatedAt(),
});

/** Every retrieval (seed 002 `rag_analytics`): what was asked, whether the base answered and how well. */
export const ragAnalytics = pgTable(
  "rag_analytics",
  {
    id: id(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    workflowId: uuid().references(() => workflows.id, { onDelete: "set null" }),
    conversationId: uuid().references(() => conversations.id, { onDelete: "set null" }),
    threadId: uuid().references(() => threads.id, { onDelete: "set null" }),
    origin: text({ enum: RETRIEVAL_ORIGINS }).notNull(),
    query: text().notNull(),
    resultsFound: boolean().notNull(),
    /** The best passage's score (full-text rank, or cosine similarity when embeddings ranked it), 0 when nothing was found. */
    topScore: real().notNull().default(0),
    resultsCount: integer().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("rag_analytics_org_created_idx").on(t.organizationId, t.createdAt)],
);
