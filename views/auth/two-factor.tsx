import { ACCOUNT_LIMITS } from "@/features/account/account.schema";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { CsrfField, Field } from "../components/ui";
import { PublicLayout } from "../layouts/public";

/** The sign-in's second step: a code from the authenticator app, or a recovery code. */
export function SecondFactorPage({ csrfToken, errors, message }: { csrfToken: string; errors?: FieldError[]; message?: string }) {
  return (
    <PublicLayout title={tText("auth:secondFactor.title")} csrfToken={csrfToken}>
      <div class="card">
        <h1>{t("auth:secondFactor.title")}</h1>
        {message ? (
          <p class="flash flash-error" role="alert" safe>
            {message}
          </p>
        ) : (
          ""
        )}
        <form method="post" action="/two-factor" novalidate id="second-factor-form">
          <CsrfField token={csrfToken} />
          <Field
            label={tText("auth:secondFactor.code")}
            name="code"
            errors={errors}
            required
            maxlength={ACCOUNT_LIMITS.code}
            autocomplete="one-time-code"
            hint={tText("auth:secondFactor.hint")}
          />
          <button type="submit" style="width:100%">
            {t("auth:secondFactor.submit")}
          </button>
        </form>
      </div>
      <p class="muted small">
        {t("auth:secondFactor.notYou")} <a href="/login">{t("auth:secondFactor.back")}</a>
      </p>
    </PublicLayout>
  );
}
