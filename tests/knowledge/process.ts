import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { knowledgeDocuments } from "@/db/schema";
import { processPendingDocuments } from "@/features/knowledge/knowledge.jobs";
import type { AddedDocument, KnowledgeDocument } from "@/features/knowledge/knowledge.service";
import { waitFor } from "../helpers/wait";

/**
 * Runs the knowledge worker (as the job loop would) until the document is no longer pending and reads it
 * back: upload → processed. Where another process's worker runs too (the bench's app), it may hold the
 * document's lease; then this waits for that worker to finish it.
 */
export async function processed<T extends { document: Pick<KnowledgeDocument, "id"> }>(added: T): Promise<T & { document: KnowledgeDocument }> {
  const document = await waitFor(
    async () => {
      await processPendingDocuments();
      const [row] = await db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.id, added.document.id));
      return row && row.status !== "pending" ? row : null;
    },
    { timeoutMs: 30_000, what: "the document processed" },
  );
  return { ...added, document };
}

export type { AddedDocument };
