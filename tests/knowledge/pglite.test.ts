// The embedded default (PGlite) for real: its own in-memory database with the pgvector and unaccent
// extensions loaded as src/db/client.ts loads them, every migration applied, then passages stored and
// ranked through the same search functions the app uses (here handed the PGlite handle).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { type Db, rowsOf } from "@/db/client";
import { knowledgeChunks, knowledgeCollections, knowledgeDocuments, organizations } from "@/db/schema";
import { normalized } from "@/features/knowledge/knowledge.embeddings";
import { fullTextCandidates, hasVectorColumn, vectorCandidates } from "@/features/knowledge/knowledge.search";
import { migratedPglite } from "../helpers/pglite";

let client: PGlite;
let pg: Db;
let organizationId: string;
let collectionId: string;

beforeAll(async () => {
  ({ client, pg } = await migratedPglite());
  const [org] = await pg.insert(organizations).values({ name: "Embedded", slug: "embedded" }).returning();
  organizationId = org!.id;
  const [collection] = await pg.insert(knowledgeCollections).values({ organizationId, name: "FAQ" }).returning();
  collectionId = collection!.id;
  const [doc] = await pg
    .insert(knowledgeDocuments)
    .values({ organizationId, collectionId, title: "faq.md", source: "upload", mimeType: "text/markdown", byteSize: 1, sha256: "x", status: "ready" })
    .returning();
  const passages: [string, number[]][] = [
    ["O preço do plano mensal é R$ 99.", [1, 0, 0]],
    ["Entregamos em todo o Brasil em até cinco dias.", [0.6, 0.8, 0]],
    ["Atendimento de segunda a sexta.", [0, 0, 1]],
  ];
  await pg.insert(knowledgeChunks).values(
    passages.map(([content, embedding], position) => ({
      organizationId,
      collectionId,
      documentId: doc!.id,
      position,
      content,
      embedding: normalized(embedding),
    })),
  );
}, 120_000);

afterAll(async () => {
  await client?.close();
});

describe("knowledge on the embedded PGlite database", () => {
  test("the migrations install pgvector there and store each embedding as a `vector` too", async () => {
    const [ext] = rowsOf<{ n: number }>(await pg.execute(sql`select count(*)::int as n from pg_extension where extname in ('vector', 'unaccent')`));
    expect(Number(ext!.n)).toBe(2);
    expect(await hasVectorColumn(pg)).toBe(true);
    const rows = rowsOf<{ type: string; dims: number }>(
      await pg.execute(
        sql`select pg_typeof(embedding_vector)::text as type, vector_dims(embedding_vector) as dims from knowledge_chunks order by position limit 1`,
      ),
    );
    expect(rows[0]).toEqual({ type: "vector", dims: 3 });
  });

  test("ranks passages by cosine similarity with pgvector's <=>", async () => {
    const ranked = await vectorCandidates(organizationId, normalized([0.9, 0.1, 0]), [collectionId], pg);
    expect(ranked.map((r) => r.content)).toEqual([
      "O preço do plano mensal é R$ 99.",
      "Entregamos em todo o Brasil em até cinco dias.",
      "Atendimento de segunda a sexta.",
    ]);
    // cos([0.9,0.1,0] normalized, [1,0,0]) = 0.9 / hypot(0.9, 0.1)
    expect(ranked[0]!.score).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 4);
    expect(ranked[2]!.score).toBeCloseTo(0, 4);
    // A question of another dimension (a changed model) compares with nothing rather than failing.
    expect(await vectorCandidates(organizationId, normalized([1, 0]), [collectionId], pg)).toEqual([]);
  });

  test("full-text search folds accents there too: 'preco' finds 'preço'", async () => {
    const found = await fullTextCandidates(organizationId, "preco do plano", [collectionId], pg);
    expect(found[0]?.content).toBe("O preço do plano mensal é R$ 99.");
  });
});
