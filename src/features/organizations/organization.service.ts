import { and, asc, eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { memberships, organizations, type Role } from "@/db/schema";
import { can, roleAtLeast } from "@/auth/roles";
import { setActiveOrganization } from "@/auth/session";
import { recordAudit } from "@/features/audit/audit.service";
import { randomBase62 } from "@/lib/crypto";
import { auditActor, roleOf, type Caller } from "@/lib/caller";
import { AppError, forbidden } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { organizationOf } from "@/lib/tenant";
import type { OrganizationLocaleInput } from "./organization.schema";

export type Organization = typeof organizations.$inferSelect;
type Language = Organization["language"];

const organizationNotFound = () => new AppError("not_found", tText("organizations:errors.notFound"));

function slugify(name: string): string {
  const base = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return base || "org";
}

/** Creates an organization with `ownerId` as its owner member. Slugs get a random suffix on collision. */
export async function createOrganization(ownerId: string, name: string, tx: DbOrTx = db, settings: { language?: Language } = {}): Promise<Organization> {
  const base = slugify(name);
  for (let attempt = 0; ; attempt++) {
    const slug = attempt === 0 ? base : `${base}-${randomBase62(5).toLowerCase()}`;
    const [org] = await tx
      .insert(organizations)
      .values({ name, slug, ownerId, ...(settings.language ? { language: settings.language } : {}) })
      .onConflictDoNothing({ target: organizations.slug })
      .returning();
    if (org) {
      await tx.insert(memberships).values({ organizationId: org.id, userId: ownerId, role: "owner" });
      return org;
    }
  }
}

export async function getOrganization(organizationId: string, tx: DbOrTx = db): Promise<Organization> {
  const [org] = await tx.select().from(organizations).where(eq(organizations.id, organizationId)).limit(1);
  if (!org) throw organizationNotFound();
  return org;
}

export async function addMember(organizationId: string, userId: string, role: Role, tx: DbOrTx = db) {
  const [m] = await tx
    .insert(memberships)
    .values({ organizationId, userId, role })
    .onConflictDoUpdate({ target: [memberships.organizationId, memberships.userId], set: { role } })
    .returning();
  return m!;
}

// Memberships are this feature's table: the members feature (role changes, removals, invitations)
// and sign-up change them through these functions.

/**
 * Gives the user at least `role` in the organization: a new membership, or a raised role, never a
 * lowered one. Returns the role they end with and the one they had (null when they were no member).
 */
export async function grantMembership(organizationId: string, userId: string, role: Role, tx: DbOrTx): Promise<{ role: Role; previousRole: Role | null }> {
  const [current] = await tx
    .select({ id: memberships.id, role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .for("update");
  if (!current) {
    await tx.insert(memberships).values({ organizationId, userId, role });
    return { role, previousRole: null };
  }
  if (roleAtLeast(current.role, role)) return { role: current.role, previousRole: current.role };
  await tx.update(memberships).set({ role }).where(eq(memberships.id, current.id));
  return { role, previousRole: current.role };
}

/** Sets the role of one membership of the organization; the members feature checked the rules. */
export async function setMembershipRole(organizationId: string, membershipId: string, role: Role, tx: DbOrTx): Promise<void> {
  await tx
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.id, membershipId), eq(memberships.organizationId, organizationId)));
}

/** Deletes one membership of the organization (the account stays). */
export async function deleteMembership(organizationId: string, membershipId: string, tx: DbOrTx): Promise<void> {
  await tx.delete(memberships).where(and(eq(memberships.id, membershipId), eq(memberships.organizationId, organizationId)));
}

/**
 * organizations.owner_id names "the" owner; when that user stops being an owner it moves to the
 * earliest remaining owner (null when none is left).
 */
export async function reassignOwnerIfLeaving(org: { id: string; ownerId: string | null }, leavingUserId: string, tx: DbOrTx): Promise<void> {
  if (org.ownerId !== leavingUserId) return;
  const [next] = await tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.organizationId, org.id), eq(memberships.role, "owner")))
    .orderBy(asc(memberships.createdAt))
    .limit(1);
  await tx
    .update(organizations)
    .set({ ownerId: next?.userId ?? null })
    .where(eq(organizations.id, org.id));
}

/** Turns the organization's two-factor requirement for admins on or off; false when it already was so. */
export async function setTwoFactorRequired(organizationId: string, required: boolean, tx: DbOrTx): Promise<boolean> {
  const [changed] = await tx
    .update(organizations)
    .set({ requireTwoFactor: required })
    .where(and(eq(organizations.id, organizationId), eq(organizations.requireTwoFactor, !required)))
    .returning({ id: organizations.id });
  return Boolean(changed);
}

/**
 * Creates an organization for a signed-in user (who becomes its owner) and records it in the audit log.
 * The session switch is the caller's business (see switchActiveOrganization).
 */
export async function createOrganizationForUser(caller: Caller<"user">, name: string, settings: { language?: Language } = {}): Promise<Organization> {
  return db.transaction(async (tx) => {
    const org = await createOrganization(caller.id, name, tx, settings);
    await recordAudit(
      {
        organizationId: org.id,
        actor: auditActor(caller),
        action: "organization.created",
        target: { type: "organization", id: org.id },
        request: caller.request,
        details: { name: org.name, slug: org.slug, language: org.language },
      },
      tx,
    );
    return org;
  });
}

/** Renames the organization (admin+). The slug stays: it may already be used in integrations. */
export async function renameOrganization(caller: Caller<"user">, name: string): Promise<Organization> {
  if (!can.manageOrganization(roleOf(caller))) throw forbidden();
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(organizations).where(eq(organizations.id, organizationId)).for("update").limit(1);
    if (!before) throw organizationNotFound();
    if (before.name === name) return before;
    const [after] = await tx.update(organizations).set({ name }).where(eq(organizations.id, organizationId)).returning();
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        action: "organization.renamed",
        target: { type: "organization", id: organizationId },
        request: caller.request,
        details: { from: before.name, to: name },
      },
      tx,
    );
    return after!;
  });
}

/** The organization settings that are one column each, changed through setOrganizationSetting. */
type OrganizationSetting = "automationInGroups" | "keepDeletedMessages" | "interactiveMode" | "mediaRetentionDays";

/** One single-column setting (admin+): written and audited (`{ field: { from, to } }`) only when it changes. */
async function setOrganizationSetting<K extends OrganizationSetting>(
  caller: Caller<"user">,
  field: K,
  value: Organization[K],
  action: string,
): Promise<Organization> {
  if (!can.manageOrganization(roleOf(caller))) throw forbidden();
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(organizations).where(eq(organizations.id, organizationId)).for("no key update").limit(1);
    if (!before) throw organizationNotFound();
    if (before[field] === value) return before;
    const [after] = await tx
      .update(organizations)
      .set({ [field]: value } as Partial<typeof organizations.$inferInsert>)
      .where(eq(organizations.id, organizationId))
      .returning();
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        action,
        target: { type: "organization", id: organizationId },
        request: caller.request,
        details: { [field]: { from: before[field], to: value } },
      },
      tx,
    );
    return after!;
  });
}

/** Turns automation (triggers, flows, workflows) in group conversations on or off; audited when it changes. */
export function setGroupAutomation(caller: Caller<"user">, enabled: boolean): Promise<Organization> {
  return setOrganizationSetting(caller, "automationInGroups", enabled, "organization.group_automation_changed");
}

/**
 * Whether a message its author deletes for everyone keeps its text and media for the audit trail (shown
 * folded as deleted) or has them cleared; audited when it changes.
 */
export function setKeepDeletedMessages(caller: Caller<"user">, keep: boolean): Promise<Organization> {
  return setOrganizationSetting(caller, "keepDeletedMessages", keep, "organization.deleted_messages_changed");
}

/**
 * How buttons and lists go through a provider without official interactive messages (WuzAPI): numbered
 * text (`text`) or its native buttons (`native`); audited when it changes.
 */
export function setInteractiveMode(caller: Caller<"user">, mode: "text" | "native"): Promise<Organization> {
  return setOrganizationSetting(caller, "interactiveMode", mode, "organization.interactive_mode_changed");
}

/** Settings → Media: how many days media is kept (null: forever); the retention sweeper deletes older files. */
export function setMediaRetention(caller: Caller<"user">, days: number | null): Promise<Organization> {
  return setOrganizationSetting(caller, "mediaRetentionDays", days, "organization.media_retention_changed");
}

/**
 * Sets the organization's default language and time zone (admin+): members who have not chosen their
 * own read pages in them, and automation writes to contacts in the language. Audited with what changed.
 */
export async function setOrganizationLocale(caller: Caller<"user">, input: OrganizationLocaleInput): Promise<Organization> {
  if (!can.manageOrganization(roleOf(caller))) throw forbidden();
  const organizationId = organizationOf(caller);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(organizations).where(eq(organizations.id, organizationId)).for("update").limit(1);
    if (!before) throw organizationNotFound();
    const changes: Record<string, { from: string; to: string }> = {};
    if (before.language !== input.language) changes.language = { from: before.language, to: input.language };
    if (before.timeZone !== input.timeZone) changes.timeZone = { from: before.timeZone, to: input.timeZone };
    if (Object.keys(changes).length === 0) return before;
    const [after] = await tx
      .update(organizations)
      .set({ language: input.language, timeZone: input.timeZone })
      .where(eq(organizations.id, organizationId))
      .returning();
    await recordAudit(
      {
        organizationId,
        actor: auditActor(caller),
        action: "organization.locale_changed",
        target: { type: "organization", id: organizationId },
        request: caller.request,
        details: changes,
      },
      tx,
    );
    return after!;
  });
}

/**
 * Makes `organizationId` the active organization of the caller's session. Only organizations the user
 * belongs to; anything else is a 404 so ids of other tenants are not confirmed to exist.
 */
export async function switchActiveOrganization(caller: Caller<"user"> & { sessionId: string }, organizationId: string): Promise<Organization> {
  const userId = caller.id;
  const [row] = await db
    .select({ organization: organizations })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .limit(1);
  if (!row) throw organizationNotFound();
  await setActiveOrganization(caller.sessionId, userId, organizationId);
  return row.organization;
}

/** Same-site path to land on after a switch: the section of the current page (`/instances/123` → `/instances`), so no other tenant's id is reopened. */
export function sectionPath(currentUrl: string | null | undefined): string {
  if (!currentUrl) return "/";
  let path: string;
  try {
    path = new URL(currentUrl, "http://localhost").pathname;
  } catch {
    return "/";
  }
  const first = path.split("/")[1] ?? "";
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(first) || first === "organizations" || first === "invitations") return "/";
  return `/${first}`;
}
