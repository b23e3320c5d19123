import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { userTokens, users, type UserTokenPurpose } from "@/db/schema";
import { randomToken, sha256Hex } from "@/lib/crypto";

/** Tokens are 32 random bytes in base64url; anything else cannot match and skips the lookup. */
const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * Issues a single-use link token for `purpose`; earlier unused tokens of the same purpose stop working,
 * so only the newest email's link is live. Returns the token (only its sha256 is stored).
 */
export async function issueUserToken(userId: string, purpose: UserTokenPurpose, ttlMs: number, tx: DbOrTx = db): Promise<string> {
  const token = randomToken(32);
  await tx
    .update(userTokens)
    .set({ usedAt: new Date() })
    .where(and(eq(userTokens.userId, userId), eq(userTokens.purpose, purpose), isNull(userTokens.usedAt)));
  await tx.insert(userTokens).values({ userId, purpose, tokenHash: sha256Hex(token), expiresAt: new Date(Date.now() + ttlMs) });
  return token;
}

/** The account behind a live (unused, unexpired) token, without using it: for rendering the form. */
export async function peekUserToken(token: string, purpose: UserTokenPurpose): Promise<{ userId: string; email: string } | null> {
  if (!TOKEN.test(token)) return null;
  const [row] = await db
    .select({ userId: userTokens.userId, email: users.email })
    .from(userTokens)
    .innerJoin(users, eq(users.id, userTokens.userId))
    .where(and(eq(userTokens.tokenHash, sha256Hex(token)), eq(userTokens.purpose, purpose), isNull(userTokens.usedAt), gt(userTokens.expiresAt, sql`now()`)))
    .limit(1);
  return row ?? null;
}

/** Uses a live token once (one UPDATE, so two concurrent uses cannot both succeed); null when not live. */
export async function consumeUserToken(token: string, purpose: UserTokenPurpose, tx: DbOrTx = db): Promise<string | null> {
  if (!TOKEN.test(token)) return null;
  const [row] = await tx
    .update(userTokens)
    .set({ usedAt: new Date() })
    .where(and(eq(userTokens.tokenHash, sha256Hex(token)), eq(userTokens.purpose, purpose), isNull(userTokens.usedAt), gt(userTokens.expiresAt, sql`now()`)))
    .returning({ userId: userTokens.userId });
  return row?.userId ?? null;
}

/** True when a token of this purpose was issued to the user within `withinMs` (resend throttling). */
export async function issuedRecently(userId: string, purpose: UserTokenPurpose, withinMs: number): Promise<boolean> {
  const [row] = await db
    .select({ id: userTokens.id })
    .from(userTokens)
    .where(and(eq(userTokens.userId, userId), eq(userTokens.purpose, purpose), gt(userTokens.createdAt, new Date(Date.now() - withinMs))))
    .limit(1);
  return !!row;
}
