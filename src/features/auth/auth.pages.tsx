import { Elysia, type Cookie } from "elysia";
import { clientIp } from "@/lib/client-ip";
import { csrfPlugin } from "@/auth/csrf";
import { loadSignedInUser } from "@/auth/plugin";
import { blankSessionCookie, SESSION_COOKIE, sessionCookie } from "@/auth/session";
import { config } from "@/config";
import { readDeviceId } from "@/features/devices/device.cookie";
import { SECOND_FACTOR_PATH, setChallengeCookie } from "@/features/account/challenge.cookie";
import { safeEqual } from "@/lib/crypto";
import { AppError, type FieldError } from "@/lib/errors";
import { parseForm } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { LoginPage } from "@views/auth/login";
import { SignUpPage } from "@views/auth/signup";
import { registrationGate } from "./registration-gate";
import { safeNextPath } from "@/lib/next-path";
import { keptValues, loginSchema, signUpSchema } from "./auth.schema";
import { openSession, signInWithOAuth, signInWithPassword, signOut, signUp, signUpPolicy, signUpRefusal, type Claimed } from "./auth.service";
import { configuredProviders, createAuthorization, fetchProfile, isConfigured, OAuthError } from "./oauth";

type Jar = Record<string, Cookie<unknown>>;

// The OAuth round trip keeps its state, PKCE verifier, destination and invitation in short-lived
// cookies scoped to /login, so nothing is stored server-side for abandoned sign-ins.
const OAUTH_COOKIES = { state: "lc_oauth_state", verifier: "lc_oauth_verifier", next: "lc_oauth_next", invite: "lc_oauth_invite" } as const;
const OAUTH_COOKIE_SECONDS = 10 * 60;

function setOAuthCookie(cookie: Jar, name: string, value: string | null | undefined) {
  cookie[name]!.set({
    value: value ?? "",
    httpOnly: true,
    sameSite: "lax",
    secure: config.secureCookies,
    path: "/login",
    maxAge: value ? OAUTH_COOKIE_SECONDS : 0,
  });
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const providerNotFound = () => new AppError("not_found", tText("auth:errors.providerNotFound"));

/** Sign-up is offered (link on the login page) unless it is closed for good. */
async function signUpLinkShown(): Promise<boolean> {
  const policy = await signUpPolicy(undefined);
  return policy.allowed || policy.reason === "invite_required";
}

function welcome(cookie: Jar, organizationName: string | null, claimed: Claimed) {
  const parts: string[] = [];
  if (claimed.instances) parts.push(tText("auth:signUp.claimedInstances", { count: claimed.instances }));
  if (claimed.apiKeys) parts.push(tText("auth:signUp.claimedApiKeys", { count: claimed.apiKeys }));
  const items = parts.length === 2 ? tText("auth:signUp.claimedAnd", { first: parts[0], second: parts[1] }) : parts[0];
  const moved = items ? ` ${tText("auth:signUp.claimed", { items, count: claimed.instances + claimed.apiKeys })}` : "";
  const greeting = organizationName ? tText("auth:signUp.welcomeOrganization", { organization: organizationName }) : tText("auth:signUp.welcome");
  setFlash(cookie, "success", `${greeting}${moved}`);
}

/** /login, /signup, /logout and the OAuth/OIDC round trip (`/login/:provider` → provider → `/callback`). */
export const authPages = new Elysia({ name: "auth-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .get("/login", async ({ cookie, query, request, csrfToken }) => {
    if (await loadSignedInUser(str(cookie[SESSION_COOKIE]?.value))) return hxRedirect(request, "/");
    return (
      <LoginPage
        csrfToken={csrfToken}
        next={safeNextPath(query.next)}
        providers={configuredProviders()}
        signUpLink={await signUpLinkShown()}
        flash={takeFlash(cookie)}
      />
    );
  })
  .post("/login", async ({ body, cookie, request, server, set, csrfToken }) => {
    const values = keptValues(body);
    const next = safeNextPath(values.next);
    const page = async (status: number, extra: { message?: string; errors?: FieldError[]; resendConfirmation?: boolean }) => {
      set.status = status;
      return <LoginPage csrfToken={csrfToken} values={values} next={next} providers={configuredProviders()} signUpLink={await signUpLinkShown()} {...extra} />;
    };
    const parsed = parseForm(loginSchema, body);
    if (!parsed.ok) return page(422, { errors: parsed.errors });
    const ip = clientIp(request, server) ?? "unknown";
    const result = await signInWithPassword(parsed.value, { ip, request, next });
    if (!result.ok && result.reason === "throttled") {
      set.headers["retry-after"] = String(result.retryAfter);
      return page(429, { message: tText("auth:signIn.throttled", { count: Math.ceil(result.retryAfter / 60) }) });
    }
    if (!result.ok && result.reason === "unverified") {
      return page(403, { message: tText("auth:steps.unverifiedSignIn"), resendConfirmation: true });
    }
    if (!result.ok) {
      // Only someone who knows the password chosen at sign-up learns that a request waits or was declined.
      const registration = await registrationGate.stateForSignIn(parsed.value.email, parsed.value.password);
      if (registration) return page(403, { message: tText(registration === "pending" ? "auth:steps.pendingSignIn" : "auth:steps.rejectedSignIn") });
      return page(422, { message: tText("auth:signIn.incorrect") });
    }
    if ("challenge" in result) {
      setChallengeCookie(cookie, result.challenge.token);
      return hxRedirect(request, SECOND_FACTOR_PATH);
    }
    cookie[SESSION_COOKIE]!.set(sessionCookie(result.token, result.session.expiresAt));
    return hxRedirect(request, next);
  })
  .get("/signup", async ({ cookie, query, request, csrfToken }) => {
    const invite = str(query.invite);
    if (await loadSignedInUser(str(cookie[SESSION_COOKIE]?.value))) {
      // Already have an account: an invitation is accepted on its own page instead.
      return hxRedirect(request, invite ? `/invitations/${encodeURIComponent(invite.slice(0, 200))}` : "/");
    }
    const policy = await signUpPolicy(invite);
    return (
      <SignUpPage
        csrfToken={csrfToken}
        next={safeNextPath(query.next)}
        refused={policy.allowed ? undefined : signUpRefusal(policy.reason)}
        firstAccount={policy.allowed && policy.firstAccount}
        approval={policy.allowed && !!policy.approval && !policy.invitation}
        invitation={
          policy.allowed && policy.invitation && invite
            ? { token: invite, organizationName: policy.invitation.organizationName, email: policy.invitation.email, role: policy.invitation.role }
            : undefined
        }
        providers={configuredProviders()}
        flash={takeFlash(cookie)}
      />
    );
  })
  .post("/signup", async ({ body, cookie, query, request, set, csrfToken }) => {
    const values = keptValues(body);
    const next = safeNextPath(query.next ?? values.next);
    const policy = await signUpPolicy(values.invite);
    const invitation =
      policy.allowed && policy.invitation && values.invite
        ? { token: values.invite, organizationName: policy.invitation.organizationName, email: policy.invitation.email, role: policy.invitation.role }
        : undefined;
    const page = (status: number, extra: { message?: string; errors?: FieldError[]; refused?: string }) => {
      set.status = status;
      return (
        <SignUpPage
          csrfToken={csrfToken}
          values={values}
          next={next}
          invitation={invitation}
          firstAccount={policy.allowed && policy.firstAccount}
          approval={policy.allowed && !!policy.approval && !policy.invitation}
          providers={configuredProviders()}
          {...extra}
        />
      );
    };
    if (!policy.allowed) return page(403, { refused: signUpRefusal(policy.reason) });
    const parsed = parseForm(signUpSchema, body);
    // Field errors never include "this email is taken": that would tell anyone which addresses have accounts.
    if (!parsed.ok) return page(422, { errors: parsed.errors });
    const result = await signUp(parsed.value, { request, deviceId: readDeviceId(cookie) });
    if (!result.ok) {
      if (result.status === 403) return page(403, { refused: result.message });
      return page(result.status, { errors: result.errors, message: result.status === 409 ? result.message : undefined });
    }
    if (result.next !== "signed_in") {
      if (result.next === "confirm_email") return hxRedirect(request, "/signup/confirm-email");
      if (result.next === "awaiting_approval") return hxRedirect(request, "/signup/requested");
      setFlash(cookie, "success", tText("auth:steps.signUpReadyFlash"));
      return hxRedirect(request, `/login${next === "/" ? "" : `?next=${encodeURIComponent(next)}`}`);
    }
    const { token, session } = await openSession(result.user, result.organization.id, request);
    cookie[SESSION_COOKIE]!.set(sessionCookie(token, session.expiresAt));
    welcome(cookie, result.organization.name, result.claimed);
    return hxRedirect(request, next);
  })
  .post("/logout", async ({ cookie, request }) => {
    await signOut(str(cookie[SESSION_COOKIE]?.value), request);
    cookie[SESSION_COOKIE]!.set(blankSessionCookie());
    setFlash(cookie, "info", tText("auth:signIn.signedOut"));
    return hxRedirect(request, "/login");
  })
  .get("/login/:provider", async ({ params, query, cookie, request }) => {
    if (!isConfigured(params.provider)) throw providerNotFound();
    if (await loadSignedInUser(str(cookie[SESSION_COOKIE]?.value))) return hxRedirect(request, "/");
    const { url, state, codeVerifier } = createAuthorization(params.provider);
    setOAuthCookie(cookie, OAUTH_COOKIES.state, state);
    setOAuthCookie(cookie, OAUTH_COOKIES.verifier, codeVerifier);
    const next = safeNextPath(query.next);
    setOAuthCookie(cookie, OAUTH_COOKIES.next, next === "/" ? null : next);
    const invite = str(query.invite);
    setOAuthCookie(cookie, OAUTH_COOKIES.invite, invite && invite.length <= 200 ? invite : null);
    return new Response(null, { status: 302, headers: { location: url.toString(), "cache-control": "no-store" } });
  })
  .get("/login/:provider/callback", async ({ params, query, cookie, request, set, csrfToken }) => {
    const provider = params.provider;
    if (!isConfigured(provider)) throw providerNotFound();
    const expectedState = str(cookie[OAUTH_COOKIES.state]?.value);
    const codeVerifier = str(cookie[OAUTH_COOKIES.verifier]?.value) || null;
    const next = safeNextPath(cookie[OAUTH_COOKIES.next]?.value);
    const inviteToken = str(cookie[OAUTH_COOKIES.invite]?.value) || null;
    // One use only: whatever happens next, this round trip's cookies are spent.
    for (const name of Object.values(OAUTH_COOKIES)) setOAuthCookie(cookie, name, null);
    const label = configuredProviders().find((p) => p.id === provider)!.label;
    const fail = async (status: number, message: string) => {
      set.status = status;
      return <LoginPage csrfToken={csrfToken} next={next} message={message} providers={configuredProviders()} signUpLink={await signUpLinkShown()} />;
    };
    if (str(query.error)) return fail(400, tText("auth:signIn.providerCancelled", { provider: label }));
    const code = str(query.code);
    const state = str(query.state);
    // Every provider but GitHub uses PKCE, so its verifier must have survived the round trip too.
    const verifierMissing = provider !== "github" && !codeVerifier;
    if (!code || !state || !expectedState || !safeEqual(state, expectedState) || verifierMissing) {
      return fail(400, tText("auth:signIn.providerExpired", { provider: label }));
    }
    let profile: Awaited<ReturnType<typeof fetchProfile>>;
    try {
      profile = await fetchProfile(provider, code, codeVerifier);
    } catch (err) {
      if (err instanceof OAuthError) return fail(err.status, tText("auth:signIn.providerFailed", { provider: label, reason: err.message }));
      throw err;
    }
    const result = await signInWithOAuth(profile, { request, deviceId: readDeviceId(cookie), inviteToken, next });
    if (!result.ok) return fail(403, result.message);
    if ("challenge" in result) {
      setChallengeCookie(cookie, result.challenge.token);
      return hxRedirect(request, SECOND_FACTOR_PATH);
    }
    cookie[SESSION_COOKIE]!.set(sessionCookie(result.token, result.session.expiresAt));
    if (result.created) welcome(cookie, null, result.claimed);
    return hxRedirect(request, next);
  });
