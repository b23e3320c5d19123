import { createHash } from "node:crypto";
import { and, asc, count, desc, eq, inArray, isNotNull } from "drizzle-orm";
import { db, type DbOrTx, notify } from "@/db/client";
import { knowledgeChunks, knowledgeCollections, knowledgeDocuments, knowledgeSettings } from "@/db/schema";
import { roleAtLeast } from "@/auth/roles";
import type { Caller } from "@/lib/caller";
import { decryptSecret, encryptSecret } from "@/lib/crypto";
import { AppError, forbidden, pgCode, validationFailed } from "@/lib/errors";
import { tText, type Vars } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { log } from "@/lib/logger";
import { assertPublicTarget, guardedFetch, OutboundError, TargetRefused } from "@/lib/outbound";
import { organizationOf } from "@/lib/tenant";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { contentKey, mediaStore } from "@/features/media/media.store";
import { chunkText } from "./knowledge.chunk";
import { embedPassages, type EmbeddingsEndpoint } from "./knowledge.embeddings";
import {
  KNOWLEDGE_LIMITS,
  LOW_SCORE,
  type CreateCollectionInput,
  type EmbeddingsSettingsInput,
  type LowScoreInput,
  type UpdateCollectionInput,
} from "./knowledge.schema";
import { ExtractionError, extractableKind, extractText } from "./extract";

export type KnowledgeCollection = typeof knowledgeCollections.$inferSelect;
export type KnowledgeDocument = typeof knowledgeDocuments.$inferSelect;

export function collectionJson(c: KnowledgeCollection, documentCount?: number) {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    ...(documentCount !== undefined ? { documentCount } : {}),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function documentJson(d: KnowledgeDocument) {
  return {
    id: d.id,
    collectionId: d.collectionId,
    title: d.title,
    source: d.source,
    sourceUrl: d.sourceUrl,
    mimeType: d.mimeType,
    byteSize: d.byteSize,
    sha256: d.sha256,
    status: d.status,
    error: d.error,
    chunkCount: d.chunkCount,
    charCount: d.charCount,
    embedded: d.embedded,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

const collectionNotFound = () => new AppError("not_found", tText("knowledge:errors.collectionNotFound"));
const documentNotFound = () => new AppError("not_found", tText("knowledge:errors.documentNotFound"));

/** Admins and owners manage the knowledge base (it speaks for the business); every member reads it. `/v1` keys were checked for their scope by the route. */
export function canManageKnowledge(caller: Pick<Caller, "type" | "role">): boolean {
  return caller.type !== "user" || (!!caller.role && roleAtLeast(caller.role, "admin"));
}

function assertManager(caller: Caller): void {
  if (!canManageKnowledge(caller)) throw forbidden(tText("knowledge:errors.forbidden"));
}

/** A taken collection name is a 422 on `name`. */
async function uniqueName<T>(write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (pgCode(err) === "23505") throw validationFailed([{ path: "name", message: tText("knowledge:errors.nameTaken") }]);
    throw err;
  }
}

/* ---------------------------------------------------------------- collections */

export async function listCollections(caller: Caller, tx: DbOrTx = db): Promise<{ collection: KnowledgeCollection; documents: number }[]> {
  const organizationId = organizationOf(caller);
  const rows = await tx
    .select()
    .from(knowledgeCollections)
    .where(eq(knowledgeCollections.organizationId, organizationId))
    .orderBy(asc(knowledgeCollections.name));
  const counts = await tx
    .select({ collectionId: knowledgeDocuments.collectionId, n: count() })
    .from(knowledgeDocuments)
    .where(eq(knowledgeDocuments.organizationId, organizationId))
    .groupBy(knowledgeDocuments.collectionId);
  const byId = new Map(counts.map((c) => [c.collectionId, Number(c.n)]));
  return rows.map((collection) => ({ collection, documents: byId.get(collection.id) ?? 0 }));
}

/** The organization's collections as choices (the workflow form's picker). */
export async function collectionOptions(organizationId: string, tx: DbOrTx = db): Promise<{ id: string; name: string }[]> {
  return tx
    .select({ id: knowledgeCollections.id, name: knowledgeCollections.name })
    .from(knowledgeCollections)
    .where(eq(knowledgeCollections.organizationId, organizationId))
    .orderBy(asc(knowledgeCollections.name));
}

export async function getCollection(caller: Caller, id: string, tx: DbOrTx = db): Promise<KnowledgeCollection> {
  if (!isUuid(id)) throw collectionNotFound();
  const [row] = await tx
    .select()
    .from(knowledgeCollections)
    .where(and(eq(knowledgeCollections.id, id), eq(knowledgeCollections.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw collectionNotFound();
  return row;
}

export async function createCollection(caller: Caller, input: CreateCollectionInput, tx?: DbOrTx): Promise<KnowledgeCollection> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const [row] = await uniqueName(
      tx
        .insert(knowledgeCollections)
        .values({ organizationId, name: input.name, description: input.description ?? null })
        .returning(),
    );
    await auditChange(tx, organizationId, caller, "knowledge_collection.created", { type: "knowledge_collection", id: row!.id }, { name: row!.name });
    return row!;
  });
}

export async function updateCollection(caller: Caller, id: string, patch: UpdateCollectionInput, tx?: DbOrTx): Promise<KnowledgeCollection> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getCollection(caller, id, tx);
    if (Object.keys(patch).length === 0) return current;
    const [row] = await uniqueName(
      tx
        .update(knowledgeCollections)
        .set(patch)
        .where(and(eq(knowledgeCollections.id, id), eq(knowledgeCollections.organizationId, organizationId)))
        .returning(),
    );
    await auditChange(
      tx,
      organizationId,
      caller,
      "knowledge_collection.updated",
      { type: "knowledge_collection", id },
      { name: row!.name, fields: Object.keys(patch) },
    );
    return row!;
  });
}

/** Deletes the collection with its documents and passages (workflows that listed it simply stop finding them). */
export async function deleteCollection(caller: Caller, id: string, tx?: DbOrTx): Promise<void> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    const row = await getCollection(caller, id, tx);
    await tx.delete(knowledgeCollections).where(and(eq(knowledgeCollections.id, id), eq(knowledgeCollections.organizationId, organizationId)));
    await auditChange(tx, organizationId, caller, "knowledge_collection.deleted", { type: "knowledge_collection", id }, { name: row.name });
  });
}

/**
 * Ids of `ids` that are not collections of the organization (a workflow may only attach its own:
 * another organization's id reads as unknown).
 */
export async function unknownCollectionIds(organizationId: string, ids: readonly string[], tx: DbOrTx = db): Promise<string[]> {
  const valid = ids.filter(isUuid);
  const found = valid.length
    ? await tx
        .select({ id: knowledgeCollections.id })
        .from(knowledgeCollections)
        .where(and(eq(knowledgeCollections.organizationId, organizationId), inArray(knowledgeCollections.id, valid)))
    : [];
  const known = new Set(found.map((r) => r.id));
  return ids.filter((id) => !known.has(id));
}

/**
 * A workflow config's `knowledgeCollectionIds` must name the organization's collections: else 422 on
 * each unknown one. Ids the workflow already had (`previous`) pass: a collection deleted since is
 * simply not searched, and must not block every later change of the workflow.
 */
export async function assertOwnCollections(organizationId: string, ids: unknown, tx: DbOrTx = db, previous?: unknown): Promise<void> {
  if (!Array.isArray(ids) || ids.length === 0) return;
  const kept = new Set(Array.isArray(previous) ? previous : []);
  const unknown = (await unknownCollectionIds(organizationId, ids as string[], tx)).filter((id) => !kept.has(id));
  if (unknown.length === 0) return;
  throw validationFailed(
    (ids as string[]).flatMap((id, i) =>
      unknown.includes(id) ? [{ path: `config.knowledgeCollectionIds.${i}`, message: tText("knowledge:errors.collectionNotFound") }] : [],
    ),
  );
}

/* ---------------------------------------------------------------- documents */

export async function listDocuments(caller: Caller, collectionId: string, tx: DbOrTx = db): Promise<KnowledgeDocument[]> {
  const collection = await getCollection(caller, collectionId, tx);
  return tx
    .select()
    .from(knowledgeDocuments)
    .where(and(eq(knowledgeDocuments.collectionId, collection.id), eq(knowledgeDocuments.organizationId, collection.organizationId)))
    .orderBy(desc(knowledgeDocuments.createdAt), desc(knowledgeDocuments.id));
}

export async function getDocument(caller: Caller, id: string, tx: DbOrTx = db): Promise<KnowledgeDocument> {
  if (!isUuid(id)) throw documentNotFound();
  const [row] = await tx
    .select()
    .from(knowledgeDocuments)
    .where(and(eq(knowledgeDocuments.id, id), eq(knowledgeDocuments.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw documentNotFound();
  return row;
}

/** A document's passages in order (the admin's document page shows what was indexed). */
export async function documentChunks(caller: Caller, id: string, limit = 200): Promise<{ position: number; content: string; embedded: boolean }[]> {
  const doc = await getDocument(caller, id);
  const rows = await db
    .select({ position: knowledgeChunks.position, content: knowledgeChunks.content, embedding: knowledgeChunks.embedding })
    .from(knowledgeChunks)
    .where(and(eq(knowledgeChunks.documentId, doc.id), eq(knowledgeChunks.organizationId, doc.organizationId)))
    .orderBy(asc(knowledgeChunks.position))
    .limit(limit);
  return rows.map((r) => ({ position: r.position, content: r.content, embedded: !!r.embedding }));
}

export type AddedDocument = { document: KnowledgeDocument; duplicate: boolean };

type Incoming = { bytes: Uint8Array; mimeType: string; title: string; source: "upload" | "url"; sourceUrl: string | null };

const invalidFile = (path: string, key: string, vars?: Vars) => validationFailed([{ path, message: tText(key, vars) }]);

/** NOTIFY channel that wakes the knowledge workers: a document is pending. */
export const KNOWLEDGE_DUE_CHANNEL = "knowledge_documents_due";

/**
 * Keeps a document's bytes in the media store (content-addressed: the same file is stored once) so the
 * worker, and later a reindex, can extract them.
 */
async function keepFile(sha256: string, incoming: Pick<Incoming, "bytes" | "mimeType">): Promise<string> {
  const key = contentKey(sha256);
  await mediaStore().put(key, incoming.bytes, incoming.mimeType);
  return key;
}

/**
 * Stores a document once per organization (sha256 of its bytes): the same file again, in this
 * collection or another, answers the existing document with `duplicate: true` (one that failed is
 * queued again instead). A new one is answered at once as `pending`, its file kept; the knowledge
 * worker (knowledge.jobs.ts) extracts, splits and embeds it, then marks it `ready` or `failed` with the
 * reason. A worker that dies mid-way leaves it leased; it is taken again when the lease runs out.
 */
async function addDocument(caller: Caller, collectionId: string, incoming: Incoming, path: string): Promise<AddedDocument> {
  assertManager(caller);
  const collection = await getCollection(caller, collectionId);
  const organizationId = collection.organizationId;
  const sha256 = createHash("sha256").update(incoming.bytes).digest("hex");
  const existing = await documentByHash(organizationId, sha256);
  // The same file again after it failed: queued again, in its place (a pending one is already queued).
  if (existing && existing.status === "failed")
    return { document: await queueDocument(existing.id, { storageKey: await keepFile(sha256, incoming) }), duplicate: false };
  if (existing && existing.status === "pending") return { document: existing, duplicate: false };
  if (existing) return { document: existing, duplicate: true };
  if (!extractableKind(incoming.mimeType, incoming.title)) throw invalidFile(path, "knowledge:errors.unsupportedType", { type: incoming.mimeType || "?" });
  const storageKey = await keepFile(sha256, incoming);
  let created: KnowledgeDocument;
  try {
    created = await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(knowledgeDocuments)
        .values({
          organizationId,
          collectionId: collection.id,
          title: incoming.title,
          source: incoming.source,
          sourceUrl: incoming.sourceUrl,
          mimeType: incoming.mimeType,
          byteSize: incoming.bytes.byteLength,
          sha256,
          storageKey,
        })
        .returning();
      await auditChange(
        tx,
        organizationId,
        caller,
        "knowledge_document.added",
        { type: "knowledge_document", id: row!.id },
        { title: row!.title, collection: collection.name, source: row!.source, bytes: row!.byteSize },
      );
      return row!;
    });
  } catch (err) {
    // The same file added twice at once: the one that won is the document.
    if (pgCode(err) === "23505") {
      const winner = await documentByHash(organizationId, sha256);
      if (winner) return { document: winner, duplicate: true };
    }
    throw err;
  }
  await notify(KNOWLEDGE_DUE_CHANNEL, "");
  return { document: created, duplicate: false };
}

/** Puts a document back to pending (a fresh attempt count, no lease) and wakes the workers. */
async function queueDocument(id: string, set: Partial<Pick<KnowledgeDocument, "storageKey" | "sha256" | "mimeType" | "byteSize">> = {}, tx: DbOrTx = db) {
  const [row] = await tx
    .update(knowledgeDocuments)
    .set({ ...set, status: "pending", error: null, attempts: 0, leaseUntil: null })
    .where(eq(knowledgeDocuments.id, id))
    .returning();
  await notify(KNOWLEDGE_DUE_CHANNEL, "", tx);
  return row!;
}

async function documentByHash(organizationId: string, sha256: string): Promise<KnowledgeDocument | undefined> {
  const [row] = await db
    .select()
    .from(knowledgeDocuments)
    .where(and(eq(knowledgeDocuments.organizationId, organizationId), eq(knowledgeDocuments.sha256, sha256)))
    .limit(1);
  return row;
}

/** A multipart upload (`file`): PDF, DOCX, TXT, Markdown or HTML up to KNOWLEDGE_LIMITS.documentBytes. */
export async function addUploadedDocument(caller: Caller, collectionId: string, file: unknown): Promise<AddedDocument> {
  assertManager(caller);
  await getCollection(caller, collectionId);
  if (!(file instanceof Blob) || file.size === 0) throw invalidFile("file", "knowledge:errors.fileRequired");
  if (file.size > KNOWLEDGE_LIMITS.documentBytes) throw invalidFile("file", "knowledge:errors.tooLarge", { max: KNOWLEDGE_LIMITS.documentBytes / 1024 / 1024 });
  const name = (file instanceof File && file.name ? file.name : "document").slice(0, 255);
  const bytes = new Uint8Array(await file.arrayBuffer());
  return addDocument(
    caller,
    collectionId,
    { bytes, mimeType: file.type || "application/octet-stream", title: name, source: "upload", sourceUrl: null },
    "file",
  );
}

/**
 * A web page or file at a URL the tenant chose, fetched through the outbound guard (checked and pinned
 * address, no redirects, a timeout), refused past the size cap or when its content type can't be read.
 */
export async function addUrlDocument(caller: Caller, collectionId: string, url: string): Promise<AddedDocument> {
  assertManager(caller);
  await getCollection(caller, collectionId);
  const { bytes, mimeType } = await fetchDocument(url);
  return addDocument(caller, collectionId, { bytes, mimeType, title: url.slice(0, 500), source: "url", sourceUrl: url }, "url");
}

async function fetchDocument(url: string): Promise<{ bytes: Uint8Array; mimeType: string }> {
  let res: Response;
  try {
    res = await guardedFetch(
      url,
      {
        headers: {
          accept:
            "text/html, text/plain, text/markdown, application/pdf, application/vnd.openxmlformats-officedocument.wordprocessingml.document;q=0.9, */*;q=0.1",
        },
      },
      { timeoutMs: KNOWLEDGE_LIMITS.urlTimeoutMs },
    );
  } catch (err) {
    if (err instanceof TargetRefused || err instanceof OutboundError) throw invalidFile("url", "knowledge:errors.fetchFailed", { reason: err.message });
    throw err;
  }
  const mimeType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!extractableKind(mimeType, new URL(url).pathname)) {
    await res.body?.cancel().catch(() => {});
    throw invalidFile("url", "knowledge:errors.unsupportedType", { type: mimeType || "?" });
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  const tooLarge = () => invalidFile("url", "knowledge:errors.tooLarge", { max: KNOWLEDGE_LIMITS.documentBytes / 1024 / 1024 });
  if (declared > KNOWLEDGE_LIMITS.documentBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  // Read up to the cap whatever the header said (it may be absent or lie).
  const parts: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > KNOWLEDGE_LIMITS.documentBytes) throw tooLarge();
        parts.push(value);
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw invalidFile("url", "knowledge:errors.fetchFailed", { reason: tText("knowledge:errors.readFailed") });
    } finally {
      await reader.cancel().catch(() => {});
    }
  }
  if (size === 0) throw invalidFile("url", "knowledge:errors.emptyPage");
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.byteLength;
  }
  return { bytes, mimeType: mimeType || "text/html" };
}

/**
 * Extracts, splits and (when the organization has an embeddings endpoint) embeds a document, then
 * replaces its passages in one transaction; any failure marks it failed with a reason people can read.
 * Both outcomes clear the worker's lease in the same UPDATE. Run by the knowledge worker.
 */
export async function indexDocument(doc: KnowledgeDocument, bytes: Uint8Array): Promise<KnowledgeDocument> {
  let chunks: string[];
  let charCount: number;
  try {
    const text = await extractText(bytes, doc.mimeType, doc.title);
    charCount = text.length;
    if (!text.trim()) return markFailed(doc, tText("knowledge:errors.noText"));
    chunks = chunkText(text.slice(0, KNOWLEDGE_LIMITS.documentChars), { size: KNOWLEDGE_LIMITS.chunkChars, overlap: KNOWLEDGE_LIMITS.chunkOverlap });
  } catch (err) {
    if (err instanceof ExtractionError) return markFailed(doc, tText("knowledge:errors.extractionFailed", { reason: err.message }));
    throw err;
  }
  let embeddings: number[][] | null = null;
  const endpoint = await embeddingsEndpointOf(doc.organizationId);
  if (endpoint) {
    try {
      embeddings = await embedPassages(endpoint, chunks);
    } catch (err) {
      log.warn("knowledge: embeddings failed", { documentId: doc.id, error: String((err as Error)?.message ?? err).slice(0, 300) });
      return markFailed(doc, tText("knowledge:errors.embeddingsFailed", { reason: embeddingFailure(err) }));
    }
  }
  return db.transaction(async (tx) => {
    await tx.delete(knowledgeChunks).where(eq(knowledgeChunks.documentId, doc.id));
    // Inserted in slices: one statement's parameters stay far under Postgres' 65535.
    for (let i = 0; i < chunks.length; i += 500) {
      await tx.insert(knowledgeChunks).values(
        chunks.slice(i, i + 500).map((content, j) => ({
          organizationId: doc.organizationId,
          collectionId: doc.collectionId,
          documentId: doc.id,
          position: i + j,
          content,
          embedding: embeddings?.[i + j] ?? null,
        })),
      );
    }
    const [row] = await tx
      .update(knowledgeDocuments)
      .set({ status: "ready", error: null, chunkCount: chunks.length, charCount, embedded: !!embeddings, leaseUntil: null })
      .where(eq(knowledgeDocuments.id, doc.id))
      .returning();
    return row!;
  });
}

/** Our own words for a failed embeddings call: the guard's reason when it was the guard, else a generic one. */
function embeddingFailure(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TargetRefused || e instanceof OutboundError) return e.message;
  }
  return tText("knowledge:errors.embeddingsUpstream");
}

export async function markFailed(doc: Pick<KnowledgeDocument, "id">, error: string): Promise<KnowledgeDocument> {
  const [row] = await db.transaction(async (tx) => {
    await tx.delete(knowledgeChunks).where(eq(knowledgeChunks.documentId, doc.id));
    return tx
      .update(knowledgeDocuments)
      .set({ status: "failed", error: error.slice(0, 1000), chunkCount: 0, embedded: false, leaseUntil: null })
      .where(eq(knowledgeDocuments.id, doc.id))
      .returning();
  });
  return row!;
}

/**
 * Indexes a document again, as a job (answered `pending`): a page is fetched again now (its bytes may
 * have changed; the hash follows); an upload's kept file is extracted again. An upload from before
 * files were kept has its stored passages embedded again (after the organization set or changed its
 * embeddings endpoint) — without an endpoint, its embeddings are dropped.
 */
export async function reindexDocument(caller: Caller, id: string): Promise<KnowledgeDocument> {
  assertManager(caller);
  const doc = await getDocument(caller, id);
  if (doc.source === "url" && doc.sourceUrl) {
    const { bytes, mimeType } = await fetchDocument(doc.sourceUrl);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const clash = await documentByHash(doc.organizationId, sha256);
    if (clash && clash.id !== doc.id) throw invalidFile("url", "knowledge:errors.duplicateOf", { title: clash.title });
    const storageKey = await keepFile(sha256, { bytes, mimeType });
    return db.transaction(async (tx) => {
      const row = await queueDocument(doc.id, { sha256, mimeType, byteSize: bytes.byteLength, storageKey }, tx);
      await auditChange(tx, doc.organizationId, caller, "knowledge_document.reindexed", { type: "knowledge_document", id: doc.id }, { title: doc.title });
      return row;
    });
  }
  if (doc.storageKey) {
    return db.transaction(async (tx) => {
      const row = await queueDocument(doc.id, {}, tx);
      await auditChange(tx, doc.organizationId, caller, "knowledge_document.reindexed", { type: "knowledge_document", id: doc.id }, { title: doc.title });
      return row;
    });
  }
  const passages = await db
    .select({ id: knowledgeChunks.id, content: knowledgeChunks.content })
    .from(knowledgeChunks)
    .where(eq(knowledgeChunks.documentId, doc.id))
    .orderBy(asc(knowledgeChunks.position));
  if (passages.length === 0) throw invalidFile("file", "knowledge:errors.reuploadNeeded");
  const endpoint = await embeddingsEndpointOf(doc.organizationId);
  let embeddings: number[][] | null = null;
  if (endpoint) {
    try {
      embeddings = await embedPassages(
        endpoint,
        passages.map((p) => p.content),
      );
    } catch (err) {
      throw new AppError("provider_error", tText("knowledge:errors.embeddingsFailed", { reason: embeddingFailure(err) }));
    }
  }
  return db.transaction(async (tx) => {
    for (const [i, p] of passages.entries()) {
      await tx
        .update(knowledgeChunks)
        .set({ embedding: embeddings?.[i] ?? null })
        .where(eq(knowledgeChunks.id, p.id));
    }
    const [row] = await tx.update(knowledgeDocuments).set({ embedded: !!embeddings }).where(eq(knowledgeDocuments.id, doc.id)).returning();
    await auditChange(tx, doc.organizationId, caller, "knowledge_document.reindexed", { type: "knowledge_document", id: doc.id }, { title: doc.title });
    return row!;
  });
}

export async function deleteDocument(caller: Caller, id: string, tx?: DbOrTx): Promise<KnowledgeDocument> {
  assertManager(caller);
  return inTransaction(tx, async (tx) => {
    const doc = await getDocument(caller, id, tx);
    await tx.delete(knowledgeDocuments).where(and(eq(knowledgeDocuments.id, id), eq(knowledgeDocuments.organizationId, doc.organizationId)));
    await auditChange(tx, doc.organizationId, caller, "knowledge_document.deleted", { type: "knowledge_document", id }, { title: doc.title });
    return doc;
  });
}

/* ---------------------------------------------------------------- embeddings settings */

export type KnowledgeSettings = typeof knowledgeSettings.$inferSelect;

export function settingsJson(s: KnowledgeSettings | undefined) {
  const embeddings =
    s?.embeddingsBaseUrl && s.embeddingsModel
      ? { baseUrl: s.embeddingsBaseUrl, model: s.embeddingsModel, hasApiKey: !!s.embeddingsApiKeyEnc, updatedAt: s.updatedAt }
      : null;
  return { embeddings, lowScore: s?.lowScoreThreshold ?? LOW_SCORE, lowScoreThreshold: s?.lowScoreThreshold ?? null, lowScoreDefault: LOW_SCORE };
}

export async function getKnowledgeSettings(caller: Caller): Promise<KnowledgeSettings | undefined> {
  const [row] = await db
    .select()
    .from(knowledgeSettings)
    .where(eq(knowledgeSettings.organizationId, organizationOf(caller)))
    .limit(1);
  return row;
}

/** The organization's embeddings endpoint with its key decrypted, or null (full-text search only). */
export async function embeddingsEndpointOf(organizationId: string): Promise<EmbeddingsEndpoint | null> {
  const [row] = await db.select().from(knowledgeSettings).where(eq(knowledgeSettings.organizationId, organizationId)).limit(1);
  if (!row?.embeddingsBaseUrl || !row.embeddingsModel) return null;
  return { baseUrl: row.embeddingsBaseUrl, model: row.embeddingsModel, apiKey: row.embeddingsApiKeyEnc ? decryptSecret(row.embeddingsApiKeyEnc) : undefined };
}

const sameEndpoint = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");

/**
 * Sets the embeddings endpoint. The base URL is the tenant's: it must pass the outbound guard now (and
 * on every call). A stored key is kept only for the same base URL, so whoever edits the settings cannot
 * send it elsewhere. Documents indexed before keep their passages; reindex them to embed them.
 */
export async function setEmbeddingsSettings(caller: Caller, input: EmbeddingsSettingsInput): Promise<KnowledgeSettings> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  try {
    await assertPublicTarget(input.baseUrl);
  } catch (err) {
    if (err instanceof TargetRefused) throw validationFailed([{ path: "baseUrl", message: err.message }]);
    throw err;
  }
  const current = await getKnowledgeSettings(caller);
  const keptKey =
    current?.embeddingsBaseUrl && sameEndpoint(current.embeddingsBaseUrl, input.baseUrl) && input.apiKey === undefined ? current.embeddingsApiKeyEnc : null;
  const values = {
    embeddingsBaseUrl: input.baseUrl,
    embeddingsModel: input.model,
    embeddingsApiKeyEnc: input.apiKey ? encryptSecret(input.apiKey) : keptKey,
  };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(knowledgeSettings)
      .values({ organizationId, ...values })
      .onConflictDoUpdate({ target: knowledgeSettings.organizationId, set: values })
      .returning();
    await auditChange(
      tx,
      organizationId,
      caller,
      "knowledge_settings.updated",
      { type: "organization", id: organizationId },
      { baseUrl: input.baseUrl, model: input.model, apiKey: input.apiKey ? "set" : keptKey ? "kept" : "none" },
    );
    return row!;
  });
}

/** Removes the embeddings endpoint (and its key); the organization's other knowledge settings stay. */
export async function clearEmbeddingsSettings(caller: Caller): Promise<void> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  await db.transaction(async (tx) => {
    const cleared = await tx
      .update(knowledgeSettings)
      .set({ embeddingsBaseUrl: null, embeddingsModel: null, embeddingsApiKeyEnc: null })
      .where(and(eq(knowledgeSettings.organizationId, organizationId), isNotNull(knowledgeSettings.embeddingsBaseUrl)))
      .returning({ id: knowledgeSettings.organizationId });
    if (cleared.length > 0) await auditChange(tx, organizationId, caller, "knowledge_settings.cleared", { type: "organization", id: organizationId });
  });
}

/** The organization's low-score threshold: under it a retrieval counts as unanswered. */
export async function lowScoreOf(organizationId: string, tx: DbOrTx = db): Promise<number> {
  const [row] = await tx
    .select({ lowScore: knowledgeSettings.lowScoreThreshold })
    .from(knowledgeSettings)
    .where(eq(knowledgeSettings.organizationId, organizationId))
    .limit(1);
  return row?.lowScore ?? LOW_SCORE;
}

/** Sets (or, with null, resets to LOW_SCORE) the organization's low-score threshold. */
export async function setLowScoreThreshold(caller: Caller, input: LowScoreInput): Promise<KnowledgeSettings> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(knowledgeSettings)
      .values({ organizationId, lowScoreThreshold: input.lowScore })
      .onConflictDoUpdate({ target: knowledgeSettings.organizationId, set: { lowScoreThreshold: input.lowScore } })
      .returning();
    await auditChange(
      tx,
      organizationId,
      caller,
      "knowledge_settings.updated",
      { type: "organization", id: organizationId },
      { lowScore: input.lowScore ?? "default" },
    );
    return row!;
  });
}
