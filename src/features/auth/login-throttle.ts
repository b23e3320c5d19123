import { and, asc, count, eq, gt, inArray, lt, or, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { loginAttempts } from "@/db/schema";

/**
 * Sign-in attempts are counted in Postgres (`login_attempts`) rather than in memory so the limit holds
 * across restarts and across every process behind the load balancer. Buckets are per email+IP pair
 * (guessing one account's password from one address) and, looser, per IP (one address trying many
 * accounts). There is deliberately no bucket per email alone: a flood of wrong passwords from
 * elsewhere must not lock the real owner out of their own account.
 */
export const LOGIN_THROTTLE = {
  windowMs: 15 * 60 * 1000,
  maxPerPair: 10,
  maxPerIp: 30,
};

// Same normalisation as auth.service's normalizeEmail (not imported: the service imports this module).
export const pairBucket = (email: string, ip: string) => `pair:${ip}|${email.trim().toLowerCase()}`;
export const ipBucket = (ip: string) => `ip:${ip}`;

// Compared in database time so processes with drifting clocks agree on the window.
const windowStart = () => sql`now() - make_interval(secs => ${LOGIN_THROTTLE.windowMs / 1000})`;

async function retryAfterFor(bucket: string, max: number, tx: DbOrTx): Promise<number | null> {
  const since = windowStart();
  const [row] = await tx
    .select({ n: count() })
    .from(loginAttempts)
    .where(and(eq(loginAttempts.bucket, bucket), gt(loginAttempts.at, since)));
  const n = Number(row?.n ?? 0);
  if (n < max) return null;
  // The bucket drops below the limit once its (n - max + 1) oldest attempts leave the window.
  const [pivot] = await tx
    .select({
      seconds: sql<number>`ceil(extract(epoch from (${loginAttempts.at} + make_interval(secs => ${LOGIN_THROTTLE.windowMs / 1000}) - now())))::int`,
    })
    .from(loginAttempts)
    .where(and(eq(loginAttempts.bucket, bucket), gt(loginAttempts.at, since)))
    .orderBy(asc(loginAttempts.at))
    .offset(n - max)
    .limit(1);
  return Math.max(1, Number(pivot?.seconds ?? 1));
}

/** A reserved attempt (its rows count as failures until a success forgives them), or how long to wait. */
export type LoginAttempt = { ok: true; email: string; ip: string; rowIds: string[] } | { ok: false; retryAfter: number };

/**
 * Reserves one sign-in attempt against both buckets before the password is checked. Count and insert
 * run under transaction-level advisory locks on the buckets (taken in one order), so parallel
 * attempts are counted one after another: of 40 simultaneous wrong passwords at most the limit get
 * to check a password, the rest are refused with Retry-After.
 */
export async function beginLoginAttempt(ip: string, email: string): Promise<LoginAttempt> {
  const limits = [
    { bucket: pairBucket(email, ip), max: LOGIN_THROTTLE.maxPerPair },
    { bucket: ipBucket(ip), max: LOGIN_THROTTLE.maxPerIp },
  ].sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
  return db.transaction(async (tx) => {
    for (const { bucket } of limits) await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${bucket}, 0))`);
    const waits: number[] = [];
    for (const { bucket, max } of limits) {
      const wait = await retryAfterFor(bucket, max, tx);
      if (wait !== null) waits.push(wait);
    }
    if (waits.length > 0) return { ok: false, retryAfter: Math.max(...waits) } as const;
    const rows = await tx
      .insert(loginAttempts)
      .values(limits.map(({ bucket }) => ({ bucket })))
      .returning({ id: loginAttempts.id });
    return { ok: true, email, ip, rowIds: rows.map((r) => r.id) } as const;
  });
}

/** The password was wrong: the reservation stays as the failure. Now and then, expired rows are swept. */
export async function loginAttemptFailed(tx: DbOrTx = db): Promise<void> {
  // Cheap housekeeping: roughly one failure in fifty sweeps expired rows so the table stays small.
  if (Math.random() < 0.02) {
    await tx.delete(loginAttempts).where(lt(loginAttempts.at, windowStart()));
  }
}

/**
 * The right password: this attempt does not count, and the pair's earlier failures are forgiven. The
 * IP bucket keeps the failures of other accounts from that address.
 */
export async function loginAttemptSucceeded(attempt: Extract<LoginAttempt, { ok: true }>, tx: DbOrTx = db): Promise<void> {
  await tx.delete(loginAttempts).where(or(inArray(loginAttempts.id, attempt.rowIds), eq(loginAttempts.bucket, pairBucket(attempt.email, attempt.ip))));
}
