import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";

const app = createApp();
const req = (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init));

describe("platform", () => {
  test("health and ready", async () => {
    const h = await req("/health");
    expect(h.status).toBe(200);
    expect(h.headers.get("x-request-id")).toBeTruthy();
    const r = await req("/ready");
    expect(await r.json()).toEqual({ status: "ready", database: "ok" });
    // Probes render no form: no CSRF cookie on every health check (pages still get one).
    expect(h.headers.get("set-cookie")).toBeNull();
    expect(r.headers.get("set-cookie")).toBeNull();
    expect((await req("/login")).headers.get("set-cookie")).toContain("lc_csrf=");
  });

  test("unknown /v1 route is a JSON 404 envelope with request id", async () => {
    const res = await req("/v1/nope");
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body.error.code).toBe("not_found");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  });

  test("openapi document is generated", async () => {
    const res = await req("/openapi.json");
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toMatch(/^3/);
  });

  test("static assets and htmx are served", async () => {
    expect((await req("/static/app.css")).status).toBe(200);
    const htmx = await req("/static/htmx.min.js");
    expect(htmx.status).toBe(200);
    expect((await req("/static/../package.json")).status).toBe(404);
  });
});

describe("body size limits", () => {
  test("API bodies over MAX_BODY_BYTES get 413; provider webhooks accept larger ones (inline media)", async () => {
    const big = JSON.stringify({ text: "x".repeat(2 * 1024 * 1024) });
    const api = await req("/v1/messages", { method: "POST", body: big, headers: { "content-type": "application/json", "content-length": String(big.length) } });
    expect(api.status).toBe(413);
    expect((await api.json()).error.code).toBe("payload_too_large");
    const hook = await req("/hooks/wuzapi", {
      method: "POST",
      body: big,
      headers: { "content-type": "application/json", "content-length": String(big.length) },
    });
    expect(hook.status).not.toBe(413); // refused for its missing signature instead, like any unsigned payload
    expect(hook.status).toBe(401);
  });
});
