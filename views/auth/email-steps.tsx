import { AUTH_LIMITS } from "@/features/auth/auth.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { CsrfField, Field } from "../components/ui";
import { PublicLayout } from "../layouts/public";
import { ResendConfirmationForm } from "./_shared";

/** A signed-out step with one message: "check your inbox", "request received", a dead link. */
export function NoticePage(p: { csrfToken: string; title: string; message: string; extra?: string; resendConfirmation?: boolean; resetAgain?: boolean; flash?: Flash }) {
  return (
    <PublicLayout title={p.title} csrfToken={p.csrfToken} flash={p.flash}>
      <div class="card" data-step={p.title}>
        <h1 safe>{p.title}</h1>
        <p safe>{p.message}</p>
        {p.extra ? <p class="muted small" safe>{p.extra}</p> : ""}
        {p.resendConfirmation ? <ResendConfirmationForm csrfToken={p.csrfToken} /> : ""}
        {p.resetAgain ? (
          <p>
            <a href="/password/forgot">Ask for a new reset link</a>
          </p>
        ) : (
          ""
        )}
      </div>
      <p class="muted small">
        <a href="/login">Sign in</a>
      </p>
    </PublicLayout>
  );
}

/** "Forgot your password?": an address to send the link to, or, without SMTP, who to ask. */
export function ForgotPasswordPage(p: { csrfToken: string; canEmail: boolean; message: string; email?: string; errors?: FieldError[]; flash?: Flash }) {
  return (
    <PublicLayout title="Reset your password" csrfToken={p.csrfToken} flash={p.flash}>
      <div class="card">
        <h1>Reset your password</h1>
        {p.canEmail ? (
          <form method="post" action="/password/forgot" novalidate>
            <CsrfField token={p.csrfToken} />
            <p class="muted small">Enter the email address of your account and we will send you a link to choose a new password.</p>
            <Field label="Email" name="email" type="email" value={p.email} errors={p.errors} required maxlength={AUTH_LIMITS.email} autocomplete="email" />
            <button type="submit" style="width:100%">
              Send the reset link
            </button>
          </form>
        ) : (
          <p class="flash flash-info" role="status" safe>
            {p.message}
          </p>
        )}
      </div>
      <p class="muted small">
        Remembered it? <a href="/login">Sign in</a>
      </p>
    </PublicLayout>
  );
}

/** Choosing a new password from a reset link. */
export function ResetPasswordPage(p: { csrfToken: string; token: string; email: string; errors?: FieldError[] }) {
  return (
    <PublicLayout title="Choose a new password" csrfToken={p.csrfToken}>
      <div class="card">
        <h1>Choose a new password</h1>
        <p class="muted small">
          For <strong safe>{p.email}</strong>. Saving it signs this account out everywhere.
        </p>
        <form method="post" action={`/password/reset/${p.token}`} novalidate>
          <CsrfField token={p.csrfToken} />
          <Field
            label="New password"
            name="password"
            type="password"
            errors={p.errors}
            required
            maxlength={AUTH_LIMITS.passwordMax}
            autocomplete="new-password"
            hint={`At least ${AUTH_LIMITS.passwordMin} characters.`}
          />
          <Field label="Type it again" name="confirm" type="password" errors={p.errors} required maxlength={AUTH_LIMITS.passwordMax} autocomplete="new-password" />
          <button type="submit" style="width:100%">
            Save the new password
          </button>
        </form>
      </div>
    </PublicLayout>
  );
}
