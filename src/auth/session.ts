import { and, desc, eq, gt, ne, sql } from "drizzle-orm";
import { config } from "@/config";
import { db, type DbOrTx } from "@/db/client";
import { sessions, users } from "@/db/schema";
import { randomToken, sha256Hex } from "@/lib/crypto";

export const SESSION_COOKIE = "lc_session";
const DAY_MS = 24 * 60 * 60 * 1000;
const SESSION_TTL_MS = 30 * DAY_MS;
/** "Last seen" on the account page is this precise; finer would cost a write on every request. */
const LAST_SEEN_GRANULARITY_MS = 5 * 60 * 1000;

export type SessionUser = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;

/** Lucia-style session: a random token goes to the cookie, only its sha256 is stored. */
export async function createSession(
  userId: string,
  meta: { ip?: string | null; userAgent?: string | null; activeOrganizationId?: string | null },
): Promise<{ token: string; session: Session }> {
  const token = randomToken(32);
  const [session] = await db
    .insert(sessions)
    .values({
      id: sha256Hex(token),
      userId,
      expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      activeOrganizationId: meta.activeOrganizationId ?? null,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 500) ?? null,
      lastSeenAt: new Date(),
    })
    .returning();
  return { token, session: session! };
}

// Hot path of every admin request: prepared once.
const findSession = db
  .select({ session: sessions, user: users })
  .from(sessions)
  .innerJoin(users, eq(users.id, sessions.userId))
  .where(and(eq(sessions.id, sql.placeholder("id")), gt(sessions.expiresAt, sql`now()`)))
  .limit(1)
  .prepare("find_session");

/**
 * Returns the session and user for a cookie token, or null. Sliding expiry: a session used in the
 * second half of its life is extended to a full 30 days again; its last-seen time moves every few minutes.
 */
export async function validateSessionToken(token: string): Promise<{ session: Session; user: SessionUser } | null> {
  if (!token || token.length > 100) return null;
  const id = sha256Hex(token);
  const [row] = await findSession.execute({ id });
  if (!row) return null;
  const now = Date.now();
  const extend = row.session.expiresAt.getTime() - now < SESSION_TTL_MS / 2;
  const seen = !row.session.lastSeenAt || now - row.session.lastSeenAt.getTime() >= LAST_SEEN_GRANULARITY_MS;
  if (extend || seen) {
    const lastSeenAt = new Date(now);
    const expiresAt = extend ? new Date(now + SESSION_TTL_MS) : row.session.expiresAt;
    await db.update(sessions).set({ expiresAt, lastSeenAt }).where(eq(sessions.id, id));
    row.session.expiresAt = expiresAt;
    row.session.lastSeenAt = lastSeenAt;
  }
  return row;
}

/** The user's unexpired sessions, most recently used first. */
export async function listUserSessions(userId: string): Promise<Session[]> {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, sql`now()`)))
    .orderBy(desc(sql`coalesce(${sessions.lastSeenAt}, ${sessions.createdAt})`));
}

/**
 * Ends one of the user's sessions by its public id, never `keepSessionId` (the one asking: that is
 * "Sign out"); false when it is not theirs, is the kept one, or is already gone.
 */
export async function revokeUserSession(userId: string, publicId: string, keepSessionId: string): Promise<boolean> {
  const gone = await db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), eq(sessions.publicId, publicId), ne(sessions.id, keepSessionId)))
    .returning({ id: sessions.id });
  return gone.length > 0;
}

/** Ends every session of the user except `keepSessionId` (sign out everywhere else); returns how many. */
export async function revokeOtherSessions(userId: string, keepSessionId: string, tx: DbOrTx = db): Promise<number> {
  const gone = await tx
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId)))
    .returning({ id: sessions.id });
  return gone.length;
}

/** Ends every session of the user (a password reset: whoever else was signed in is out); returns how many. */
export async function revokeAllUserSessions(userId: string, tx: DbOrTx = db): Promise<number> {
  const gone = await tx.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id });
  return gone.length;
}

/** Makes `organizationId` the session's active organization; the caller has checked the membership. */
export async function setActiveOrganization(sessionId: string, userId: string, organizationId: string, tx: DbOrTx = db): Promise<void> {
  await tx
    .update(sessions)
    .set({ activeOrganizationId: organizationId })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)));
}

export async function invalidateSession(sessionId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}

export function sessionCookie(token: string, expiresAt: Date) {
  return {
    value: token,
    httpOnly: true,
    sameSite: "lax" as const,
    secure: config.secureCookies,
    path: "/",
    expires: expiresAt,
  };
}

export function blankSessionCookie() {
  return { value: "", httpOnly: true, sameSite: "lax" as const, secure: config.secureCookies, path: "/", maxAge: 0 };
}
