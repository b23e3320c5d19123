import type { AdminContext } from "@/auth/plugin";
import type { PlatformUser } from "@/features/auth/platform-users.service";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Time } from "../components/ui";
import { PlatformTabs } from "../registrations/_tabs";

export type PlatformUsersProps = {
  admin: AdminContext;
  csrfToken: string;
  q: string;
  users: PlatformUser[];
  /** Email goes out through SMTP: users reset passwords themselves. */
  canEmail: boolean;
  /** A reset link just created: shown this once (only its hash is stored). */
  resetLink?: { email: string; url: string };
  flash?: Flash;
};

/** Every account of the install, with a password reset link for installs that cannot send email. */
export function PlatformUsersPage(p: PlatformUsersProps) {
  return (
    <AdminLayout title={tText("auth:platformUsers.title")} admin={p.admin} csrfToken={p.csrfToken} active="platform" flash={p.flash}>
      <h1>{t("auth:platformUsers.title")}</h1>
      <PlatformTabs active="users" />
      {p.resetLink ? (
        <div class="card" role="status" data-reset-link>
          <p>{t("auth:platformUsers.resetLinkFor", { email: p.resetLink.email })}</p>
          <div class="secret" id="reset-link" safe>
            {p.resetLink.url}
          </div>
          <button type="button" class="secondary" data-copy="#reset-link">
            {t("auth:platformUsers.copy")}
          </button>
        </div>
      ) : (
        ""
      )}
      <p class="muted small">{p.canEmail ? t("auth:platformUsers.canEmail") : t("auth:platformUsers.cannotEmail")}</p>
      <form method="get" action="/platform/users" style="display:flex;gap:.5rem;margin-bottom:1rem">
        <label class="sr-only" for="user-q">
          {t("auth:platformUsers.searchLabel")}
        </label>
        <input id="user-q" name="q" type="search" value={p.q} maxlength={254} placeholder={tText("auth:platformUsers.searchPlaceholder")} />
        <button type="submit" class="secondary">
          {t("auth:platformUsers.search")}
        </button>
      </form>
      {p.users.length === 0 ? (
        <EmptyState>{t("auth:platformUsers.empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="stack-table">
            <thead>
              <tr>
                <th>{t("auth:platformUsers.columns.email")}</th>
                <th>{t("auth:platformUsers.columns.name")}</th>
                <th>{t("auth:platformUsers.columns.lastSignIn")}</th>
                <th>
                  <span class="sr-only">{t("auth:platformUsers.columns.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.users.map((u) => (
                <tr id={`user-${u.id}`}>
                  <td data-label="">
                    <span safe>{u.email}</span> {u.isPlatformAdmin ? <Badge tone="warn">{t("auth:platformUsers.platformAdmin")}</Badge> : ""}
                    {u.emailVerifiedAt ? "" : <Badge tone="muted">{t("auth:platformUsers.unconfirmed")}</Badge>}
                  </td>
                  <td data-label={tText("auth:platformUsers.columns.name")} safe>
                    {u.name}
                  </td>
                  <td data-label={tText("auth:platformUsers.columns.lastSignIn")}>
                    <Time at={u.lastLoginAt} />
                  </td>
                  <td class="actions">
                    <form method="post" action={`/platform/users/${u.id}/reset-link`}>
                      <CsrfField token={p.csrfToken} />
                      <button type="submit" class="secondary">
                        {t("auth:platformUsers.createResetLink")}
                      </button>
                    </form>
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
