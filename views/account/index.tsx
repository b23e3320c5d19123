import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { SessionUser } from "@/auth/session";
import { LANGUAGES } from "@/db/schema";
import { ACCOUNT_LIMITS, LANGUAGE_LABELS } from "@/features/account/account.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { TIME_ZONES, t, tText } from "@/lib/i18n";
import { CsrfField, Field, SelectField } from "../components/ui";
import { AccountShell, Avatar } from "./_shell";

/** @kitajs/html only escapes `"` in attribute values; escape fully so typed values round-trip. */
const attr = (value: string | null | undefined) => (value == null ? undefined : Html.escapeHtml(value));

export type ProfileValues = { name?: string; avatarUrl?: string; language?: string; timeZone?: string };

type Props = {
  user: SessionUser;
  admin?: AdminContext;
  csrfToken: string;
  flash?: Flash;
  /** Re-render of a refused profile post. */
  profile?: { values: ProfileValues; errors: FieldError[] };
  /** Re-render of a refused password post (passwords are never echoed). */
  password?: { errors: FieldError[]; message?: string };
};

export function AccountPage({ user, admin, csrfToken, flash, profile, password }: Props) {
  const values: ProfileValues = profile?.values ?? { name: user.name, avatarUrl: user.avatarUrl ?? "", language: user.language, timeZone: user.timeZone ?? "" };
  return (
    <AccountShell title={tText("account:title")} tab="profile" admin={admin} csrfToken={csrfToken} flash={flash}>
      <section class="card" id="profile">
        <div class="row">
          <Avatar name={user.name} email={user.email} url={user.avatarUrl} size={48} />
          <div>
            <h2 style="margin:0" safe>
              {user.name || user.email}
            </h2>
            <span class="muted small" safe>
              {user.email}
            </span>
          </div>
        </div>
        <form method="post" action="/account/profile" id="profile-form">
          <CsrfField token={csrfToken} />
          <Field
            label={tText("account:profile.name")}
            name="name"
            value={attr(values.name)}
            errors={profile?.errors}
            required
            maxlength={ACCOUNT_LIMITS.name}
            autocomplete="name"
          />
          <Field
            label={tText("account:profile.avatarUrl")}
            name="avatarUrl"
            type="url"
            value={attr(values.avatarUrl)}
            errors={profile?.errors}
            maxlength={ACCOUNT_LIMITS.avatarUrl}
            placeholder={tText("account:profile.avatarPlaceholder")}
            hint={tText("account:profile.avatarHint")}
          />
          <SelectField
            label={tText("account:profile.language")}
            name="language"
            options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_LABELS[l] }))}
            value={values.language}
            errors={profile?.errors}
          />
          <SelectField
            label={tText("account:profile.timeZone")}
            name="timeZone"
            options={[{ value: "", label: tText("account:profile.organizationZone") }, ...TIME_ZONES]}
            value={values.timeZone}
            errors={profile?.errors}
          />
          <button type="submit">{t("account:profile.save")}</button>
        </form>
      </section>
      <section class="card" id="password">
        <h2>{user.passwordHash ? t("account:password.change") : t("account:password.set")}</h2>
        {password?.message ? (
          <p class="flash flash-error" role="alert" safe>
            {password.message}
          </p>
        ) : (
          ""
        )}
        <p class="muted small">{t("account:password.othersSignedOut")}</p>
        <form method="post" action="/account/password" id="password-form">
          <CsrfField token={csrfToken} />
          {user.passwordHash ? (
            <Field
              label={tText("account:password.current")}
              name="currentPassword"
              type="password"
              errors={password?.errors}
              required
              maxlength={ACCOUNT_LIMITS.passwordMax}
              autocomplete="current-password"
            />
          ) : (
            <p class="muted small">{t("account:password.providerOnly")}</p>
          )}
          <Field
            label={tText("account:password.new")}
            name="newPassword"
            type="password"
            errors={password?.errors}
            required
            maxlength={ACCOUNT_LIMITS.passwordMax}
            autocomplete="new-password"
            hint={tText("account:password.hint", { count: ACCOUNT_LIMITS.passwordMin })}
          />
          <Field
            label={tText("account:password.repeat")}
            name="confirmPassword"
            type="password"
            errors={password?.errors}
            required
            maxlength={ACCOUNT_LIMITS.passwordMax}
            autocomplete="new-password"
          />
          <button type="submit">{user.passwordHash ? t("account:password.change") : t("account:password.setButton")}</button>
        </form>
      </section>
    </AccountShell>
  );
}
