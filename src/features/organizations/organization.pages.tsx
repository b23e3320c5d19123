import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
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

/** The admin shell needs an active organization; a user without one gets the public shell. */
function adminOf(me: Me): AdminContext | undefined {
  return me.organization && me.role ? (me as AdminContext) : undefined;
}

/** Creating an organization and switching the active one; both only need a signed-in user. */
export const organizationPages = new Elysia({ name: "organization-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get("/organizations/new", async ({ me: signedInUser, csrfToken, query }) => {
    const me = signedInUser as Me;
    return NewOrganizationPage({ csrfToken, admin: adminOf(me), next: safeNext(query.next) });
  }, { signedIn: true })
  .post("/organizations/new", async ({ me: signedInUser, cookie, csrfToken, body, request, set }) => {
      const me = signedInUser as Me;
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
  }, { signedIn: true })
  .post("/organizations/switch", async ({ me: signedInUser, cookie, body, request }) => {
      const me = signedInUser as Me;
      const parsed = switchOrganizationSchema.safeParse(formFields(body));
      // A malformed id cannot be one of the user's organizations: same answer as someone else's.
      const org = await switchActiveOrganization(me.session.id, me.user.id, parsed.success ? parsed.data.organizationId : "00000000-0000-0000-0000-000000000000");
      setFlash(cookie, "info", `Switched to ${org.name}`);
      // Stay in the same section of the admin, without reopening an id of the previous organization.
      const from = isHtmx(request) ? request.headers.get("hx-current-url") : request.headers.get("referer");
      return hxRedirect(request, sectionPath(from));
  }, { signedIn: true });
