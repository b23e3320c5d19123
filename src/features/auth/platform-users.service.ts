import { asc, ilike, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { users } from "@/db/schema";

export const PLATFORM_USERS_PAGE_SIZE = 50;

export type PlatformUser = Pick<typeof users.$inferSelect, "id" | "email" | "name" | "isPlatformAdmin" | "emailVerifiedAt" | "lastLoginAt" | "createdAt">;

/** Accounts of the whole install whose email contains `q` (every account when empty), for platform admins. */
export async function searchUsers(q: string): Promise<PlatformUser[]> {
  const needle = q
    .trim()
    .toLowerCase()
    .slice(0, 254)
    .replace(/[\\%_]/g, (c) => `\\${c}`);
  return db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      isPlatformAdmin: users.isPlatformAdmin,
      emailVerifiedAt: users.emailVerifiedAt,
      lastLoginAt: users.lastLoginAt,
      createdAt: users.createdAt,
    })
    .from(users)
    .where(needle ? ilike(users.email, `%${needle}%`) : sql`true`)
    .orderBy(asc(sql`lower(${users.email})`))
    .limit(PLATFORM_USERS_PAGE_SIZE);
}
