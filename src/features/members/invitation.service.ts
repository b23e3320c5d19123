import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import { config } from "@/config";
import { db, type DbOrTx } from "@/db/client";
import { invitations, memberships, organizations, users, type Role } from "@/db/schema";
import { can } from "@/auth/roles";
import { recordAudit } from "@/features/audit/audit.service";
import { grantMembership, type Organization } from "@/features/organizations/organization.service";
import { auditActor, roleOf, type Caller } from "@/lib/caller";
import { organizationOf } from "@/lib/tenant";
import { setActiveOrganization } from "@/auth/session";
import { randomToken, sha256Hex } from "@/lib/crypto";
import { AppError, forbidden, validationFailed } from "@/lib/errors";
import { tText, withLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { mailTemplates } from "@/lib/mail-templates";
import { mailEnabled, mailError, sendMail } from "@/lib/mailer";
import { INVITATION_TTL_MS, type CreateInvitationInput } from "./member.schema";
import { isUuid } from "@/lib/ids";

export type Invitation = typeof invitations.$inferSelect;
export type InvitationState = "pending" | "expired" | "accepted" | "revoked";

export function invitationState(invitation: Invitation, now = new Date()): InvitationState {
  if (invitation.acceptedAt) return "accepted";
  if (invitation.revokedAt) return "revoked";
  if (invitation.expiresAt.getTime() <= now.getTime()) return "expired";
  return "pending";
}

/** The public link; only its sha256 is stored, so it is emailed (with SMTP) and shown once to the inviter. */
export function invitationUrl(token: string): string {
  return `${config.appUrl.replace(/\/+$/, "")}/invitations/${token}`;
}

/** Tokens are 32 random bytes in base64url; anything else cannot match and skips the lookup. */
const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * Creates an invitation (admin+; only owners may invite owners). A previous pending invitation to the
 * same address is revoked so exactly one link works. With SMTP the link is emailed to the invitee;
 * `delivery` says whether that worked, so the inviter knows to pass the link on otherwise. Returns
 * the token, which is not stored.
 */
export async function createInvitation(
  caller: Caller<"user">,
  data: CreateInvitationInput,
): Promise<{ invitation: Invitation; token: string; url: string; delivery: InvitationDelivery }> {
  const role = roleOf(caller);
  if (!can.manageMembers(role)) throw forbidden();
  const organizationId = organizationOf(caller);
  if (data.role === "owner" && !can.manageOwners(role)) {
    throw validationFailed([{ path: "role", message: tText("members:errors.inviteOwnersOnly") }]);
  }
  const token = randomToken(32);
  const invitation = await db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: memberships.id })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.organizationId, organizationId), eq(sql`lower(${users.email})`, data.email)))
      .limit(1);
    if (existing) throw validationFailed([{ path: "email", message: tText("members:errors.alreadyMember") }]);
    const replaced = await tx
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(
        and(eq(invitations.organizationId, organizationId), eq(invitations.email, data.email), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)),
      )
      .returning({ id: invitations.id });
    const [created] = await tx
      .insert(invitations)
      .values({
        organizationId,
        email: data.email,
        role: data.role,
        tokenHash: sha256Hex(token),
        invitedBy: caller.id,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      })
      .returning();
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        action: "invitation.created",
        target: { type: "invitation", id: created!.id },
        request: caller.request,
        details: { email: data.email, role: data.role, replaced: replaced.map((r) => r.id) },
      },
      tx,
    );
    return created!;
  });
  const url = invitationUrl(token);
  const delivery = await emailInvitation(invitation, url, caller.id);
  // Without email the link is also logged, so an operator can forward it.
  if (delivery !== "emailed")
    log.info("invitation created", { organizationId, invitationId: invitation.id, email: invitation.email, role: invitation.role, url });
  return { invitation, token, url, delivery };
}

/** "emailed"; "email_failed" when the SMTP server refused or could not be reached (logged); "link_only" without SMTP. */
export type InvitationDelivery = "emailed" | "email_failed" | "link_only";

async function emailInvitation(invitation: Invitation, url: string, inviterId: string): Promise<InvitationDelivery> {
  if (!mailEnabled()) return "link_only";
  const [row] = await db
    .select({
      organizationName: organizations.name,
      language: organizations.language,
      timeZone: organizations.timeZone,
      inviterName: users.name,
      inviterEmail: users.email,
    })
    .from(organizations)
    .leftJoin(users, eq(users.id, inviterId))
    .where(eq(organizations.id, invitation.organizationId))
    .limit(1);
  // The invitee's own language when the address already has an account, else the organization's;
  // the expiry is told in the organization's zone.
  const [invitee] = await db
    .select({ language: users.language })
    .from(users)
    .where(eq(sql`lower(${users.email})`, invitation.email.toLowerCase()))
    .limit(1);
  const content = withLocale({ locale: invitee?.language ?? row?.language, timeZone: row?.timeZone }, () =>
    mailTemplates.invitation({
      organizationName: row?.organizationName ?? "",
      inviterName: row?.inviterName || row?.inviterEmail || null,
      role: invitation.role,
      url,
      expiresAt: invitation.expiresAt,
    }),
  );
  try {
    await sendMail(invitation.email, content);
    return "emailed";
  } catch (err) {
    log.warn("email not sent", { kind: "invitation", invitationId: invitation.id, ...mailError(err) });
    return "email_failed";
  }
}

export type PendingInvitation = Invitation & { invitedByEmail: string | null };

/** Invitations that can still be accepted, newest first. */
export async function listPendingInvitations(organizationId: string): Promise<PendingInvitation[]> {
  const rows = await db
    .select({ invitation: invitations, invitedByEmail: users.email })
    .from(invitations)
    .leftJoin(users, eq(users.id, invitations.invitedBy))
    .where(
      and(eq(invitations.organizationId, organizationId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, sql`now()`)),
    )
    .orderBy(desc(invitations.createdAt));
  return rows.map((r) => ({ ...r.invitation, invitedByEmail: r.invitedByEmail }));
}

/** Revokes a pending invitation of this organization; another organization's id (or a used one) → 404. */
export async function revokeInvitation(caller: Caller<"user">, invitationId: string): Promise<Invitation> {
  const role = roleOf(caller);
  if (!can.manageMembers(role)) throw forbidden();
  const organizationId = organizationOf(caller);
  if (!isUuid(invitationId)) throw new AppError("not_found", tText("members:errors.invitationNotFound"));
  return db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(
        and(eq(invitations.id, invitationId), eq(invitations.organizationId, organizationId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)),
      )
      .returning();
    if (!revoked) throw new AppError("not_found", tText("members:errors.invitationNotFound"));
    if (revoked.role === "owner" && !can.manageOwners(role)) throw forbidden(tText("members:errors.revokeOwnersOnly"));
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        action: "invitation.revoked",
        target: { type: "invitation", id: revoked.id },
        request: caller.request,
        details: { email: revoked.email, role: revoked.role },
      },
      tx,
    );
    return revoked;
  });
}

export type InvitationLookup = { invitation: Invitation; organization: Organization; state: InvitationState };

/** The invitation behind a link, whatever its state, or null for an unknown token. */
export async function findInvitationByToken(token: string): Promise<InvitationLookup | null> {
  if (!TOKEN.test(token)) return null;
  const [row] = await db
    .select({ invitation: invitations, organization: organizations })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(eq(invitations.tokenHash, sha256Hex(token)))
    .limit(1);
  if (!row) return null;
  return { ...row, state: invitationState(row.invitation) };
}

/** Marks an invitation used by `userId` (a sign-up through its link); a used one stays as it was. */
export async function markInvitationAccepted(invitationId: string, userId: string, tx: DbOrTx): Promise<void> {
  await tx
    .update(invitations)
    .set({ acceptedAt: new Date(), acceptedBy: userId })
    .where(and(eq(invitations.id, invitationId), isNull(invitations.acceptedAt)));
}

export type AcceptResult =
  | { ok: true; organization: Organization; role: Role }
  | { ok: false; state: Exclude<InvitationState, "pending"> | "unknown"; organization?: Organization };

/**
 * Accepts an invitation for a signed-in user: adds the membership (never lowering a role the user
 * already has), marks the invitation used and makes the organization active in the caller's session.
 * The row is locked so a link accepted twice at once yields one membership change.
 */
export async function acceptInvitation(caller: Caller<"user"> & { sessionId: string }, token: string): Promise<AcceptResult> {
  if (!TOKEN.test(token)) return { ok: false, state: "unknown" };
  const userId = caller.id;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ invitation: invitations, organization: organizations })
      .from(invitations)
      .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
      .where(eq(invitations.tokenHash, sha256Hex(token)))
      .for("update", { of: invitations })
      .limit(1);
    if (!row) return { ok: false, state: "unknown" } as const;
    const state = invitationState(row.invitation);
    if (state !== "pending") return { ok: false, state, organization: row.organization } as const;
    const { invitation, organization } = row;

    const [user] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId));
    const { role, previousRole } = await grantMembership(organization.id, userId, invitation.role, tx);
    await markInvitationAccepted(invitation.id, userId, tx);
    await setActiveOrganization(caller.sessionId, userId, organization.id, tx);
    await recordAudit(
      {
        organizationId: organization.id,
        actor: auditActor(caller),
        action: "invitation.accepted",
        target: { type: "invitation", id: invitation.id },
        request: caller.request,
        details: {
          invitedEmail: invitation.email,
          acceptedByEmail: user?.email ?? null,
          // Links are bearer credentials; a different address is allowed but worth seeing in the log.
          emailMatched: user?.email?.toLowerCase() === invitation.email.toLowerCase(),
          role,
          previousRole,
        },
      },
      tx,
    );
    return { ok: true, organization, role } as const;
  });
}
