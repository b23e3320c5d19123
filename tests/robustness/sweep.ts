// Shared machinery of the robustness sweeps: the app's own route table, how to fill each route's
// params, how to send a request as a signed-in member / API key / nobody, and what a response must
// never look like (5xx, stack, SQL, driver internals, a missing /v1 error envelope).
import type { App } from "@/app";
import { sessionCsrfToken } from "@/auth/csrf";
import { SESSION_COOKIE } from "@/auth/session";
import type { Seeded } from "./seed";

export const CSRF = "test-csrf-token-0123456789abcdef";

export type Route = { method: string; path: string; hooks: Record<string, any> };

export function routesOf(app: App): Route[] {
  return app.routes.map((r) => ({ method: r.method.toUpperCase(), path: r.path, hooks: ((r as any).hooks ?? {}) as Record<string, any> }));
}

export const isApi = (path: string) => path.startsWith("/v1");
export const isHook = (path: string) => path.startsWith("/hooks/");

/** Routes anyone may call without a session or key (sign-in, try-before-sign-up, provider webhooks, links that are their own credential). */
export const PUBLIC_ROUTES = new Set([
  "GET /", // visitors land on the try-before-sign-up page
  "GET /metrics",
  "GET /docs",
  "GET /docs/assets/scalar.js", // the API reference's script, served from node_modules
  "GET /openapi.json",
  "GET /health",
  "GET /ready",
  "GET /static/htmx.min.js",
  "GET /static/*",
  "GET /login",
  "POST /login",
  "GET /signup",
  "POST /signup",
  "POST /logout",
  "GET /login/:provider",
  "GET /login/:provider/callback",
  "POST /hooks/wuzapi",
  "GET /hooks/cloud/:instanceId",
  "POST /hooks/cloud/:instanceId",
  "GET /media/:id", // a signed media link is its own credential (an expired or wrong one is 404)
  "GET /sandbox/pair/:token",
  "POST /sandbox/pair/:token",
  "GET /try",
  "POST /try",
  "GET /try/connection",
  "POST /try/key",
  "POST /try/simulate-inbound",
  "POST /try/connect",
  "POST /try/scan",
  "GET /invitations/:token",
  "POST /invitations/:token/accept",
  "GET /signup/confirm-email",
  "GET /signup/requested",
  "POST /verify-email/resend",
  "GET /verify-email/:token",
  "GET /password/forgot",
  "POST /password/forgot",
  "GET /password/reset/:token",
  "POST /password/reset/:token",
]);

export const paramNames = (path: string) => [...path.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? "*");

export type IdKind = keyof Seeded["ids"];

/** Which seeded resource a route's `:param` names, from the route's first segment (the same on /v1 and pages). */
export function kindOf(
  path: string,
  param: string,
): IdKind | "stepKey" | "versionNumber" | "invitationToken" | "pairToken" | "provider" | "action" | "toggle" | "static" | "platformId" | null {
  if (param === "deliveryId") return "delivery";
  if (param === "sid") return "suggestion";
  if (param === "labelId") return "label";
  if (param === "instanceId") return "instance";
  if (param === "triggerId") return "trigger";
  if (param === "sessionId") return "session";
  if (param === "key") return "stepKey";
  // A prompt version's number within its workflow (the workflow's :id is the id under test).
  if (param === "version") return "versionNumber";
  if (param === "action") return "action";
  if (param === "toggle") return "toggle";
  if (param === "provider") return "provider";
  if (param === "*") return "static";
  // Install-wide pages (users, sign-up requests) for platform admins: ids of no organization.
  if (path.startsWith("/platform/")) return "platformId";
  if (param === "token") return path.startsWith("/invitations") ? "invitationToken" : "pairToken";
  const segments = path.replace(/^\/v1/, "").split("/").filter(Boolean);
  const table: Record<string, IdKind> = {
    workflows: "workflow",
    threads: "thread",
    templates: "template",
    "api-keys": "apiKey",
    devices: "device",
    sandbox: "instance",
    instances: "instance",
    messages: "message",
    webhooks: "webhook",
    deliveries: "delivery",
    contacts: "contact",
    conversations: "conversation",
    inbox: "conversation",
    events: "event",
    triggers: "trigger",
    flows: "flow",
    tools: "tool",
    media: "media",
    "canned-replies": "cannedReply",
    "contact-fields": "contactField",
    "contact-imports": "contactImport",
    segments: "segment",
    campaigns: "campaign",
    "outage-regions": "outageRegion",
    labels: "label",
    complaints: "complaint",
    departments: "department",
    announcements: "announcement",
    "agent-chats": "agentChat",
    suggestions: "suggestion",
    "prompt-suggestions": "promptSuggestion",
    hybrid: "department",
  };
  if (segments[0] === "members") return segments[1] === "invitations" ? "invitation" : "membership";
  if (segments[0] === "learning") return segments[1] === "departments" ? "department" : "promptSuggestion";
  if (segments[0] === "knowledge") return segments[1] === "documents" ? "knowledgeDocument" : "knowledgeCollection";
  if (segments[0] === "alerts") return segments[1] === "targets" ? "department" : "alert";
  if (segments[0] === "satisfaction") return segments[1] === "surveys" ? "department" : "feedback";
  if (segments[0] === "gamification") return "member";
  if (segments[0] === "contacts" && segments[1] === "fields") return "contactField";
  if (segments[0] === "contacts" && segments[1] === "import") return "contactImport";
  if (segments[0] === "monitor") return segments[1] === "alerts" ? "alert" : "conversation";
  if (segments[0] === "collections") {
    if (segments[1] === "targets") return "collectionTarget";
    if (segments[1] === "crm-syncs") return param === "runId" ? "crmRun" : "crmSync";
    return "paymentPromise";
  }
  if (segments[0] === "outages") return segments[1] === "regions" ? "outageRegion" : "outage";
  if (segments[0] === "sales") return segments[1] === "plans" ? "salesPlan" : "salesLead";
  // An instance's greeting menu lives on the departments pages.
  if (segments[0] === "departments" && segments[1] === "menus") return "instance";
  return table[segments[0]!] ?? null;
}

/** A route's params filled with `org`'s real values (so only the thing under test is wrong). */
export function realParams(route: Route, org: Seeded): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of paramNames(route.path)) {
    const kind = kindOf(route.path, name);
    if (kind === "stepKey") out[name] = org.stepKey;
    else if (kind === "versionNumber") out[name] = "1";
    else if (kind === "invitationToken") out[name] = org.invitationToken;
    else if (kind === "pairToken") out[name] = "not-a-real-pairing-token-000000";
    else if (kind === "provider") out[name] = "github";
    else if (kind === "action") out[name] = "archive";
    else if (kind === "toggle") out[name] = "block";
    else if (kind === "static") out[name] = "app.css";
    else if (kind === "platformId") out[name] = "00000000-0000-4000-8000-000000000000";
    else if (kind) out[name] = org.ids[kind];
    else throw new Error(`no value for ${route.method} ${route.path} :${name}`);
  }
  return out;
}

/** Path with params substituted; values are percent-encoded unless `raw` (to send `%00` as such). */
export function fill(path: string, params: Record<string, string>, raw = false): string {
  return path.replace(/:(\w+)|\*/g, (_m, name: string | undefined) => {
    const v = params[name ?? "*"]!;
    return raw ? v : encodeURIComponent(v);
  });
}

export type Who = { kind: "member"; session: string } | { kind: "key"; key: string } | { kind: "nobody" };

export type Sent = { status: number; headers: Headers; text: string; json: any; sse: boolean; ms: number };

export type Body =
  | { type: "json"; raw: string }
  | { type: "form"; data: Record<string, string | string[]> }
  | { type: "raw"; contentType: string; raw: string }
  | { type: "none" };

const HANG_MS = 8_000;

/** One request through `app.handle`, as a browser with cookies + CSRF header, an API client, or nobody. */
export async function send(app: App, method: string, url: string, who: Who, body: Body = { type: "none" }, extra: Record<string, string> = {}): Promise<Sent> {
  const headers = new Headers(extra);
  const cookies = [`lc_csrf=${CSRF}`];
  if (who.kind === "member") cookies.push(`${SESSION_COOKIE}=${who.session}`);
  headers.set("cookie", cookies.join("; "));
  // A signed-in browser's pages carry the token bound to its session.
  if (method !== "GET" && !headers.has("x-csrf-token")) headers.set("x-csrf-token", who.kind === "member" ? sessionCsrfToken(who.session) : CSRF);
  if (who.kind === "key") headers.set("authorization", `Bearer ${who.key}`);
  let payload: string | URLSearchParams | undefined;
  if (body.type === "json") {
    headers.set("content-type", "application/json");
    payload = body.raw;
  } else if (body.type === "form") {
    headers.set("content-type", "application/x-www-form-urlencoded");
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(body.data)) for (const item of Array.isArray(v) ? v : [v]) form.append(k, item);
    payload = form;
  } else if (body.type === "raw") {
    headers.set("content-type", body.contentType);
    payload = body.raw;
  }
  const started = performance.now();
  const request = new Request(`http://localhost${url}`, { method, headers, body: method === "GET" ? undefined : payload, redirect: "manual" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const res = await Promise.race([
    app.handle(request),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no response within ${HANG_MS} ms`)), HANG_MS))),
  ]).finally(() => clearTimeout(timer));
  const sse = res.headers.get("content-type")?.includes("text/event-stream") === true;
  let text = "";
  if (sse) {
    // Live streams never end: the headers are the answer; stop reading so the subscription closes.
    await res.body?.cancel().catch(() => {});
  } else {
    text = await res.text();
  }
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, headers: res.headers, text, json, sse, ms: performance.now() - started };
}

/** What an error response must never contain: stack frames, Drizzle/Postgres failure text, SQL. */
const LEAKS: [string, RegExp][] = [
  ["stack frame", /^ {4}at /m],
  ["stack path", /\bat \/(?:work|home|usr|src|app|tmp|root|opt)\//],
  ["source location", /\.(?:ts|tsx|js):\d+:\d+/],
  ["Failed query", /failed query/i],
  ["SQL select", /(?<![<\w-])select\s+(?:"|\*|distinct\b|count\()/i],
  ["SQL insert", /insert into/i],
  ["SQL update", /\bupdate\s+"\w+"\s+set\b/i],
  ["query params", /\bparams:/i],
  ["postgres", /postgres/i],
  ["drizzle", /drizzle/i],
  ["SQLSTATE", /\b(?:22P02|23505|23503|42P01|42703|22021|22P05)\b/],
];

/** Static assets and the API docs legitimately mention SQL-ish words; they carry no request data. */
const LEAK_EXEMPT = /^\/(static\/|docs$|docs\/assets\/|openapi\.json$|metrics$)/;

/** Problems with one response, as readable strings (empty = fine). */
export function problems(routePath: string, _url: string, res: Sent, opts: { allow502?: boolean } = {}): string[] {
  const out: string[] = [];
  if (res.status >= 500 && !(opts.allow502 && res.status === 502)) out.push(`status ${res.status}`);
  if (!LEAK_EXEMPT.test(routePath)) {
    for (const [name, re] of LEAKS) {
      const m = re.exec(res.text);
      if (m) out.push(`leaks ${name}: …${res.text.slice(Math.max(0, m.index - 60), m.index + 80).replace(/\s+/g, " ")}…`);
    }
  }
  if ((isApi(routePath) || isHook(routePath)) && res.status >= 400) {
    const e = res.json?.error;
    if (!e || typeof e.code !== "string" || typeof e.message !== "string" || typeof e.requestId !== "string") {
      out.push(`no JSON error envelope: ${res.text.slice(0, 160)}`);
    }
  }
  if (!res.headers.get("x-request-id")) out.push("no X-Request-Id");
  if (res.status === 429 && !res.headers.get("retry-after")) out.push("429 without Retry-After");
  return out;
}
