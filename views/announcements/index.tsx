import type { AdminContext } from "@/auth/plugin";
import type { Announcement } from "@/features/announcements/announcement.service";
import { ANNOUNCEMENT_LIMITS } from "@/features/announcements/announcement.schema";
import { ANNOUNCEMENT_TYPES, ROLES } from "@/db/schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { currentTimeZone, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, Time, fieldError } from "../components/ui";

export type AnnouncementFormValues = { title?: string; message?: string; type?: string; targetRoles?: string[]; expiresAt?: string };

const TONE = { info: "muted", warning: "warn", urgent: "bad" } as const;

export function AnnouncementForm(props: { values: AnnouncementFormValues; errors?: FieldError[] }) {
  const v = props.values;
  const roles = v.targetRoles ?? [...ROLES];
  const messageError = fieldError(props.errors, "message");
  const rolesError = props.errors?.find((e) => e.path.startsWith("targetRoles"))?.message;
  const expiresError = fieldError(props.errors, "expiresAt");
  const typeError = fieldError(props.errors, "type");
  return (
    <form id="announcement-form" class="card" method="post" action="/announcements" hx-post="/announcements" hx-target="#announcement-form" hx-swap="outerHTML">
      <Field label={tText("announcements:form.title")} name="title" value={v.title} errors={props.errors} required maxlength={ANNOUNCEMENT_LIMITS.title} />
      <div class={messageError ? "field has-error" : "field"}>
        <label for="announcement-message">{t("announcements:form.message")}</label>
        <textarea id="announcement-message" name="message" rows="3" maxlength={ANNOUNCEMENT_LIMITS.message} required safe>
          {v.message ?? ""}
        </textarea>
        {messageError ? (
          <small class="error" safe>
            {messageError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class={typeError ? "field has-error" : "field"}>
        <label for="announcement-type">{t("announcements:form.type")}</label>
        <select id="announcement-type" name="type">
          {ANNOUNCEMENT_TYPES.map((type) => (
            <option value={type} selected={(v.type ?? "info") === type}>
              {t(`announcements:types.${type}`)}
            </option>
          ))}
        </select>
        {typeError ? (
          <small class="error" safe>
            {typeError}
          </small>
        ) : (
          ""
        )}
      </div>
      <fieldset class={rolesError ? "field has-error" : "field"}>
        <legend>{t("announcements:form.targetRoles")}</legend>
        <div class="row">
          {ROLES.map((role) => (
            <label>
              <input type="checkbox" name="targetRoles" value={role} checked={roles.includes(role)} /> {t(`members:roles.${role}`)}
            </label>
          ))}
        </div>
        {rolesError ? (
          <small class="error" safe>
            {rolesError}
          </small>
        ) : (
          ""
        )}
      </fieldset>
      <div class={expiresError ? "field has-error" : "field"}>
        <label for="announcement-expires">{t("announcements:form.expiresAt", { zone: currentTimeZone() })}</label>
        <input id="announcement-expires" name="expiresAt" type="datetime-local" value={v.expiresAt ?? ""} />
        <small class="hint">{t("announcements:form.expiresAtHint")}</small>
        {expiresError ? (
          <small class="error" safe>
            {expiresError}
          </small>
        ) : (
          ""
        )}
      </div>
      <div class="row">
        <button type="submit">{t("announcements:form.create")}</button>
      </div>
    </form>
  );
}

export function AnnouncementsIndex(props: { admin: AdminContext; csrfToken: string; flash?: Flash; announcements: Announcement[]; now: Date }) {
  return (
    <AdminLayout title={tText("announcements:title")} admin={props.admin} csrfToken={props.csrfToken} active="announcements" flash={props.flash}>
      <h1>{t("announcements:title")}</h1>
      <p class="muted">{t("announcements:intro")}</p>
      {props.announcements.length === 0 ? (
        <EmptyState>{t("announcements:empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("announcements:columns.title")}</th>
                <th>{t("announcements:columns.type")}</th>
                <th>{t("announcements:columns.targetRoles")}</th>
                <th>{t("announcements:columns.expiresAt")}</th>
                <th>{t("announcements:columns.createdAt")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {props.announcements.map((a) => (
                <tr>
                  <td data-label="">
                    <strong safe>{a.title}</strong>
                    <br />
                    <span class="muted small" safe>
                      {a.message}
                    </span>
                  </td>
                  <td data-label={tText("announcements:columns.type")}>
                    <Badge tone={TONE[a.type]}>{t(`announcements:types.${a.type}`)}</Badge>
                  </td>
                  <td data-label={tText("announcements:columns.targetRoles")} safe>
                    {a.targetRoles.map((r) => tText(`members:roles.${r}`)).join(", ")}
                  </td>
                  <td data-label={tText("announcements:columns.expiresAt")}>
                    {a.expiresAt ? <Time at={a.expiresAt} /> : t("announcements:never")}
                    {a.expiresAt && a.expiresAt <= props.now ? (
                      <>
                        {" "}
                        <Badge>{t("announcements:expired")}</Badge>
                      </>
                    ) : (
                      ""
                    )}
                  </td>
                  <td data-label={tText("announcements:columns.createdAt")}>
                    <Time at={a.createdAt} />
                  </td>
                  <td data-label="">
                    <form
                      method="post"
                      action={`/announcements/${a.id}/delete`}
                      hx-post={`/announcements/${a.id}/delete`}
                      hx-confirm={tText("announcements:confirmDelete")}
                    >
                      <CsrfField token={props.csrfToken} />
                      <button type="submit" class="link danger">
                        {t("common:actions.delete")}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{t("announcements:newAnnouncement")}</h2>
      <AnnouncementForm values={{}} />
    </AdminLayout>
  );
}

/** The banners at the top of every admin page (loaded into the layout's slot); each has its own dismiss button. */
export function AnnouncementBanners(props: { announcements: Announcement[] }) {
  return (
    <>
      {props.announcements.map((a) => (
        <div class={`announcement announcement-${a.type}`} role={a.type === "urgent" ? "alert" : "status"} id={`announcement-${a.id}`}>
          <div class="announcement-text">
            <strong safe>{a.title}</strong> <span safe>{a.message}</span>
          </div>
          <button
            type="button"
            class="link"
            hx-post={`/announcements/${a.id}/dismiss`}
            hx-target={`#announcement-${a.id}`}
            hx-swap="outerHTML"
            aria-label={tText("announcements:dismissLabel", { title: a.title })}
          >
            {t("announcements:dismiss")}
          </button>
        </div>
      ))}
    </>
  );
}
