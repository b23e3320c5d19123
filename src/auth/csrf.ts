import { Elysia } from "elysia";
import { config } from "@/config";
import { macOf, randomToken, safeEqual, sha256Hex } from "@/lib/crypto";
import { AppError } from "@/lib/errors";
import { SESSION_COOKIE } from "./session";

export const CSRF_COOKIE = "lc_csrf";
export const CSRF_HEADER = "x-csrf-token";
export const CSRF_FIELD = "_csrf";

/** Paths authenticated by API keys or provider signatures, not by the session cookie. */
function isExempt(path: string): boolean {
  return path.startsWith("/v1/") || path === "/v1" || path.startsWith("/hooks/");
}

/**
 * Probes and scrapers that never render a form: they get no token, so a load balancer's health check
 * neither draws random bytes nor carries a Set-Cookie on every call.
 */
const MACHINE_PATHS = new Set(["/health", "/ready", "/metrics"]);

const CSRF_COOKIE_VALUE = new RegExp(`(?:^|;\\s*)${CSRF_COOKIE}=([A-Za-z0-9_-]{32})(?:;|$)`);
const SESSION_COOKIE_VALUE = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([A-Za-z0-9_-]{1,100})(?:;|$)`);

/** The lc_csrf token from a Cookie header, when it is one we could have issued. */
function readCsrfCookie(header: string | null): string | undefined {
  return header ? CSRF_COOKIE_VALUE.exec(header)?.[1] : undefined;
}

/**
 * The CSRF token of a signed-in browser: an HMAC, under the app secret, of its session id (the
 * sha256 of the cookie token, as sessions are stored). It cannot be forged without the secret, is
 * worthless for any other session, and dies with the session.
 */
export function sessionCsrfToken(sessionCookieToken: string): string {
  return macOf("csrf", sha256Hex(sessionCookieToken));
}

function sameOrigin(origin: string, request: Request): boolean {
  if (origin === new URL(config.appUrl).origin) return true;
  const host = request.headers.get("host");
  return !!host && (origin === `http://${host}` || origin === `https://${host}`);
}

/**
 * CSRF for the admin: every non-GET must come from our Origin (when the browser sends one) and carry
 * the token (X-CSRF-Token from htmx's hx-headers, or the `_csrf` form field). With a session cookie
 * the expected token is bound to that session (sessionCsrfToken); before sign-in (login, sign-up) it
 * is the double-submit `lc_csrf` cookie. Views get the expected token as `csrfToken`.
 */
export const csrfPlugin = new Elysia({ name: "livchat-csrf" })
  // Reads the raw Cookie header instead of Elysia's cookie jar: a global hook that names `cookie`
  // makes every route (the whole /v1 API included) parse all cookies on every request.
  .derive({ as: "global" }, ({ request, path, set }) => {
    if (isExempt(path) || MACHINE_PATHS.has(path)) return { csrfToken: "" };
    const cookies = request.headers.get("cookie");
    // A stale or forged session cookie still yields a token only its holder can use; the route's
    // own session check refuses the request anyway.
    const session = cookies ? SESSION_COOKIE_VALUE.exec(cookies)?.[1] : undefined;
    if (session) return { csrfToken: sessionCsrfToken(session) };
    let token = readCsrfCookie(cookies);
    if (!token) {
      token = randomToken(24);
      set.cookie ??= {};
      set.cookie[CSRF_COOKIE] = { value: token, httpOnly: true, sameSite: "lax", secure: config.secureCookies, path: "/" };
    }
    return { csrfToken: token };
  })
  // In transform (after parsing, before validation) so a forged post is refused before its body is judged.
  .onTransform({ as: "global" }, ({ request, path, body, csrfToken }) => {
    const method = request.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS" || isExempt(path)) return;
    const origin = request.headers.get("origin");
    if (origin && !sameOrigin(origin, request)) throw new AppError("forbidden", "Cross-origin request refused");
    const sent = request.headers.get(CSRF_HEADER) ?? (body && typeof body === "object" ? String((body as Record<string, unknown>)[CSRF_FIELD] ?? "") : "");
    if (!sent || !csrfToken || !safeEqual(sent, csrfToken)) {
      throw new AppError("forbidden", "Missing or invalid CSRF token; reload the page and try again");
    }
  });
