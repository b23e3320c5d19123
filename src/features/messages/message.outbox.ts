import { and, eq, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { messages } from "@/db/schema";
import { withdrawFailedReaction } from "./message.changes";
import type { Message } from "./message.service";

/**
 * The outbound worker's status changes of a queued message (src/workers/outbound.worker.ts leases and
 * sends; the messages feature owns the rows). Each applies only while the message is still queued, so
 * a send that lost its lease or a message already settled changes nothing (undefined).
 */

/** Sent: the provider's id stored, the attempt counted, the lease and retry time cleared. */
export async function markOutboundSent(id: string, providerMessageId: string, now: Date, tx: DbOrTx = db): Promise<Message | undefined> {
  const [sent] = await tx
    .update(messages)
    .set({
      status: "sent",
      providerMessageId,
      sentAt: now,
      attempts: sql`${messages.attempts} + 1`,
      error: null,
      leaseUntil: null,
      nextAttemptAt: null,
      updatedAt: now,
    })
    .where(and(eq(messages.id, id), eq(messages.status, "queued")))
    .returning();
  return sent;
}

/** A failed attempt to be retried at `nextAttemptAt`: still queued, its lease released. */
export async function scheduleOutboundRetry(id: string, retry: { attempts: number; error: string; nextAttemptAt: Date; now: Date }): Promise<void> {
  await db
    .update(messages)
    .set({ attempts: retry.attempts, error: retry.error, leaseUntil: null, nextAttemptAt: retry.nextAttemptAt, updatedAt: retry.now })
    .where(and(eq(messages.id, id), eq(messages.status, "queued")));
}

/** Failed for good, with the reason shown to the user. */
export async function markOutboundFailed(id: string, failure: { attempts: number; error: string; now: Date }, tx: DbOrTx = db): Promise<Message | undefined> {
  const [failed] = await tx
    .update(messages)
    .set({
      status: "failed",
      attempts: failure.attempts,
      error: failure.error,
      failedAt: failure.now,
      leaseUntil: null,
      nextAttemptAt: null,
      updatedAt: failure.now,
    })
    .where(and(eq(messages.id, id), eq(messages.status, "queued")))
    .returning();
  // A reaction that never reached WhatsApp is not shown on its target any more (its own bubble shows the failure).
  if (failed?.type === "reaction") await withdrawFailedReaction(failed, tx);
  return failed;
}
