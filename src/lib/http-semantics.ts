import type { AnyElysia } from "elysia";

/**
 * What HTTP says about a path the router knows under other methods (405 with `Allow`, OPTIONS) and
 * about request bodies `/v1` cannot read (415). Read from the app's own router and routes, so a
 * route a feature adds is covered without being listed here.
 */

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

type RouterView = {
  http: { find(method: string, path: string): unknown };
  static: Record<string, Record<string, number> | undefined>;
};

/** Elysia matches `/x` and `/x/` alike; its router stores the spelling a route was registered with. */
function spellings(path: string): string[] {
  if (path === "/") return [path];
  return path.endsWith("/") ? [path, path.replace(/\/+$/, "")] : [path, `${path}/`];
}

/** The methods some route answers on `path` (OPTIONS included when any does); empty for an unknown path. */
export function allowedMethods(app: AnyElysia, path: string): string[] {
  const router = app.router as unknown as RouterView;
  const paths = spellings(path);
  const found = METHODS.filter((method) => paths.some((p) => router.static[p]?.[method] !== undefined || router.http.find(method, p) != null));
  if (found.length === 0) return [];
  // HEAD is answered wherever GET is (headAsGet).
  return [...METHODS.filter((method) => found.includes(method) || (method === "HEAD" && found.includes("GET"))), "OPTIONS"];
}

/** HEAD as HTTP defines it: the GET answer's status and headers, without its body. */
export async function headAsGet(app: AnyElysia, request: Request): Promise<Response> {
  const res = await app.handle(new Request(request.url, { method: "GET", headers: request.headers }));
  await res.body?.cancel();
  return new Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The path of an absolute request URL, without parsing it (this runs on requests with a body). */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.search(/[?#]/);
  return url.slice(start, end < 0 ? undefined : end);
}

/** `application/json` or any `…+json`: what every `/v1` body is. */
function isJsonMediaType(contentType: string): boolean {
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  return media === "application/json" || media.endsWith("+json");
}

// Elysia's names for its built-in parsers, as routes declare them with `parse`.
const PARSER_MEDIA_TYPES: Record<string, string> = {
  json: "application/json",
  text: "text/plain",
  urlencoded: "application/x-www-form-urlencoded",
  formdata: "multipart/form-data",
  arrayBuffer: "application/octet-stream",
};

type DeclaredBodies = { pattern: RegExp; method: string; types: string[] }[];
const declaredByApp = new WeakMap<AnyElysia, { routes: number; declared: DeclaredBodies }>();

/**
 * The `/v1` routes that declare a body other than JSON (`parse: "formdata"`, an upload), read once
 * per set of routes: only those may receive one.
 */
function declaredBodies(app: AnyElysia): DeclaredBodies {
  const routes = app.routes;
  const cached = declaredByApp.get(app);
  if (cached && cached.routes === routes.length) return cached.declared;
  const declared: DeclaredBodies = [];
  for (const route of routes) {
    if (!route.path.startsWith("/v1/")) continue;
    const parsers = (route.hooks as { parse?: { fn: unknown }[] } | undefined)?.parse ?? [];
    const types = parsers.flatMap((p) => (typeof p.fn === "string" ? [PARSER_MEDIA_TYPES[p.fn] ?? p.fn.toLowerCase()] : []));
    if (types.length === 0) continue;
    const source = route.path
      .replace(/\/+$/, "")
      .split("/")
      .map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    declared.push({ pattern: new RegExp(`^${source}/?$`), method: route.method.toUpperCase(), types });
  }
  declaredByApp.set(app, { routes: routes.length, declared });
  return declared;
}

/** The body types a `/v1` route reads: what it declares with `parse`, else JSON. */
export function acceptedBodyTypes(app: AnyElysia, method: string, path: string): string[] {
  return declaredBodies(app).find((d) => d.method === method && d.pattern.test(path))?.types ?? ["application/json"];
}

/** Whether a `/v1` request with this content type may be parsed (JSON: `application/json` or any `…+json`). */
export function acceptsBody(app: AnyElysia, method: string, path: string, contentType: string): boolean {
  const accepted = acceptedBodyTypes(app, method, path);
  if (accepted.includes("application/json") && isJsonMediaType(contentType)) return true;
  return accepted.includes(contentType.split(";")[0]!.trim().toLowerCase());
}
