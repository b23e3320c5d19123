import { Elysia } from "elysia";
import { config } from "@/config";
import { randomToken, safeEqual } from "@/lib/crypto";
import { AppError } from "@/lib/errors";

export const CSRF_COOKIE = "lc_csrf";
export const CSRF_HEADER = "x-csrf-token";
export const CSRF_FIELD = "_csrf";

/** Paths authenticated by API keys or provider signatures, not by the session cookie. */
function isExempt(path: string): boolean {
  return path.startsWith("/v1/") || path === "/v1" || path.startsWith("/hooks/");
}

function sameOrigin(origin: string, request: Request): boolean {
  if (origin === new URL(config.appUrl).origin) return true;
  const host = request.headers.get("host");
  return !!host && (origin === `http://${host}` || origin === `https://${host}`);
}

/**
 * CSRF for the admin: every non-GET must come from our Origin (when the browser sends one) and carry
 * the double-submit token (X-CSRF-Token from htmx's hx-headers, or the `_csrf` form field) equal to
 * the `lc_csrf` cookie. Views get the token as `csrfToken`.
 */
export const csrfPlugin = new Elysia({ name: "livchat-csrf" })
  .derive({ as: "global" }, ({ cookie, path }) => {
    if (isExempt(path)) return { csrfToken: "" };
    const jar = cookie[CSRF_COOKIE]!;
    let token = typeof jar.value === "string" ? jar.value : "";
    if (!/^[A-Za-z0-9_-]{32}$/.test(token)) {
      token = randomToken(24);
      jar.set({ value: token, httpOnly: true, sameSite: "lax", secure: config.secureCookies, path: "/" });
    }
    return { csrfToken: token };
  })
  // In transform (after parsing, before validation) so a forged post is refused before its body is judged.
  .onTransform({ as: "global" }, ({ request, path, body, csrfToken }) => {
    const method = request.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS" || isExempt(path)) return;
    const origin = request.headers.get("origin");
    if (origin && !sameOrigin(origin, request)) throw new AppError("forbidden", "Cross-origin request refused");
    const sent =
      request.headers.get(CSRF_HEADER) ??
      (body && typeof body === "object" ? String((body as Record<string, unknown>)[CSRF_FIELD] ?? "") : "");
    if (!sent || !csrfToken || !safeEqual(sent, csrfToken)) {
      throw new AppError("forbidden", "Missing or invalid CSRF token; reload the page and try again");
    }
  });
