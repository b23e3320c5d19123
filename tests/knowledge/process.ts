import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { knowledgeDocuments } from "@/db/schema";
import { processPendingDocuments } from "@/features/knowledge/knowledge.jobs";
import type { AddedDocument, KnowledgeDocument } from "@/features/knowledge/knowledge.service";

/** Runs the knowledge worker once (as the job loop would) and reads the document back: upload → processed. */
export async function processed<T extends { document: Pick<KnowledgeDocument, "id"> }>(added: T): Promise<T & { document: KnowledgeDocument }> {
  await processPendingDocuments();
  const [document] = await db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.id, added.document.id));
  return { ...added, document: document! };
}

export type { AddedDocument };
