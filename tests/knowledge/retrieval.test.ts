import { describe, expect, test } from "bun:test";
import { config } from "@/config";
import { createOrganization } from "@/features/organizations/organization.service";
import { systemCaller } from "@/lib/caller";
import { knowledgeRows } from "../bench/knowledge";
import { createOwner } from "../helpers/factories";
import { faqFiles, faqQuestions, hitRate, loadFaq } from "./corpus";

describe("retrieval over the Portuguese FAQ corpus", () => {
  test("the corpus has at least 20 documents and 20 questions, each expecting a file that exists", () => {
    const files = new Set(faqFiles().map((f) => f.name));
    expect(files.size).toBeGreaterThanOrEqual(20);
    expect(faqQuestions().length).toBeGreaterThanOrEqual(20);
    for (const q of faqQuestions()) expect(files.has(q.expected)).toBe(true);
  });

  test("full-text search puts the answering document in the top 3 for most questions (hit rate reported)", async () => {
    const { organization } = await createOwner();
    const caller = systemCaller("test", organization.id);
    const collection = await loadFaq(caller);
    const result = await hitRate(organization.id, [collection.id], 3);
    console.log(`knowledge FTS top-3 hit rate: ${(result.rate * 100).toFixed(1)}% (${result.hits}/${result.total})`, result.misses);
    expect(result.mode).toBe("fts");
    expect(result.rate).toBeGreaterThanOrEqual(0.85);
  });

  test("the bench's rows (bun run bench): top-3 hit rate for full-text and hybrid retrieval, against chance", async () => {
    // The embeddings server of the hybrid row runs on 127.0.0.1.
    config.allowPrivateWebhookTargets = true;
    const { user } = await createOwner();
    try {
      const rows = await knowledgeRows((name) => createOrganization(user.id, name));
      console.log(rows.map((r) => `${r.scenario}: ${r.figure} (${r.detail})`).join("\n"));
      expect(rows.map((r) => r.scenario)).toEqual(["knowledge.top3_hit_rate_fts", "knowledge.top3_hit_rate_hybrid"]);
      for (const row of rows) {
        expect(row.figure!).toBeGreaterThanOrEqual(row.limit);
        expect(row.baseline!).toBeCloseTo(3 / faqFiles().length, 5);
      }
      expect(rows[1]!.detail).toContain("mode hybrid");
    } finally {
      config.allowPrivateWebhookTargets = false;
    }
  });
});
