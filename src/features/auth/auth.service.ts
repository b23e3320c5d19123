import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import { createSession, invalidateSession, validateSessionToken, type Session } from "@/auth/session";
import { confirmEmailByProvider, insertUser, noteSignIn } from "@/features/account/account.service";
import { config } from "@/config";
import { db, type DbOrTx } from "@/db/client";
import { invitations, memberships, oauthAccounts, organizations, users } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { clientIp } from "@/lib/client-ip";
import { answerSignInChallenge, createSignInChallenge, hasTwoFactor, type ChallengeAnswer } from "@/features/account/two-factor.service";
import { claimDevice } from "@/features/devices/device.claim";
import { markInvitationAccepted } from "@/features/members/invitation.service";
import { addMember, createOrganization, getOrganization, type Organization } from "@/features/organizations/organization.service";
import { randomToken, sha256Hex } from "@/lib/crypto";
import { AppError, conflict, type FieldError } from "@/lib/errors";
import { registrationGate } from "./registration-gate";
import { currentLocale, tText, withLocale, type Locale } from "@/lib/i18n";
import { mailTemplates } from "@/lib/mail-templates";
import { mailEnabled, sendMailInBackground } from "@/lib/mailer";
import type { LoginInput, SignUpInput } from "./auth.schema";
import { isEmailVerified, issueVerificationLink, sendVerificationEmail, verificationRequired } from "./email-verification.service";
import { beginLoginAttempt, loginAttemptFailed, loginAttemptSucceeded } from "./login-throttle";

export type User = typeof users.$inferSelect;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserByEmail(email: string, tx: DbOrTx = db): Promise<User | undefined> {
  const [user] = await tx
    .select()
    .from(users)
    .where(eq(sql`lower(${users.email})`, normalizeEmail(email)))
    .limit(1);
  return user;
}

/**
 * Creates a user. The first account of an empty install becomes platform admin; the count and the
 * insert share a transaction-level advisory lock so two simultaneous first sign-ups cannot both win.
 */
export async function createUser(
  input: {
    email: string;
    password?: string | null;
    /** An argon2id hash chosen earlier (an approved registration request). */
    passwordHash?: string | null;
    name?: string;
    avatarUrl?: string | null;
    /** false: the address awaits its confirmation link (the first account is always confirmed). */
    emailVerified?: boolean;
    /** Interface and email language; sign-ups pass the visitor's negotiated one. */
    language?: Locale;
  },
  tx?: DbOrTx,
): Promise<User> {
  const run = async (t: DbOrTx) => {
    const passwordHash = input.password ? await Bun.password.hash(input.password, { algorithm: "argon2id" }) : (input.passwordHash ?? null);
    const user = await insertUser(
      {
        email: normalizeEmail(input.email),
        passwordHash,
        name: input.name?.trim() ?? "",
        avatarUrl: input.avatarUrl ?? null,
        language: input.language,
        emailVerified: input.emailVerified,
      },
      t,
    );
    if (!user) throw conflict(tText("auth:errors.accountExists"));
    return user;
  };
  return tx ? run(tx) : db.transaction(run);
}

// ---------------------------------------------------------------------------------------------
// Sign-up, sign-in and OAuth: the rules behind /signup, /login and /login/:provider.
// ---------------------------------------------------------------------------------------------

export type FieldErrors = FieldError[];
export type Invitation = typeof invitations.$inferSelect & { organizationName: string };
export type SignUpPolicy =
  | { allowed: true; firstAccount: boolean; invitation?: Invitation /** SIGNUP=approval: the sign-up waits for a platform admin. */; approval?: boolean }
  | { allowed: false; reason: "closed" | "invite_required" | "invite_invalid" };

const SIGNUP_REFUSED_KEYS: Record<"closed" | "invite_required" | "invite_invalid", string> = {
  closed: "auth:signUp.refused.closed",
  invite_required: "auth:signUp.refused.inviteRequired",
  invite_invalid: "auth:signUp.refused.inviteInvalid",
};

/** Why sign-up is refused, in the request's language. */
export const signUpRefusal = (reason: keyof typeof SIGNUP_REFUSED_KEYS) => tText(SIGNUP_REFUSED_KEYS[reason]);

/** SIGNUP=approval reviews a sign-up's details and password; a provider sign-in has neither to review. */
export const approvalNeedsPassword = () => tText("auth:signUp.approvalNeedsPassword");

/** True before the very first account exists (the first sign-up is always allowed and becomes platform admin). */
export async function isInstallEmpty(tx: DbOrTx = db): Promise<boolean> {
  const [row] = await tx.select({ id: users.id }).from(users).limit(1);
  return !row;
}

/** The pending invitation behind a link token, or undefined when unknown, expired, revoked or accepted. */
export async function findValidInvitation(token: string, tx: DbOrTx = db, lock = false): Promise<Invitation | undefined> {
  if (!token || token.length > 200) return undefined;
  const query = tx
    .select({ invitation: invitations, organizationName: organizations.name })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(
      and(eq(invitations.tokenHash, sha256Hex(token)), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, sql`now()`)),
    )
    .limit(1);
  const [row] = await (lock ? query.for("update", { of: invitations }) : query);
  return row ? { ...row.invitation, organizationName: row.organizationName } : undefined;
}

/**
 * Whether a sign-up may proceed under `SIGNUP`: the first account of an empty install always may;
 * otherwise `open` allows anyone, `invite` needs a valid invitation and `closed` refuses. A valid
 * invitation is honoured in every mode except `closed` (the member joins instead of founding an org).
 */
export async function signUpPolicy(inviteToken: string | undefined, tx: DbOrTx = db, lock = false): Promise<SignUpPolicy> {
  if (await isInstallEmpty(tx)) return { allowed: true, firstAccount: true };
  if (config.signup === "closed") return { allowed: false, reason: "closed" };
  if (inviteToken) {
    const invitation = await findValidInvitation(inviteToken, tx, lock);
    if (!invitation) return { allowed: false, reason: "invite_invalid" };
    return { allowed: true, firstAccount: false, invitation };
  }
  if (config.signup === "invite") return { allowed: false, reason: "invite_required" };
  if (config.signup === "approval") return { allowed: true, firstAccount: false, approval: true };
  return { allowed: true, firstAccount: false };
}

export type Claimed = { instances: number; apiKeys: number };
/**
 * What a sign-up leads to. Only the first account and invited sign-ups are signed in at once; every
 * other sign-up ends on the same next step whether or not the address already had an account, so the
 * form never tells a visitor which addresses are registered:
 *  - `confirm_email`: with SMTP, a confirmation link went to the address;
 *  - `sign_in`: without SMTP, the account is ready and the visitor signs in;
 *  - `awaiting_approval`: under SIGNUP=approval, a platform admin reviews the request.
 */
export type SignUpNextStep = "confirm_email" | "sign_in" | "awaiting_approval";
export type SignUpResult =
  | { ok: true; next: "signed_in"; user: User; organization: Organization; invited: boolean; claimed: Claimed }
  | { ok: true; next: SignUpNextStep }
  | { ok: false; status: 403 | 409 | 422; message: string; errors: FieldErrors };

/**
 * Creates the account and, in the same transaction, either a new organization it owns (claiming the
 * visitor device's instances and keys into it) or the membership an invitation offers. The policy
 * is re-checked under the user-creation lock so "first account" cannot be won twice.
 */
export async function signUp(input: SignUpInput, ctx: { request?: Request; deviceId?: string | null }): Promise<SignUpResult> {
  const policy = await signUpPolicy(input.invite);
  const anonymousStep: SignUpNextStep =
    policy.allowed && policy.approval && !policy.invitation ? "awaiting_approval" : verificationRequired() ? "confirm_email" : "sign_in";
  const existing = await findUserByEmail(input.email);
  if (existing) {
    // The invitation link's holder already knows the invited address: telling them to sign in leaks nothing.
    if (input.invite) return duplicateEmail();
    await alreadyRegistered(existing, input.password);
    return { ok: true, next: anonymousStep };
  }
  if (policy.allowed && policy.approval && !policy.invitation && !policy.firstAccount) {
    if (!input.organizationName) return missingOrganizationName();
    await registrationGate.request({ name: input.name, email: input.email, password: input.password, organizationName: input.organizationName }, ctx.request);
    return { ok: true, next: "awaiting_approval" };
  }
  let verificationLink: string | undefined;
  try {
    type Created = SignUpResult | { ok: true; next: "confirm_email" | "sign_in"; user: User };
    const result = await db.transaction(async (tx): Promise<Created> => {
      await tx.execute(sql`select pg_advisory_xact_lock(727275)`);
      const policy = await signUpPolicy(input.invite, tx, true);
      if (!policy.allowed) return { ok: false, status: 403, message: signUpRefusal(policy.reason), errors: [] };
      const invitation = policy.invitation;
      if (invitation && normalizeEmail(invitation.email) !== normalizeEmail(input.email)) {
        // The link proves access to the invited mailbox only; another address must not ride on it.
        return {
          ok: false,
          status: 422,
          message: tText("common:errors.invalidFields"),
          errors: [{ path: "email", message: tText("auth:errors.invitationFor", { email: invitation.email }) }],
        };
      }
      if (!invitation && !input.organizationName) return missingOrganizationName();
      // An invitation reached this mailbox and the first account is the operator's own install: both
      // are confirmed. Anyone else confirms the address by email when the server can send one.
      const confirmByEmail = !invitation && !policy.firstAccount && verificationRequired();
      const user = await createUser(
        { email: input.email, password: input.password, name: input.name, emailVerified: !confirmByEmail, language: currentLocale() },
        tx,
      );
      let organization: Organization;
      let claimed: Claimed = { instances: 0, apiKeys: 0 };
      if (invitation) {
        await acceptInvitation(invitation, user.id, tx);
        organization = await getOrganization(invitation.organizationId, tx);
      } else {
        organization = await createOrganization(user.id, input.organizationName!, tx);
        // Try-before-sign-up: what this browser built anonymously moves into the new organization.
        if (ctx.deviceId) claimed = await claimDevice(tx, ctx.deviceId, organization.id);
      }
      if (confirmByEmail) verificationLink = await issueVerificationLink(user.id, tx);
      await recordAudit(
        {
          organizationId: organization.id,
          actor: { type: "user", id: user.id },
          action: "auth.sign_up",
          target: { type: "user", id: user.id },
          request: ctx.request,
          details: {
            method: "password",
            platformAdmin: user.isPlatformAdmin,
            ...(invitation ? { invitationId: invitation.id, role: invitation.role } : {}),
            ...(claimed.instances || claimed.apiKeys ? { claimedDeviceId: ctx.deviceId, claimed } : {}),
            ...(confirmByEmail ? { emailConfirmation: "pending" } : {}),
          },
        },
        tx,
      );
      if (invitation || policy.firstAccount) return { ok: true, next: "signed_in", user, organization, invited: !!invitation, claimed };
      return { ok: true, next: confirmByEmail ? "confirm_email" : "sign_in", user };
    });
    if (!result.ok || result.next === "signed_in") return result;
    if (verificationLink && "user" in result) sendVerificationEmail(result.user, verificationLink);
    return { ok: true, next: result.next };
  } catch (err) {
    // A simultaneous sign-up with the same email lost the race at the unique index.
    if (err instanceof AppError && err.code === "conflict") return input.invite ? duplicateEmail() : { ok: true, next: anonymousStep };
    throw err;
  }
}

// A sign-up for a registered address (outside invitations): as slow as creating an account, and the
// owner hears about it by email (at most every ten minutes per account, in this process).
const attemptMailedAt = new Map<string, number>();
const ATTEMPT_MAIL_EVERY_MS = 10 * 60 * 1000;

async function alreadyRegistered(user: User, password: string): Promise<void> {
  await Bun.password.hash(password, { algorithm: "argon2id" });
  if (!mailEnabled()) return;
  const last = attemptMailedAt.get(user.id);
  if (last !== undefined && Date.now() - last < ATTEMPT_MAIL_EVERY_MS) return;
  attemptMailedAt.set(user.id, Date.now());
  if (attemptMailedAt.size > 10_000) attemptMailedAt.delete(attemptMailedAt.keys().next().value!);
  // In the account owner's language, not the language of whoever typed their address.
  const content = withLocale({ locale: user.language }, () =>
    mailTemplates.signUpAttempt({ loginUrl: `${config.appUrl}/login`, resetUrl: `${config.appUrl}/password/forgot` }),
  );
  sendMailInBackground(user.email, content, "sign_up_attempt");
}

function missingOrganizationName(): SignUpResult & { ok: false } {
  return {
    ok: false,
    status: 422,
    message: tText("common:errors.invalidFields"),
    errors: [{ path: "organizationName", message: tText("auth:errors.nameOrganization") }],
  };
}

function duplicateEmail(): SignUpResult {
  return {
    ok: false,
    status: 409,
    message: tText("auth:errors.accountExists"),
    errors: [{ path: "email", message: tText("auth:errors.accountExistsSignIn") }],
  };
}

/** Adds the invited membership and marks the invitation used; the row was locked by signUpPolicy. */
async function acceptInvitation(invitation: Invitation, userId: string, tx: DbOrTx): Promise<void> {
  await addMember(invitation.organizationId, userId, invitation.role, tx);
  await markInvitationAccepted(invitation.id, userId, tx);
}

/** The organization a fresh session starts in: the user's earliest membership. */
export async function defaultOrganizationId(userId: string, tx: DbOrTx = db): Promise<string | null> {
  const [row] = await tx
    .select({ organizationId: memberships.organizationId })
    .from(memberships)
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt))
    .limit(1);
  return row?.organizationId ?? null;
}

/** Opens a session (cookie token returned once) and stamps the user's last sign-in. */
export async function openSession(user: User, organizationId: string | null, request?: Request) {
  const { token, session } = await createSession(user.id, {
    activeOrganizationId: organizationId,
    ip: clientIp(request),
    userAgent: request?.headers.get("user-agent"),
  });
  await noteSignIn(user.id);
  return { token, session };
}

// Verified when the email is unknown (or has no password) so a miss costs as much as a wrong password.
let dummyHash: Promise<string> | undefined;
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= Bun.password.hash(randomToken(16), { algorithm: "argon2id" });
  return dummyHash;
}

/** A pending second factor: the browser holds `token` in a cookie until /two-factor answers it. */
export type SecondFactorChallenge = { token: string; expiresAt: Date };

export type SignInResult =
  | { ok: true; user: User; token: string; session: Session }
  | { ok: true; user: User; challenge: SecondFactorChallenge }
  | { ok: false; reason: "invalid" }
  /** Right password, but the address still waits for its confirmation link. */
  | { ok: false; reason: "unverified" }
  | { ok: false; reason: "throttled"; retryAfter: number };

/**
 * Email + password sign-in, throttled per email+IP pair and per IP (login-throttle). Failures never
 * say whether the email exists; a success forgives that pair's earlier failures.
 */
export async function signInWithPassword(input: LoginInput, ctx: { ip: string; request?: Request; next?: string }): Promise<SignInResult> {
  // Counted before the password is checked, atomically, so parallel guesses cannot all slip under the limit.
  const attempt = await beginLoginAttempt(ctx.ip, input.email);
  if (!attempt.ok) return { ok: false, reason: "throttled", retryAfter: attempt.retryAfter };
  const user = await findUserByEmail(input.email);
  let valid = false;
  if (user?.passwordHash) valid = await Bun.password.verify(input.password, user.passwordHash);
  // No account (or no password): verify against a dummy hash anyway so the answer takes as long.
  else await Bun.password.verify(input.password, await dummyPasswordHash());
  if (!user || !valid) {
    const organizationId = user ? await defaultOrganizationId(user.id) : null;
    await db.transaction(async (tx) => {
      await loginAttemptFailed(tx);
      await recordAudit(
        {
          organizationId,
          actor: user ? { type: "user", id: user.id } : { type: "system" },
          action: "auth.sign_in_failed",
          target: user ? { type: "user", id: user.id } : undefined,
          request: ctx.request,
          details: { method: "password", email: normalizeEmail(input.email).slice(0, 254) },
        },
        tx,
      );
    });
    return { ok: false, reason: "invalid" };
  }
  await loginAttemptSucceeded(attempt);
  if (!isEmailVerified(user)) return { ok: false, reason: "unverified" };
  return { ok: true, user, ...(await passFirstFactor(user, "password", ctx.next ?? "/", ctx.request)) };
}

/**
 * After the first factor (password or provider): a session, or — when the user turned two-factor
 * on — only a short-lived challenge, which the /two-factor step alone turns into a session.
 */
async function passFirstFactor(
  user: User,
  method: string,
  next: string,
  request: Request | undefined,
  auditSignIn = true,
): Promise<{ token: string; session: Session } | { challenge: SecondFactorChallenge }> {
  if (hasTwoFactor(user)) return { challenge: await createSignInChallenge(user.id, method, next) };
  return startSignedInSession(user, { method }, request, auditSignIn);
}

async function startSignedInSession(user: User, details: Record<string, unknown>, request: Request | undefined, auditSignIn = true) {
  const organizationId = await defaultOrganizationId(user.id);
  const { token, session } = await openSession(user, organizationId, request);
  if (auditSignIn) {
    await recordAudit({
      organizationId,
      actor: { type: "user", id: user.id },
      action: "auth.sign_in",
      target: { type: "user", id: user.id },
      request,
      details,
    });
  }
  return { token, session };
}

export type SecondFactorResult = { ok: true; user: User; token: string; session: Session; next: string } | Exclude<ChallengeAnswer, { ok: true }>;

/** The /two-factor step: a right code opens the session the first factor was waiting for. */
export async function completeSecondFactor(challengeToken: string | undefined, code: string, request?: Request): Promise<SecondFactorResult> {
  const answer = await answerSignInChallenge(challengeToken, code);
  if (!answer.ok) {
    if (answer.reason === "invalid") {
      const organizationId = await defaultOrganizationId(answer.user.id);
      await recordAudit({
        organizationId,
        actor: { type: "user", id: answer.user.id },
        action: "auth.second_factor_failed",
        target: { type: "user", id: answer.user.id },
        request,
        details: { attemptsLeft: answer.attemptsLeft },
      });
    }
    return answer;
  }
  const { token, session } = await startSignedInSession(answer.user, { method: answer.method, secondFactor: answer.via }, request);
  return { ok: true, user: answer.user, token, session, next: answer.next };
}

/** Ends a session (sign out) and records it; a missing or stale cookie is simply ignored. */
/** Subscribers to a member signing out (availability turns them offline); src/routes.ts wires them. */
export const onSignOut: ((userId: string) => Promise<void>)[] = [];

export async function signOut(cookieToken: string | undefined, request?: Request): Promise<void> {
  if (!cookieToken) return;
  const current = await validateSessionToken(cookieToken);
  if (!current) return;
  await invalidateSession(current.session.id);
  await recordAudit({
    organizationId: current.session.activeOrganizationId,
    actor: { type: "user", id: current.user.id },
    action: "auth.sign_out",
    target: { type: "user", id: current.user.id },
    request,
  });
  for (const hook of onSignOut) await hook(current.user.id);
}

/** What an OAuth/OIDC provider told us about the person signing in. */
export type OAuthProfile = {
  provider: string;
  providerUserId: string;
  email: string | null;
  /** true only when the provider vouches for the address; null when it does not say. */
  emailVerified: boolean | null;
  name: string;
  avatarUrl: string | null;
};

export type OAuthSignInResult =
  | { ok: true; user: User; token: string; session: Session; created: boolean; claimed: Claimed }
  | { ok: true; user: User; challenge: SecondFactorChallenge; created: false; claimed: Claimed }
  | { ok: false; message: string };

/**
 * Signs in through a provider: an already-linked account wins; otherwise an account with the same
 * email is linked only when the provider verified that email; otherwise a new user and an
 * organization named after them are created, subject to `SIGNUP` like the password sign-up.
 */
export async function signInWithOAuth(
  profile: OAuthProfile,
  ctx: { request?: Request; deviceId?: string | null; inviteToken?: string | null; next?: string },
): Promise<OAuthSignInResult> {
  const outcome = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(727275)`);
    const [linked] = await tx
      .select({ user: users })
      .from(oauthAccounts)
      .innerJoin(users, eq(users.id, oauthAccounts.userId))
      .where(and(eq(oauthAccounts.provider, profile.provider), eq(oauthAccounts.providerUserId, profile.providerUserId)))
      .limit(1);
    if (linked) return { ok: true, user: linked.user, created: false, claimed: { instances: 0, apiKeys: 0 } } as const;
    if (!profile.email) {
      return { ok: false, message: tText("auth:errors.oauthNoEmail") } as const;
    }
    const existing = await findUserByEmail(profile.email, tx);
    if (existing) {
      if (profile.emailVerified !== true) {
        return { ok: false, message: tText("auth:errors.oauthNotLinkable") } as const;
      }
      await tx.insert(oauthAccounts).values({ provider: profile.provider, providerUserId: profile.providerUserId, userId: existing.id });
      let user = existing;
      if (!isEmailVerified(existing)) {
        // The provider proves the mailbox; the password of an unconfirmed sign-up was never proven and may
        // be a squatter's, so it goes (the owner can choose one through "Forgot your password?").
        user = await confirmEmailByProvider(existing.id, tx);
      }
      await recordAudit(
        {
          organizationId: null,
          actor: { type: "user", id: existing.id },
          action: "auth.oauth_linked",
          target: { type: "user", id: existing.id },
          request: ctx.request,
          details: { provider: profile.provider, ...(user !== existing ? { confirmedByProvider: true } : {}) },
        },
        tx,
      );
      return { ok: true, user, created: false, claimed: { instances: 0, apiKeys: 0 } } as const;
    }
    if (profile.emailVerified === false) {
      // Creating an account for an unverified address would let anyone squat someone else's email.
      return { ok: false, message: tText("auth:errors.oauthUnverified") } as const;
    }
    const policy = await signUpPolicy(ctx.inviteToken ?? undefined, tx, true);
    if (!policy.allowed) return { ok: false, message: signUpRefusal(policy.reason) } as const;
    if (policy.approval && !policy.invitation) return { ok: false, message: approvalNeedsPassword() } as const;
    const invitation = policy.invitation;
    if (invitation && normalizeEmail(invitation.email) !== normalizeEmail(profile.email)) {
      return { ok: false, message: tText("auth:errors.oauthInvitationFor", { email: invitation.email, other: profile.email }) } as const;
    }
    const name = profile.name.trim().slice(0, 100) || profile.email.split("@")[0]!;
    const user = await createUser({ email: profile.email, password: null, name, avatarUrl: profile.avatarUrl, language: currentLocale() }, tx);
    await tx.insert(oauthAccounts).values({ provider: profile.provider, providerUserId: profile.providerUserId, userId: user.id });
    let organizationId: string;
    let claimed: Claimed = { instances: 0, apiKeys: 0 };
    if (invitation) {
      await acceptInvitation(invitation, user.id, tx);
      organizationId = invitation.organizationId;
    } else {
      const organization = await createOrganization(user.id, tText("auth:signUp.organizationOf", { name }).slice(0, 100), tx);
      organizationId = organization.id;
      if (ctx.deviceId) claimed = await claimDevice(tx, ctx.deviceId, organizationId);
    }
    await recordAudit(
      {
        organizationId,
        actor: { type: "user", id: user.id },
        action: "auth.sign_up",
        target: { type: "user", id: user.id },
        request: ctx.request,
        details: {
          method: profile.provider,
          platformAdmin: user.isPlatformAdmin,
          ...(invitation ? { invitationId: invitation.id, role: invitation.role } : {}),
          ...(claimed.instances || claimed.apiKeys ? { claimedDeviceId: ctx.deviceId, claimed } : {}),
        },
      },
      tx,
    );
    return { ok: true, user, created: true, claimed } as const;
  });
  if (!outcome.ok) return outcome;
  // A provider's sign-in is a first factor like a password: two-factor still applies. A new account
  // has none, and its sign-up was audited instead of a sign-in.
  const passed = await passFirstFactor(outcome.user, profile.provider, ctx.next ?? "/", ctx.request, !outcome.created);
  if ("challenge" in passed) return { ok: true, user: outcome.user, challenge: passed.challenge, created: false, claimed: outcome.claimed };
  return { ok: true, user: outcome.user, ...passed, created: outcome.created, claimed: outcome.claimed };
}
