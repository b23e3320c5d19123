import { and, eq } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { memberships, organizations, type Role } from "@/db/schema";
import { randomBase62 } from "@/lib/crypto";
import { notFound } from "@/lib/errors";

export type Organization = typeof organizations.$inferSelect;

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
export async function createOrganization(ownerId: string, name: string, tx: DbOrTx = db): Promise<Organization> {
  const base = slugify(name);
  for (let attempt = 0; ; attempt++) {
    const slug = attempt === 0 ? base : `${base}-${randomBase62(5).toLowerCase()}`;
    const [org] = await tx
      .insert(organizations)
      .values({ name, slug, ownerId })
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
  if (!org) throw notFound("Organization");
  return org;
}

export async function findMembership(organizationId: string, userId: string, tx: DbOrTx = db) {
  const [m] = await tx
    .select()
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .limit(1);
  return m;
}

export async function addMember(organizationId: string, userId: string, role: Role, tx: DbOrTx = db) {
  const [m] = await tx
    .insert(memberships)
    .values({ organizationId, userId, role })
    .onConflictDoUpdate({ target: [memberships.organizationId, memberships.userId], set: { role } })
    .returning();
  return m!;
}
