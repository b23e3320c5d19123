/**
 * The knowledge base's retrieval quality for `bun run bench`: the top-3 hit rate over the Portuguese
 * FAQ corpus (tests/fixtures/knowledge: 22 documents, 24 questions, the answering file of each), with
 * Postgres full-text search alone and hybrid (fused with embeddings from the local OpenAI-compatible
 * server of tests/knowledge/model-server.ts). The baseline is chance: 3 of the corpus's documents.
 * Services are imported inside the function: the runner sets DATABASE_URL before anything opens it.
 */
import type { BenchRow } from "./rows";

type KnowledgeRow = Omit<BenchRow, "ratio" | "pass"> & { limit: number };

const K = 3;
/** A hit rate under this fails the row (the retrieval test asserts the same for full-text search). */
const MIN_HIT_RATE = 0.85;

export async function knowledgeRows(createOrganization: (name: string) => Promise<{ id: string }>): Promise<KnowledgeRow[]> {
  const { systemCaller } = await import("../../src/lib/caller");
  const { setEmbeddingsSettings } = await import("../../src/features/knowledge/knowledge.service");
  const { faqFiles, hitRate, loadFaq } = await import("../knowledge/corpus");
  const { startModelServer } = await import("../knowledge/model-server");
  const chance = K / faqFiles().length;
  const rowOf = (scenario: BenchRow["scenario"], r: Awaited<ReturnType<typeof hitRate>>, how: string): KnowledgeRow => ({
    scenario,
    figure: r.rate,
    baseline: chance,
    unit: "hit rate",
    baselineLabel: `chance (${K} of ${faqFiles().length} documents)`,
    target: `≥ ${MIN_HIT_RATE}`,
    limit: MIN_HIT_RATE,
    detail: `${r.hits}/${r.total} questions with the answering file in the top ${K} (${how}, mode ${r.mode})${r.misses.length ? `; missed: ${r.misses.map((m) => `"${m.q}" → ${m.got.join(", ") || "nothing"}`).join("; ")}` : ""}`,
  });

  const ftsOrg = await createOrganization("Bench knowledge FTS");
  const ftsCollection = await loadFaq(systemCaller("bench", ftsOrg.id));
  const fts = await hitRate(ftsOrg.id, [ftsCollection.id], K);

  const model = startModelServer();
  try {
    const hybridOrg = await createOrganization("Bench knowledge hybrid");
    const caller = systemCaller("bench", hybridOrg.id);
    await setEmbeddingsSettings(caller, { baseUrl: model.baseUrl, model: "bench-embed" });
    const hybridCollection = await loadFaq(caller);
    const hybrid = await hitRate(hybridOrg.id, [hybridCollection.id], K);
    return [
      rowOf("knowledge.top3_hit_rate_fts", fts, "Postgres full-text search, Portuguese and English"),
      rowOf("knowledge.top3_hit_rate_hybrid", hybrid, "full-text search fused (RRF) with the test server's bag-of-words embeddings"),
    ];
  } finally {
    model.stop();
  }
}
