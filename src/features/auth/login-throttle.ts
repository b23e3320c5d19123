import { and, asc, count, eq, gt, lt, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { loginAttempts } from "@/db/schema";

/**
 * Failed sign-ins are counted in Postgres (`login_attempts`) rather than in memory so the limit holds
 * across restarts and across every process behind the load balancer.
 */
export const LOGIN_THROTTLE = {
  windowMs: 15 * 60 * 1000,
  maxPerEmail: 10,
  maxPerIp: 30,
};

// Same normalisation as auth.service's normalizeEmail (not imported: the service imports this module).
export const emailBucket = (email: string) => `email:${email.trim().toLowerCase()}`;
export const ipBucket = (ip: string) => `ip:${ip}`;

/**
 * The address the throttle keys on. Behind a reverse proxy the socket address is the proxy's, so the
 * right-most X-Forwarded-For hop (the one our own proxy appended, which a client cannot forge) wins;
 * without the header the socket address is used.
 */
export function throttleIp(request: Request, socketIp?: string | null): string {
  const forwarded = request.headers.get("x-forwarded-for");
  const hops = forwarded?.split(",").map((h) => h.trim()).filter(Boolean) ?? [];
  return (hops.at(-1) ?? request.headers.get("x-real-ip") ?? socketIp ?? "unknown").slice(0, 100);
}

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
  // The bucket drops below the limit once its (n - max + 1) oldest failures leave the window.
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

/** Seconds until this IP and email may try again, or null when neither bucket is full. */
export async function loginRetryAfter(ip: string, email: string, tx: DbOrTx = db): Promise<number | null> {
  const [byEmail, byIp] = await Promise.all([
    retryAfterFor(emailBucket(email), LOGIN_THROTTLE.maxPerEmail, tx),
    retryAfterFor(ipBucket(ip), LOGIN_THROTTLE.maxPerIp, tx),
  ]);
  if (byEmail === null && byIp === null) return null;
  return Math.max(byEmail ?? 0, byIp ?? 0);
}

/** Counts one failed sign-in against both buckets, and prunes rows that have left every window. */
export async function recordLoginFailure(ip: string, email: string, tx: DbOrTx = db): Promise<void> {
  await tx.insert(loginAttempts).values([{ bucket: emailBucket(email) }, { bucket: ipBucket(ip) }]);
  // Cheap housekeeping: roughly one failure in fifty sweeps expired rows so the table stays small.
  if (Math.random() < 0.02) {
    await tx.delete(loginAttempts).where(lt(loginAttempts.at, windowStart()));
  }
}

/** A successful sign-in forgives the email's failures (the IP bucket keeps counting other accounts). */
export async function clearEmailFailures(email: string, tx: DbOrTx = db): Promise<void> {
  await tx.delete(loginAttempts).where(eq(loginAttempts.bucket, emailBucket(email)));
}
