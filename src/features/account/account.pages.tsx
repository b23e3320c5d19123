import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { adminOf, authPlugin } from "@/auth/plugin";
import { formFields, parseForm, unprocessable } from "@/lib/forms";
import { AppError, type FieldError } from "@/lib/errors";
import { setFlash, setReveal, takeFlash, takeReveal } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { AccountPage, type ProfileValues } from "@views/account/index";
import { SessionsPage } from "@views/account/sessions";
import { TwoFactorPage } from "@views/account/two-factor";
import { changePasswordSchema, codeSchema, disableTwoFactorSchema, profileSchema } from "./account.schema";
import { changePassword, listSessionsFor, signOutOtherSessions, signOutSession, updateProfile } from "./account.service";
import {
  cancelTotpEnrolment,
  confirmTotpEnrolment,
  disableTwoFactor,
  mustEnrolTwoFactor,
  pendingEnrolment,
  regenerateRecoveryCodes,
  startTotpEnrolment,
  unusedRecoveryCodeCount,
  type TwoFactorOutcome,
} from "./two-factor.service";

/** Flash and form messages of the account pages (text in src/i18n/account.ts). */
const MESSAGES = {
  passwordChanged: (ended: number) => (ended ? tText("account:flash.passwordChangedEnded", { count: ended }) : tText("account:flash.passwordChanged")),
  otherSessionsEnded: (ended: number) => (ended ? tText("account:flash.otherSessionsEnded", { count: ended }) : tText("account:flash.noOtherSessions")),
  throttled: (seconds: number) => tText("account:errors.throttled", { count: Math.ceil(seconds / 60) }),
};

/** Recovery codes cross the redirect after they are minted, encrypted, for this user's page only. */
const revealPurpose = (userId: string) => `recovery-codes:${userId}`;

type SetStatus = { status?: number | string; headers: Record<string, string | number> };

/**
 * 422 for input that did not parse (field errors, as parseForm gives them) or a wrong code or password,
 * 429 + Retry-After when the user's attempts are spent.
 */
function refusal(
  set: SetStatus,
  outcome: Exclude<TwoFactorOutcome<unknown>, { ok: true }> | { ok: false; errors: FieldError[] },
): { errors: FieldError[]; message?: string } {
  if ("errors" in outcome) return unprocessable(set, () => ({ errors: outcome.errors }));
  if (outcome.reason === "throttled") {
    set.status = 429;
    set.headers["retry-after"] = String(outcome.retryAfter);
    return { errors: [], message: MESSAGES.throttled(outcome.retryAfter) };
  }
  set.status = 422;
  return { errors: [{ path: outcome.field, message: outcome.message }] };
}

/** `/account…`: profile, password, sessions and two-factor of the signed-in user; `/two-factor`: the sign-in's second step. */
export const accountPages = new Elysia({ name: "account-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get("/account", ({ me, csrfToken, cookie }) => AccountPage({ user: me.user, admin: adminOf(me), csrfToken, flash: takeFlash(cookie) }), {
    signedIn: true,
  })
  .post(
    "/account/profile",
    async ({ me, csrfToken, body, request, set, cookie }) => {
      const fields = formFields(body);
      const parsed = parseForm(profileSchema, fields);
      if (!parsed.ok) {
        const values: ProfileValues = {};
        for (const key of ["name", "avatarUrl", "language", "timeZone"] as const)
          if (typeof fields[key] === "string") values[key] = (fields[key] as string).slice(0, 600);
        return unprocessable(set, () => AccountPage({ user: me.user, admin: adminOf(me), csrfToken, profile: { values, errors: parsed.errors } }));
      }
      await updateProfile(me, parsed.value);
      setFlash(cookie, "success", tText("account:flash.profileSaved"));
      return hxRedirect(request, "/account");
    },
    { signedIn: true },
  )
  .post(
    "/account/password",
    async ({ me, csrfToken, body, request, set, cookie }) => {
      const page = (errors: FieldError[], message?: string) => AccountPage({ user: me.user, admin: adminOf(me), csrfToken, password: { errors, message } });
      const parsed = parseForm(changePasswordSchema, formFields(body));
      if (!parsed.ok) return unprocessable(set, () => page(parsed.errors));
      const result = await changePassword(me, parsed.value);
      if (!result.ok) {
        const refused = refusal(set, result);
        return page(refused.errors, refused.message);
      }
      setFlash(cookie, "success", MESSAGES.passwordChanged(result.endedSessions));
      return hxRedirect(request, "/account");
    },
    { signedIn: true },
  )
  .get(
    "/account/sessions",
    async ({ me, csrfToken, cookie }) => SessionsPage({ admin: adminOf(me), csrfToken, flash: takeFlash(cookie), sessions: await listSessionsFor(me) }),
    { signedIn: true },
  )
  .post(
    "/account/sessions/revoke-others",
    async ({ me, request, cookie }) => {
      const ended = await signOutOtherSessions(me);
      setFlash(cookie, "success", MESSAGES.otherSessionsEnded(ended));
      return hxRedirect(request, "/account/sessions");
    },
    { signedIn: true },
  )
  .post(
    "/account/sessions/:sessionId/revoke",
    async ({ me, params, request, cookie }) => {
      // Someone else's session, or this one, is not a session this page can end: 404 either way.
      if (!(await signOutSession(me, params.sessionId))) throw new AppError("not_found", tText("account:errors.sessionNotFound"));
      setFlash(cookie, "success", tText("account:flash.sessionEnded"));
      return hxRedirect(request, "/account/sessions");
    },
    { signedIn: true },
  )
  .get(
    "/account/two-factor",
    async ({ me, csrfToken, cookie }) => {
      const admin = adminOf(me);
      const codes = takeReveal(cookie, revealPurpose(me.user.id))?.codes;
      return TwoFactorPage({
        user: me.user,
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        required:
          admin && mustEnrolTwoFactor(admin.organization, admin.role, me.user)
            ? tText("account:flash.required", { organization: admin.organization.name })
            : undefined,
        pending: await pendingEnrolment(me.user),
        unusedRecoveryCodes: await unusedRecoveryCodeCount(me.user.id),
        recoveryCodes: codes ? codes.split(" ") : undefined,
      });
    },
    { signedIn: true },
  )
  .post(
    "/account/two-factor/setup",
    async ({ me, request }) => {
      await startTotpEnrolment(me);
      return hxRedirect(request, "/account/two-factor");
    },
    { signedIn: true },
  )
  .post(
    "/account/two-factor/cancel",
    async ({ me, request, cookie }) => {
      await cancelTotpEnrolment(me);
      setFlash(cookie, "info", tText("account:flash.setupCancelled"));
      return hxRedirect(request, "/account/two-factor");
    },
    { signedIn: true },
  )
  .post(
    "/account/two-factor/confirm",
    async ({ me, csrfToken, body, request, set, cookie }) => {
      const parsed = parseForm(codeSchema, formFields(body));
      const result = parsed.ok ? await confirmTotpEnrolment(me, parsed.value.code) : parsed;
      if (!result.ok) {
        const refused = refusal(set, result);
        const admin = adminOf(me);
        return TwoFactorPage({ user: me.user, admin, csrfToken, pending: await pendingEnrolment(me.user), refused: { form: "confirm", ...refused } });
      }
      setReveal(cookie, revealPurpose(me.user.id), { codes: result.value.join(" ") });
      setFlash(cookie, "success", tText("account:flash.twoFactorOn"));
      return hxRedirect(request, "/account/two-factor");
    },
    { signedIn: true },
  )
  .post(
    "/account/two-factor/recovery-codes",
    async ({ me, csrfToken, body, request, set, cookie }) => {
      const parsed = parseForm(codeSchema, formFields(body));
      const result = parsed.ok ? await regenerateRecoveryCodes(me, parsed.value.code) : parsed;
      if (!result.ok) {
        const refused = refusal(set, result);
        return TwoFactorPage({
          user: me.user,
          admin: adminOf(me),
          csrfToken,
          unusedRecoveryCodes: await unusedRecoveryCodeCount(me.user.id),
          refused: { form: "regenerate", ...refused },
        });
      }
      setReveal(cookie, revealPurpose(me.user.id), { codes: result.value.join(" ") });
      setFlash(cookie, "success", tText("account:flash.codesRegenerated"));
      return hxRedirect(request, "/account/two-factor");
    },
    { signedIn: true },
  )
  .post(
    "/account/two-factor/disable",
    async ({ me, csrfToken, body, request, set, cookie }) => {
      const parsed = parseForm(disableTwoFactorSchema, formFields(body));
      const result = parsed.ok ? await disableTwoFactor(me, parsed.value) : parsed;
      if (!result.ok) {
        const refused = refusal(set, result);
        return TwoFactorPage({
          user: me.user,
          admin: adminOf(me),
          csrfToken,
          unusedRecoveryCodes: await unusedRecoveryCodeCount(me.user.id),
          refused: { form: "disable", ...refused },
        });
      }
      setFlash(cookie, "success", tText("account:flash.twoFactorOff"));
      return hxRedirect(request, "/account/two-factor");
    },
    { signedIn: true },
  );
