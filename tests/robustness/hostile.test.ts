// Generated sweep over every route the app registers (`createApp().routes`): logged out, then with a
// signed-in owner (pages) or an all-scopes key (/v1), each route gets hostile path params, bodies and
// query strings. Whatever arrives, the answer is a clear 4xx — never a 5xx, a stack, SQL or driver
// text — /v1 errors carry the JSON envelope, and ids that cannot exist read as 404.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { createSession, SESSION_COOKIE } from "@/auth/session";
import { config } from "@/config";
import { seedOrganization, type Seeded } from "./seed";
import { fill, isApi, isHook, kindOf, paramNames, problems, PUBLIC_ROUTES, realParams, routesOf, send, type Body, type Route, type Who } from "./sweep";

const app = createApp();
// SWEEP_ONLY=<regex on "METHOD /path"> narrows the sweep while investigating one route.
const only = process.env.SWEEP_ONLY ? new RegExp(process.env.SWEEP_ONLY) : null;
const routes = routesOf(app).filter((r) => !only || only.test(`${r.method} ${r.path}`));
let A: Seeded;
let session: string;

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  A = await seedOrganization(app, "Alpha");
  session = A.client.cookies.get(SESSION_COOKIE)!;
});

const RANDOM_UUID = "6f1c3a52-9d0e-4b7a-8c21-0e5f4d3b2a19";
const SQLI = "'; drop table users;--";
const LONG = "x".repeat(5_000);
const UNICODE = "Olá 😀 \u0000 \u202e ʕ•ᴥ•ʔ 𝕏 <script>alert(1)</script> \ud800";

/** Path-param replacements; `raw` values go into the URL unencoded. */
const PARAM_VARIANTS: { label: string; value: string; raw?: boolean; impossible: boolean }[] = [
  { label: "non-uuid", value: "not-a-uuid", impossible: true },
  { label: "random uuid", value: RANDOM_UUID, impossible: false },
  { label: "nil uuid", value: "00000000-0000-0000-0000-000000000000", impossible: false },
  { label: "sql", value: SQLI, impossible: true },
  { label: "5000 chars", value: LONG, impossible: true },
  { label: "%00", value: "%00", raw: true, impossible: true },
];

/** Field names forms and bodies across the app use; sent to every route so hand-parsed bodies get hostile values too. */
const COMMON_FIELDS = [
  "name",
  "url",
  "phone",
  "phones",
  "text",
  "to",
  "type",
  "email",
  "role",
  "key",
  "body",
  "pattern",
  "match",
  "action",
  "templateKey",
  "flowId",
  "workflowId",
  "instanceId",
  "instanceIds",
  "provider",
  "config",
  "scopes",
  "expiresAt",
  "tags",
  "metadata",
  "userId",
  "status",
  "since",
  "code",
  "organizationId",
  "eventTypes",
  "headers",
  "password",
  "next",
  "from",
  "media",
  "title",
  "description",
  "kind",
  "priority",
  "cooldownSeconds",
  "threadId",
  "variables",
  "variants",
  "locale",
  "category",
  "followUps",
  "order",
  "transitions",
  "waitForInput",
  "createKey",
  "keyScopes",
  "requestsPerMinute",
  "maxMessagesPerDay",
  "invite",
  "active",
  "blocked",
  "optedOut",
  "note",
  "department",
  "template",
  "location",
  "contact",
  "reaction",
  "isActive",
  "providerId",
  "step",
  "jsonData",
];

/** Top-level field names of a zod body schema, looking through optional/pipe/union wrappers. */
function schemaFields(schema: any, depth = 0): string[] {
  if (!schema || depth > 6) return [];
  const def = schema.def ?? schema._def;
  if (schema.shape && typeof schema.shape === "object") return Object.keys(schema.shape);
  if (!def) return [];
  const inner = [def.innerType, def.in, def.schema, def.out].filter(Boolean).flatMap((s) => schemaFields(s, depth + 1));
  const options = Array.isArray(def.options) ? def.options.flatMap((s: any) => schemaFields(s, depth + 1)) : [];
  return [...new Set([...inner, ...options])];
}

function nested(depth: number): unknown {
  let v: unknown = "deep";
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
  return v;
}

function everyField(fields: string[], value: unknown): string {
  return JSON.stringify(Object.fromEntries(fields.map((f) => [f, value])));
}

/** JSON bodies: malformed, wrong top-level types, every field of the wrong type, huge, deep, odd unicode. */
function jsonBodies(route: Route): { label: string; body: Body }[] {
  const own = schemaFields(route.hooks.body);
  const all = [...new Set([...own, ...COMMON_FIELDS])];
  const few = own.length ? own : ["name", "text", "body", "url", "phone", "email"];
  const raw = (label: string, r: string) => ({ label, body: { type: "json", raw: r } as Body });
  return [
    raw("malformed", '{"a":'),
    raw("null", "null"),
    raw("array", '[1,"two",{"three":3}]'),
    raw("string", '"just a string"'),
    raw("empty object", "{}"),
    raw("numbers", everyField(all, 12345)),
    raw("huge numbers", everyField(all, 9007199254740993).replaceAll("9007199254740992", "1e400")),
    raw("negative", everyField(all, -1)),
    raw("objects", everyField(all, { $gt: "", __proto__: { admin: true } })),
    raw("arrays", everyField(all, ["x", 1, null])),
    raw("booleans", everyField(all, true)),
    raw("nulls", everyField(all, null)),
    raw("sql strings", everyField(all, SQLI)),
    raw("unicode", everyField(all, UNICODE)),
    raw("huge strings", everyField(few, "y".repeat(15_000))),
    raw("deep values", everyField(few, nested(400))),
    raw("deep document", "[".repeat(50_000) + "]".repeat(50_000)),
    { label: "empty json", body: { type: "raw", contentType: "application/json", raw: "" } },
    { label: "text/plain", body: { type: "raw", contentType: "text/plain", raw: "hello" } },
    {
      label: "broken multipart",
      body: { type: "raw", contentType: "multipart/form-data; boundary=zzz", raw: '--zzz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb' },
    },
    { label: "form on json", body: { type: "raw", contentType: "application/x-www-form-urlencoded", raw: "name=%00&url=%ZZ&a[b][c]=1" } },
    { label: "odd content-type", body: { type: "raw", contentType: "application/json; charset=utf-16", raw: "{}" } },
    raw("proto pollution", '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}'),
  ];
}

/** Form bodies: nothing, garbage in every field, repeated fields, NUL bytes, huge values. */
function formBodies(): { label: string; body: Body }[] {
  const form = (label: string, value: string | string[], fields = COMMON_FIELDS) => ({
    label,
    body: { type: "form", data: Object.fromEntries(fields.map((f) => [f, value])) } as Body,
  });
  return [
    { label: "empty form", body: { type: "form", data: {} } },
    form("sql form", SQLI),
    form("NUL form", "\u0000"),
    form("repeated fields", ["a", "b", RANDOM_UUID]),
    form("unicode form", UNICODE),
    form("numeric garbage", "1e400"),
    form("negative", "-1"),
    form("huge form", "z".repeat(12_000), ["name", "text", "body", "url", "phone", "email", "pattern", "notes", "note", "headers"]),
  ];
}

/** Query strings: bad cursors, limits out of range, impossible dates, injection-ish filters, repeats. */
function queries(route: Route): string[] {
  const own = schemaFields(route.hooks.query);
  const long = own.map((k) => `${encodeURIComponent(k)}=${"q".repeat(5_000)}`).join("&");
  return [
    "?cursor=garbage&limit=-1",
    "?cursor=%00&limit=99999999999999999999999",
    "?limit=abc&cursor=eyJ0IjoiYm9ndXMiLCJpZCI6MX0",
    `?limit=0&cursor=${encodeURIComponent(Buffer.from(JSON.stringify(["2024-99-99", "not-a-uuid"])).toString("base64url"))}`,
    "?from=not-a-date&to=2024-13-45&after=yesterday&before=%00&since=x",
    "?from=99999-01-01&to=0000-00-00&after=2024-02-30T25:61:00Z&before=-1",
    `?instanceId=${encodeURIComponent(SQLI)}&contactId=1&type=%3Cscript%3E&status=zzz&q=%00&tag=${encodeURIComponent(UNICODE.replace("\ud800", ""))}&page=-5&step=..%2F..%2Fetc&assigned=x&order=sideways&handledBy=x`,
    "?limit=1&limit=2&cursor=a&cursor=b&type=a&type=b",
    ...(long ? [`?${long}`] : []),
  ];
}

/** Changes that would take the sweep's own session, key or org away: sent with a random id instead. */
const destructive = (r: Route) => r.method === "DELETE" || /\/(delete|revoke|remove|logout|rotate|rotate-secret|disable|role)$/.test(r.path);
/** Routes that end or switch the session they are called with: each call gets a session of its own. */
const SESSION_CHANGING = new Set([
  "POST /logout",
  "POST /organizations/new",
  "POST /organizations/switch",
  "POST /invitations/:token/accept",
  "POST /signup",
  "POST /login",
]);

async function whoFor(route: Route): Promise<Who> {
  if (isApi(route.path)) return { kind: "key", key: A.key };
  if (isHook(route.path)) return { kind: "nobody" };
  if (SESSION_CHANGING.has(`${route.method} ${route.path}`)) {
    const { token } = await createSession(A.user.id, { activeOrganizationId: A.organization.id });
    return { kind: "member", session: token };
  }
  return { kind: "member", session };
}

// SWEEP_STATS=1 prints how the hostile requests were answered (a sanity check that they reach the handlers).
const statuses = new Map<number, number>();
afterAll(() => {
  if (process.env.SWEEP_STATS) console.log("hostile sweep statuses:", Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])));
});

const keyOf = (r: Route) => `${r.method} ${r.path}`;

describe("logged out: every protected route answers 401 or sends to /login; none fails", () => {
  for (const route of routes) {
    test(keyOf(route), async () => {
      const url = fill(route.path, realParams(route, A));
      const body: Body = route.method === "GET" ? { type: "none" } : isApi(route.path) ? { type: "json", raw: "{}" } : { type: "form", data: {} };
      const res = await send(app, route.method, url, { kind: "nobody" }, body);
      const found = problems(route.path, url, res);
      if (!PUBLIC_ROUTES.has(keyOf(route))) {
        const location = res.headers.get("location") ?? res.headers.get("hx-redirect") ?? "";
        const toLogin = [302, 303].includes(res.status) && location.startsWith("/login");
        if (!(res.status === 401 || toLogin)) found.push(`expected 401 or a redirect to /login, got ${res.status} ${location}`);
        if (isApi(route.path) && res.json?.error?.code !== "unauthorized") found.push(`expected unauthorized, got ${res.text.slice(0, 120)}`);
        if (isApi(route.path)) {
          // Keys that are not keys: wrong secret, injection, over-long, revoked-looking — all plain 401s.
          for (const bogus of [`lc_live_${"A".repeat(32)}`, SQLI, `lc_live_${LONG}`, "Bearer Bearer"]) {
            const r = await send(app, route.method, url, { kind: "key", key: bogus }, body);
            for (const p of problems(route.path, url, r)) found.push(`bogus key → ${p}`);
            if (r.status !== 401) found.push(`bogus key ${bogus.slice(0, 20)} → expected 401, got ${r.status}`);
          }
        } else {
          // htmx asks for a redirect header instead of a 303.
          const r = await send(app, route.method, url, { kind: "nobody" }, body, { "hx-request": "true" });
          for (const p of problems(route.path, url, r)) found.push(`htmx → ${p}`);
          const target = r.headers.get("hx-redirect") ?? r.headers.get("location") ?? "";
          if (!(r.status === 401 || target.startsWith("/login"))) found.push(`htmx logged out → expected HX-Redirect to /login, got ${r.status} ${target}`);
        }
      }
      expect(found).toEqual([]);
    });
  }
});

describe("hostile input: never a 5xx, a stack or SQL; /v1 errors in the envelope; impossible ids are 404", () => {
  for (const route of routes) {
    test(keyOf(route), async () => {
      const found: string[] = [];
      const check = (label: string, url: string, res: Awaited<ReturnType<typeof send>>) => {
        for (const p of problems(route.path, url, res)) found.push(`${label} ${url.slice(0, 120)} → ${p}`);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (process.env.SWEEP_SLOW && res.ms > 500) console.log(`slow ${Math.round(res.ms)} ms: ${route.method} ${label} ${url.slice(0, 80)} → ${res.status}`);
      };
      const names = paramNames(route.path);
      const real = realParams(route, A);
      const idParams = names.filter((n) => {
        const k = kindOf(route.path, n);
        return k !== null && !["stepKey", "versionNumber", "invitationToken", "pairToken", "provider", "action", "toggle", "static"].includes(k);
      });
      const plainBody: Body =
        route.method === "GET" ? { type: "none" } : isApi(route.path) || isHook(route.path) ? { type: "json", raw: "{}" } : { type: "form", data: {} };

      // 1. Path params: every param replaced by each hostile value.
      for (const v of names.length ? PARAM_VARIANTS : []) {
        const params = Object.fromEntries(names.map((n) => [n, v.value]));
        const url = fill(route.path, params, v.raw);
        const res = await send(app, route.method, url, await whoFor(route), plainBody);
        check(`param ${v.label}`, url, res);
        // An id that cannot exist (or exists nowhere) names nothing: 404, or 422 when the body was refused first.
        if (
          idParams.length &&
          res.status < 500 &&
          ![404, 422].includes(res.status) &&
          !(res.status === 401 && isHook(route.path)) &&
          !(res.status === 403 && isHook(route.path))
        ) {
          found.push(`param ${v.label} ${url.slice(0, 100)} → expected 404 for an id that does not exist, got ${res.status} ${res.text.slice(0, 120)}`);
        }
        if (idParams.length && route.method === "GET" && res.status === 422) {
          found.push(`param ${v.label} ${url.slice(0, 100)} → expected 404 for an id that does not exist, got 422 ${res.text.slice(0, 120)}`);
        }
      }

      // 2. Bodies, with the route's own real ids (random ones where the call would take the sweep's access away).
      if (route.method !== "GET") {
        const params = destructive(route) ? Object.fromEntries(names.map((n) => [n, idParams.includes(n) ? RANDOM_UUID : real[n]!])) : real;
        const url = fill(route.path, params);
        const bodies = isApi(route.path) || isHook(route.path) ? jsonBodies(route) : [...formBodies(), ...jsonBodies(route).slice(0, 6)];
        for (const { label, body } of [{ label: "no body", body: { type: "none" } as Body }, ...bodies]) {
          check(`body ${label}`, url, await send(app, route.method, url, await whoFor(route), body));
        }
        // A page form without the CSRF token is refused, not processed or crashed.
        if (!isApi(route.path) && !isHook(route.path)) {
          const res = await send(app, route.method, url, await whoFor(route), { type: "form", data: {} }, { "x-csrf-token": "wrong" });
          check("bad csrf", url, res);
          if (!PUBLIC_ROUTES.has(keyOf(route)) && res.status !== 403) found.push(`bad csrf → expected 403, got ${res.status}`);
        }
      }

      // 3. Query strings on reads, and htmx fragments of the same.
      if (route.method === "GET") {
        for (const q of queries(route)) {
          const url = fill(route.path, real) + q;
          check("query", url, await send(app, "GET", url, await whoFor(route)));
        }
        if (!isApi(route.path)) {
          const url = `${fill(route.path, real)}?cursor=garbage&limit=-1`;
          check("htmx query", url, await send(app, "GET", url, await whoFor(route), { type: "none" }, { "hx-request": "true" }));
        }
      }
      expect(found).toEqual([]);
    }, 60_000);
  }

  test("static files: traversal and odd names are 404, never a file outside static/", async () => {
    for (const p of [
      "/static/..%2f..%2fsrc%2fconfig.ts",
      "/static/%2e%2e/%2e%2e/package.json",
      "/static/....//....//etc/passwd",
      "/static/%00",
      `/static/${LONG}`,
    ]) {
      const res = await send(app, "GET", p, { kind: "nobody" });
      expect(res.status, p.slice(0, 80)).toBe(404);
      expect(res.text).not.toContain("APP_SECRET");
      expect(res.text).not.toContain("root:");
    }
  });

  test("the sweep's org still works afterwards (nothing it sent took its data)", async () => {
    const res = await send(app, "GET", `/v1/contacts/${A.ids.contact}`, { kind: "key", key: A.key });
    expect(res.status).toBe(200);
    const page = await send(app, "GET", "/contacts", { kind: "member", session });
    expect(page.status).toBe(200);
  });
});
