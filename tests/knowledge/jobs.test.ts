// Documents are processed by the knowledge worker through the one job mechanism (src/workers/jobs.ts).
import { describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { knowledgeChunks, knowledgeDocuments } from "@/db/schema";
import { knowledgeJobs, MAX_ATTEMPTS, processPendingDocuments } from "@/features/knowledge/knowledge.jobs";
import { addUploadedDocument, createCollection, reindexDocument } from "@/features/knowledge/knowledge.service";
import { contentKey, mediaStore } from "@/features/media/media.store";
import { systemCaller } from "@/lib/caller";
import { createOwner } from "../helpers/factories";

async function newCollection() {
  const { organization } = await createOwner();
  const caller = systemCaller("test", organization.id);
  return { caller, collection: await createCollection(caller, { name: "FAQ" }) };
}
const readDoc = async (id: string) => (await db.select().from(knowledgeDocuments).where(eq(knowledgeDocuments.id, id)))[0]!;
const text = (s: string, name = "faq.txt") => new File([s], name, { type: "text/plain" });

describe("knowledge documents as jobs", () => {
  test("an upload answers pending with its file kept; the worker extracts, splits and indexes it", async () => {
    const { caller, collection } = await newCollection();
    const { document } = await addUploadedDocument(caller, collection.id, text("O frete é grátis acima de R$ 200."));
    expect(document).toMatchObject({ status: "pending", chunkCount: 0, storageKey: contentKey(document.sha256) });
    expect(new TextDecoder().decode(await mediaStore().read(document.storageKey!))).toBe("O frete é grátis acima de R$ 200.");
    expect(await db.select().from(knowledgeChunks).where(eq(knowledgeChunks.documentId, document.id))).toEqual([]);
    expect(await processPendingDocuments()).toBe(1);
    expect(await readDoc(document.id)).toMatchObject({ status: "ready", chunkCount: 1, leaseUntil: null, attempts: 1 });
    // Nothing left to do.
    expect(await processPendingDocuments()).toBe(0);
  });

  test("a worker that died mid-way: its document stays leased, then is taken again when the lease runs out", async () => {
    const { caller, collection } = await newCollection();
    const { document } = await addUploadedDocument(caller, collection.id, text("Trocas em até 30 dias.", "trocas.txt"));
    // A process claims it and dies before finishing (claimed, never run).
    const [claimed] = await knowledgeJobs().claim(10);
    expect(claimed!.id).toBe(document.id);
    const leased = await readDoc(document.id);
    expect(leased.status).toBe("pending");
    expect(leased.leaseUntil!.getTime()).toBeGreaterThan(Date.now());
    // While the lease holds, no other worker takes it.
    expect(await processPendingDocuments()).toBe(0);
    // The lease runs out (moved to the past rather than waiting 15 minutes).
    await db.update(knowledgeDocuments).set({ leaseUntil: sql`now() - interval '1 second'` }).where(eq(knowledgeDocuments.id, document.id));
    expect(await processPendingDocuments()).toBe(1);
    expect(await readDoc(document.id)).toMatchObject({ status: "ready", chunkCount: 1, attempts: 2, leaseUntil: null });
  });

  test("a document whose file cannot be read is retried, then failed with a reason after MAX_ATTEMPTS", async () => {
    const { caller, collection } = await newCollection();
    const { document } = await addUploadedDocument(caller, collection.id, text("Arquivo que some.", "some.txt"));
    await mediaStore().delete(document.storageKey!);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await db.update(knowledgeDocuments).set({ leaseUntil: null }).where(eq(knowledgeDocuments.id, document.id));
      expect(await processPendingDocuments()).toBe(1);
    }
    const failed = await readDoc(document.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("O processamento falhou repetidamente"); // the organization's language
  });

  test("reindexing an upload extracts its kept file again (as a job)", async () => {
    const { caller, collection } = await newCollection();
    const { document } = await addUploadedDocument(caller, collection.id, text("Horário: 9h às 18h.", "horario.txt"));
    await processPendingDocuments();
    // Passages lost (say, an older chunking): the kept file brings them back.
    await db.delete(knowledgeChunks).where(eq(knowledgeChunks.documentId, document.id));
    const again = await reindexDocument(caller, document.id);
    expect(again).toMatchObject({ status: "pending", attempts: 0 });
    expect(await processPendingDocuments()).toBe(1);
    const chunks = await db.select().from(knowledgeChunks).where(eq(knowledgeChunks.documentId, document.id));
    expect(chunks.map((c) => c.content)).toEqual(["Horário: 9h às 18h."]);
    expect((await readDoc(document.id)).status).toBe("ready");
  });
});
