import { Elysia } from "elysia";
import type { Cookie } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { resolveAdmin, type AdminContext } from "@/auth/plugin";
import { SESSION_COOKIE } from "@/auth/session";
import { zodDetails } from "@/lib/errors";
import { setFlash } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { NewOrganizationPage } from "@views/organizations/new";
import { createOrganizationSchema, switchOrganizationSchema } from "./organization.schema";
import { safeNextPath as safeNext } from "@/features/auth/auth.schema";
import { createOrganizationForUser, sectionPath, switchActiveOrganization } from "./organization.service";

/** Form posts arrive parsed; anything else (JSON, empty) reads as no fields. */
export const formFields = (body: unknown): Record<string, unknown> => (body && typeof body === "object" ? (body as Record<string, unknown>) : {});

export type Me = Omit<AdminContext, "organization" | "role"> & { organization?: AdminContext["organization"]; role?: AdminContext["role"] };

/**
 * Any signed-in user, with or without an organization (logged out → /login via onError).
 * Used instead of the `signedIn` macro, whose optional resolve types the whole handler context as never.
 */
export async function requireSignedIn(cookie: Record<string, Cookie<unknown>>, path: string): Promise<Me> {
  return (await resolveAdmin(cookie[SESSION_COOKIE]?.value as string | undefined, "user", path)) as Me;
}

/** The admin shell needs an active organization; a user without one gets the public shell. */
function adminOf(me: Me): AdminContext | undefined {
  return me.organization && me.role ? (me as AdminContext) : undefined;
}

/** Creating an organization and switching the active one; both only need a signed-in user. */
export const organizationPages = new Elysia({ name: "organization-pages" })
  .use(csrfPlugin)
  .get("/organizations/new", async ({ cookie, path, csrfToken, query }) => {
    const me = await requireSignedIn(cookie, path);
    return NewOrganizationPage({ csrfToken, admin: adminOf(me), next: safeNext(query.next) });
  })
  .post("/organizations/new", async ({ cookie, path, csrfToken, body, request, set }) => {
      const me = await requireSignedIn(cookie, path);
      const fields = formFields(body);
      const next = safeNext(fields.next);
      const parsed = createOrganizationSchema.safeParse(fields);
      if (!parsed.success) {
        set.status = 422;
        return NewOrganizationPage({ csrfToken, admin: adminOf(me), next, values: { name: String(fields.name ?? "") }, errors: zodDetails(parsed.error.issues) });
      }
      const org = await createOrganizationForUser(me.user.id, parsed.data.name, request);
      await switchActiveOrganization(me.session.id, me.user.id, org.id);
      setFlash(cookie, "success", `Organization ${org.name} created`);
      return hxRedirect(request, next);
  })
  .post("/organizations/switch", async ({ cookie, path, body, request }) => {
      const me = await requireSignedIn(cookie, path);
      const parsed = switchOrganizationSchema.safeParse(formFields(body));
      // A malformed id cannot be one of the user's organizations: same answer as someone else's.
      const org = await switchActiveOrganization(me.session.id, me.user.id, parsed.success ? parsed.data.organizationId : "00000000-0000-0000-0000-000000000000");
      setFlash(cookie, "info", `Switched to ${org.name}`);
      // Stay in the same section of the admin, without reopening an id of the previous organization.
      const from = isHtmx(request) ? request.headers.get("hx-current-url") : request.headers.get("referer");
      return hxRedirect(request, sectionPath(from));
  });
