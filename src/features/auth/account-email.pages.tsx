import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { setFlash, takeFlash } from "@/lib/flash";
import { formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { mailEnabled } from "@/lib/mailer";
import { ForgotPasswordPage, NoticePage, ResetPasswordPage } from "@views/auth/email-steps";
import { emailOnlySchema, resetPasswordSchema } from "./auth.schema";
import { resendVerification, verifyEmail } from "./email-verification.service";
import { findResetLink, requestPasswordReset, resetPassword } from "./password-reset.service";

/** Pages whose URL carries a token: kept out of caches and of Referer headers sent elsewhere. */
function tokenPageHeaders(set: { headers: Record<string, string | number> }) {
  set.headers["cache-control"] = "no-store";
  set.headers["referrer-policy"] = "same-origin";
}

/**
 * The signed-out email steps: what comes after a sign-up that is not signed in at once, confirming
 * an address, and resetting a forgotten password. Answers never depend on whether an address has
 * an account.
 */
export const accountEmailPages = new Elysia({ name: "account-email-pages" })
  .use(csrfPlugin)
  .get("/signup/confirm-email", ({ csrfToken, cookie }) => (
    <NoticePage
      csrfToken={csrfToken}
      title={tText("auth:steps.checkInboxTitle")}
      message={tText("auth:steps.checkInbox")}
      resendConfirmation
      flash={takeFlash(cookie)}
    />
  ))
  .get("/signup/requested", ({ csrfToken }) => (
    <NoticePage
      csrfToken={csrfToken}
      title={tText("auth:steps.requestedTitle")}
      message={tText("auth:steps.requested")}
      extra={mailEnabled() ? tText("auth:steps.requestedByEmail") : undefined}
    />
  ))
  .post("/verify-email/resend", ({ body, cookie, csrfToken, request, set }) => {
    const parsed = parseForm(emailOnlySchema, body);
    if (!parsed.ok) {
      return unprocessable(set, () => (
        <NoticePage csrfToken={csrfToken} title={tText("auth:steps.checkInboxTitle")} message={parsed.errors[0]!.message} resendConfirmation />
      ));
    }
    resendVerification(parsed.value.email);
    setFlash(cookie, "info", tText("auth:steps.resendSent"));
    return hxRedirect(request, "/signup/confirm-email");
  })
  .get("/verify-email/:token", async ({ params, cookie, csrfToken, request, set }) => {
    tokenPageHeaders(set);
    const user = await verifyEmail(params.token, request);
    if (!user) {
      set.status = 410;
      return <NoticePage csrfToken={csrfToken} title={tText("auth:steps.linkInvalid")} message={tText("auth:steps.verifyLinkDead")} resendConfirmation />;
    }
    setFlash(cookie, "success", tText("auth:steps.verified"));
    return hxRedirect(request, "/login");
  })
  .get("/password/forgot", ({ csrfToken, cookie }) => (
    <ForgotPasswordPage csrfToken={csrfToken} canEmail={mailEnabled()} message={tText("auth:steps.forgotNoEmail")} flash={takeFlash(cookie)} />
  ))
  .post("/password/forgot", ({ body, cookie, csrfToken, request, set }) => {
    const parsed = parseForm(emailOnlySchema, body);
    if (!parsed.ok) {
      const email = formText(formFields(body).email).slice(0, 300) || undefined;
      return unprocessable(set, () => (
        <ForgotPasswordPage csrfToken={csrfToken} canEmail={mailEnabled()} message={tText("auth:steps.forgotNoEmail")} email={email} errors={parsed.errors} />
      ));
    }
    if (!mailEnabled()) {
      set.status = 409;
      return <ForgotPasswordPage csrfToken={csrfToken} canEmail={false} message={tText("auth:steps.forgotNoEmail")} />;
    }
    requestPasswordReset(parsed.value.email, request);
    setFlash(cookie, "info", tText("auth:steps.forgotSent"));
    return hxRedirect(request, "/login");
  })
  .get("/password/reset/:token", async ({ params, csrfToken, set }) => {
    tokenPageHeaders(set);
    const link = await findResetLink(params.token);
    if (!link) {
      set.status = 410;
      return <NoticePage csrfToken={csrfToken} title={tText("auth:steps.linkInvalid")} message={tText("auth:steps.resetLinkDead")} resetAgain />;
    }
    return <ResetPasswordPage csrfToken={csrfToken} token={params.token} email={link.email} />;
  })
  .post("/password/reset/:token", async ({ params, body, cookie, csrfToken, request, set }) => {
    tokenPageHeaders(set);
    const parsed = parseForm(resetPasswordSchema, body);
    if (!parsed.ok) {
      const link = await findResetLink(params.token);
      if (link) return unprocessable(set, () => <ResetPasswordPage csrfToken={csrfToken} token={params.token} email={link.email} errors={parsed.errors} />);
    }
    const result = parsed.ok ? await resetPassword({ token: params.token, password: parsed.value.password, request }) : { ok: false as const };
    if (!result.ok) {
      set.status = 410;
      return <NoticePage csrfToken={csrfToken} title={tText("auth:steps.linkInvalid")} message={tText("auth:steps.resetLinkDead")} resetAgain />;
    }
    setFlash(cookie, "success", tText("auth:steps.resetDone"));
    return hxRedirect(request, "/login");
  });
