import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { adminOf, authPlugin } from "@/auth/plugin";
import { setFlash } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { NewOrganizationPage } from "@views/organizations/new";
import { createOrganizationSchema, switchOrganizationSchema } from "./organization.schema";
import { safeNextPath as safeNext } from "@/lib/next-path";
import { formFields, parseForm, unprocessable } from "@/lib/forms";
import { createOrganizationForUser, sectionPath, switchActiveOrganization } from "./organization.service";

/** Creating an organization and switching the active one; both only need a signed-in user. */
export const organizationPages = new Elysia({ name: "organization-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/organizations/new",
    async ({ me, csrfToken, query }) => {
      return NewOrganizationPage({ csrfToken, admin: adminOf(me), next: safeNext(query.next), values: { language: me.user.language } });
    },
    { signedIn: true },
  )
  .post(
    "/organizations/new",
    async ({ me, cookie, csrfToken, body, set, request }) => {
      const fields = formFields(body);
      const next = safeNext(fields.next);
      const parsed = parseForm(createOrganizationSchema, fields);
      if (!parsed.ok) {
        const values = { name: String(fields.name ?? ""), language: typeof fields.language === "string" ? fields.language : me.user.language };
        return unprocessable(set, () => NewOrganizationPage({ csrfToken, admin: adminOf(me), next, values, errors: parsed.errors }));
      }
      // The creator's own language is the organization's default unless the form chose another.
      const org = await createOrganizationForUser(me, parsed.value.name, { language: parsed.value.language ?? me.user.language });
      await switchActiveOrganization(me, org.id);
      setFlash(cookie, "success", tText("organizations:flash.created", { name: org.name }));
      return hxRedirect(request, next);
    },
    { signedIn: true },
  )
  .post(
    "/organizations/switch",
    async ({ me, cookie, body, request }) => {
      const parsed = switchOrganizationSchema.safeParse(formFields(body));
      // A malformed id cannot be one of the user's organizations: same answer as someone else's.
      const org = await switchActiveOrganization(me, parsed.success ? parsed.data.organizationId : "00000000-0000-0000-0000-000000000000");
      setFlash(cookie, "info", tText("organizations:flash.switched", { name: org.name }));
      // Stay in the same section of the admin, without reopening an id of the previous organization.
      const from = isHtmx(request) ? request.headers.get("hx-current-url") : request.headers.get("referer");
      return hxRedirect(request, sectionPath(from));
    },
    { signedIn: true },
  );
