import { config } from "@/config";
import { db, type DbOrTx } from "@/db/client";
import { confirmEmail } from "@/features/account/account.service";
import { recordAudit } from "@/features/audit/audit.service";
import { withLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { mailTemplates } from "@/lib/mail-templates";
import { mailEnabled, sendMailInBackground } from "@/lib/mailer";
import { defaultOrganizationId, findUserByEmail, type User } from "./auth.service";
import { consumeUserToken, issuedRecently, issueUserToken } from "./user-tokens";

// Sign-up email confirmation. With SMTP, a self-service sign-up is created unconfirmed and cannot sign
// in until its link is followed ("Send the link again" on the sign-in page). Without SMTP there is no
// way to prove an address, so accounts are created confirmed. The first account of an install, invited
// sign-ups (the link went to that mailbox) and verified OAuth addresses are confirmed from the start.

export const VERIFY_TTL_MS = 24 * 60 * 60 * 1000;
const RESEND_AFTER_MS = 60 * 1000;

/** Whether a new self-service account must confirm its address before signing in. */
export function verificationRequired(): boolean {
  return mailEnabled();
}

export function isEmailVerified(user: Pick<User, "emailVerifiedAt">): boolean {
  return user.emailVerifiedAt !== null;
}

export function verifyUrl(token: string): string {
  return `${config.appUrl}/verify-email/${token}`;
}

/** Issues a confirmation link (inside the sign-up transaction when given) and returns its URL. */
export async function issueVerificationLink(userId: string, tx: DbOrTx = db): Promise<string> {
  return verifyUrl(await issueUserToken(userId, "email_verification", VERIFY_TTL_MS, tx));
}

/** Emails the confirmation link, in the account's language; call after the account's transaction committed. */
export function sendVerificationEmail(user: Pick<User, "email" | "name" | "language">, url: string): void {
  const content = withLocale({ locale: user.language }, () =>
    mailTemplates.emailVerification({ name: user.name || user.email, url, expiresInHours: VERIFY_TTL_MS / 3_600_000 }),
  );
  sendMailInBackground(user.email, content, "email_verification");
}

/**
 * "Send the link again": a new link for an unconfirmed account, at most once a minute. Runs after
 * the answer, which is the same for unknown, confirmed and unconfirmed addresses.
 */
export function resendVerification(email: string): void {
  if (!mailEnabled()) return;
  (async () => {
    const user = await findUserByEmail(email);
    if (!user || isEmailVerified(user) || (await issuedRecently(user.id, "email_verification", RESEND_AFTER_MS))) return;
    sendVerificationEmail(user, await issueVerificationLink(user.id));
  })().catch((err) => log.warn("confirmation link not issued", { err }));
}

/** Follows a confirmation link: the address is confirmed and the link spent. Null for a dead link. */
export async function verifyEmail(token: string, request?: Request): Promise<User | null> {
  return db.transaction(async (tx) => {
    const userId = await consumeUserToken(token, "email_verification", tx);
    if (!userId) return null;
    const user = await confirmEmail(userId, tx);
    await recordAudit(
      {
        organizationId: await defaultOrganizationId(userId, tx),
        actor: { type: "user", id: userId },
        action: "auth.email_verified",
        target: { type: "user", id: userId },
        request,
      },
      tx,
    );
    return user;
  });
}
