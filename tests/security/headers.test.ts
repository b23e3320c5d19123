import { afterAll, describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { createApp } from "@/app";
import { config } from "@/config";
import { api, TestClient } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();
const subscriber = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
afterAll(() => subscriber.stop(true));

/** The directives of a Content-Security-Policy header by name. */
function directives(csp: string | null): Map<string, string> {
  return new Map(
    (csp ?? "")
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values.join(" ")]),
  );
}

function expectSecurityHeaders(res: Response, what: string) {
  const csp = directives(res.headers.get("content-security-policy"));
  // Only our own files (and, on /docs, one hash of an empty data <script>): never 'unsafe-inline' or 'unsafe-eval'.
  expect([what, csp.get("script-src")?.split(" ")[0]]).toEqual([what, "'self'"]);
  expect([what, csp.get("script-src")]).not.toEqual([what, expect.stringContaining("unsafe")]);
  expect([what, csp.get("frame-ancestors")]).toEqual([what, "'none'"]);
  expect([what, csp.get("object-src")]).toEqual([what, "'none'"]);
  expect([what, res.headers.get("x-content-type-options")]).toEqual([what, "nosniff"]);
  expect([what, res.headers.get("referrer-policy")]).toEqual([what, "strict-origin-when-cross-origin"]);
  expect([what, res.headers.get("x-frame-options")]).toEqual([what, "DENY"]);
}

describe("security headers", () => {
  test("every kind of response carries them: pages, JSON, static files, redirects, errors", async () => {
    const { client, key } = await setupOrg(app);
    const anon = new TestClient(app);
    const responses: [string, Response][] = [
      ["public page", await anon.get("/login")],
      ["admin page", await client.get("/settings")],
      ["htmx fragment", await client.get("/inbox/list", { htmx: true })],
      ["redirect to sign in", await anon.get("/instances")],
      ["html 404", await client.get("/no-such-page")],
      ["form post", await client.postForm("/settings", { name: "Renamed" })],
      ["static css", await anon.get("/static/app.css")],
      ["htmx from node_modules", await anon.get("/static/htmx.min.js")],
      ["missing static file", await anon.get("/static/nope.js")],
      ["health", await anon.get("/health")],
      ["json api", await app.handle(new Request("http://localhost/v1/me", { headers: { authorization: `Bearer ${key}` } }))],
      ["json 401", await app.handle(new Request("http://localhost/v1/me"))],
      [
        "json 422",
        await app.handle(
          new Request("http://localhost/v1/contacts", {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: "{}",
          }),
        ),
      ],
      ["openapi", await anon.get("/openapi.json")],
      ["docs", await anon.get("/docs")],
    ];
    for (const [what, res] of responses) expectSecurityHeaders(res, what);
  });

  test("pages and API answers are no-store; static assets stay cacheable", async () => {
    const { client, key } = await setupOrg(app);
    for (const path of ["/", "/settings", "/members", "/webhooks", "/api-keys"]) {
      const res = await client.get(path);
      expect([path, res.status, res.headers.get("cache-control")]).toEqual([path, 200, "no-store"]);
    }
    // Responses that carry a secret: webhook create and rotate, a device with its key.
    config.allowPrivateWebhookTargets = true;
    const created = await api(app, "POST", "/v1/webhooks", key, { url: `http://127.0.0.1:${subscriber.port}/hook` });
    expect(created.status).toBe(201);
    expect(created.body.secret).toStartWith("whsec_");
    expect(created.headers.get("cache-control")).toBe("no-store");
    const rotated = await api(app, "POST", `/v1/webhooks/${created.body.id}/rotate-secret`, key);
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get("cache-control")).toBe("no-store");
    const device = await api(app, "POST", "/v1/devices", key, { name: "Till", kind: "pos", createKey: true, keyScopes: ["messages:write"] });
    expect(device.status).toBe(201);
    expect(device.headers.get("cache-control")).toBe("no-store");

    expect((await client.get("/static/app.css")).headers.get("cache-control")).toStartWith("public");
    expect((await client.get("/static/htmx.min.js")).headers.get("cache-control")).toStartWith("public");
  });

  test("/docs alone gets the docs policy; HSTS only when the app is served over https", async () => {
    const anon = new TestClient(app);
    const styleOf = async (path: string) => directives((await anon.get(path)).headers.get("content-security-policy")).get("style-src");
    expect(await styleOf("/docs")).toContain("'unsafe-inline'");
    expect(await styleOf("/docs/assets/scalar.js")).toContain("'unsafe-inline'");
    for (const path of ["/docsx", "/login?next=/docs", "/static/docs"]) expect([path, await styleOf(path)]).toEqual([path, "'self'"]);

    expect((await anon.get("/health")).headers.get("strict-transport-security")).toBeNull();
    const secure = config.secureCookies;
    config.secureCookies = true;
    try {
      expect((await anon.get("/health")).headers.get("strict-transport-security")).toStartWith("max-age=");
    } finally {
      config.secureCookies = secure;
    }
  });

  test("htmx runs without eval or injected styles; the indicator styles come from app.css", async () => {
    const html = await (await new TestClient(app).get("/login")).text();
    const meta = html
      .match(/<meta name="htmx-config" content="([^"]+)"/)?.[1]
      ?.replaceAll("&quot;", '"')
      .replaceAll("&#34;", '"');
    expect(JSON.parse(meta!)).toMatchObject({ allowEval: false, includeIndicatorStyles: false });
    const css = await (await new TestClient(app).get("/static/app.css")).text();
    expect(css).toContain(".htmx-indicator");
    expect(css).toContain(".htmx-request .htmx-indicator");
  });

  test("views carry no inline script: no on* handlers, hx-on, inline <script> bodies or <style> blocks", async () => {
    const offenders: string[] = [];
    for await (const file of new Glob("views/**/*.tsx").scan(".")) {
      const source = await Bun.file(file).text();
      const checks: [RegExp, string][] = [
        [/\s on[a-z]+=/gi, "inline event handler"],
        [/\son[a-z]+=["{]/gi, "inline event handler"],
        [/hx-on/gi, "hx-on"],
        [/<script(?![^>]*\bsrc=)[^>]*>/gi, "inline <script>"],
        [/<style[\s>]/gi, "<style> block"],
        [/javascript:/gi, "javascript: URL"],
        [/hx-vals=["'{][^>]*js:/gi, "hx-vals js:"],
      ];
      for (const [pattern, what] of checks) {
        for (const m of source.matchAll(pattern)) {
          // The inbox view documents (in a comment) that javascript: URLs are never made links.
          if (what === "javascript: URL" && /\/\*\*?[^*]*javascript:/.test(source.slice(Math.max(0, m.index! - 120), m.index! + 12))) continue;
          offenders.push(`${file}: ${what}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe("/docs works offline", () => {
  test("the page references no other origin and its script is served from the installed package", async () => {
    const res = await new TestClient(app).get("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    const references = [...html.matchAll(/\b(?:src|href)=["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(references.length).toBeGreaterThan(0);
    for (const ref of references) expect([ref, ref.startsWith("/") && !ref.startsWith("//")]).toEqual([ref, true]);
    expect(html).not.toMatch(/cdn\.jsdelivr|unpkg\.com|fonts\.scalar\.com/);
    const configuration = JSON.parse(html.match(/data-configuration='([^']+)'/)![1]!);
    expect(configuration).toMatchObject({
      cdn: "/docs/assets/scalar.js",
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      showDeveloperTools: "never",
    });
    // Script-wise the page is only the external bundle; the configuration <script> holds whitespace, allowed by its hash.
    const csp = directives(res.headers.get("content-security-policy"));
    const body = html.match(/<script\s+id="api-reference"[^>]*>([^<]*)<\/script>/)![1]!;
    expect(body.trim()).toBe("");
    const hash = new Bun.CryptoHasher("sha256").update(body).digest("base64");
    expect(csp.get("script-src")).toBe(`'self' 'sha256-${hash}'`);
    expect(csp.get("connect-src")).toBe("'self'");

    const scripts = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual(["/docs/assets/scalar.js"]);
    const asset = await new TestClient(app).get(scripts[0]!);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("javascript");
    const bundle = await asset.text();
    expect(bundle.length).toBeGreaterThan(1_000_000);
    expect(bundle).toContain("api-reference");
  });
});
