import { createApp, type App } from "@/app";
import { sessionCsrfToken } from "@/auth/csrf";
import { SESSION_COOKIE } from "@/auth/session";

const CSRF = "test-csrf-token-0123456789abcdef"; // 32 chars: a valid double-submit token

/** A browser-like client over `app.handle`: keeps cookies, sends the CSRF header like htmx does. */
export class TestClient {
  readonly cookies = new Map<string, string>([["lc_csrf", CSRF]]);
  constructor(readonly app: App = createApp()) {}

  async request(path: string, init: RequestInit & { htmx?: boolean; csrf?: boolean } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    // Tests read English unless they ask for another language (pt-BR is the product's default).
    if (!headers.has("accept-language")) headers.set("accept-language", "en");
    headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const method = (init.method ?? "GET").toUpperCase();
    if (method !== "GET" && init.csrf !== false && !headers.has("x-csrf-token")) headers.set("x-csrf-token", this.csrfToken());
    if (init.htmx) headers.set("hx-request", "true");
    const res = await this.app.handle(new Request(`http://localhost${path}`, { ...init, headers, redirect: "manual" }));
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (!value || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** The token the pages would carry: bound to the session once signed in, the lc_csrf cookie before. */
  csrfToken(): string {
    const session = this.cookies.get(SESSION_COOKIE);
    return session ? sessionCsrfToken(session) : (this.cookies.get("lc_csrf") ?? CSRF);
  }

  get(path: string, init: RequestInit & { htmx?: boolean } = {}) {
    return this.request(path, init);
  }

  /** Posts a urlencoded form, as a browser (or htmx with `htmx: true`) would. */
  postForm(path: string, data: Record<string, string | string[]>, init: { htmx?: boolean; csrf?: boolean; headers?: Record<string, string> } = {}) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(data)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
    return this.request(path, {
      method: "POST",
      body,
      htmx: init.htmx,
      csrf: init.csrf,
      headers: { "content-type": "application/x-www-form-urlencoded", ...(init.headers ?? {}) },
    });
  }
}

/** JSON call to the `/v1` API with an API key. */
export async function api(
  app: App,
  method: string,
  path: string,
  key?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const h = new Headers(headers);
  if (!h.has("accept-language")) h.set("accept-language", "en");
  if (key) h.set("authorization", `Bearer ${key}`);
  if (body !== undefined) h.set("content-type", "application/json");
  const res = await app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}
