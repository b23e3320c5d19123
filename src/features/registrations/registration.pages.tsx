import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { assertPlatformAdmin } from "@/auth/roles";
import { config } from "@/config";
import type { RegistrationStatus } from "@/db/schema";
import { formFields, parseForm, unprocessable } from "@/lib/forms";
import type { Flash } from "@/lib/flash";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { RegistrationsPage } from "@views/registrations/index";
import { registrationListSchema, rejectRegistrationSchema } from "./registration.schema";
import { approveRegistration, listRegistrations, rejectRegistration } from "./registration.service";

async function render(
  admin: AdminContext,
  csrfToken: string,
  status: RegistrationStatus,
  extra: { flash?: Flash; rowError?: { id: string; message: string } } = {},
) {
  return RegistrationsPage({ admin, csrfToken, status, requests: await listRegistrations(status), signupMode: config.signup, ...extra });
}

/** Platform admins review sign-ups under SIGNUP=approval: approve (account created) or reject with a reason. */
export const registrationPages = new Elysia({ name: "registration-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/platform/registrations",
    async ({ admin, csrfToken, cookie, query, set }) => {
      assertPlatformAdmin(admin);
      set.headers["cache-control"] = "no-store";
      return render(admin, csrfToken, registrationListSchema.parse(query).status, { flash: takeFlash(cookie) });
    },
    { member: "agent" },
  )
  .post(
    "/platform/registrations/:id/approve",
    async ({ admin, csrfToken, params, request, cookie, set }) => {
      const result = await approveRegistration(admin, params.id);
      if (!result.ok) {
        set.status = 409;
        return render(admin, csrfToken, "pending", { flash: { type: "error", message: result.message } });
      }
      setFlash(cookie, "success", tText("registrations:flash.approved", { email: result.request.email, organization: result.request.organizationName }));
      return hxRedirect(request, "/platform/registrations");
    },
    { member: "agent" },
  )
  .post(
    "/platform/registrations/:id/reject",
    async ({ admin, csrfToken, params, body, request, cookie, set }) => {
      assertPlatformAdmin(admin);
      const parsed = parseForm(rejectRegistrationSchema, formFields(body));
      if (!parsed.ok) return unprocessable(set, () => render(admin, csrfToken, "pending", { rowError: { id: params.id, message: parsed.errors[0]!.message } }));
      const result = await rejectRegistration(admin, params.id, parsed.value.reason);
      if (!result.ok) {
        set.status = 409;
        return render(admin, csrfToken, "pending", { flash: { type: "error", message: result.message } });
      }
      setFlash(cookie, "success", tText("registrations:flash.rejected", { email: result.request.email }));
      return hxRedirect(request, "/platform/registrations");
    },
    { member: "agent" },
  );
