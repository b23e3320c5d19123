import { type AnyElysia, Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { RedirectError } from "@/auth/plugin";
import { config } from "@/config";
import { isUploadUrl, uploadBodyLimit } from "@/lib/media-url";
import { AppError, errorBody, fromDatabaseError, zodDetails } from "@/lib/errors";
import { htmlResponses } from "@/lib/html-responses";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { enterRequestLocale, tText } from "@/lib/i18n";
// Installs the zod error map: validation messages for people, in the request's language.
import "@/lib/validation-messages";
import { log, stackOf } from "@/lib/logger";
import { rememberServer } from "@/lib/client-ip";
import { capStreamingBody, guardRequest, payloadTooLarge } from "@/lib/request-guard";
import { requestSecurityHeaders, securityHeaders } from "@/lib/security-headers";
import { apiReference } from "@/lib/api-reference";
import { acceptedBodyTypes, acceptsBody, allowedMethods, headAsGet, pathOf } from "@/lib/http-semantics";
import { ErrorPage } from "@views/errors";
import { metricsPlugin } from "@/features/metrics/metrics.plugin";
import { OVERSIZED_HOOK_FACTOR } from "@/features/inbound/oversized";
import { ProviderError } from "@/providers/provider";
import { mountFeatures } from "@/routes";

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** The largest body a request URL may carry: WuzAPI bodies past HOOKS_MAX_BODY_BYTES are streamed, not held (inbound/oversized.ts). */
function bodyLimit(url: string): number {
  if (url.includes("/hooks/wuzapi")) return config.hooksMaxBodyBytes * OVERSIZED_HOOK_FACTOR;
  if (url.includes("/hooks/")) return config.hooksMaxBodyBytes;
  return isUploadUrl(url) ? uploadBodyLimit(url) : config.maxBodyBytes;
}

/** Machine-facing paths answer with the JSON envelope; everything else is an admin page. */
function wantsJson(path: string, request: Request): boolean {
  return path.startsWith("/v1") || path.startsWith("/hooks/") || (request.headers.get("accept")?.includes("application/json") === true && !isHtmx(request));
}

/** Turns anything thrown into an AppError; unknown errors become a logged, opaque 500. */
function normalizeError(code: string | number, error: unknown, requestId: string): AppError {
  if (error instanceof AppError) return error;
  // An answer that fails its own `response` schema is the server's bug, not the caller's: a logged 500.
  if (code === "VALIDATION" && (error as { type?: unknown }).type === "response") {
    log.error("response does not match its schema", { requestId, err: error });
    return new AppError("internal", tText("common:errors.internal"));
  }
  if (code === "VALIDATION") {
    const issues = (error as { all?: unknown }).all;
    const details = Array.isArray(issues)
      ? issues.map((i: { path?: unknown; message?: string; summary?: string }) => ({
          path: Array.isArray(i.path) ? i.path.map(String).join(".") : typeof i.path === "string" ? i.path.replace(/^\//, "").replaceAll("/", ".") : "(body)",
          message: i.message ?? i.summary ?? tText("common:errors.invalidValue"),
        }))
      : [{ path: "(body)", message: tText("common:errors.invalidValue") }];
    return new AppError("validation_failed", tText("common:errors.requestValidation"), details);
  }
  if (code === "NOT_FOUND") return new AppError("not_found", tText("common:errors.routeNotFound"));
  if (code === "PARSE") {
    // A body reader that refused (413 past the size limit) arrives wrapped in Elysia's ParseError.
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof AppError ? cause : new AppError("bad_request", tText("common:errors.malformedBody"));
  }
  if (code === "INVALID_COOKIE_SIGNATURE") return new AppError("bad_request", tText("common:errors.invalidCookie"));
  if (error instanceof z.ZodError) return new AppError("validation_failed", tText("common:errors.requestValidation"), zodDetails(error.issues));
  // A provider call that failed (WuzAPI/Meta down, rejected request): a 502 with the provider's reason.
  if (error instanceof ProviderError) return new AppError("provider_error", error.message);
  const fromDb = fromDatabaseError(error);
  if (fromDb) return fromDb;
  // The logger reduces a database error to its code and constraint: its message holds SQL parameters.
  log.error("unhandled error", { requestId, err: error, stack: stackOf(error) });
  return new AppError("internal", tText("common:errors.internal"));
}

/** RFC 6750: a `/v1` 401 names the scheme; `invalid_token` when a credential was presented and refused. */
function bearerChallenge(request: Request): string {
  return request.headers.has("authorization") ? 'Bearer realm="LivChat", error="invalid_token"' : 'Bearer realm="LivChat"';
}

/** The whole HTTP application; tests call `createApp().handle(request)`. */
export function createApp() {
  // The hooks below read the app's own router (405, OPTIONS, 415); it exists once the chain is built.
  const self: { app?: AnyElysia } = {};
  const app = new Elysia({ name: "livchat" })
    // clientIp() reads socket addresses through the server this process listens with.
    .onStart((app) => rememberServer(app.server))
    // Default headers of every response (errors and static files included).
    .use(securityHeaders)
    // One hook for every request (each onRequest hook is a call on every request, matched or not).
    .onRequest(({ request, set }) => {
      const url = request.url;
      const headers = request.headers;
      requestSecurityHeaders(url, set.headers);
      // Visitors get their Accept-Language; the auth plugin switches to the user's language and zone.
      enterRequestLocale(headers.get("accept-language"));
      const incoming = headers.get("x-request-id");
      set.headers["x-request-id"] = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
      const method = request.method;
      const declared = headers.get("content-length");
      // A GET or HEAD without a declared body has nothing to bound or type-check (nearly every read).
      if (declared === null && (method === "GET" || method === "HEAD")) return;
      const limit = bodyLimit(url);
      if (declared !== null) {
        if (Number(declared) > limit) throw payloadTooLarge(limit);
      } else {
        // Chunked: no length to check up front, so the body is counted while it streams.
        capStreamingBody(request, limit);
      }
      // `/v1` reads JSON: another body type sent to a /v1 route is refused with 415 before it is read (a
      // route may declare others with `parse`). Not an onParse hook: a global parser hides every body
      // schema from the OpenAPI plugin, which documents only the parsers a route declares.
      const contentType = headers.get("content-type");
      if (contentType === null || method === "GET" || method === "HEAD" || !self.app) return;
      const path = pathOf(url);
      if (!path.startsWith("/v1/") || acceptsBody(self.app, method, path, contentType)) return;
      // An unknown route or method keeps its 404 or 405.
      if (!allowedMethods(self.app, path).includes(method)) return;
      const accepted = acceptedBodyTypes(self.app, method, path).join(", ");
      throw new AppError("unsupported_media_type", tText("common:errors.unsupportedMediaType", { type: contentType.split(";")[0]!.trim(), accepted }));
    })
    .onError({ as: "global" }, ({ code, error, request, path, set }) => {
      const requestId = String(set.headers["x-request-id"] ?? crypto.randomUUID());
      if (error instanceof RedirectError) return hxRedirect(request, error.location);
      // A path the router knows under other methods: HEAD answers as GET without the body, OPTIONS lists
      // them, any other method is a 405.
      const allowed = code === "NOT_FOUND" && self.app ? allowedMethods(self.app, path) : [];
      if (request.method === "HEAD" && allowed.includes("GET")) return headAsGet(self.app!, request);
      if (allowed.length > 0 && request.method === "OPTIONS") {
        return new Response(null, { status: 204, headers: { allow: allowed.join(", "), "x-request-id": requestId, "cache-control": "no-store" } });
      }
      const appError =
        allowed.length > 0
          ? new AppError("method_not_allowed", tText("common:errors.methodNotAllowed", { method: request.method, allowed: allowed.join(", ") }), undefined, {
              allow: allowed.join(", "),
            })
          : normalizeError(code, error, requestId);
      const headers: Record<string, string> = { "x-request-id": requestId, ...(appError.headers ?? {}) };
      if (appError.code === "unauthorized" && path.startsWith("/v1")) headers["www-authenticate"] = bearerChallenge(request);
      for (const [name, value] of Object.entries(set.headers)) {
        if (name.toLowerCase().startsWith("x-ratelimit") || name.toLowerCase() === "retry-after") headers[name] = String(value);
      }
      if (wantsJson(path, request)) {
        return Response.json(errorBody(appError, requestId), { status: appError.status, headers });
      }
      if (appError.code === "unauthorized") {
        // A visitor landing on the home page gets the try-before-sign-up page (it links to sign in).
        if (path === "/" && request.method === "GET") return hxRedirect(request, "/try");
        const next = request.method === "GET" ? `?next=${encodeURIComponent(path)}` : "";
        return hxRedirect(request, `/login${next}`);
      }
      return new Response(ErrorPage({ error: appError, requestId, fragment: isHtmx(request) }) as string, {
        status: appError.status,
        headers: { ...headers, "content-type": "text/html; charset=utf-8" },
      });
    })
    // Ids that cannot exist → 404; JSON bodies are bounded objects without NUL bytes (before any validation).
    .onTransform({ as: "global" }, guardRequest)
    // Request timing: Elysia applies a global onAfterResponse only to routes registered after it.
    .use(metricsPlugin)
    .use(htmlResponses)
    // /docs and /openapi.json (the /v1 reference), served offline.
    .use(apiReference)
    .use(csrfPlugin);
  self.app = app;
  return mountFeatures(app);
}

export type App = ReturnType<typeof createApp>;
