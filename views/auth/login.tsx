import type { OAuthProviderId } from "@/features/auth/oauth";
import { AUTH_LIMITS } from "@/features/auth/auth.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { CsrfField, Field } from "../components/ui";
import { PublicLayout } from "../layouts/public";
import { carryQuery, ProviderButtons, ResendConfirmationForm } from "./_shared";

export type LoginPageProps = {
  csrfToken: string;
  values?: { email?: string };
  /** Safe local path to return to after signing in. */
  next?: string;
  errors?: FieldError[];
  /** Form-level message (wrong credentials, throttled, provider failure). */
  message?: string;
  providers: { id: OAuthProviderId; label: string }[];
  signUpLink: boolean;
  flash?: Flash;
  /** The account waits for its confirmation link: offer to send it again to the typed address. */
  resendConfirmation?: boolean;
};

export function LoginPage(p: LoginPageProps) {
  const next = p.next && p.next !== "/" ? p.next : undefined;
  return (
    <PublicLayout title={tText("auth:signIn.title")} csrfToken={p.csrfToken} flash={p.flash}>
      <div class="card">
        <h1>{t("auth:signIn.title")}</h1>
        {p.message ? (
          <p class="flash flash-error" role="alert" safe>
            {p.message}
          </p>
        ) : (
          ""
        )}
        <form method="post" action="/login" novalidate>
          <CsrfField token={p.csrfToken} />
          {next ? <input type="hidden" name="next" value={next} /> : ""}
          <Field
            label={tText("auth:email")}
            name="email"
            type="email"
            value={p.values?.email}
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
            autocomplete="current-password"
          />
          <button type="submit" style="width:100%">
            {t("auth:signIn.submit")}
          </button>
        </form>
        <p class="muted small" style="text-align:center">
          <a href="/password/forgot">{t("auth:signIn.forgot")}</a>
        </p>
        {p.resendConfirmation ? <ResendConfirmationForm csrfToken={p.csrfToken} email={p.values?.email} /> : ""}
        <ProviderButtons providers={p.providers} query={carryQuery({ next })} />
      </div>
      {p.signUpLink ? (
        <p class="muted small">
          {t("auth:signIn.noAccount")} <a href={`/signup${carryQuery({ next })}`}>{t("auth:signIn.createOne")}</a>
        </p>
      ) : (
        ""
      )}
    </PublicLayout>
  );
}
