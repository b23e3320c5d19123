import { count, eq, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { users } from "@/db/schema";
import { conflict } from "@/lib/errors";

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
  input: { email: string; password?: string | null; name?: string; avatarUrl?: string | null },
  tx?: DbOrTx,
): Promise<User> {
  const run = async (t: DbOrTx) => {
    await t.execute(sql`select pg_advisory_xact_lock(727275)`);
    const [{ value: existing }] = (await t.select({ value: count() }).from(users)) as [{ value: number }];
    const passwordHash = input.password ? await Bun.password.hash(input.password, { algorithm: "argon2id" }) : null;
    const [user] = await t
      .insert(users)
      .values({
        email: normalizeEmail(input.email),
        passwordHash,
        name: input.name?.trim() ?? "",
        avatarUrl: input.avatarUrl ?? null,
        isPlatformAdmin: existing === 0,
      })
      .onConflictDoNothing()
      .returning();
    if (!user) throw conflict("An account with this email already exists");
    return user;
  };
  return tx ? run(tx) : db.transaction(run);
}

export async function verifyPassword(user: User, password: string): Promise<boolean> {
  if (!user.passwordHash) return false;
  return Bun.password.verify(password, user.passwordHash);
}
