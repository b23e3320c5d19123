import { and, eq, gt, sql } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { sessions, users } from "@/db/schema";
import { randomToken, sha256Hex } from "@/lib/crypto";

export const SESSION_COOKIE = "lc_session";
const DAY_MS = 24 * 60 * 60 * 1000;
const SESSION_TTL_MS = 30 * DAY_MS;

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
      csrfToken: randomToken(24),
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 500) ?? null,
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
 * second half of its life is extended to a full 30 days again.
 */
export async function validateSessionToken(token: string): Promise<{ session: Session; user: SessionUser } | null> {
  if (!token || token.length > 100) return null;
  const id = sha256Hex(token);
  const [row] = await findSession.execute({ id });
  if (!row) return null;
  if (row.session.expiresAt.getTime() - Date.now() < SESSION_TTL_MS / 2) {
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id));
    row.session.expiresAt = expiresAt;
  }
  return row;
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
