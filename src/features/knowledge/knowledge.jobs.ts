import { eq, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { knowledgeDocuments, organizations } from "@/db/schema";
import { tText, withLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { contentKey, mediaStore } from "@/features/media/media.store";
import { claimDue, type JobKind, type JobQueue, releaseLeases, runJobsOnce } from "@/workers/jobs";
import { indexDocument, markFailed } from "./knowledge.service";

/**
 * How long a worker holds a pending document: extraction of a 10 MB file plus embeddings of up to
 * 1,000 passages (16 requests of 64, each up to KNOWLEDGE_LIMITS.embeddingsTimeoutMs) fit well inside.
 * A worker that dies leaves the lease to run out; another then takes the document again.
 */
const LEASE_MS = 15 * 60_000;
/** Attempts (claims) before a document that keeps failing unexpectedly — or killing its worker — is marked failed. */
export const MAX_ATTEMPTS = 3;

type Job = { id: string; attempts: number; lease_until: string };

const knowledgeQueue: JobQueue = {
  table: "knowledge_documents",
  lease: "lease_until",
  due: (row) => sql`${row}.status = 'pending'`,
  order: (row) => [sql`${row}.created_at`],
  set: () => sql`attempts = u.attempts + 1`,
  returning: sql`u.id, u.attempts, u.lease_until::text as lease_until`,
};

/**
 * One pending document: its kept file extracted, split, embedded and indexed (knowledge.service's
 * indexDocument). A failure's reason is written in the organization's language: no request sets one here.
 */
async function processDocument(job: Job): Promise<void> {
  const [row] = await db
    .select({ doc: knowledgeDocuments, locale: organizations.language, timeZone: organizations.timeZone })
    .from(knowledgeDocuments)
    .innerJoin(organizations, eq(organizations.id, knowledgeDocuments.organizationId))
    .where(eq(knowledgeDocuments.id, job.id))
    .limit(1);
  // Gone (deleted meanwhile) or no longer pending (done by another pass): nothing to do.
  if (!row) return;
  if (row.doc.status !== "pending") return;
  await withLocale({ locale: row.locale, timeZone: row.timeZone }, () => processInLocale(job, row.doc));
}

async function processInLocale(job: Job, doc: typeof knowledgeDocuments.$inferSelect): Promise<void> {
  if (job.attempts > MAX_ATTEMPTS) {
    await markFailed(doc, tText("knowledge:errors.processingFailed"));
    return;
  }
  try {
    const bytes = await mediaStore().read(doc.storageKey ?? contentKey(doc.sha256));
    await indexDocument(doc, bytes);
  } catch (err) {
    // Left leased: taken again when the lease runs out, up to MAX_ATTEMPTS.
    log.warn("knowledge: processing a document failed", {
      documentId: doc.id,
      attempts: job.attempts,
      error: String((err as Error)?.message ?? err).slice(0, 300),
    });
    if (job.attempts >= MAX_ATTEMPTS) await markFailed(doc, tText("knowledge:errors.processingFailed"));
  }
}

export function knowledgeJobs(): JobKind<Job> {
  return {
    name: "knowledge-documents",
    claim: (limit) => claimDue<Job>(knowledgeQueue, { limit, leaseMs: LEASE_MS }),
    run: (job) => processDocument(job),
    release: async (jobs) => {
      await releaseLeases(
        knowledgeQueue,
        jobs.map((j) => ({ id: j.id, leaseUntil: new Date(j.lease_until) })),
      );
    },
    idOf: (job) => job.id,
  };
}

/** One pass (tests, and anything that must see documents indexed now): processes the pending documents. Returns how many were claimed. */
export async function processPendingDocuments(limit = 20): Promise<number> {
  return (await runJobsOnce(knowledgeJobs(), limit)).jobs.length;
}
