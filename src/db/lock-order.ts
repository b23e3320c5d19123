import { AppError, pgCode } from "@/lib/errors";
import { log } from "@/lib/logger";

/*
 * THE LOCK ORDER. Every transaction or statement that locks more than one of these takes them in
 * this order, and never goes back up the list:
 *
 *   0. a send's Idempotency-Key advisory lock (message.idempotency.ts), a try-lock that never waits;
 *      identity resolution's per-owner advisory lock (contacts/identity.service.ts: LIDs, business-scoped
 *      ids, usernames, groups, merges), taken first by the only code that takes it, before any row;
 *   1. instances — FOR KEY SHARE (sends and the inbound batch, first thing) or FOR NO KEY UPDATE
 *      (status changes); activity timestamps are written after the commit of the work that caused them;
 *   2. the per-instance send-quota advisory lock (`livchat:quota:<instance id>`, senders only);
 *   3. contacts, in (owner, phone) order;
 *   4. conversations, in (instance, contact) order;
 *   5. messages, in (instance, provider message id) order;
 *   6. rows nobody else holds while waiting: new events and deliveries, usage counters, threads.
 *
 * Foreign-key checks take FOR KEY SHARE on the parent row (organization, device, instance, contact,
 * conversation) whenever a child row is written, i.e. late and out of this order. That stays
 * deadlock-free only because no code path holds those parents FOR UPDATE: lock them FOR NO KEY UPDATE,
 * which serializes writers just as well and does not conflict with FOR KEY SHARE. Deletes take the
 * strong lock and cascade down the list, so they keep the order too. Whatever still collides
 * (orders Postgres chooses inside a statement, paths added later) goes through withDeadlockRetry.
 *
 * Before this order, sends held `instances … FOR UPDATE` while the inbound batch held the contact
 * and waited on that instance row for its foreign-key check: Postgres broke the cycle by killing one
 * side, and a signed webhook answered 500 (tests/robustness/inbound-vs-send.test.ts).
 */

/** deadlock_detected and serialization_failure: Postgres rolled the work back; running it again is safe. */
const RETRYABLE = new Set(["40P01", "40001"]);
const MAX_ATTEMPTS = 6;
const BASE_DELAY_MS = 15;
const MAX_DELAY_MS = 250;

/**
 * Runs `work` (one statement or one whole `db.transaction`) again when Postgres aborted it as a
 * deadlock victim or a serialization failure: up to 6 attempts, with exponential backoff and full
 * jitter so the colliding writers do not meet again in step. `work` must be safe to repeat, which a
 * rolled-back transaction is as long as it has no side effects outside the database. When every
 * attempt fails the caller gets a 503 with Retry-After (a provider retries that), never a 500.
 */
export async function withDeadlockRetry<T>(label: string, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = pgCode(err);
      if (!code || !RETRYABLE.has(code)) throw err;
      if (attempt >= MAX_ATTEMPTS) {
        log.error("database work kept colliding; giving up", { label, code, attempts: attempt });
        throw new AppError("unavailable", "The database is busy; try again shortly", undefined, { "retry-after": "1" });
      }
      const delay = Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
      log.warn("database work collided; retrying", { label, code, attempt });
      await Bun.sleep(delay);
    }
  }
}
