import { eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { users } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { AppError } from "@/lib/errors";
import { tText, withLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { mailTemplates } from "@/lib/mail-templates";
import { mailEnabled, sendMailInBackground } from "@/lib/mailer";
import { auditActor, type Caller } from "@/lib/caller";
import { isUuid } from "@/lib/ids";
import { assertPlatformAdmin } from "@/auth/roles";
import { revokeAllUserSessions } from "@/auth/session";
import { resetPasswordHash } from "@/features/account/account.service";
import { findUserByEmail, defaultOrganizationId, normalizeEmail, type User } from "./auth.service";
import { consumeUserToken, issuedRecently, issueUserToken, peekUserToken } from "./user-tokens";

export const RESET_TTL_MS = 60 * 60 * 1000;
/** One reset email per account per minute: the form cannot be used to flood someone's inbox. */
const RESEND_AFTER_MS = 60 * 1000;

export function resetUrl(token: string): string {
  return `${config.appUrl}/password/reset/${token}`;
}

/**
 * "Forgot your password?": emails a reset link when the address has an account. The work runs after
 * the answer, so neither the answer nor its timing reveals which addresses are registered. Without
 * SMTP nothing is sent: a platform admin creates the link.
 */
export function requestPasswordReset(email: string, request?: Request): void {
  if (!mailEnabled()) return;
  sendResetEmail(email, request).catch((err) => log.warn("password reset not issued", { err }));
}

async function sendResetEmail(email: string, request?: Request): Promise<void> {
  const user = await findUserByEmail(email);
  if (!user || (await issuedRecently(user.id, "password_reset", RESEND_AFTER_MS))) return;
  const token = await issueUserToken(user.id, "password_reset", RESET_TTL_MS);
  const content = withLocale({ locale: user.language }, () => mailTemplates.passwordReset({ url: resetUrl(token), expiresInMinutes: RESET_TTL_MS / 60_000 }));
  sendMailInBackground(user.email, content, "password_reset");
  await recordAudit({
    organizationId: await defaultOrganizationId(user.id),
    actor: { type: "system" },
    action: "auth.password_reset_requested",
    target: { type: "user", id: user.id },
    request,
    details: { email: normalizeEmail(user.email) },
  });
}

/** A platform admin's reset link for a user (installs without email hand it over themselves). */
export async function createResetLinkForUser(caller: Caller<"user">, userId: string): Promise<{ user: User; url: string }> {
  assertPlatformAdmin(caller);
  if (!isUuid(userId)) throw new AppError("not_found", tText("auth:errors.userNotFound"));
  const [user] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!user) throw new AppError("not_found", tText("auth:errors.userNotFound"));
  const token = await issueUserToken(user.id, "password_reset", RESET_TTL_MS);
  await recordAudit({
    organizationId: await defaultOrganizationId(user.id),
    actor: auditActor(caller),
    action: "auth.password_reset_link_created",
    target: { type: "user", id: user.id },
    request: caller.request,
  });
  return { user, url: resetUrl(token) };
}

/** The address a live reset link belongs to (for the form's heading), or null. */
export async function findResetLink(token: string) {
  return peekUserToken(token, "password_reset");
}

/**
 * Sets a new password from a reset link: the link works once, and every session of the account ends
 * (whoever else was signed in is out). Following the link also proves the mailbox, so an unconfirmed
 * address becomes confirmed.
 */
export async function resetPassword(input: { token: string; password: string; request?: Request }): Promise<{ ok: true; user: User } | { ok: false }> {
  const passwordHash = await Bun.password.hash(input.password, { algorithm: "argon2id" });
  return db.transaction(async (tx) => {
    const userId = await consumeUserToken(input.token, "password_reset", tx);
    if (!userId) return { ok: false } as const;
    const user = await resetPasswordHash(userId, passwordHash, tx);
    const ended = await revokeAllUserSessions(userId, tx);
    await recordAudit(
      {
        organizationId: await defaultOrganizationId(userId, tx),
        actor: { type: "user", id: userId },
        action: "auth.password_reset",
        target: { type: "user", id: userId },
        request: input.request,
        details: { sessionsEnded: ended },
      },
      tx,
    );
    return { ok: true, user } as const;
  });
}
