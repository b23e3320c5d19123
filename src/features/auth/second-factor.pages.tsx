import { Elysia, type Cookie } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { SESSION_COOKIE, sessionCookie } from "@/auth/session";
import { codeSchema } from "@/features/account/account.schema";
import { readChallengeCookie, setChallengeCookie } from "@/features/account/challenge.cookie";
import { findSignInChallenge } from "@/features/account/two-factor.service";
import { setFlash } from "@/lib/flash";
import { formFields, parseForm, unprocessable } from "@/lib/forms";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { SecondFactorPage } from "@views/auth/two-factor";
import { completeSecondFactor } from "./auth.service";

/** The second step's refusals (text in src/i18n/account.ts, with the account's two-factor pages). */
const MESSAGES = {
  throttled: (seconds: number) => tText("account:errors.throttled", { count: Math.ceil(seconds / 60) }),
  wrongCode: (left: number) => (left > 0 ? tText("account:errors.wrongCodeLeft", { count: left }) : tText("account:errors.wrongCode")),
};

/** `/two-factor`: the sign-in's second step (the account pages enrol and manage the factors). */
export const secondFactorPages = new Elysia({ name: "second-factor-pages" })
  .use(csrfPlugin)
  // The sign-in's second step. Reachable only with the challenge cookie the first step set.
  .get("/two-factor", async ({ cookie, csrfToken, request }) => {
    if (!(await findSignInChallenge(readChallengeCookie(cookie)))) return backToSignIn(cookie, request);
    return SecondFactorPage({ csrfToken });
  })
  .post("/two-factor", async ({ cookie, csrfToken, body, request, set }) => {
    if (!readChallengeCookie(cookie)) return backToSignIn(cookie, request);
    const parsed = parseForm(codeSchema, formFields(body));
    if (!parsed.ok) return unprocessable(set, () => SecondFactorPage({ csrfToken, errors: parsed.errors }));
    const result = await completeSecondFactor(readChallengeCookie(cookie), parsed.value.code, request);
    if (result.ok) {
      setChallengeCookie(cookie, null);
      cookie[SESSION_COOKIE]!.set(sessionCookie(result.token, result.session.expiresAt));
      return hxRedirect(request, result.next);
    }
    if (result.reason === "throttled") {
      set.status = 429;
      set.headers["retry-after"] = String(result.retryAfter);
      return SecondFactorPage({ csrfToken, message: MESSAGES.throttled(result.retryAfter) });
    }
    if (result.reason === "invalid" && result.attemptsLeft > 0) {
      set.status = 422;
      return SecondFactorPage({ csrfToken, errors: [{ path: "code", message: MESSAGES.wrongCode(result.attemptsLeft) }] });
    }
    // Expired, raced or out of tries: the password step starts over.
    return backToSignIn(cookie, request);
  });

/** No live challenge behind the cookie: the sign-in starts over at the password step. */
function backToSignIn(cookie: Record<string, Cookie<unknown>>, request: Request): Response {
  setChallengeCookie(cookie, null);
  setFlash(cookie, "error", tText("account:flash.challengeExpired"));
  return hxRedirect(request, "/login");
}
