import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { DEPARTMENT_LIMITS } from "@/features/departments/department.schema";
import { AdminLayout } from "../layouts/admin";
import { CsrfField, EmptyState, Field, fieldError } from "../components/ui";

export type DepartmentView = {
  id: string;
  name: string;
  color: string;
  active: boolean;
  autoCloseMinutes: number | null;
  autoCloseMessage: string | null;
  members: { id: string; name: string | null; email: string }[];
};
export type MemberOption = { id: string; name: string | null; email: string; role: string };
export type MenuView = {
  instanceId: string;
  instanceName: string;
  enabled: boolean;
  greeting: string;
  maxAttempts: number;
  fallbackDepartmentId: string | null;
  options: { departmentId: string; name: string; position: number }[];
};
export type DepartmentFormValues = {
  name?: string;
  color?: string;
  active?: boolean;
  autoCloseMinutes?: string;
  autoCloseMessage?: string;
  memberIds?: string[];
};

/** "90 min" / "2 h": an idle time as people say it. */
export function idleDuration(minutes: number): string {
  return minutes % 60 === 0 ? tText("departments:hours", { count: minutes / 60 }) : tText("departments:minutes", { count: minutes });
}

function ErrorText({ errors, path }: { errors?: FieldError[]; path: string }) {
  const error = fieldError(errors, path);
  return error ? (
    <small class="error" safe>
      {error}
    </small>
  ) : (
    ""
  );
}

export function DepartmentForm(props: {
  action: string;
  csrfToken: string;
  values: DepartmentFormValues;
  members: MemberOption[];
  errors?: FieldError[];
  submitLabel: string;
}) {
  const v = props.values;
  const chosen = new Set(v.memberIds ?? []);
  return (
    <form id="department-form" class="card" method="post" action={props.action} hx-post={props.action} hx-target="#department-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      <div class="row">
        <Field label={tText("departments:form.name")} name="name" value={v.name} errors={props.errors} required maxlength={DEPARTMENT_LIMITS.name} />
        <div class={fieldError(props.errors, "color") ? "field has-error" : "field"}>
          <label for="f-color">{t("departments:form.color")}</label>
          <input id="f-color" name="color" type="color" value={v.color ?? "#4f46e5"} />
          <ErrorText errors={props.errors} path="color" />
        </div>
      </div>
      <label class="check">
        <input type="checkbox" name="active" checked={v.active ?? true} /> {t("departments:form.active")}
      </label>
      <fieldset class={fieldError(props.errors, "memberIds") ? "field has-error" : "field"}>
        <legend>{t("departments:form.members")}</legend>
        <small class="hint">{t("departments:form.membersHint")}</small>
        <div class="checkbox-list">
          {props.members.map((m) => (
            <label class="check">
              <input type="checkbox" name="memberIds" value={m.id} checked={chosen.has(m.id)} /> <span safe>{m.name ?? m.email}</span>{" "}
              <small class="muted">{t(`common:roles.${m.role}`)}</small>
            </label>
          ))}
        </div>
        <ErrorText errors={props.errors} path="memberIds" />
      </fieldset>
      <div class="row">
        <Field
          label={tText("departments:form.autoCloseMinutes")}
          name="autoCloseMinutes"
          type="number"
          value={v.autoCloseMinutes}
          errors={props.errors}
          hint={tText("departments:form.autoCloseHint")}
        />
      </div>
      <div class={fieldError(props.errors, "autoCloseMessage") ? "field has-error" : "field"}>
        <label for="f-autoCloseMessage">{t("departments:form.autoCloseMessage")}</label>
        <textarea id="f-autoCloseMessage" name="autoCloseMessage" rows="2" maxlength={DEPARTMENT_LIMITS.autoCloseMessage} safe>
          {v.autoCloseMessage ?? ""}
        </textarea>
        <small class="hint">{t("departments:form.autoCloseMessageHint")}</small>
        <ErrorText errors={props.errors} path="autoCloseMessage" />
      </div>
      <div class="row">
        <button type="submit" safe>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

export function DepartmentsIndex(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  departments: DepartmentView[];
  menus: MenuView[];
  members: MemberOption[];
  canManage: boolean;
}) {
  return (
    <AdminLayout title={tText("departments:title")} admin={props.admin} csrfToken={props.csrfToken} active="departments" flash={props.flash}>
      <link rel="stylesheet" href="/static/departments.css" />
      <h1>{t("departments:title")}</h1>
      <p class="muted">{t("departments:intro")}</p>
      {props.departments.length === 0 ? (
        <EmptyState>{t("departments:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("departments:columns.name")}</th>
                <th>{t("departments:columns.members")}</th>
                <th>{t("departments:columns.autoClose")}</th>
                <th>{t("departments:columns.status")}</th>
              </tr>
            </thead>
            <tbody>
              {props.departments.map((d) => (
                <tr>
                  <td data-label="">
                    <span class="dept-dot" style={`background:${d.color}`} aria-hidden="true" />{" "}
                    <a href={`/departments/${d.id}`} class="truncate" safe>
                      {d.name}
                    </a>
                  </td>
                  <td data-label={tText("departments:columns.members")} safe>
                    {d.members.map((m) => m.name ?? m.email).join(", ") || "—"}
                  </td>
                  <td data-label={tText("departments:columns.autoClose")} safe>
                    {d.autoCloseMinutes
                      ? tText("departments:autoCloseAfter", { duration: idleDuration(d.autoCloseMinutes) })
                      : tText("departments:autoCloseNever")}
                  </td>
                  <td data-label={tText("departments:columns.status")} safe>
                    {d.active ? tText("departments:status.active") : tText("departments:status.inactive")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canManage ? (
        <>
          <h2>{t("departments:newDepartment")}</h2>
          <DepartmentForm
            action="/departments"
            csrfToken={props.csrfToken}
            values={{}}
            members={props.members}
            submitLabel={tText("departments:form.create")}
          />
        </>
      ) : (
        ""
      )}
      <h2>{t("departments:menu.title")}</h2>
      <p class="muted">{t("departments:menu.intro")}</p>
      {props.menus.length === 0 ? (
        <EmptyState>{t("departments:menu.noInstances")}</EmptyState>
      ) : (
        <ul class="plain-list">
          {props.menus.map((m) => (
            <li>
              <a href={`/departments/menus/${m.instanceId}`} safe>
                {m.instanceName}
              </a>{" "}
              <span class={m.enabled ? "badge badge-ok" : "badge badge-muted"}>{m.enabled ? t("departments:menu.on") : t("departments:menu.off")}</span>{" "}
              <small class="muted" safe>
                {m.options.map((o) => `${o.position}. ${o.name}`).join(" · ")}
              </small>
            </li>
          ))}
        </ul>
      )}
    </AdminLayout>
  );
}

export function DepartmentShow(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  department: DepartmentView;
  values: DepartmentFormValues;
  members: MemberOption[];
  canManage: boolean;
}) {
  const d = props.department;
  return (
    <AdminLayout title={d.name} admin={props.admin} csrfToken={props.csrfToken} active="departments" flash={props.flash}>
      <link rel="stylesheet" href="/static/departments.css" />
      <p>
        <a href="/departments">{t("departments:back")}</a>
      </p>
      <h1 class="truncate" safe>
        {d.name}
      </h1>
      {props.canManage ? (
        <>
          <DepartmentForm
            action={`/departments/${d.id}`}
            csrfToken={props.csrfToken}
            values={props.values}
            members={props.members}
            submitLabel={tText("departments:form.save")}
          />
          <form method="post" action={`/departments/${d.id}/delete`} hx-post={`/departments/${d.id}/delete`} hx-confirm={tText("departments:confirmDelete")}>
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="danger">
              {t("departments:form.delete")}
            </button>
          </form>
        </>
      ) : (
        <p safe>{d.members.map((m) => m.name ?? m.email).join(", ") || "—"}</p>
      )}
    </AdminLayout>
  );
}

export function GreetingMenuForm(props: {
  csrfToken: string;
  menu: MenuView;
  departments: DepartmentView[];
  /** What was posted (positions by department id) when re-rendered with errors. */
  positions?: Record<string, string>;
  errors?: FieldError[];
}) {
  const m = props.menu;
  const action = `/departments/menus/${m.instanceId}`;
  const current = new Map(m.options.map((o) => [o.departmentId, String(o.position)]));
  const active = props.departments.filter((d) => d.active);
  return (
    <form id="greeting-menu-form" class="card" method="post" action={action} hx-post={action} hx-target="#greeting-menu-form" hx-swap="outerHTML">
      <CsrfField token={props.csrfToken} />
      <label class="check">
        <input type="checkbox" name="enabled" checked={m.enabled} /> {t("departments:menu.enabled")}
      </label>
      <div class={fieldError(props.errors, "greeting") ? "field has-error" : "field"}>
        <label for="f-greeting">{t("departments:menu.greeting")}</label>
        <textarea
          id="f-greeting"
          name="greeting"
          rows="3"
          maxlength={DEPARTMENT_LIMITS.greeting}
          placeholder={tText("departments:menu.greetingPlaceholder")}
          safe
        >
          {m.greeting}
        </textarea>
        <ErrorText errors={props.errors} path="greeting" />
      </div>
      <fieldset class={fieldError(props.errors, "options") ? "field has-error" : "field"}>
        <legend>{t("departments:menu.options")}</legend>
        <small class="hint">{t("departments:menu.optionsHint")}</small>
        {active.length === 0 ? <p class="muted">{t("departments:menu.noDepartments")}</p> : ""}
        {active.map((d) => {
          const position = props.positions?.[d.id] ?? current.get(d.id) ?? "";
          return (
            <div class="row menu-option">
              <label class="check">
                <input type="checkbox" name="options" value={d.id} checked={position !== ""} /> <span safe>{d.name}</span>
              </label>
              <label class="small">
                {t("departments:menu.position")}{" "}
                <input type="number" name={`position.${d.id}`} value={position} min="1" max={String(DEPARTMENT_LIMITS.menuOptions)} class="narrow" />
              </label>
            </div>
          );
        })}
        <ErrorText errors={props.errors} path="options" />
      </fieldset>
      <div class="row">
        <Field label={tText("departments:menu.maxAttempts")} name="maxAttempts" type="number" value={String(m.maxAttempts)} errors={props.errors} />
        <div class={fieldError(props.errors, "fallbackDepartmentId") ? "field has-error" : "field"}>
          <label for="f-fallbackDepartmentId">{t("departments:menu.fallback")}</label>
          <select id="f-fallbackDepartmentId" name="fallbackDepartmentId">
            <option value="" selected={!m.fallbackDepartmentId}>
              {t("departments:menu.fallbackHuman")}
            </option>
            {active.map((d) => (
              <option value={d.id} selected={m.fallbackDepartmentId === d.id} safe>
                {d.name}
              </option>
            ))}
          </select>
          <ErrorText errors={props.errors} path="fallbackDepartmentId" />
        </div>
      </div>
      <div class="row">
        <button type="submit">{t("departments:menu.save")}</button>
      </div>
    </form>
  );
}

export function GreetingMenuPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  menu: MenuView;
  departments: DepartmentView[];
  canManage: boolean;
}) {
  return (
    <AdminLayout title={tText("departments:menu.title")} admin={props.admin} csrfToken={props.csrfToken} active="departments" flash={props.flash}>
      <link rel="stylesheet" href="/static/departments.css" />
      <p>
        <a href="/departments">{t("departments:back")}</a>
      </p>
      <h1 safe>{`${tText("departments:menu.title")} — ${props.menu.instanceName}`}</h1>
      <p class="muted">{t("departments:menu.intro")}</p>
      {props.canManage ? (
        <GreetingMenuForm csrfToken={props.csrfToken} menu={props.menu} departments={props.departments} />
      ) : (
        <ol>
          {props.menu.options.map((o) => (
            <li safe>{o.name}</li>
          ))}
        </ol>
      )}
    </AdminLayout>
  );
}
