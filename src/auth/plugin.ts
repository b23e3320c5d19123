import { Elysia } from "elysia";
import { asc, eq, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { memberships, organizations, type Role } from "@/db/schema";
import { keyCaller, type Caller } from "@/lib/caller";
import { AppError, forbidden, unauthorized } from "@/lib/errors";
import { setRequestLocale } from "@/lib/i18n";
import { roleAtLeast } from "./roles";
import { SESSION_COOKIE, validateSessionToken, type Session, type SessionUser } from "./session";
import { hasScope, verifyApiKey, verifyApiKeyFromCache, type VerifiedApiKey } from "@/features/api-keys/api-key.verify";
import { enforceApiRateLimit } from "@/features/limits/limits.service";
import { mustEnrolTwoFactor } from "@/features/account/two-factor.service";
import { meterApiCall } from "@/features/usage/usage.service";

/** Thrown to send the browser elsewhere (plain 303 or HX-Redirect); handled in app.ts onError. */
export class RedirectError extends Error {
  constructor(public readonly location: string) {
    super(`redirect to ${location}`);
  }
}

export type OrganizationSummary = { id: string; name: string; slug: string; role: Role };
type Organization = typeof organizations.$inferSelect;

/**
 * A signed-in user as the caller of a page (`{ signedIn: true }` routes): the Caller services take,
 * plus what the page shows — the user and session rows, the active organization (if they have one)
 * and every organization they belong to, for the switcher.
 */
export type Me = Caller<"user"> & {
  sessionId: string;
  user: SessionUser;
  session: Session;
  organization?: Organization;
  role?: Role;
  organizations: OrganizationSummary[];
};

/** A member with an active organization and a role in it (`{ member: … }` routes): everything an admin page knows about who is asking. */
export type AdminContext = Me & { organizationId: string; organization: Organization; role: Role };

const listMemberships = db
  .select({ organization: organizations, role: memberships.role })
  .from(memberships)
  .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
  .where(eq(memberships.userId, sql.placeholder("userId")))
  .orderBy(asc(organizations.name))
  .prepare("list_user_memberships");

export async function loadSignedInUser(cookieValue: string | undefined) {
  if (!cookieValue) return null;
  return validateSessionToken(cookieValue);
}

/** Resolves the session, the active organization (if any) and the user's role in it, or throws 401. */
export async function resolveSignedIn(cookieValue: string | undefined, request?: Request): Promise<Me> {
  const signedIn = await loadSignedInUser(cookieValue);
  if (!signedIn) throw unauthorized();
  const rows = await listMemberships.execute({ userId: signedIn.user.id });
  const active = rows.find((r) => r.organization.id === signedIn.session.activeOrganizationId) ?? rows[0];
  // Pages speak the member's language and show times in their zone, else their organization's.
  setRequestLocale({ locale: signedIn.user.language ?? active?.organization.language, timeZone: signedIn.user.timeZone ?? active?.organization.timeZone });
  return {
    type: "user",
    id: signedIn.user.id,
    organizationId: active?.organization.id ?? null,
    role: active?.role,
    sessionId: signedIn.session.id,
    platformAdmin: signedIn.user.isPlatformAdmin,
    request,
    user: signedIn.user,
    session: signedIn.session,
    organization: active?.organization,
    organizations: summaries(rows),
  };
}

/** The admin shell needs an active organization; a signed-in user without one gets the public shell (undefined). */
export function adminOf(me: Me): AdminContext | undefined {
  const { organization, role } = me;
  return organization && role ? { ...me, organizationId: organization.id, organization, role } : undefined;
}

/** As resolveSignedIn, for a member of an active organization with at least `minimum`, or throws. */
export async function resolveAdmin(cookieValue: string | undefined, minimum: Role, path: string, request?: Request): Promise<AdminContext> {
  const admin = adminOf(await resolveSignedIn(cookieValue, request));
  if (!admin) throw new RedirectError(`/organizations/new?next=${encodeURIComponent(path)}`);
  if (!roleAtLeast(admin.role, minimum)) throw forbidden();
  // The organization requires two-factor of its admins: enrol before any admin page (account pages ask only "user").
  if (mustEnrolTwoFactor(admin.organization, admin.role, admin.user)) throw new RedirectError("/account/two-factor");
  return admin;
}

function summaries(rows: { organization: typeof organizations.$inferSelect; role: Role }[]): OrganizationSummary[] {
  return rows.map((r) => ({ id: r.organization.id, name: r.organization.name, slug: r.organization.slug, role: r.role }));
}

/** The presented key from `Authorization: Bearer …` or `X-Api-Key`. */
export function presentedApiKey(headers: Headers): string | null {
  const auth = headers.get("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) return auth.slice(7).trim();
  return headers.get("x-api-key")?.trim() || null;
}

export async function resolveApiKey(headers: Headers, scope: string): Promise<VerifiedApiKey> {
  return checkApiKey(await verifyApiKey(requirePresentedKey(headers)), scope);
}

function requirePresentedKey(headers: Headers): string {
  const presented = presentedApiKey(headers);
  if (!presented) throw unauthorized("Missing API key: send Authorization: Bearer lc_live_…");
  return presented;
}

function checkApiKey(key: VerifiedApiKey | null, scope: string): VerifiedApiKey {
  if (!key) throw unauthorized("Invalid, expired or revoked API key");
  if (scope !== "" && !hasScope(key, scope)) throw new AppError("forbidden", `This API key lacks the ${scope} scope`);
  return key;
}

/** Rate limit and metering of an authenticated /v1 call, then the key is handed to `resolve`. */
function admitApiCall(apiKey: VerifiedApiKey, request: Request, set: { headers: Record<string, string | number> }): void | Promise<void> {
  const admitted = () => {
    meterApiCall({ organizationId: apiKey.organizationId, instanceId: apiKey.instanceId, apiKeyId: apiKey.id });
    apiKeys.set(request, apiKey);
  };
  // Per-key sliding-window budget (X-RateLimit-* headers, 429 + Retry-After); refused calls are not metered.
  const limited = enforceApiRateLimit(apiKey, set);
  if (limited instanceof Promise) return limited.then(admitted);
  admitted();
}

/**
 * Route guards as macros:
 *  - `{ member: "agent" | "supervisor" | "admin" | "owner" }` — signed-in admin with at least that role
 *    in the active organization → `admin` (an AdminContext, which is a Caller).
 *  - `{ signedIn: true }` — any signed-in user, organization optional → `me` (a Me, which is a Caller).
 *  - `{ apiKey: "messages:write" }` — `/v1` key with that scope ("" = any valid key) → `apiKey`, and
 *    `caller`, the key as a Caller.
 */
// Who is asking is settled in `transform`, before params/query/body validation: a caller without a
// session or key gets 401/redirect (not the schema's 422), and refused bodies still count against the
// key's rate limit. `resolve` then hands the result to the handler.
const admins = new WeakMap<Request, AdminContext>();
const signedInUsers = new WeakMap<Request, Me>();
const apiKeys = new WeakMap<Request, VerifiedApiKey>();

export const authPlugin = new Elysia({ name: "livchat-auth" }).macro({
  member: (minimum: Role) => ({
    async transform({ cookie, path, request }) {
      admins.set(request, await resolveAdmin(cookie[SESSION_COOKIE]?.value as string | undefined, minimum, path, request));
    },
    resolve({ request }) {
      return { admin: admins.get(request)! };
    },
  }),
  signedIn: {
    async transform({ cookie, request }) {
      signedInUsers.set(request, await resolveSignedIn(cookie[SESSION_COOKIE]?.value as string | undefined, request));
    },
    resolve({ request }) {
      return { me: signedInUsers.get(request)! };
    },
  },
  apiKey: (scope: string) => ({
    // Synchronous when the key's verdict is cached and the limiter is in process, which is nearly every
    // call: on a route without database work, a chain of awaits here cost more than all of their work.
    // The cache-miss and Redis paths hand back a promise, which Elysia awaits: its compiler treats a
    // hook whose source returns a call as async (sucrose isAsync). Every key's first call in the API
    // tests takes that path, so a change in that rule fails them rather than skipping the key check.
    transform({ request, set }) {
      const presented = requirePresentedKey(request.headers);
      const admit = (key: VerifiedApiKey | null) => admitApiCall(checkApiKey(key, scope), request, set);
      const cached = verifyApiKeyFromCache(presented);
      return cached !== undefined ? admit(cached) : verifyApiKey(presented).then(admit);
    },
    resolve({ request }) {
      const apiKey = apiKeys.get(request)!;
      return { apiKey, caller: keyCaller(apiKey, request) };
    },
  }),
});
