// The one outbound guard: guardedFetch against real local servers, and the media URL rules.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { config } from "@/config";
import { guardedFetch, mediaUrlRefusal, OutboundError, TargetRefused } from "@/lib/outbound";

const SECRET_BODY = "stack trace at /srv/internal/app.py line 42, token=ghp_secret";
const hits = { target: 0, elsewhere: 0 };
const elsewhere = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch() {
    hits.elsewhere++;
    return new Response("you followed the redirect");
  },
});
const target = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    hits.target++;
    const path = new URL(req.url).pathname;
    if (path === "/redirect") return Response.redirect(`http://127.0.0.1:${elsewhere.port}/`, 302);
    if (path === "/error") return new Response(SECRET_BODY, { status: 503 });
    if (path === "/unauthorized") return Response.json({ error: { message: SECRET_BODY } }, { status: 401 });
    // Answers only once the client has given up.
    if (path === "/slow") await new Promise((resolve) => req.signal.addEventListener("abort", resolve, { once: true }));
    return Response.json({ ok: true, auth: req.headers.get("authorization") });
  },
});
const url = (path: string) => `http://127.0.0.1:${target.port}${path}`;

beforeEach(() => {
  config.allowPrivateWebhookTargets = true;
  hits.target = 0;
  hits.elsewhere = 0;
});
afterAll(() => {
  config.allowPrivateWebhookTargets = false;
  target.stop(true);
  elsewhere.stop(true);
});

/** The error a call rejects with (the test fails if it resolves). */
async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the call to fail");
}

describe("guardedFetch", () => {
  test("a 2xx resolves with the response, headers passed through", async () => {
    const res = await guardedFetch(url("/ok"), { headers: { authorization: "Bearer t" } }, { timeoutMs: 5_000 });
    expect(await res.json()).toEqual({ ok: true, auth: "Bearer t" });
  });

  test("a redirect is an error and is not followed", async () => {
    const err = await failure(guardedFetch(url("/redirect"), {}, { timeoutMs: 5_000 }));
    expect(err).toBeInstanceOf(OutboundError);
    expect((err as OutboundError).status).toBe(302);
    expect(err.message).toContain("redirect");
    expect(hits).toEqual({ target: 1, elsewhere: 0 });
  });

  test("an upstream error body is never echoed: status and our own short reason only", async () => {
    for (const [path, status, reason] of [
      ["/error", 503, "server error"],
      ["/unauthorized", 401, "the credentials were refused"],
    ] as const) {
      const err = await failure(guardedFetch(url(path), {}, { timeoutMs: 5_000 }));
      expect(err).toBeInstanceOf(OutboundError);
      expect((err as OutboundError).status).toBe(status);
      expect(err.message).toBe(`answered HTTP ${status} (${reason})`);
      expect(JSON.stringify({ ...err, message: err.message })).not.toContain("ghp_secret");
    }
  });

  test("a timeout is an OutboundError marked timedOut", async () => {
    const err = await failure(guardedFetch(url("/slow"), {}, { timeoutMs: 100 }));
    expect(err).toBeInstanceOf(OutboundError);
    expect((err as OutboundError).timedOut).toBe(true);
  });

  test("private targets are refused when the allow flag is off, before any connection; the operator's own URLs are not", async () => {
    config.allowPrivateWebhookTargets = false;
    for (const u of [
      url("/ok"),
      `http://localhost:${target.port}/ok`,
      `http://[::ffff:127.0.0.1]:${target.port}/ok`,
      "http://169.254.169.254/latest/meta-data/",
    ]) {
      const err = await failure(guardedFetch(u, {}, { timeoutMs: 2_000 }));
      expect([u, err instanceof TargetRefused]).toEqual([u, true]);
    }
    expect(hits.target).toBe(0);
    await expect(guardedFetch("file:///etc/passwd", {}, { timeoutMs: 1_000 })).rejects.toThrow(/http and https/);
    const operator = await guardedFetch(url("/ok"), {}, { timeoutMs: 5_000, operatorConfigured: true });
    expect(operator.status).toBe(200);
    // Still no redirects for the operator's URLs.
    expect(await failure(guardedFetch(url("/redirect"), {}, { timeoutMs: 5_000, operatorConfigured: true }))).toBeInstanceOf(OutboundError);
    expect(hits.elsewhere).toBe(0);
  });
});

describe("media URLs handed to a provider", () => {
  test("private literals, internal names and names resolving to private addresses are refused", async () => {
    config.allowPrivateWebhookTargets = false;
    const refused = [
      "http://127.0.0.1/a.jpg",
      "http://10.1.2.3/a.jpg",
      "http://169.254.169.254/latest/meta-data/iam",
      "http://[::1]/a.jpg",
      "http://[fd00::5]/a.jpg",
      "http://localhost:8080/a.jpg",
      "http://minio:9000/bucket/a.jpg",
      "https://files.internal/a.jpg",
      "http://printer.local/a.jpg",
    ];
    for (const u of refused) expect([u, typeof (await mediaUrlRefusal(u))]).toEqual([u, "string"]);
    // Public literals pass; a name that does not resolve here is left to the provider.
    for (const u of ["https://93.184.216.34/a.jpg", "https://cdn.example.test/a.jpg"]) expect([u, await mediaUrlRefusal(u)]).toEqual([u, null]);
  });

  test("the allow flag turns the check off", async () => {
    expect(await mediaUrlRefusal("http://127.0.0.1/a.jpg")).toBeNull();
  });
});
