import { and, count, desc, eq, gte, inArray, lt, or, type SQLWrapper, sql } from "drizzle-orm";
import { db, type DbOrTx, rowsOf } from "@/db/client";
import { knowledgeChunks, knowledgeDocuments, ragAnalytics, type RETRIEVAL_ORIGINS } from "@/db/schema";
import type { Caller } from "@/lib/caller";
import { log } from "@/lib/logger";
import { organizationOf } from "@/lib/tenant";
import { embedQuery } from "./knowledge.embeddings";
import { KNOWLEDGE_LIMITS, type SearchInput, type UNANSWERED_PERIODS } from "./knowledge.schema";
import { embeddingsEndpointOf, lowScoreOf } from "./knowledge.service";

/** One passage found: where it comes from, its text, and how well it matched. */
export type Passage = {
  chunkId: string;
  documentId: string;
  collectionId: string;
  /** The document's title (file name or URL): the source label citations use. */
  title: string;
  position: number;
  content: string;
  /** Best of its full-text score (share of the question's terms it contains) and its cosine similarity, 0..1. */
  score: number;
  /** How it was found: full-text search, embeddings, or both. */
  matchedBy: ("fts" | "vector")[];
};

export type Retrieval = { passages: Passage[]; mode: "fts" | "hybrid"; topScore: number };

/** Candidates each ranking contributes before they are fused. */
const CANDIDATES = 30;
/** Reciprocal rank fusion's damping constant (the value of the original paper, Cormack et al. 2009). */
const RRF_K = 60;

type Row = { id: string; document_id: string; collection_id: string; title: string; position: number; content: string; score: number };

/**
 * Whether this database stores embeddings as pgvector too (migration 0043 adds the generated
 * `embedding_vector` column where the extension is available), looked up once per database handle.
 */
const vectorColumns = new WeakMap<object, Promise<boolean>>();
export function hasVectorColumn(handle: DbOrTx = db): Promise<boolean> {
  let known = vectorColumns.get(handle);
  if (!known) {
    known = handle
      .execute(
        sql`select exists(select 1 from information_schema.columns where table_schema = current_schema() and table_name = 'knowledge_chunks' and column_name = 'embedding_vector') as present`,
      )
      .then((r) => !!rowsOf<{ present: boolean }>(r)[0]?.present)
      .catch(() => false);
    vectorColumns.set(handle, known);
  }
  return known;
}

const scope = (organizationId: string, collectionIds: readonly string[] | undefined) =>
  and(eq(knowledgeChunks.organizationId, organizationId), collectionIds ? inArray(knowledgeChunks.collectionId, [...collectionIds]) : undefined);

/**
 * Full-text search in Portuguese and English at once. websearch_to_tsquery reads the question as
 * people type it (quotes, `or`, `-word`); its terms are then OR-ed — a question rarely repeats a
 * passage's exact words, so requiring all of them (its AND) finds nothing too often. The score is the
 * share of the question's terms a passage contains (the better of the two languages); ties go to
 * ts_rank_cd, and a passage matching all terms (the AND query) ranks first.
 */
export async function fullTextCandidates(organizationId: string, query: string, collectionIds?: readonly string[], handle: DbOrTx = db): Promise<Row[]> {
  // The question as typed and accent-folded, OR-ed: the tsvectors hold both forms of the text (see
  // knowledge_chunks), so "preco" finds "preço" and "instalação" finds "instalacao".
  const folded = sql`livchat_unaccent(${query})`;
  const share = (terms: SQLWrapper, tsv: SQLWrapper) =>
    sql`coalesce((select count(*) from unnest(${terms}) t where t = any(tsvector_to_array(${tsv})))::real / nullif(cardinality(${terms}), 0), 0)`;
  const rows = await handle.execute(sql`
    with q as (
      select websearch_to_tsquery('portuguese', ${query}) || websearch_to_tsquery('portuguese', ${folded}) as pt_all,
             websearch_to_tsquery('english', ${query}) || websearch_to_tsquery('english', ${folded}) as en_all,
             tsvector_to_array(to_tsvector('portuguese', ${query})) as pt_terms,
             tsvector_to_array(to_tsvector('portuguese', ${folded})) as pt_folded,
             tsvector_to_array(to_tsvector('english', ${query})) as en_terms,
             tsvector_to_array(to_tsvector('english', ${folded})) as en_folded
    ), qq as (
      select pt_all, en_all, pt_terms, pt_folded, en_terms, en_folded,
             nullif(replace(pt_all::text, ' & ', ' | '), '')::tsquery as pt_any,
             nullif(replace(en_all::text, ' & ', ' | '), '')::tsquery as en_any
      from q
    )
    select ${knowledgeChunks.id} as id, ${knowledgeChunks.documentId} as document_id, ${knowledgeChunks.collectionId} as collection_id,
           ${knowledgeDocuments.title} as title, ${knowledgeChunks.position} as position, ${knowledgeChunks.content} as content,
           greatest(
             ${share(sql`qq.pt_terms`, knowledgeChunks.tsvPt)}, ${share(sql`qq.pt_folded`, knowledgeChunks.tsvPt)},
             ${share(sql`qq.en_terms`, knowledgeChunks.tsvEn)}, ${share(sql`qq.en_folded`, knowledgeChunks.tsvEn)}
           ) as score,
           (coalesce(${knowledgeChunks.tsvPt} @@ qq.pt_all, false) or coalesce(${knowledgeChunks.tsvEn} @@ qq.en_all, false)) as all_terms,
           greatest(coalesce(ts_rank_cd(${knowledgeChunks.tsvPt}, qq.pt_any), 0), coalesce(ts_rank_cd(${knowledgeChunks.tsvEn}, qq.en_any), 0)) as rank
    from ${knowledgeChunks}
    join ${knowledgeDocuments} on ${knowledgeDocuments.id} = ${knowledgeChunks.documentId}
    cross join qq
    where ${scope(organizationId, collectionIds)}
      and (${knowledgeChunks.tsvPt} @@ qq.pt_any or ${knowledgeChunks.tsvEn} @@ qq.en_any)
    order by all_terms desc, score desc, rank desc, ${knowledgeChunks.id}
    limit ${CANDIDATES}
  `);
  return rowsOf<Row>(rows).map((r) => ({ ...r, score: Number(r.score), position: Number(r.position) }));
}

/**
 * Passages by cosine similarity to the question's embedding: pgvector's `<=>` on `embedding_vector` where
 * the database has it, else a dot product over the `real[]` (stored vectors are unit length). Only
 * vectors of the question's dimension compare (an organization that changed model, until reindexed).
 */
export async function vectorCandidates(organizationId: string, vector: number[], collectionIds?: readonly string[], handle: DbOrTx = db): Promise<Row[]> {
  const pgvector = await hasVectorColumn(handle);
  const stored = sql`${knowledgeChunks}.embedding_vector`;
  const query = pgvector ? sql`${JSON.stringify(vector)}::vector` : sql`${`{${vector.join(",")}}`}::real[]`;
  const similarity = pgvector ? sql`1 - (${stored} <=> ${query})` : sql`(select sum(a * b) from unnest(${knowledgeChunks.embedding}, ${query}) as v(a, b))`;
  const sameDimension = pgvector
    ? sql`${stored} is not null and vector_dims(${stored}) = ${vector.length}`
    : sql`${knowledgeChunks.embedding} is not null and cardinality(${knowledgeChunks.embedding}) = ${vector.length}`;
  const order = pgvector ? sql`${stored} <=> ${query}` : sql`score desc`;
  const rows = await handle.execute(sql`
    select ${knowledgeChunks.id} as id, ${knowledgeChunks.documentId} as document_id, ${knowledgeChunks.collectionId} as collection_id,
           ${knowledgeDocuments.title} as title, ${knowledgeChunks.position} as position, ${knowledgeChunks.content} as content,
           ${similarity} as score
    from ${knowledgeChunks}
    join ${knowledgeDocuments} on ${knowledgeDocuments.id} = ${knowledgeChunks.documentId}
    where ${scope(organizationId, collectionIds)}
      and ${sameDimension}
    order by ${order}, ${knowledgeChunks.id}
    limit ${CANDIDATES}
  `);
  return rowsOf<Row>(rows).map((r) => ({ ...r, score: Number(r.score), position: Number(r.position) }));
}

/**
 * Reciprocal rank fusion of the rankings: each passage scores Σ 1/(k + rank) over the lists it is in,
 * so a passage both searches rank well wins without comparing their incomparable scores.
 */
export function fuse(lists: { kind: "fts" | "vector"; rows: Row[] }[], limit: number): Passage[] {
  const fused = new Map<string, { passage: Passage; rrf: number }>();
  for (const { kind, rows } of lists) {
    rows.forEach((row, rank) => {
      const entry = fused.get(row.id) ?? {
        passage: {
          chunkId: row.id,
          documentId: row.document_id,
          collectionId: row.collection_id,
          title: row.title,
          position: row.position,
          content: row.content,
          score: 0,
          matchedBy: [],
        },
        rrf: 0,
      };
      entry.rrf += 1 / (RRF_K + rank + 1);
      entry.passage.score = Math.max(entry.passage.score, Math.max(0, Math.min(1, row.score)));
      entry.passage.matchedBy.push(kind);
      fused.set(row.id, entry);
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.rrf - a.rrf || b.passage.score - a.passage.score)
    .slice(0, limit)
    .map((e) => e.passage);
}

/**
 * The passages of the organization's knowledge base (or of `collectionIds`) that best answer `query`:
 * full-text search always, fused with embeddings when the organization has an endpoint. A failing
 * embeddings endpoint degrades to full-text search (logged) rather than failing an AI turn.
 */
export async function retrieve(
  organizationId: string,
  input: { query: string; collectionIds?: readonly string[]; limit?: number },
  signal?: AbortSignal,
): Promise<Retrieval> {
  const limit = input.limit ?? KNOWLEDGE_LIMITS.topK;
  if (input.collectionIds && input.collectionIds.length === 0) return { passages: [], mode: "fts", topScore: 0 };
  const query = input.query.slice(0, KNOWLEDGE_LIMITS.query);
  const lists: { kind: "fts" | "vector"; rows: Row[] }[] = [{ kind: "fts", rows: await fullTextCandidates(organizationId, query, input.collectionIds) }];
  let mode: Retrieval["mode"] = "fts";
  const endpoint = await embeddingsEndpointOf(organizationId);
  if (endpoint) {
    try {
      const vector = await embedQuery(endpoint, query, signal);
      lists.push({ kind: "vector", rows: await vectorCandidates(organizationId, vector, input.collectionIds) });
      mode = "hybrid";
    } catch (err) {
      log.warn("knowledge: query embedding failed, full-text search only", { organizationId, error: String((err as Error)?.message ?? err).slice(0, 300) });
    }
  }
  const passages = fuse(lists, limit);
  return { passages, mode, topScore: passages[0]?.score ?? 0 };
}

export type RetrievalOrigin = (typeof RETRIEVAL_ORIGINS)[number];

/** Records a retrieval (seed 002 `rag_analytics`): the unanswered-questions page reads these. */
export async function recordRetrieval(
  organizationId: string,
  entry: { origin: RetrievalOrigin; query: string; retrieval: Retrieval; workflowId?: string | null; conversationId?: string | null; threadId?: string | null },
): Promise<void> {
  await db.insert(ragAnalytics).values({
    organizationId,
    origin: entry.origin,
    query: entry.query.slice(0, KNOWLEDGE_LIMITS.query),
    resultsFound: entry.retrieval.passages.length > 0,
    topScore: entry.retrieval.topScore,
    resultsCount: entry.retrieval.passages.length,
    workflowId: entry.workflowId ?? null,
    conversationId: entry.conversationId ?? null,
    threadId: entry.threadId ?? null,
  });
}

/** A search by a member or a `/v1` key, recorded like any other retrieval. */
export async function searchKnowledge(caller: Caller, input: SearchInput, origin: "api" | "admin"): Promise<Retrieval> {
  const organizationId = organizationOf(caller);
  const retrieval = await retrieve(organizationId, { query: input.q, collectionIds: input.collectionIds, limit: input.limit });
  await recordRetrieval(organizationId, { origin, query: input.q, retrieval });
  return retrieval;
}

export function passageJson(p: Passage, index: number) {
  return {
    label: `[${index + 1}] ${p.title}`,
    documentId: p.documentId,
    collectionId: p.collectionId,
    title: p.title,
    position: p.position,
    content: p.content,
    score: Math.round(p.score * 1000) / 1000,
    matchedBy: p.matchedBy,
  };
}

const PERIOD_DAYS: Record<(typeof UNANSWERED_PERIODS)[number], number> = { "1d": 1, "7d": 7, "30d": 30, "90d": 90 };

/**
 * Questions the base could not answer in the period (nothing found, or a best score under the
 * organization's low-score threshold, LOW_SCORE unless it set its own),
 * grouped by their text (case and spacing aside), most asked first.
 */
export async function listUnanswered(caller: Caller, period: (typeof UNANSWERED_PERIODS)[number], now = new Date(), limit = 200) {
  const organizationId = organizationOf(caller);
  const since = new Date(now.getTime() - PERIOD_DAYS[period] * 86_400_000);
  const lowScore = await lowScoreOf(organizationId);
  const normalized = sql<string>`lower(regexp_replace(trim(${ragAnalytics.query}), '\\s+', ' ', 'g'))`;
  const inPeriod = and(eq(ragAnalytics.organizationId, organizationId), gte(ragAnalytics.createdAt, since));
  const rows = await db
    .select({
      question: sql<string>`min(${ragAnalytics.query})`,
      asked: count(),
      nothingFound: sql<number>`count(*) filter (where not ${ragAnalytics.resultsFound})`.mapWith(Number),
      bestScore: sql<number>`max(${ragAnalytics.topScore})`.mapWith(Number),
      lastAsked: sql<Date>`max(${ragAnalytics.createdAt})`.mapWith((v) => new Date(v)),
    })
    .from(ragAnalytics)
    .where(and(inPeriod, or(eq(ragAnalytics.resultsFound, false), lt(ragAnalytics.topScore, lowScore))))
    .groupBy(normalized)
    .orderBy(desc(count()), desc(sql`max(${ragAnalytics.createdAt})`))
    .limit(limit);
  const [totals] = await db
    .select({
      total: count(),
      unanswered: sql<number>`count(*) filter (where not ${ragAnalytics.resultsFound} or ${ragAnalytics.topScore} < ${lowScore})`.mapWith(Number),
    })
    .from(ragAnalytics)
    .where(inPeriod);
  return {
    since,
    lowScore,
    questions: rows.map((r) => ({ ...r, asked: Number(r.asked) })),
    total: Number(totals?.total ?? 0),
    unanswered: totals?.unanswered ?? 0,
  };
}
