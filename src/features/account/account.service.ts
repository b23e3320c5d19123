import { count, eq, sql } from "drizzle-orm";
import { listUserSessions, revokeOtherSessions, revokeUserSession, type Session, type SessionUser } from "@/auth/session";
import { db, type DbOrTx } from "@/db/client";
import { users } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { auditActor, type Caller } from "@/lib/caller";
import { tText } from "@/lib/i18n";
import type { ChangePasswordInput, ProfileInput } from "./account.schema";
import { discardUserChallenges, forgiveStepUpAttempts, reserveStepUpAttempt, userOf } from "./two-factor.service";

/**
 * The account pages act on the caller's own user: `caller.id` is the user, `caller.sessionId` the
 * session they call through (kept when the others end).
 */
type AccountCaller = Caller<"user"> & { sessionId: string };

function audit(caller: Caller<"user">, action: string, details: Record<string, unknown> = {}, tx: DbOrTx = db) {
  return recordAudit(
    {
      organizationId: caller.organizationId ?? null,
      actor: auditActor(caller),
      action,
      target: { type: "user", id: caller.id },
      request: caller.request,
      details,
    },
    tx,
  );
}

/** Name, avatar, language and time zone; the audit names the fields that changed. */
export async function updateProfile(caller: Caller<"user">, input: ProfileInput): Promise<SessionUser> {
  return db.transaction(async (tx) => {
    const current = await userOf(caller, tx);
    const changed = (Object.keys(input) as (keyof ProfileInput)[]).filter((k) => current[k] !== input[k]);
    if (changed.length === 0) return current;
    const [user] = await tx.update(users).set(input).where(eq(users.id, caller.id)).returning();
    await audit(caller, "account.profile_updated", { fields: changed }, tx);
    return user!;
  });
}

export type PasswordChange =
  | { ok: true; endedSessions: number }
  | { ok: false; reason: "invalid"; field: string; message: string }
  | { ok: false; reason: "throttled"; retryAfter: number };

/**
 * Changes the password after checking the current one (accounts created through a provider have
 * none and set their first). Every other session and pending sign-in of the user ends: whoever
 * knew the old password or held a stolen cookie is out.
 */
export async function changePassword(caller: AccountCaller, input: ChangePasswordInput): Promise<PasswordChange> {
  const user = await userOf(caller);
  if (user.passwordHash) {
    const reserved = await reserveStepUpAttempt(user.id);
    if (!reserved.ok) return { ok: false, reason: "throttled", retryAfter: reserved.retryAfter };
    const matches = input.currentPassword.length > 0 && (await Bun.password.verify(input.currentPassword, user.passwordHash));
    if (!matches) return { ok: false, reason: "invalid", field: "currentPassword", message: tText("account:errors.incorrectPassword") };
  }
  const passwordHash = await Bun.password.hash(input.newPassword, { algorithm: "argon2id" });
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
    await forgiveStepUpAttempts(user.id, tx);
    await discardUserChallenges(user.id, tx);
    const endedSessions = await revokeOtherSessions(user.id, caller.sessionId, tx);
    await audit(caller, user.passwordHash ? "account.password_changed" : "account.password_set", { endedSessions }, tx);
    return { ok: true, endedSessions } as const;
  });
}

export type SessionRow = Session & { current: boolean };

/** The user's active sessions for the account page, the current one marked. */
export async function listSessionsFor(caller: AccountCaller): Promise<SessionRow[]> {
  const rows = await listUserSessions(caller.id);
  return rows.map((s) => ({ ...s, current: s.id === caller.sessionId }));
}

/** Signs out one session of the user's (not the current one: that is "Sign out"); false = not theirs. */
export async function signOutSession(caller: AccountCaller, publicId: string): Promise<boolean> {
  const ended = await revokeUserSession(caller.id, publicId, caller.sessionId);
  if (ended) await audit(caller, "account.session_revoked", { sessionPublicId: publicId });
  return ended;
}

/** "Sign out everywhere else". */
export async function signOutOtherSessions(caller: AccountCaller): Promise<number> {
  const ended = await revokeOtherSessions(caller.id, caller.sessionId);
  if (ended > 0) await audit(caller, "account.other_sessions_revoked", { endedSessions: ended });
  return ended;
}

// ---------------------------------------------------------------------------------------------
// The users table: sign-up, sign-in, confirmation links and password resets (src/features/auth)
// change a user's row through these, so every write of it lives in this feature.
// ---------------------------------------------------------------------------------------------

export type NewUser = {
  email: string;
  passwordHash: string | null;
  name: string;
  avatarUrl: string | null;
  language?: SessionUser["language"];
  /** false: the address awaits its confirmation link (the first account is always confirmed). */
  emailVerified?: boolean;
};

/**
 * Inserts a user; null when the address is taken. The first account of an install becomes platform
 * admin: the advisory lock makes "first" hold when two sign-ups race on an empty install.
 */
export async function insertUser(input: NewUser, tx: DbOrTx): Promise<SessionUser | null> {
  await tx.execute(sql`select pg_advisory_xact_lock(727275)`);
  const [{ value: existing }] = (await tx.select({ value: count() }).from(users)) as [{ value: number }];
  const [user] = await tx
    .insert(users)
    .values({
      email: input.email,
      passwordHash: input.passwordHash,
      name: input.name,
      avatarUrl: input.avatarUrl,
      ...(input.language ? { language: input.language } : {}),
      isPlatformAdmin: existing === 0,
      emailVerifiedAt: input.emailVerified === false && existing !== 0 ? null : new Date(),
    })
    .onConflictDoNothing()
    .returning();
  return user ?? null;
}

/** Stamps the user's last sign-in. */
export async function noteSignIn(userId: string): Promise<void> {
  await db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, userId));
}

/** A confirmation link was followed: the address is confirmed (the first confirmation time stays). */
export async function confirmEmail(userId: string, tx: DbOrTx): Promise<SessionUser> {
  const [user] = await tx
    .update(users)
    .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
    .where(eq(users.id, userId))
    .returning();
  return user!;
}

/**
 * A sign-in provider vouches for the address of an unconfirmed account: it is confirmed, and the
 * password chosen at its sign-up was never proven (it may be a squatter's), so it goes.
 */
export async function confirmEmailByProvider(userId: string, tx: DbOrTx): Promise<SessionUser> {
  const [user] = await tx.update(users).set({ emailVerifiedAt: new Date(), passwordHash: null }).where(eq(users.id, userId)).returning();
  return user!;
}

/** A reset link sets a new password; following it proves the mailbox, so the address is confirmed too. */
export async function resetPasswordHash(userId: string, passwordHash: string, tx: DbOrTx): Promise<SessionUser> {
  const [user] = await tx
    .update(users)
    .set({ passwordHash, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
    .where(eq(users.id, userId))
    .returning();
  return user!;
}
