import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, type FieldError } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { attemptForm, formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { AlertSettingsPage, KeywordsForm, TargetsRow } from "@views/alerts/settings";
import { getAlertSettings, listDepartmentTargets, setAlertSettings, setDepartmentTargets } from "./alert.rules";
import { alertSettingsSchema, departmentTargetsSchema } from "./alert.schema";
import { assertSupervisor } from "./alert.service";

const idParams = z.object({ id: z.string() });

/** Alert settings: urgency words and department targets (supervisors read, admins change). */
export const alertPages = new Elysia({ name: "alert-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/alerts/settings",
    async ({ admin, csrfToken, cookie }) => {
      assertSupervisor(admin);
      const [settings, targets] = await Promise.all([getAlertSettings(admin), listDepartmentTargets(admin)]);
      return AlertSettingsPage({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        keywords: settings.urgencyKeywords,
        targets,
        canEdit: can.manageOrganization(admin.role),
      });
    },
    { member: "supervisor" },
  )
  .post(
    "/alerts/settings",
    async ({ admin, body, request, set, cookie }) => {
      const keywords = formText(formFields(body).urgencyKeywords);
      const rerender = (errors: FieldError[]) => unprocessable(set, () => KeywordsForm({ keywords, errors, canEdit: true }));
      const parsed = parseForm(alertSettingsSchema, { urgencyKeywords: keywords });
      if (!parsed.ok) return rerender(parsed.errors.map((e) => ({ ...e, path: "urgencyKeywords" })));
      const saved = await attemptForm(() => setAlertSettings(admin, parsed.value));
      if (!saved.ok) return rerender(saved.errors);
      setFlash(cookie, "success", tText("alerts:flash.saved"));
      return hxRedirect(request, "/alerts/settings");
    },
    { member: "admin" },
  )
  .post(
    "/alerts/targets/:id",
    async ({ admin, params, body, set }) => {
      const fields = formFields(body);
      const targets = await listDepartmentTargets(admin);
      const row = targets.find((r) => r.departmentId === params.id);
      if (!row) throw new AppError("not_found", tText("alerts:errors.departmentNotFound"));
      const values = { firstResponseMinutes: formText(fields.firstResponseMinutes), resolutionMinutes: formText(fields.resolutionMinutes) };
      const parsed = parseForm(departmentTargetsSchema, values);
      if (!parsed.ok) {
        return unprocessable(set, () => TargetsRow({ row, errors: parsed.errors, canEdit: true }));
      }
      const saved = await setDepartmentTargets(admin, params.id, parsed.value);
      return TargetsRow({ row: saved, canEdit: true });
    },
    { member: "admin", params: idParams },
  );
