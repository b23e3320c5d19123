import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import type { Holiday, OpeningInterval } from "@/db/schema";
import type { FieldError } from "@/lib/errors";
import { attemptForm, checkbox, formFields, formLines, formText, parseForm, unprocessable, type FormBody } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { BusinessHoursEdit, BusinessHoursForm, BusinessHoursIndex, weekdayLabel, type BusinessHoursFormValues } from "@views/business-hours/index";
import { businessHoursFromForm, businessHoursSchema } from "./business-hours.schema";
import {
  deleteBusinessHours,
  getBusinessHours,
  isOpenAt,
  listBusinessHours,
  listDepartmentsForHours,
  organizationTimeZone,
  setBusinessHours,
  type BusinessHoursRow,
} from "./business-hours.service";

const idParams = z.object({ id: z.string() });

function valuesOf(row: BusinessHoursRow | null): BusinessHoursFormValues {
  if (!row) return { enabled: true, days: ["", "", "", "", "", "", ""], holidays: "", outOfHoursMessage: "" };
  return {
    enabled: row.enabled,
    days: [0, 1, 2, 3, 4, 5, 6].map((day) =>
      row.intervals
        .filter((i) => i.day === day)
        .map((i) => `${i.start}-${i.end}`)
        .join(", "),
    ),
    holidays: row.holidays.map((h) => `${h.yearly ? h.date.slice(5) : h.date}${h.name ? ` ${h.name}` : ""}`).join("\n"),
    outOfHoursMessage: row.outOfHoursMessage ?? "",
  };
}

function formValuesOf(body: FormBody): BusinessHoursFormValues {
  return {
    enabled: checkbox(body.enabled),
    days: [0, 1, 2, 3, 4, 5, 6].map((day) => formText(body[`day${day}`])),
    holidays: formText(body.holidays),
    outOfHoursMessage: formText(body.outOfHoursMessage),
  };
}

/** "Seg 08:00–12:00, 13:00–18:00 · Ter …" for the list. */
function summaryOf(intervals: readonly OpeningInterval[], holidays: readonly Holiday[]): string {
  const days = [1, 2, 3, 4, 5, 6, 0]
    .map((day) => {
      const of = intervals.filter((i) => i.day === day);
      return of.length ? `${weekdayLabel(day)} ${of.map((i) => `${i.start}–${i.end}`).join(", ")}` : null;
    })
    .filter(Boolean)
    .join(" · ");
  const base = days || tText("business-hours:alwaysClosed");
  return holidays.length ? `${base} · ${tText("business-hours:holidayCount", { count: holidays.length })}` : base;
}

/** Maps the schema's `intervals.N.end` errors onto the weekday field the interval came from. */
function formErrorsOf(errors: FieldError[], values: BusinessHoursFormValues): FieldError[] {
  const parsed = businessHoursFromForm({ ...values, holidays: formLines(values.holidays) });
  return errors.map((e) => {
    const m = /^intervals\.(\d+)/.exec(e.path);
    if (m && parsed.ok) {
      const interval = parsed.value.intervals[Number(m[1])];
      if (interval) return { ...e, path: `day${interval.day}` };
    }
    if (e.path.startsWith("holidays")) return { ...e, path: "holidays" };
    return e;
  });
}

async function save(admin: AdminContext, csrfToken: string, departmentId: string | null, body: unknown, action: string, set: { status?: number | string }) {
  const values = formValuesOf(formFields(body));
  const rerender = (errors: FieldError[]) => unprocessable(set, () => BusinessHoursForm({ action, values, errors, csrfToken }));
  const fromForm = businessHoursFromForm({ ...values, holidays: formLines(values.holidays) });
  if (!fromForm.ok) return { done: false as const, page: rerender(fromForm.errors) };
  const parsed = parseForm(businessHoursSchema, fromForm.value);
  if (!parsed.ok) return { done: false as const, page: rerender(formErrorsOf(parsed.errors, values)) };
  const saved = await attemptForm(() => setBusinessHours(admin, departmentId, parsed.value));
  if (!saved.ok) return { done: false as const, page: rerender(formErrorsOf(saved.errors, values)) };
  return { done: true as const };
}

/** Business hours pages: the organization's default schedule and each department's (supervisors and above). */
export const businessHoursPages = new Elysia({ name: "business-hours-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/business-hours",
    async ({ admin, csrfToken, cookie }) => {
      const timeZone = await organizationTimeZone(admin.organizationId);
      const rows = await listBusinessHours(admin);
      const departments = await listDepartmentsForHours(admin);
      const byDepartment = new Map(rows.map((r) => [r.departmentId, r]));
      const now = new Date();
      const line = (departmentId: string | null, name: string) => {
        const own = byDepartment.get(departmentId);
        const effective = own ?? byDepartment.get(null);
        return {
          departmentId,
          name,
          own: !!own,
          enabled: own?.enabled ?? false,
          summary: own ? summaryOf(own.intervals, own.holidays) : "",
          openNow: effective?.enabled ? isOpenAt({ timeZone, enabled: true, intervals: effective.intervals, holidays: effective.holidays }, now) : null,
        };
      };
      return BusinessHoursIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        timeZone,
        schedules: [line(null, tText("business-hours:defaultTitle")), ...departments.map((d) => line(d.id, d.name))],
      });
    },
    { member: "supervisor" },
  )
  .get(
    "/business-hours/default",
    async ({ admin, csrfToken, cookie }) => {
      const row = await getBusinessHours(admin, null);
      return BusinessHoursEdit({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        departmentName: null,
        action: "/business-hours/default",
        timeZone: await organizationTimeZone(admin.organizationId),
        own: !!row,
        values: valuesOf(row),
      });
    },
    { member: "supervisor" },
  )
  .post(
    "/business-hours/default",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const result = await save(admin, csrfToken, null, body, "/business-hours/default", set);
      if (!result.done) return result.page;
      setFlash(cookie, "success", tText("business-hours:flash.saved"));
      return hxRedirect(request, "/business-hours");
    },
    { member: "supervisor" },
  )
  .post(
    "/business-hours/default/delete",
    async ({ admin, request, cookie }) => {
      await deleteBusinessHours(admin, null);
      setFlash(cookie, "success", tText("business-hours:flash.deleted"));
      return hxRedirect(request, "/business-hours");
    },
    { member: "supervisor" },
  )
  .get(
    "/departments/:id/business-hours",
    async ({ admin, csrfToken, cookie, params }) => {
      const row = await getBusinessHours(admin, params.id);
      const department = (await listDepartmentsForHours(admin)).find((d) => d.id === params.id)!;
      const fallback = row ?? (await getBusinessHours(admin, null));
      return BusinessHoursEdit({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        departmentName: department.name,
        action: `/departments/${params.id}/business-hours`,
        timeZone: await organizationTimeZone(admin.organizationId),
        own: !!row,
        values: valuesOf(fallback),
      });
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/departments/:id/business-hours",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      await getBusinessHours(admin, params.id);
      const result = await save(admin, csrfToken, params.id, body, `/departments/${params.id}/business-hours`, set);
      if (!result.done) return result.page;
      setFlash(cookie, "success", tText("business-hours:flash.saved"));
      return hxRedirect(request, "/business-hours");
    },
    { member: "supervisor", params: idParams },
  )
  .post(
    "/departments/:id/business-hours/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteBusinessHours(admin, params.id);
      setFlash(cookie, "success", tText("business-hours:flash.deleted"));
      return hxRedirect(request, "/business-hours");
    },
    { member: "supervisor", params: idParams },
  );
