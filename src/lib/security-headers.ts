import { Elysia } from "elysia";
import { config } from "@/config";

/**
 * Content-Security-Policy of the admin, public pages and the API. Scripts are external files under
 * /static only (no inline script, no eval: htmx runs with allowEval=false). Style attributes stay
 * allowed because views set a few computed ones (chart swatches); <style> elements do not.
 * Images may be https: because inbox messages show media hosted by the provider.
 */
const APP_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: https:",
  "media-src 'self' https:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * `/docs` (Scalar's API reference, served from node_modules): still no inline script, but Scalar
 * injects its component styles at runtime and the page carries two <style> blocks. The hash is that
 * of the whitespace inside @elysiajs/openapi's configuration <script> (it holds data, runs nothing);
 * allowing it keeps the console free of a violation report.
 */
const DOCS_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'sha256-TcUB1mzXiQO4GxpTRZ0EMpOXKMU3u+n/q1WrgVIcs1I='",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** `/docs` or below, read off the absolute URL without parsing it (this runs on every request). */
function isDocsPath(url: string): boolean {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  if (pathStart < 0 || !url.startsWith("/docs", pathStart)) return false;
  const next = url[pathStart + 5];
  return next === undefined || next === "/" || next === "?";
}

/**
 * Headers every response carries: HTML, JSON, static files and errors alike. They are Elysia's default
 * headers (`.headers()`), which it copies into each request's `set.headers` in one `Object.assign`
 * (and onError copies onto error Responses) instead of a hook writing them one by one on every request.
 * `Cache-Control: no-store` is the default so that admin pages, and API answers that carry a secret
 * (new keys, webhook secrets), never land in a browser or proxy cache — Back after sign-out
 * re-requests the page and meets the login redirect. Responses that may be cached (static assets)
 * set their own `cache-control`, which wins.
 */
export const RESPONSE_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "strict-origin-when-cross-origin",
  "cross-origin-opener-policy": "same-origin",
  "cache-control": "no-store",
} as const;

export const securityHeaders = new Elysia({ name: "livchat-security-headers" }).headers(RESPONSE_HEADERS);

/**
 * What depends on the request or on configuration read at request time: the policy (/docs has its
 * own), and HSTS when the app is served over https. Called by app.ts's one onRequest hook. Not a
 * default header: Elysia bakes default headers into a route that answers a constant Response (the
 * /docs page), where a value set per request no longer replaces them.
 */
export function requestSecurityHeaders(url: string, headers: Record<string, string | number>): void {
  headers["content-security-policy"] = isDocsPath(url) ? DOCS_POLICY : APP_POLICY;
  if (config.secureCookies) headers["strict-transport-security"] = "max-age=31536000; includeSubDomains";
}
