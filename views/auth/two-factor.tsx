import { ACCOUNT_LIMITS } from "@/features/account/account.schema";
import type { FieldError } from "@/lib/errors";
import { CsrfField, Field } from "../components/ui";
import { PublicLayout } from "../layouts/public";

/** The sign-in's second step: a code from the authenticator app, or a recovery code. */
export function SecondFactorPage({ csrfToken, errors, message }: { csrfToken: string; errors?: FieldError[]; message?: string }) {
  return (
    <PublicLayout title="Two-factor authentication" csrfToken={csrfToken}>
      <div class="card">
        <h1>Two-factor authentication</h1>
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
            label="Authentication code"
            name="code"
            errors={errors}
            required
            maxlength={ACCOUNT_LIMITS.code}
            autocomplete="one-time-code"
            hint="The 6 digits your authenticator app shows. Lost your phone? Enter one of your recovery codes."
          />
          <button type="submit" style="width:100%">
            Verify
          </button>
        </form>
      </div>
      <p class="muted small">
        Not you? <a href="/login">Back to sign in</a>
      </p>
    </PublicLayout>
  );
}
