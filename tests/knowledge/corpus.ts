import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Caller } from "@/lib/caller";
import { addUploadedDocument, createCollection } from "@/features/knowledge/knowledge.service";
import { processed } from "./process";
import { retrieve } from "@/features/knowledge/knowledge.search";

/** The Portuguese FAQ corpus (tests/fixtures/knowledge/faq, one topic per file) and its questions with the file that answers each. */
const DIR = join(import.meta.dir, "../fixtures/knowledge");

export const faqFiles = () =>
  readdirSync(join(DIR, "faq"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(DIR, "faq", name), "utf8") }));

export const faqQuestions = (): { q: string; expected: string }[] => JSON.parse(readFileSync(join(DIR, "questions.json"), "utf8")).questions;

/** Uploads every FAQ file into a new collection of the caller's organization. */
export async function loadFaq(caller: Caller, name = "FAQ") {
  const collection = await createCollection(caller, { name });
  for (const f of faqFiles()) {
    const added = await processed(await addUploadedDocument(caller, collection.id, new File([f.text], f.name, { type: "text/markdown" })));
    if (added.document.status !== "ready") throw new Error(`${f.name}: ${added.document.status} ${added.document.error}`);
  }
  return collection;
}

/** Share of the questions whose expected file is among the top `k` passages' documents, with the misses. */
export async function hitRate(organizationId: string, collectionIds: string[], k = 3) {
  const questions = faqQuestions();
  const misses: { q: string; expected: string; got: string[] }[] = [];
  let hits = 0;
  let mode = "fts";
  for (const { q, expected } of questions) {
    const r = await retrieve(organizationId, { query: q, collectionIds, limit: k });
    mode = r.mode;
    const titles = r.passages.map((p) => p.title);
    if (titles.includes(expected)) hits++;
    else misses.push({ q, expected, got: titles });
  }
  return { rate: hits / questions.length, hits, total: questions.length, misses, mode };
}
