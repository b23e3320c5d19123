import type { OAuthProviderId } from "@/features/auth/oauth";
import { AUTH_LIMITS } from "@/features/auth/auth.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { CsrfField, Field } from "../components/ui";
import { PublicLayout } from "../layouts/public";
import { carryQuery, ProviderButtons } from "./_shared";

export type SignUpPageProps = {
  csrfToken: string;
  values?: { name?: string; email?: string; organizationName?: string };
  next?: string;
  errors?: FieldError[];
  /** Form-level message (e.g. the email is taken, or why sign-up is refused). */
  message?: string;
  /** `refused`: the form is not offered (closed, invitation required or invalid). */
  refused?: string;
  firstAccount?: boolean;
  /** SIGNUP=approval: the account exists only once a platform admin approves it. */
  approval?: boolean;
  invitation?: { token: string; organizationName: string; email: string; role: string };
  providers: { id: OAuthProviderId; label: string }[];
  flash?: Flash;
};

export function SignUpPage(p: SignUpPageProps) {
  const next = p.next && p.next !== "/" ? p.next : undefined;
  return (
    <PublicLayout title={tText("auth:signUp.title")} csrfToken={p.csrfToken} flash={p.flash}>
      <div class="card">
        <h1>{t("auth:signUp.title")}</h1>
        {p.refused ? (
          <p class="flash flash-info" role="status" data-signup="refused" safe>
            {p.refused}
          </p>
        ) : (
          <>
            {p.firstAccount ? <p class="muted small">{t("auth:signUp.firstAccount")}</p> : ""}
            {p.approval ? (
              <p class="muted small" data-signup="approval">
                {t("auth:signUp.approval")}
              </p>
            ) : (
              ""
            )}
            {p.invitation ? (
              <p class="flash flash-info">
                {t("auth:signUp.invited", { organization: p.invitation.organizationName, role: tText(`members:roles.${p.invitation.role}`) })}
              </p>
            ) : (
              ""
            )}
            {p.message ? (
              <p class="flash flash-error" role="alert" safe>
                {p.message}
              </p>
            ) : (
              ""
            )}
            <form method="post" action={`/signup${carryQuery({ next })}`} novalidate>
              <CsrfField token={p.csrfToken} />
              {p.invitation ? <input type="hidden" name="invite" value={p.invitation.token} /> : ""}
              <Field
                label={tText("auth:signUp.name")}
                name="name"
                value={p.values?.name}
                errors={p.errors}
                required
                maxlength={AUTH_LIMITS.name}
                autocomplete="name"
              />
              <Field
                label={tText("auth:email")}
                name="email"
                type="email"
                value={p.values?.email ?? p.invitation?.email}
                errors={p.errors}
                required
                maxlength={AUTH_LIMITS.email}
                autocomplete="email"
              />
              <Field
                label={tText("auth:password")}
                name="password"
                type="password"
                errors={p.errors}
                required
                maxlength={AUTH_LIMITS.passwordMax}
                autocomplete="new-password"
                hint={tText("auth:passwordHint", { count: AUTH_LIMITS.passwordMin })}
              />
              {p.invitation ? (
                ""
              ) : (
                <Field
                  label={tText("auth:signUp.organizationName")}
                  name="organizationName"
                  value={p.values?.organizationName}
                  errors={p.errors}
                  required
                  maxlength={AUTH_LIMITS.organizationName}
                  autocomplete="organization"
                  hint={tText("auth:signUp.organizationHint")}
                />
              )}
              <button type="submit" style="width:100%">
                {t("auth:signUp.submit")}
              </button>
            </form>
            <ProviderButtons providers={p.providers} query={carryQuery({ next, invite: p.invitation?.token })} />
          </>
        )}
      </div>
      <p class="muted small">
        {t("auth:signUp.haveAccount")} <a href={`/login${carryQuery({ next })}`}>{t("auth:signUp.signIn")}</a>
      </p>
    </PublicLayout>
  );
}
