import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { can, roleAtLeast } from "@/auth/roles";
import { db, type DbOrTx } from "@/db/client";
import { type organizations, recoveryCodes, signInChallenges, users, type Role } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { setTwoFactorRequired } from "@/features/organizations/organization.service";
import { decryptSecret, encryptSecret, randomToken, sha256Hex } from "@/lib/crypto";
import { auditActor, roleOf, type Caller } from "@/lib/caller";
import { conflict, forbidden, unauthorized } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { organizationOf } from "@/lib/tenant";
import {
  generateRecoveryCodes,
  generateTotpSecret,
  hashRecoveryCode,
  normalizeRecoveryCode,
  normalizeTotpCode,
  totpQrDataUrl,
  totpStepFor,
  totpUri,
} from "./totp";

type User = typeof users.$inferSelect;

/**
 * The calling user's row, read fresh: what a page loaded at the start of the request may predate a
 * change made meanwhile in another tab (a confirmed enrolment, a new password).
 */
export async function userOf(caller: Caller<"user">, tx: DbOrTx = db): Promise<User> {
  const [user] = await tx.select().from(users).where(eq(users.id, caller.id)).limit(1);
  if (!user) throw unauthorized();
  return user;
}

/**
 * Step-up checks (second-factor codes at sign-in and on the account page, the current password
 * before account changes) share one budget per user: 10 per 15-minute window, reserved atomically
 * before the check so 40 parallel guesses are 10 checks, and forgiven by a success.
 */
export const STEP_UP_LIMIT = { windowSeconds: 15 * 60, maxAttempts: 10 };
/** A password-verified sign-in waits this long for its second factor, with this many tries. */
export const CHALLENGE_LIMIT = { ttlMs: 5 * 60 * 1000, maxAttempts: 5 };

export type StepUp = { ok: true } | { ok: false; retryAfter: number };

/** Reserves one step-up attempt for the user, or says how long until the window reopens. */
export async function reserveStepUpAttempt(userId: string, tx: DbOrTx = db): Promise<StepUp> {
  const windowOver = sql`(${users.verifyWindowStartedAt} is null or ${users.verifyWindowStartedAt} <= now() - make_interval(secs => ${STEP_UP_LIMIT.windowSeconds}))`;
  const [reserved] = await tx
    .update(users)
    .set({
      verifyAttempts: sql`case when ${windowOver} then 1 else ${users.verifyAttempts} + 1 end`,
      verifyWindowStartedAt: sql`case when ${windowOver} then now() else ${users.verifyWindowStartedAt} end`,
    })
    .where(and(eq(users.id, userId), or(windowOver, lt(users.verifyAttempts, STEP_UP_LIMIT.maxAttempts))))
    .returning({ id: users.id });
  if (reserved) return { ok: true };
  const [row] = await tx
    .select({
      seconds: sql<number>`ceil(extract(epoch from (${users.verifyWindowStartedAt} + make_interval(secs => ${STEP_UP_LIMIT.windowSeconds}) - now())))::int`,
    })
    .from(users)
    .where(eq(users.id, userId));
  return { ok: false, retryAfter: Math.max(1, Number(row?.seconds ?? 1)) };
}

/** A passed check forgives the earlier misses. */
export async function forgiveStepUpAttempts(userId: string, tx: DbOrTx = db): Promise<void> {
  await tx.update(users).set({ verifyAttempts: 0 }).where(eq(users.id, userId));
}

export function hasTwoFactor(user: Pick<User, "totpEnabledAt">): boolean {
  return user.totpEnabledAt !== null;
}

/** An admin or owner of an organization that requires two-factor, without it: sent to enrol first. */
export function mustEnrolTwoFactor(
  organization: Pick<typeof organizations.$inferSelect, "requireTwoFactor">,
  role: Role,
  user: Pick<User, "totpEnabledAt">,
): boolean {
  return organization.requireTwoFactor && roleAtLeast(role, "admin") && !hasTwoFactor(user);
}

// ---------------------------------------------------------------------------------------------
// Verifying a second factor: a TOTP code (each time step once) or an unused recovery code.
// ---------------------------------------------------------------------------------------------

export type SecondFactorKind = "totp" | "recovery_code";

/**
 * Checks `input` against the user's authenticator or recovery codes and spends what it used: the
 * TOTP step is recorded (a code cannot be replayed), a recovery code is marked used. Both writes are
 * conditional, so of two concurrent uses of one code only one succeeds.
 */
export async function consumeSecondFactor(user: User, input: string, tx: DbOrTx = db): Promise<SecondFactorKind | null> {
  if (!user.totpSecretEnc) return null;
  const code = normalizeTotpCode(input);
  if (code) {
    const step = totpStepFor(decryptSecret(user.totpSecretEnc), code);
    if (step === null) return null;
    const [accepted] = await tx
      .update(users)
      .set({ totpLastStep: step })
      .where(and(eq(users.id, user.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
      .returning({ id: users.id });
    return accepted ? "totp" : null;
  }
  const recovery = normalizeRecoveryCode(input);
  if (!recovery) return null;
  const [used] = await tx
    .update(recoveryCodes)
    .set({ usedAt: new Date() })
    .where(and(eq(recoveryCodes.userId, user.id), eq(recoveryCodes.codeHash, hashRecoveryCode(recovery)), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  return used ? "recovery_code" : null;
}

export async function unusedRecoveryCodeCount(userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.n ?? 0;
}

/** Replaces the user's recovery codes with ten new ones; the plain codes are returned once. */
async function replaceRecoveryCodes(userId: string, tx: DbOrTx): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await tx.insert(recoveryCodes).values(codes.map((c) => ({ userId, codeHash: hashRecoveryCode(normalizeRecoveryCode(c)!) })));
  return codes;
}

// ---------------------------------------------------------------------------------------------
// Enrolment, recovery codes and turning it off (account page).
// ---------------------------------------------------------------------------------------------

/** Starts (or restarts) enrolment with a fresh seed, stored encrypted until a code confirms it. */
export async function startTotpEnrolment(caller: Caller<"user">): Promise<void> {
  const user = await userOf(caller);
  if (hasTwoFactor(user)) throw conflict(tText("account:errors.alreadyOn"));
  await db
    .update(users)
    .set({ totpPendingSecretEnc: encryptSecret(generateTotpSecret()) })
    .where(eq(users.id, user.id));
}

/** What the enrolment page shows while a seed waits for its first code, or null when none does. */
export async function pendingEnrolment(user: User): Promise<{ secret: string; uri: string; qr: string } | null> {
  if (hasTwoFactor(user) || !user.totpPendingSecretEnc) return null;
  const secret = decryptSecret(user.totpPendingSecretEnc);
  const uri = totpUri(secret, user.email);
  return { secret, uri, qr: await totpQrDataUrl(uri) };
}

export async function cancelTotpEnrolment(caller: Caller<"user">): Promise<void> {
  await db
    .update(users)
    .set({ totpPendingSecretEnc: null })
    .where(and(eq(users.id, caller.id), isNull(users.totpEnabledAt)));
}

export type TwoFactorOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; reason: "invalid"; message: string; field: string }
  | { ok: false; reason: "throttled"; retryAfter: number };

// Read when refused, inside the request: the message speaks its language.
const invalidCode = () => tText("account:errors.invalidCode");

/** Confirms enrolment with a code from the app: two-factor is on and ten recovery codes are returned once. */
export async function confirmTotpEnrolment(caller: Caller<"user">, input: string): Promise<TwoFactorOutcome<string[]>> {
  const user = await userOf(caller);
  if (hasTwoFactor(user)) throw conflict(tText("account:errors.alreadyOn"));
  if (!user.totpPendingSecretEnc) return { ok: false, reason: "invalid", field: "code", message: tText("account:errors.noPendingSetup") };
  const reserved = await reserveStepUpAttempt(user.id);
  if (!reserved.ok) return { ok: false, reason: "throttled", retryAfter: reserved.retryAfter };
  const code = normalizeTotpCode(input);
  const step = code ? totpStepFor(decryptSecret(user.totpPendingSecretEnc), code) : null;
  if (step === null) return { ok: false, reason: "invalid", field: "code", message: invalidCode() };
  return db.transaction(async (tx) => {
    // Conditional on the seed the user scanned: a concurrent restart or confirmation wins cleanly.
    const [enabled] = await tx
      .update(users)
      .set({ totpSecretEnc: user.totpPendingSecretEnc, totpPendingSecretEnc: null, totpEnabledAt: new Date(), totpLastStep: step, verifyAttempts: 0 })
      .where(and(eq(users.id, user.id), isNull(users.totpEnabledAt), eq(users.totpPendingSecretEnc, user.totpPendingSecretEnc!)))
      .returning({ id: users.id });
    if (!enabled) throw conflict(tText("account:errors.setupChanged"));
    const codes = await replaceRecoveryCodes(user.id, tx);
    await audit(caller, "account.two_factor_enabled", {}, tx);
    return { ok: true, value: codes } as const;
  });
}

/** Checks the current password when the account has one (callers reserve a step-up attempt first). */
async function passwordMatches(user: User, password: string): Promise<boolean> {
  if (!user.passwordHash) return true;
  return password.length > 0 && (await Bun.password.verify(password, user.passwordHash));
}

/** Turns two-factor off: needs the password and a code (authenticator or recovery). */
export async function disableTwoFactor(caller: Caller<"user">, input: { password: string; code: string }): Promise<TwoFactorOutcome<null>> {
  const user = await userOf(caller);
  if (!hasTwoFactor(user)) return { ok: true, value: null };
  const reserved = await reserveStepUpAttempt(user.id);
  if (!reserved.ok) return { ok: false, reason: "throttled", retryAfter: reserved.retryAfter };
  if (!(await passwordMatches(user, input.password)))
    return { ok: false, reason: "invalid", field: "password", message: tText("account:errors.incorrectPassword") };
  return db.transaction(async (tx) => {
    const kind = await consumeSecondFactor(user, input.code, tx);
    if (!kind) return { ok: false, reason: "invalid", field: "code", message: invalidCode() } as const;
    await tx
      .update(users)
      .set({ totpSecretEnc: null, totpPendingSecretEnc: null, totpEnabledAt: null, totpLastStep: null, verifyAttempts: 0 })
      .where(eq(users.id, user.id));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
    await audit(caller, "account.two_factor_disabled", { with: kind }, tx);
    return { ok: true, value: null } as const;
  });
}

/** Ten new recovery codes (the old ones stop working), behind a current code. */
export async function regenerateRecoveryCodes(caller: Caller<"user">, input: string): Promise<TwoFactorOutcome<string[]>> {
  const user = await userOf(caller);
  if (!hasTwoFactor(user)) throw conflict(tText("account:errors.alreadyOff"));
  const reserved = await reserveStepUpAttempt(user.id);
  if (!reserved.ok) return { ok: false, reason: "throttled", retryAfter: reserved.retryAfter };
  return db.transaction(async (tx) => {
    const kind = await consumeSecondFactor(user, input, tx);
    if (!kind) return { ok: false, reason: "invalid", field: "code", message: invalidCode() } as const;
    await forgiveStepUpAttempts(user.id, tx);
    const codes = await replaceRecoveryCodes(user.id, tx);
    await audit(caller, "account.recovery_codes_regenerated", { with: kind }, tx);
    return { ok: true, value: codes } as const;
  });
}

function audit(caller: Caller<"user">, action: string, details: Record<string, unknown>, tx: DbOrTx) {
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

// ---------------------------------------------------------------------------------------------
// Sign-in challenge: the first factor passed, the second is owed. Not a session: it opens nothing
// but the /two-factor form, expires in minutes and allows a few tries.
// ---------------------------------------------------------------------------------------------

export type SignInChallenge = typeof signInChallenges.$inferSelect;

/** Issues a challenge for the user; the token goes to a cookie, only its hash is stored. */
export async function createSignInChallenge(userId: string, method: string, next: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + CHALLENGE_LIMIT.ttlMs);
  // Housekeeping: abandoned challenges (anyone's) go when a new one starts; the table stays tiny.
  await db.delete(signInChallenges).where(lt(signInChallenges.expiresAt, sql`now()`));
  await db.insert(signInChallenges).values({ id: sha256Hex(token), userId, method, next, expiresAt });
  return { token, expiresAt };
}

/** The live challenge behind a cookie token, or null (unknown, expired or out of tries). */
export async function findSignInChallenge(token: string | undefined): Promise<SignInChallenge | null> {
  if (!token || token.length > 100) return null;
  const [row] = await db
    .select()
    .from(signInChallenges)
    .where(
      and(eq(signInChallenges.id, sha256Hex(token)), gt(signInChallenges.expiresAt, sql`now()`), lt(signInChallenges.attempts, CHALLENGE_LIMIT.maxAttempts)),
    );
  return row ?? null;
}

export type ChallengeAnswer =
  | { ok: true; user: User; method: string; next: string; via: SecondFactorKind }
  | { ok: false; reason: "expired" }
  | { ok: false; reason: "invalid"; user: User; attemptsLeft: number }
  | { ok: false; reason: "throttled"; retryAfter: number };

/**
 * Answers a challenge with a code. Each answer first takes one of the challenge's tries and one of
 * the user's step-up attempts (both atomically), so parallel guesses cannot multiply; a right code
 * spends the challenge, the last wrong one discards it.
 */
export async function answerSignInChallenge(token: string | undefined, input: string): Promise<ChallengeAnswer> {
  if (!token || token.length > 100) return { ok: false, reason: "expired" };
  const id = sha256Hex(token);
  const [challenge] = await db
    .update(signInChallenges)
    .set({ attempts: sql`${signInChallenges.attempts} + 1` })
    .where(and(eq(signInChallenges.id, id), gt(signInChallenges.expiresAt, sql`now()`), lt(signInChallenges.attempts, CHALLENGE_LIMIT.maxAttempts)))
    .returning();
  if (!challenge) return { ok: false, reason: "expired" };
  const reserved = await reserveStepUpAttempt(challenge.userId);
  if (!reserved.ok) return { ok: false, reason: "throttled", retryAfter: reserved.retryAfter };
  const [user] = await db.select().from(users).where(eq(users.id, challenge.userId));
  if (!user || !hasTwoFactor(user)) {
    // Two-factor was turned off since the password step: nothing to answer, start again.
    await db.delete(signInChallenges).where(eq(signInChallenges.id, id));
    return { ok: false, reason: "expired" };
  }
  const outcome = await db.transaction(async (tx) => {
    const via = await consumeSecondFactor(user, input, tx);
    if (!via) return null;
    const [spent] = await tx.delete(signInChallenges).where(eq(signInChallenges.id, id)).returning({ id: signInChallenges.id });
    if (!spent) return "raced" as const;
    await forgiveStepUpAttempts(user.id, tx);
    return via;
  });
  if (outcome === "raced") return { ok: false, reason: "expired" };
  if (outcome) return { ok: true, user, method: challenge.method, next: challenge.next, via: outcome };
  const attemptsLeft = CHALLENGE_LIMIT.maxAttempts - challenge.attempts;
  if (attemptsLeft <= 0) await db.delete(signInChallenges).where(eq(signInChallenges.id, id));
  return { ok: false, reason: "invalid", user, attemptsLeft };
}

// ---------------------------------------------------------------------------------------------
// Organization setting: require two-factor for admins and owners.
// ---------------------------------------------------------------------------------------------

export type RequirementOutcome = { ok: true; changed: boolean } | { ok: false; message: string };

/**
 * Turns the requirement on or off. Turning it on needs the acting admin to have two-factor already,
 * as GitHub does, so nobody requires what they have not tried. Sessions of admins without it stay,
 * but every admin page sends them to enrol first.
 */
export async function setTwoFactorRequirement(caller: Caller<"user">, required: boolean): Promise<RequirementOutcome> {
  if (!can.manageOrganization(roleOf(caller))) throw forbidden();
  const organizationId = organizationOf(caller);
  if (required && !hasTwoFactor(await userOf(caller))) {
    return { ok: false, message: tText("account:errors.enableOwnFirst") };
  }
  return db.transaction(async (tx) => {
    if (!(await setTwoFactorRequired(organizationId, required, tx))) return { ok: true, changed: false } as const;
    await recordAudit(
      {
        organizationId: organizationId,
        actor: auditActor(caller),
        action: "organization.two_factor_requirement_changed",
        target: { type: "organization", id: organizationId },
        request: caller.request,
        details: { required },
      },
      tx,
    );
    return { ok: true, changed: true } as const;
  });
}

/** Drops the user's pending sign-in challenges (a password change makes them stale). */
export async function discardUserChallenges(userId: string, tx: DbOrTx = db): Promise<void> {
  await tx.delete(signInChallenges).where(eq(signInChallenges.userId, userId));
}
