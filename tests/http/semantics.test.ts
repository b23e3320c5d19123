import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { z } from "zod";
import { config } from "@/config";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

// Webhook targets on this machine (no DNS for a public name in tests).
config.allowPrivateWebhookTargets = true;
const app = createApp();
const { key, client } = await setupOrg(app);

const call = (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
  app.handle(new Request(`http://localhost${path}`, { method, headers: { "accept-language": "en", ...init.headers }, body: init.body }));

describe("405 Method Not Allowed", () => {
  test("a known /v1 path with the wrong method answers 405, the error envelope and Allow", async () => {
    const res = await call("PUT", "/v1/messages", { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe("method_not_allowed");
    expect(body.error.message).toBe("PUT is not allowed here; use POST, OPTIONS");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id")!);
  });

  test("paths with ids and trailing slashes: the methods every route on that path answers", async () => {
    const one = await call("POST", `/v1/contacts/${crypto.randomUUID()}`);
    expect(one.status).toBe(405);
    expect(one.headers.get("allow")).toBe("GET, HEAD, PATCH, DELETE, OPTIONS");
    const list = await call("DELETE", "/v1/contacts/");
    expect(list.status).toBe(405);
    expect(list.headers.get("allow")).toBe("GET, HEAD, POST, OPTIONS");
  });

  test("in Portuguese for a Portuguese client; an admin page answers 405 too (as a page)", async () => {
    const pt = await call("PATCH", "/v1/events", { headers: { "accept-language": "pt-BR" } });
    expect(pt.status).toBe(405);
    expect(((await pt.json()) as { error: { message: string } }).error.message).toBe("PATCH não é aceito neste endereço; use GET, HEAD, OPTIONS");
    const page = await client.request("/login", { method: "DELETE" });
    expect(page.status).toBe(405);
    expect(page.headers.get("allow")).toBe("GET, HEAD, POST, OPTIONS");
    expect(page.headers.get("content-type")).toContain("text/html");
  });

  test("an unknown path is still a 404", async () => {
    const res = await call("PUT", "/v1/no-such-thing");
    expect(res.status).toBe(404);
    expect(res.headers.get("allow")).toBeNull();
  });
});

describe("HEAD", () => {
  test("answers as GET does, without the body", async () => {
    const res = await call("HEAD", "/v1/contacts", { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("x-ratelimit-limit")).not.toBeNull();
    expect(await res.text()).toBe("");
    const refused = await call("HEAD", "/v1/contacts");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="LivChat"');
    expect((await call("HEAD", "/login")).status).toBe(200);
  });
});

describe("OPTIONS", () => {
  test("answers 204 with Allow for a known path, 404 for an unknown one", async () => {
    const res = await call("OPTIONS", `/v1/webhooks/${crypto.randomUUID()}`);
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, HEAD, PATCH, DELETE, OPTIONS");
    expect(await res.text()).toBe("");
    const messages = await call("OPTIONS", "/v1/messages");
    expect(messages.headers.get("allow")).toBe("POST, OPTIONS");
    expect((await call("OPTIONS", "/v1/no-such-thing")).status).toBe(404);
  });
});

describe("401 carries WWW-Authenticate", () => {
  test("Bearer without a credential, invalid_token for a refused one", async () => {
    const none = await call("GET", "/v1/contacts");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="LivChat"');
    const bad = await call("GET", "/v1/contacts", { headers: { authorization: `Bearer lc_live_${"x".repeat(32)}` } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toBe('Bearer realm="LivChat", error="invalid_token"');
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });

  test("a signed-in page's redirect to /login carries none (it is not a bearer API)", async () => {
    const res = await call("GET", "/contacts");
    expect([302, 303]).toContain(res.status);
    expect(res.headers.get("www-authenticate")).toBeNull();
  });
});

describe("415 Unsupported Media Type", () => {
  const bodies: [string, string][] = [
    ["text/plain", "name=Support"],
    ["application/xml", "<instance><name>Support</name></instance>"],
    ["application/x-www-form-urlencoded", "name=Support"],
    ["multipart/form-data; boundary=zzz", '--zzz\r\nContent-Disposition: form-data; name="name"\r\n\r\nSupport\r\n--zzz--'],
  ];
  for (const [type, body] of bodies) {
    test(`POST /v1/contacts with ${type.split(";")[0]} → 415 naming the type; nothing is created`, async () => {
      const res = await call("POST", "/v1/contacts", { headers: { authorization: `Bearer ${key}`, "content-type": type }, body });
      expect(res.status).toBe(415);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("unsupported_media_type");
      expect(error.message).toBe(`This address reads the body as application/json (Content-Type), not ${type.split(";")[0]}`);
    });
  }

  test("JSON (with a charset, or a +json type) is read as before", async () => {
    const created = await call("POST", "/v1/contacts", {
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ phone: "+5511988887777" }),
    });
    expect(created.status).toBe(201);
    const listed = await api(app, "GET", "/v1/contacts", key);
    expect(listed.body.data.map((c: { phone: string }) => c.phone)).toEqual(["+5511988887777"]);
  });

  test("in Portuguese", async () => {
    const res = await call("POST", "/v1/webhooks", {
      headers: { authorization: `Bearer ${key}`, "content-type": "text/xml", "accept-language": "pt-BR" },
      body: "<a/>",
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "Este endereço lê o corpo como application/json (Content-Type), não text/xml",
    );
  });

  test("a route that declares its body types (the upload) takes those, and refuses the rest", async () => {
    const form = new FormData();
    form.append("file", new Blob(["hello"], { type: "text/plain" }), "hello.txt");
    const upload = await app.handle(
      new Request("http://localhost/v1/media", { method: "POST", headers: { authorization: `Bearer ${key}`, "accept-language": "en" }, body: form }),
    );
    expect(upload.status).not.toBe(415);
    expect(upload.status).toBeLessThan(500);
    const plain = await call("POST", "/v1/media", { headers: { authorization: `Bearer ${key}`, "content-type": "text/plain" }, body: "hello" });
    expect(plain.status).toBe(415);
    // The upload route also reads JSON (declared), to say where the file goes: a 422 on `file`, not a 415.
    const json = await call("POST", "/v1/media", { headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}" });
    expect(json.status).toBe(422);
    expect(((await json.json()) as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toEqual(["file"]);
  });

  test("admin forms still post urlencoded", async () => {
    const res = await client.postForm("/contacts", { phone: "+5511977776666", name: "Form" });
    expect(res.status).toBeLessThan(400);
  });
});

describe("Cache-Control: no-store on answers that carry a secret", () => {
  test("creating a webhook and rotating its secret", async () => {
    const created = await api(app, "POST", "/v1/webhooks", key, { url: "http://127.0.0.1:9/livchat" });
    expect(created.status).toBe(201);
    expect(created.body.secret).toStartWith("whsec_");
    expect(created.headers.get("cache-control")).toBe("no-store");
    const rotated = await api(app, "POST", `/v1/webhooks/${created.body.id}/rotate-secret`, key);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.headers.get("cache-control")).toBe("no-store");
  });

  test("creating an API key: the post and the page that shows the key once", async () => {
    const posted = await client.postForm("/api-keys", { name: "ci", scopes: "*" });
    expect([302, 303]).toContain(posted.status);
    expect(posted.headers.get("cache-control")).toBe("no-store");
    const page = await client.get("/api-keys");
    const html = await page.text();
    expect(html).toMatch(/lc_live_[A-Za-z0-9_-]{20,}/);
    expect(page.headers.get("cache-control")).toBe("no-store");
  });
});

describe("an answer that breaks its own response schema", () => {
  test("is the server's 500 (logged), never a 422 blaming the caller", async () => {
    const broken = createApp().get("/v1/zz-broken-answer", () => ({ count: "three" }) as unknown as { count: number }, {
      response: { 200: z.object({ count: z.number() }) },
    });
    const res = await broken.handle(new Request("http://localhost/v1/zz-broken-answer", { headers: { "accept-language": "en" } }));
    expect(res.status).toBe(500);
    const error = ((await res.json()) as { error: { code: string; message: string } }).error;
    expect(error).toMatchObject({ code: "internal", message: "Something went wrong; the error was logged" });
  });
});

describe("the one request hook", () => {
  test("a body refused before routing (413) still carries the security headers, a request id and the envelope", async () => {
    const res = await call("POST", "/v1/contacts", {
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": String(config.maxBodyBytes + 1) },
      body: "{}",
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe("payload_too_large");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id")!);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  test("a GET of /v1/me: security headers, a client's valid request id kept, an invalid one replaced", async () => {
    const kept = await call("GET", "/v1/me", { headers: { authorization: `Bearer ${key}`, "x-request-id": "client-chosen-id-42" } });
    expect(kept.status).toBe(200);
    expect(kept.headers.get("x-request-id")).toBe("client-chosen-id-42");
    expect(kept.headers.get("x-frame-options")).toBe("DENY");
    expect(kept.headers.get("x-ratelimit-limit")).not.toBeNull();
    const replaced = await call("GET", "/v1/me", { headers: { authorization: `Bearer ${key}`, "x-request-id": "bad id!" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
