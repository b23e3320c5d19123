import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { BUSINESS_HOURS_LIMITS } from "@/features/business-hours/business-hours.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, fieldError } from "../components/ui";

/** One line of the schedules list: the default (departmentId null) or a department, with or without its own schedule. */
export type ScheduleSummary = {
  departmentId: string | null;
  name: string;
  own: boolean;
  enabled: boolean;
  /** "Mon 08:00–12:00, 13:00–18:00 · …" built by the page. */
  summary: string;
  openNow: boolean | null;
};

export type BusinessHoursFormValues = {
  enabled: boolean;
  /** Index = weekday (0 = Sunday): "08:00-12:00, 13:00-18:00". */
  days: string[];
  holidays: string;
  outOfHoursMessage: string;
};

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

export function weekdayLabel(day: number): string {
  return tText(`business-hours:weekdays.${WEEKDAYS[day]}`);
}

function editPath(departmentId: string | null): string {
  return departmentId ? `/departments/${departmentId}/business-hours` : "/business-hours/default";
}

export function BusinessHoursIndex(props: { admin: AdminContext; csrfToken: string; flash?: Flash; timeZone: string; schedules: ScheduleSummary[] }) {
  return (
    <AdminLayout title={tText("business-hours:title")} admin={props.admin} csrfToken={props.csrfToken} active="business-hours" flash={props.flash}>
      <h1>{t("business-hours:title")}</h1>
      <p class="muted">{t("business-hours:intro", { timeZone: props.timeZone })}</p>
      {props.schedules.length === 0 ? (
        <EmptyState>{t("business-hours:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("business-hours:columns.scope")}</th>
                <th>{t("business-hours:columns.hours")}</th>
                <th>{t("business-hours:columns.now")}</th>
              </tr>
            </thead>
            <tbody>
              {props.schedules.map((s) => (
                <tr>
                  <td data-label="">
                    <a href={editPath(s.departmentId)} safe>
                      {s.name}
                    </a>
                  </td>
                  <td data-label={tText("business-hours:columns.hours")} safe>
                    {!s.own ? tText("business-hours:followsDefault") : !s.enabled ? tText("business-hours:alwaysOpen") : s.summary}
                  </td>
                  <td data-label={tText("business-hours:columns.now")}>
                    {s.openNow === null ? (
                      <Badge tone="muted">{t("business-hours:alwaysOpen")}</Badge>
                    ) : s.openNow ? (
                      <Badge tone="ok">{t("business-hours:open")}</Badge>
                    ) : (
                      <Badge tone="warn">{t("business-hours:closed")}</Badge>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AdminLayout>
  );
}

export function BusinessHoursForm(props: { action: string; values: BusinessHoursFormValues; errors?: FieldError[]; csrfToken: string }) {
  const v = props.values;
  const holidaysError = fieldError(props.errors, "holidays");
  const messageError = fieldError(props.errors, "outOfHoursMessage");
  const intervalsError = fieldError(props.errors, "intervals");
  return (
    <form id="business-hours-form" class="card" method="post" action={props.action} hx-post={props.action} hx-target="#business-hours-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      <label class="checkbox">
        <input type="checkbox" name="enabled" value="true" checked={v.enabled} /> {t("business-hours:form.enabled")}
      </label>
      <p class="hint">{t("business-hours:form.daysHint")}</p>
      {intervalsError ? (
        <p class="error" safe>
          {intervalsError}
        </p>
      ) : (
        ""
      )}
      <div class="row wrap">
        {[1, 2, 3, 4, 5, 6, 0].map((day) => (
          <Field
            label={weekdayLabel(day)}
            name={`day${day}`}
            value={v.days[day] ?? ""}
            errors={props.errors}
            placeholder={tText("business-hours:form.dayPlaceholder")}
          />
        ))}
      </div>
      <div class={holidaysError ? "field has-error" : "field"}>
        <label for="business-hours-holidays">{t("business-hours:form.holidays")}</label>
        <textarea id="business-hours-holidays" name="holidays" rows="4" safe>
          {v.holidays}
        </textarea>
        <small class="hint">{t("business-hours:form.holidaysHint")}</small>
        {holidaysError ? (
          <small class="error" safe>
            {holidaysError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class={messageError ? "field has-error" : "field"}>
        <label for="business-hours-message">{t("business-hours:form.outOfHoursMessage")}</label>
        <textarea id="business-hours-message" name="outOfHoursMessage" rows="3" maxlength={BUSINESS_HOURS_LIMITS.message} safe>
          {v.outOfHoursMessage}
        </textarea>
        <small class="hint">{t("business-hours:form.outOfHoursHint")}</small>
        {messageError ? (
          <small class="error" safe>
            {messageError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class="row">
        <button type="submit">{t("business-hours:form.save")}</button>
      </div>
    </form>
  );
}

export function BusinessHoursEdit(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  /** The department's name, or null for the organization's default. */
  departmentName: string | null;
  action: string;
  timeZone: string;
  own: boolean;
  values: BusinessHoursFormValues;
}) {
  const heading = props.departmentName ? tText("business-hours:departmentTitle", { name: props.departmentName }) : tText("business-hours:defaultTitle");
  return (
    <AdminLayout title={heading} admin={props.admin} csrfToken={props.csrfToken} active="business-hours" flash={props.flash}>
      <p>
        <a href="/business-hours">{t("business-hours:back")}</a>
      </p>
      <h1 safe>{heading}</h1>
      <p class="muted">{t("business-hours:zoneNote", { timeZone: props.timeZone })}</p>
      {props.departmentName && !props.own ? <p class="muted">{t("business-hours:followsDefaultNote")}</p> : ""}
      <BusinessHoursForm action={props.action} values={props.values} csrfToken={props.csrfToken} />
      {props.own ? (
        <form method="post" action={`${props.action}/delete`} data-confirm={tText("business-hours:confirmDelete")}>
          <CsrfField token={props.csrfToken} />
          <button type="submit" class="danger">
            {props.departmentName ? t("business-hours:deleteDepartment") : t("business-hours:deleteDefault")}
          </button>
        </form>
      ) : (
        ""
      )}
    </AdminLayout>
  );
}
