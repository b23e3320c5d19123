import { and, desc, eq, sql } from "drizzle-orm";
import { assertPlatformAdmin } from "@/auth/roles";
import { config } from "@/config";
import { db } from "@/db/client";
import { registrationRequests, type RegistrationStatus } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { createUser, findUserByEmail, normalizeEmail } from "@/features/auth/auth.service";
import { issueVerificationLink, verificationRequired } from "@/features/auth/email-verification.service";
import { auditActor, type Caller } from "@/lib/caller";
import { isUuid } from "@/lib/ids";
import { createOrganization } from "@/features/organizations/organization.service";
import { AppError } from "@/lib/errors";
import { currentLocale, tText, withLocale } from "@/lib/i18n";
import { mailTemplates } from "@/lib/mail-templates";
import { sendMailInBackground } from "@/lib/mailer";
import { REGISTRATIONS_PAGE_SIZE } from "./registration.schema";

export type RegistrationRequest = typeof registrationRequests.$inferSelect;

/**
 * Stores a sign-up for review under `SIGNUP=approval`. While an address already waits, another
 * sign-up with it changes nothing (the answer is the same): otherwise anyone who knows an applicant's
 * address could swap in their own password before the approval.
 */
export async function requestRegistration(
  input: { name: string; email: string; password: string; organizationName: string },
  request?: Request,
): Promise<void> {
  const passwordHash = await Bun.password.hash(input.password, { algorithm: "argon2id" });
  const email = normalizeEmail(input.email);
  await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(registrationRequests)
      .values({ email, name: input.name.trim(), passwordHash, organizationName: input.organizationName.trim(), language: currentLocale() })
      .onConflictDoNothing()
      .returning({ id: registrationRequests.id });
    if (!created) return;
    await recordAudit(
      {
        organizationId: null,
        actor: { type: "system" },
        action: "registration.requested",
        target: { type: "registration_request", id: created.id },
        request,
        details: { email },
      },
      tx,
    );
  });
}

export async function listRegistrations(status: RegistrationStatus): Promise<RegistrationRequest[]> {
  return db
    .select()
    .from(registrationRequests)
    .where(eq(registrationRequests.status, status))
    .orderBy(status === "pending" ? registrationRequests.createdAt : desc(registrationRequests.reviewedAt))
    .limit(REGISTRATIONS_PAGE_SIZE);
}

const requestNotFound = () => new AppError("not_found", tText("registrations:errors.notFound"));
const alreadyReviewed = (status: RegistrationStatus) =>
  tText(status === "approved" ? "registrations:errors.alreadyApproved" : "registrations:errors.alreadyRejected");

export type ReviewResult = { ok: true; request: RegistrationRequest } | { ok: false; message: string };

/**
 * Approves a waiting request: the account and its organization are created with the password chosen
 * at sign-up, and the applicant is told by email. With SMTP the account still confirms its address
 * through the link in that email (an admin's approval does not prove who reads the mailbox).
 */
export async function approveRegistration(caller: Caller<"user">, requestId: string): Promise<ReviewResult> {
  assertPlatformAdmin(caller);
  if (!isUuid(requestId)) throw requestNotFound();
  const confirm = verificationRequired();
  const outcome = await db.transaction(async (tx) => {
    const [pending] = await tx.select().from(registrationRequests).where(eq(registrationRequests.id, requestId)).for("update").limit(1);
    if (!pending) throw requestNotFound();
    if (pending.status !== "pending") return { ok: false, message: alreadyReviewed(pending.status) } as const;
    if (await findUserByEmail(pending.email, tx)) return { ok: false, message: tText("registrations:errors.accountExists", { email: pending.email }) } as const;
    const user = await createUser(
      { email: pending.email, passwordHash: pending.passwordHash, name: pending.name, emailVerified: !confirm, language: pending.language },
      tx,
    );
    const organization = await createOrganization(user.id, pending.organizationName, tx);
    const [reviewed] = await tx
      .update(registrationRequests)
      .set({ status: "approved", reviewedBy: caller.id, reviewedAt: new Date(), userId: user.id })
      .where(eq(registrationRequests.id, pending.id))
      .returning();
    const link = confirm ? await issueVerificationLink(user.id, tx) : `${config.appUrl}/login`;
    await recordAudit(
      {
        organizationId: organization.id,
        actor: auditActor(caller),
        action: "registration.approved",
        target: { type: "registration_request", id: pending.id },
        request: caller.request,
        details: { email: pending.email, userId: user.id },
      },
      tx,
    );
    return { ok: true, request: reviewed!, link, organizationName: organization.name } as const;
  });
  if (!outcome.ok) return outcome;
  const { request: reviewed, link, organizationName } = outcome;
  const content = withLocale({ locale: reviewed.language }, () =>
    mailTemplates.registrationApproved({ name: reviewed.name, organizationName, url: link, confirm }),
  );
  sendMailInBackground(reviewed.email, content, "registration_approved");
  return { ok: true, request: reviewed };
}

/** Declines a waiting request with a reason the applicant receives by email. */
export async function rejectRegistration(caller: Caller<"user">, requestId: string, reason: string): Promise<ReviewResult> {
  assertPlatformAdmin(caller);
  if (!isUuid(requestId)) throw requestNotFound();
  const outcome = await db.transaction(async (tx) => {
    const [current] = await tx.select().from(registrationRequests).where(eq(registrationRequests.id, requestId)).for("update").limit(1);
    if (!current) throw requestNotFound();
    if (current.status !== "pending") return { ok: false, message: alreadyReviewed(current.status) } as const;
    const [reviewed] = await tx
      .update(registrationRequests)
      .set({ status: "rejected", reviewedBy: caller.id, reviewedAt: new Date(), rejectionReason: reason })
      .where(eq(registrationRequests.id, current.id))
      .returning();
    await recordAudit(
      {
        organizationId: null,
        actor: auditActor(caller),
        action: "registration.rejected",
        target: { type: "registration_request", id: current.id },
        request: caller.request,
        details: { email: current.email, reason },
      },
      tx,
    );
    return { ok: true, request: reviewed! } as const;
  });
  if (outcome.ok) {
    const { request: rejected } = outcome;
    const content = withLocale({ locale: rejected.language }, () => mailTemplates.registrationRejected({ name: rejected.name, reason }));
    sendMailInBackground(rejected.email, content, "registration_rejected");
  }
  return outcome;
}

/**
 * For a failed sign-in: whether these credentials belong to a request still waiting or declined, so
 * the applicant (and only someone who knows the password) learns why they cannot sign in yet.
 */
export async function registrationStateForSignIn(email: string, password: string): Promise<"pending" | "rejected" | null> {
  const [latest] = await db
    .select()
    .from(registrationRequests)
    .where(and(eq(sql`lower(${registrationRequests.email})`, normalizeEmail(email)), sql`${registrationRequests.status} <> 'approved'`))
    .orderBy(desc(registrationRequests.createdAt))
    .limit(1);
  if (!latest || !(await Bun.password.verify(password, latest.passwordHash))) return null;
  return latest.status === "approved" ? null : latest.status;
}
