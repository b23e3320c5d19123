import { and, eq, sql } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { messages } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { sha256Hex } from "@/lib/crypto";
import { tText } from "@/lib/i18n";
import type { SendMessageInput } from "./message.schema";

/**
 * `Idempotency-Key` on `POST /v1/messages`, following Stripe's rules:
 * - a key belongs to the API key that sent it, and is remembered with the message it created;
 * - the same key with the same request replays the first answer (202, same id, `Idempotent-Replayed: true`);
 * - the same key with a different request is refused: 422 `idempotency_mismatch`;
 * - while the first request with a key is still being processed, others with it get 409
 *   `idempotency_key_in_use` with `Retry-After: 1`, and a retry then replays the result;
 * - a request that failed stored nothing, so it may be retried with the same key.
 */

export type IdempotencyClaim = { apiKeyId: string; key: string; fingerprint: string };

/** Object keys sorted at every level, so the same values sent in another order hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The claim a send makes on its key, or null when it sent none (or no API key sent it). */
export function idempotencyClaim(apiKeyId: string | null | undefined, key: string | null | undefined, input: SendMessageInput): IdempotencyClaim | null {
  if (!apiKeyId || !key) return null;
  return { apiKeyId, key, fingerprint: sha256Hex(canonicalJson(input)) };
}

/**
 * The message an earlier request with this key created, if any; 422 when that request had another
 * body. Messages stored before fingerprints were recorded replay whatever is sent.
 */
export async function previousSendFor(claim: IdempotencyClaim, tx: DbOrTx = db) {
  const [row] = await tx
    .select()
    .from(messages)
    .where(and(eq(messages.apiKeyId, claim.apiKeyId), eq(messages.idempotencyKey, claim.key)))
    .limit(1);
  if (row && row.idempotencyFingerprint !== null && row.idempotencyFingerprint !== claim.fingerprint) {
    const message = tText("messages:errors.idempotencyMismatch");
    throw new AppError("idempotency_mismatch", message, [{ path: "Idempotency-Key", message }]);
  }
  return row;
}

/**
 * Holds the key for the rest of the transaction, or answers 409 when another request holds it.
 * A try-lock never waits, so it cannot take part in a deadlock whatever other locks follow it; the
 * lock is released at commit, when the winner's message is already visible to the next request.
 */
export async function holdIdempotencyKey(tx: DbOrTx, claim: IdempotencyClaim): Promise<void> {
  const [row] = rowsOf<{ held: boolean }>(
    await tx.execute(sql`select pg_try_advisory_xact_lock(hashtextextended(${`idempotency:${claim.apiKeyId}:${claim.key}`}, 0)) as held`),
  );
  if (!row?.held) throw new AppError("idempotency_key_in_use", tText("messages:errors.idempotencyInUse"), undefined, { "retry-after": "1" });
}
