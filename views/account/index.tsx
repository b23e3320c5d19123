import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { SessionUser } from "@/auth/session";
import { LANGUAGES } from "@/db/schema";
import { ACCOUNT_LIMITS, LANGUAGE_LABELS, TIME_ZONES } from "@/features/account/account.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
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
  const values: ProfileValues = profile?.values ?? { name: user.name, avatarUrl: user.avatarUrl ?? "", language: user.language, timeZone: user.timeZone };
  return (
    <AccountShell title="Your account" tab="profile" admin={admin} csrfToken={csrfToken} flash={flash}>
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
          <Field label="Name" name="name" value={attr(values.name)} errors={profile?.errors} required maxlength={ACCOUNT_LIMITS.name} autocomplete="name" />
          <Field
            label="Avatar URL"
            name="avatarUrl"
            type="url"
            value={attr(values.avatarUrl)}
            errors={profile?.errors}
            maxlength={ACCOUNT_LIMITS.avatarUrl}
            placeholder="https://…"
            hint="An https:// image address. Leave empty to show your initials."
          />
          <SelectField label="Language" name="language" options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_LABELS[l] }))} value={values.language} errors={profile?.errors} />
          <SelectField label="Time zone" name="timeZone" options={TIME_ZONES} value={values.timeZone} errors={profile?.errors} />
          <button type="submit">Save profile</button>
        </form>
      </section>
      <section class="card" id="password">
        <h2>{user.passwordHash ? "Change password" : "Set a password"}</h2>
        {password?.message ? (
          <p class="flash flash-error" role="alert" safe>
            {password.message}
          </p>
        ) : (
          ""
        )}
        <p class="muted small">Every other session of your account is signed out when the password changes.</p>
        <form method="post" action="/account/password" id="password-form">
          <CsrfField token={csrfToken} />
          {user.passwordHash ? (
            <Field label="Current password" name="currentPassword" type="password" errors={password?.errors} required maxlength={ACCOUNT_LIMITS.passwordMax} autocomplete="current-password" />
          ) : (
            <p class="muted small">You sign in through a provider; a password lets you sign in with your email too.</p>
          )}
          <Field
            label="New password"
            name="newPassword"
            type="password"
            errors={password?.errors}
            required
            maxlength={ACCOUNT_LIMITS.passwordMax}
            autocomplete="new-password"
            hint={`At least ${ACCOUNT_LIMITS.passwordMin} characters.`}
          />
          <Field label="Repeat the new password" name="confirmPassword" type="password" errors={password?.errors} required maxlength={ACCOUNT_LIMITS.passwordMax} autocomplete="new-password" />
          <button type="submit">{user.passwordHash ? "Change password" : "Set password"}</button>
        </form>
      </section>
    </AccountShell>
  );
}
