// Where a workflow's requests may go: the platform key only to OPENAI_BASE_URL, a stored key only to
// the endpoint it was given for, tenant endpoints through the outbound guard, and nothing an
// upstream says is echoed back to callers.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { workflows } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { readSse, startOpenAiServer } from "./ai-servers";

const app = createApp();
const OPERATOR_KEY = "sk-operator-platform-key";
const CUSTOMER_KEY = "sk-customer-own-key";
const operator = startOpenAiServer({ apiKey: OPERATOR_KEY });
const customer = startOpenAiServer({ apiKey: CUSTOMER_KEY });
// Answers anything and records what it was sent: a server the attacker controls.
const attacker = startOpenAiServer();

config.openai.baseUrl = operator.baseUrl;
config.openai.apiKey = OPERATOR_KEY;

beforeEach(() => {
  // The servers run on 127.0.0.1; the address guard itself is tested further down with the flag off.
  config.allowPrivateWebhookTargets = true;
});
afterAll(() => {
  operator.stop();
  customer.stop();
  attacker.stop();
});

async function ask(key: string, workflowId: string, text = "hello") {
  const thread = await api(app, "POST", `/v1/workflows/${workflowId}/threads`, key, {});
  expect(thread.status).toBe(201);
  return api(app, "POST", `/v1/threads/${thread.body.id}/messages`, key, { text });
}

/** Everything the attacker's server was sent, as text, to search for keys. */
const attackerSaw = () => JSON.stringify({ auth: attacker.state.authorizations, bodies: attacker.state.requests });

describe("the platform's OPENAI_API_KEY goes only to OPENAI_BASE_URL", () => {
  test("a new sign-up pointing a workflow at its own server never receives the operator key", async () => {
    const { key } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/workflows", key, { name: "Mine", provider: "openai", config: { baseUrl: attacker.baseUrl, model: "m" } });
    expect(created.status).toBe(422);
    expect(created.body.error.details).toEqual([{ path: "config.apiKey", message: expect.stringContaining("OPENAI_BASE_URL") }]);

    // A row stored before this rule existed: the engine still refuses to lend it the platform key.
    const { organization } = await setupOrg(app);
    const [legacy] = await db
      .insert(workflows)
      .values({ organizationId: organization.id, provider: "openai", name: "Legacy", config: { baseUrl: attacker.baseUrl, model: "m" } })
      .returning();
    const { secret } = await createApiKey({ organizationId: organization.id, name: "k", scopes: ["*"] });
    const answer = await ask(secret, legacy!.id);
    expect(answer.status).toBe(502);
    expect(answer.body.error.message).toContain("needs its own API key");

    expect(attackerSaw()).not.toContain(OPERATOR_KEY);
    expect(attacker.state.requests.length).toBe(0);
  });

  test("the operator endpoint, however spelled, gets the operator key without one of its own", async () => {
    const { key } = await setupOrg(app);
    for (const baseUrl of [undefined, operator.baseUrl, `${operator.baseUrl}/`]) {
      const created = await api(app, "POST", "/v1/workflows", key, {
        name: "Default",
        provider: "openai",
        config: { model: "m", ...(baseUrl ? { baseUrl } : {}) },
      });
      expect(created.status).toBe(201);
      expect((await ask(key, created.body.id)).status).toBe(200);
      expect(operator.state.authorizations.at(-1)).toBe(`Bearer ${OPERATOR_KEY}`);
    }
  });
});

describe("a stored key stays with the endpoint it was given for", () => {
  test("a workflows:write key cannot exfiltrate another workflow's stored key by changing baseUrl", async () => {
    const { key: adminKey, organization } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/workflows", adminKey, {
      name: "Customer model",
      provider: "openai",
      config: { baseUrl: customer.baseUrl, apiKey: CUSTOMER_KEY, model: "m" },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await ask(adminKey, id)).status).toBe(200);

    const { secret: writer } = await createApiKey({ organizationId: organization.id, name: "integration", scopes: ["workflows:write", "workflows:read"] });
    const moved = await api(app, "PATCH", `/v1/workflows/${id}`, writer, { config: { baseUrl: attacker.baseUrl } });
    expect(moved.status).toBe(422);
    expect(moved.body.error.details[0].path).toBe("config.apiKey");
    expect((await api(app, "GET", `/v1/workflows/${id}`, writer)).body.config.baseUrl).toBe(customer.baseUrl);

    // With a key of its own the move is allowed, and only that key travels to the new endpoint.
    const withOwnKey = await api(app, "PATCH", `/v1/workflows/${id}`, writer, { config: { baseUrl: attacker.baseUrl, apiKey: "sk-attacker" } });
    expect(withOwnKey.status).toBe(200);
    expect((await ask(writer, id)).status).toBe(200);
    expect(attacker.state.authorizations.at(-1)).toBe("Bearer sk-attacker");

    // Moving back does not bring the customer's key back either: it was dropped, not hidden.
    const back = await api(app, "PATCH", `/v1/workflows/${id}`, writer, { config: { baseUrl: customer.baseUrl } });
    expect(back.status).toBe(422);
    // Back to OPENAI_BASE_URL (null) drops the attacker's key; the operator's is used there.
    const reset = await api(app, "PATCH", `/v1/workflows/${id}`, writer, { config: { baseUrl: null } });
    expect(reset.status).toBe(200);
    expect(reset.body.config.hasApiKey).toBe(false);
    expect(reset.body.config.baseUrl).toBeUndefined();

    expect(attackerSaw()).not.toContain(CUSTOMER_KEY);
    expect(attackerSaw()).not.toContain(OPERATOR_KEY);
  });

  test("other edits keep the key; apiKey: null removes it", async () => {
    const { key } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/workflows", key, {
      name: "Own",
      provider: "openai",
      config: { baseUrl: customer.baseUrl, apiKey: CUSTOMER_KEY, model: "m" },
    });
    const id = created.body.id;
    const renamed = await api(app, "PATCH", `/v1/workflows/${id}`, key, { name: "Renamed", config: { temperature: 0.5, baseUrl: `${customer.baseUrl}/` } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.config.hasApiKey).toBe(true);
    expect((await ask(key, id)).status).toBe(200);
    const cleared = await api(app, "PATCH", `/v1/workflows/${id}`, key, { config: { apiKey: null } });
    expect(cleared.status).toBe(422);
    expect(cleared.body.error.details[0].path).toBe("config.apiKey");
  });

  test("the admin form: a new base URL without a new key is a 422 on the key field; with one it saves", async () => {
    const { key, client } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/workflows", key, {
      name: "Form bot",
      provider: "openai",
      config: { baseUrl: customer.baseUrl, apiKey: CUSTOMER_KEY, model: "m" },
    });
    const location = `/workflows/${created.body.id}`;
    const fields = { name: "Form bot", "config.model": "m" };
    const moved = await client.postForm(location, { ...fields, "config.baseUrl": attacker.baseUrl }, { htmx: true });
    expect(moved.status).toBe(422);
    const html = await moved.text();
    expect(html).toContain("Changing the base URL removes the stored API key");
    const [row] = await db.select().from(workflows).where(eq(workflows.id, created.body.id));
    expect((row!.config as { baseUrl: string }).baseUrl).toBe(customer.baseUrl);

    expect((await client.postForm(location, { ...fields, "config.baseUrl": customer.baseUrl }, { htmx: true })).status).toBe(204);
    expect((await client.postForm(location, { ...fields, "config.baseUrl": attacker.baseUrl, "config.apiKey": "sk-new" }, { htmx: true })).status).toBe(204);
    expect((await ask(key, created.body.id)).status).toBe(200);
    expect(attacker.state.authorizations.at(-1)).toBe("Bearer sk-new");
    expect(attackerSaw()).not.toContain(CUSTOMER_KEY);
  });
});

describe("tenant endpoints go through the outbound guard", () => {
  test("a private base URL is refused at save (422 on config.baseUrl) and again at request time", async () => {
    const { key, organization } = await setupOrg(app);
    config.allowPrivateWebhookTargets = false;
    for (const baseUrl of [attacker.baseUrl, "http://169.254.169.254/v1", "http://[::1]:8080/v1", "http://localhost:11434/v1"]) {
      const res = await api(app, "POST", "/v1/workflows", key, { name: "x", provider: "openai", config: { baseUrl, apiKey: "sk-x", model: "m" } });
      expect([baseUrl, res.status, res.body.error.details[0].path]).toEqual([baseUrl, 422, "config.baseUrl"]);
    }
    // Saved while private targets were allowed (or before a DNS change): the request is still refused.
    const before = attacker.state.requests.length;
    const [row] = await db
      .insert(workflows)
      .values({ organizationId: organization.id, provider: "openai", name: "Inside", config: { baseUrl: attacker.baseUrl, model: "m" } })
      .returning();
    await db
      .update(workflows)
      .set({ config: { ...(row!.config as object), apiKeyEnc: (await import("@/lib/crypto")).encryptSecret("sk-x") } })
      .where(eq(workflows.id, row!.id));
    const answer = await ask(key, row!.id);
    expect(answer.status).toBe(502);
    expect(answer.body.error.message).toMatch(/refused.*loopback/i);
    expect(attacker.state.requests.length).toBe(before);
  });

  test("redirects are not followed and upstream error bodies never reach the caller", async () => {
    const SECRET_DETAIL = "internal-trace-id=abc123 db=postgres://admin:hunter2@10.0.0.5";
    let mode: "redirect" | "error" | "stream-error" = "redirect";
    const upstream = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch() {
        if (mode === "redirect") return new Response(null, { status: 307, headers: { location: `${attacker.baseUrl}/chat/completions` } });
        if (mode === "error")
          return new Response(JSON.stringify({ error: { message: SECRET_DETAIL } }), { status: 500, headers: { "content-type": "application/json" } });
        return new Response(`data: ${JSON.stringify({ error: { message: SECRET_DETAIL } })}\n\n`, { headers: { "content-type": "text/event-stream" } });
      },
    });
    try {
      const { key } = await setupOrg(app);
      const created = await api(app, "POST", "/v1/workflows", key, {
        name: "Up",
        provider: "openai",
        config: { baseUrl: `http://127.0.0.1:${upstream.port}/v1`, apiKey: "sk-up", model: "m" },
      });
      expect(created.status).toBe(201);
      const before = attacker.state.requests.length;
      const redirected = await ask(key, created.body.id);
      expect(redirected.status).toBe(502);
      expect(redirected.body.error.message).toContain("redirect");
      expect(attacker.state.requests.length).toBe(before);

      mode = "error";
      const failed = await ask(key, created.body.id);
      expect(failed.status).toBe(502);
      expect(failed.body.error.message).toBe("AI provider answered HTTP 500 (server error)");
      expect(JSON.stringify(failed.body)).not.toContain("hunter2");

      mode = "stream-error";
      const thread = await api(app, "POST", `/v1/workflows/${created.body.id}/threads`, key, {});
      const frames = await readSse(
        await app.handle(
          new Request(`http://localhost/v1/threads/${thread.body.id}/messages`, {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "text/event-stream" },
            body: JSON.stringify({ text: "x" }),
          }),
        ),
      );
      expect(frames.at(-1)?.event).toBe("error");
      expect(JSON.stringify(frames)).not.toContain("hunter2");
    } finally {
      upstream.stop(true);
    }
  });
});
