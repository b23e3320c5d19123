import { AUTH_LIMITS } from "@/features/auth/auth.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { CsrfField, Field } from "../components/ui";
import { PublicLayout } from "../layouts/public";
import { ResendConfirmationForm } from "./_shared";

/** A signed-out step with one message: "check your inbox", "request received", a dead link. */
export function NoticePage(p: {
  csrfToken: string;
  title: string;
  message: string;
  extra?: string;
  resendConfirmation?: boolean;
  resetAgain?: boolean;
  flash?: Flash;
}) {
  return (
    <PublicLayout title={p.title} csrfToken={p.csrfToken} flash={p.flash}>
      <div class="card" data-step={p.title}>
        <h1 safe>{p.title}</h1>
        <p safe>{p.message}</p>
        {p.extra ? (
          <p class="muted small" safe>
            {p.extra}
          </p>
        ) : (
          ""
        )}
        {p.resendConfirmation ? <ResendConfirmationForm csrfToken={p.csrfToken} /> : ""}
        {p.resetAgain ? (
          <p>
            <a href="/password/forgot">{t("auth:steps.newResetLink")}</a>
          </p>
        ) : (
          ""
        )}
      </div>
      <p class="muted small">
        <a href="/login">{t("auth:steps.signIn")}</a>
      </p>
    </PublicLayout>
  );
}

/** "Forgot your password?": an address to send the link to, or, without SMTP, who to ask. */
export function ForgotPasswordPage(p: { csrfToken: string; canEmail: boolean; message: string; email?: string; errors?: FieldError[]; flash?: Flash }) {
  return (
    <PublicLayout title={tText("auth:steps.forgotTitle")} csrfToken={p.csrfToken} flash={p.flash}>
      <div class="card">
        <h1>{t("auth:steps.forgotTitle")}</h1>
        {p.canEmail ? (
          <form method="post" action="/password/forgot" novalidate>
            <CsrfField token={p.csrfToken} />
            <p class="muted small">{t("auth:steps.forgotIntro")}</p>
            <Field
              label={tText("auth:email")}
              name="email"
              type="email"
              value={p.email}
              errors={p.errors}
              required
              maxlength={AUTH_LIMITS.email}
              autocomplete="email"
            />
            <button type="submit" style="width:100%">
              {t("auth:steps.forgotSubmit")}
            </button>
          </form>
        ) : (
          <p class="flash flash-info" role="status" safe>
            {p.message}
          </p>
        )}
      </div>
      <p class="muted small">
        {t("auth:steps.remembered")} <a href="/login">{t("auth:steps.signIn")}</a>
      </p>
    </PublicLayout>
  );
}

/** Choosing a new password from a reset link. */
export function ResetPasswordPage(p: { csrfToken: string; token: string; email: string; errors?: FieldError[] }) {
  return (
    <PublicLayout title={tText("auth:steps.resetTitle")} csrfToken={p.csrfToken}>
      <div class="card">
        <h1>{t("auth:steps.resetTitle")}</h1>
        <p class="muted small">{t("auth:steps.resetFor", { email: p.email })}</p>
        <form method="post" action={`/password/reset/${p.token}`} novalidate>
          <CsrfField token={p.csrfToken} />
          <Field
            label={tText("auth:steps.newPassword")}
            name="password"
            type="password"
            errors={p.errors}
            required
            maxlength={AUTH_LIMITS.passwordMax}
            autocomplete="new-password"
            hint={tText("auth:passwordHint", { count: AUTH_LIMITS.passwordMin })}
          />
          <Field
            label={tText("auth:steps.typeAgain")}
            name="confirm"
            type="password"
            errors={p.errors}
            required
            maxlength={AUTH_LIMITS.passwordMax}
            autocomplete="new-password"
          />
          <button type="submit" style="width:100%">
            {t("auth:steps.resetSubmit")}
          </button>
        </form>
      </div>
    </PublicLayout>
  );
}
