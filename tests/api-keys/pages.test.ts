import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { apiKeys, auditLogs, devices, instances } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { api, TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Acme" });
  other = await setupOrg(app, { orgName: "Other" });
});

const SECRET = /lc_live_[0-9A-Za-z]{32}/g;

function secretsIn(html: string): string[] {
  // The key appears in the copy box and in the curl example: count distinct keys.
  return [...new Set(html.match(SECRET) ?? [])];
}

describe("GET /api-keys", () => {
  test("logged out → redirect to login", async () => {
    const res = await new TestClient(app).get("/api-keys");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=%2Fapi-keys");
  });

  test("agents and supervisors get 403; admins see the page", async () => {
    for (const role of ["agent", "supervisor"] as const) {
      const member = await createMember(org.organization.id, role);
      const client = await signIn(app, member.id, org.organization.id);
      expect((await client.get("/api-keys")).status).toBe(403);
      expect((await client.postForm("/api-keys", { name: "x", scopes: "*" })).status).toBe(403);
      expect((await client.postForm(`/api-keys/${org.apiKey.id}/revoke`, {})).status).toBe(403);
    }
    const admin = await createMember(org.organization.id, "admin");
    const res = await (await signIn(app, admin.id, org.organization.id)).get("/api-keys");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('name="scopes" value="webhooks:write"');
    expect(html).toContain('name="scopes" value="*"');
  });

  test("lists only this organization's keys, with prefix, scopes, bindings and status — never a full key", async () => {
    const [instance] = await db.insert(instances).values({ organizationId: org.organization.id, name: "Support line" }).returning();
    await createApiKey({ organizationId: org.organization.id, name: "Bound key", scopes: ["messages:write"], instanceId: instance!.id });
    await createApiKey({ organizationId: other.organization.id, name: "Foreign key", scopes: ["*"] });
    const html = await (await org.client.get("/api-keys")).text();
    expect(html).toContain("Bound key");
    expect(html).toContain("Instance: Support line");
    expect(html).toContain(`${org.apiKey.displayPrefix}…`);
    expect(html).toContain("messages:write");
    expect(html).toContain(`<option value="${instance!.id}"`);
    expect(html).not.toContain("Foreign key");
    expect(secretsIn(html)).toEqual([]);
  });
});

describe("POST /api-keys", () => {
  test("creates a key, shows it exactly once, and audits it", async () => {
    const [instance] = await db.insert(instances).values({ organizationId: org.organization.id, name: "Sales" }).returning();
    const [device] = await db.insert(devices).values({ organizationId: org.organization.id, name: "Till 1", kind: "pos" }).returning();
    const res = await org.client.postForm(
      "/api-keys",
      {
        name: "Zapier <script>",
        scopes: ["messages:write", "devices:read"],
        instanceId: instance!.id,
        deviceId: device!.id,
        expiresAt: "2099-12-31",
        requestsPerMinute: "120",
        maxMessagesPerDay: "500",
      },
      { htmx: true },
    );
    // Post → redirect → get: the page the redirect leads to shows the key this once.
    expect(res.status).toBe(204);
    expect(res.headers.get("hx-redirect")).toBe("/api-keys");
    const shown = await org.client.get("/api-keys");
    expect(shown.headers.get("cache-control")).toBe("no-store");
    const html = await shown.text();
    expect(html).not.toContain("<strong>Zapier <script>");
    expect(html).toContain("<strong>Zapier &lt;script&gt;</strong>");
    const [secret] = secretsIn(html);
    expect(secret).toBeDefined();
    expect(html).toContain('data-copy="#new-key-secret"');

    const [row] = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.organizationId, org.organization.id), eq(apiKeys.name, "Zapier <script>")));
    expect(row).toMatchObject({
      scopes: ["messages:write", "devices:read"],
      instanceId: instance!.id,
      deviceId: device!.id,
      requestsPerMinute: 120,
      maxMessagesPerDay: 500,
      createdByUserId: org.user.id,
    });
    // The end of that day in the organization's zone (America/Sao_Paulo, UTC-3), the member having none of their own.
    expect(org.organization.timeZone).toBe("America/Sao_Paulo");
    expect(row!.expiresAt!.toISOString()).toBe("2100-01-01T02:59:59.999Z");
    expect(secret!.startsWith(row!.displayPrefix)).toBe(true);

    // The key works, with its scopes.
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(200);
    expect((await api(app, "POST", "/v1/devices", secret, { name: "x" })).status).toBe(403);

    // Reloading the page never shows it again.
    const reload = await (await org.client.get("/api-keys")).text();
    expect(secretsIn(reload)).toEqual([]);
    expect(reload).toContain(row!.displayPrefix);

    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "api_key.created"), eq(auditLogs.targetId, row!.id)));
    expect(audit).toMatchObject({ organizationId: org.organization.id, actorType: "user", actorId: org.user.id });
    expect(JSON.stringify(audit!.details)).not.toContain(secret!);
  });

  test("a plain (no-JS) form post redirects to the full page with the key", async () => {
    const res = await org.client.postForm("/api-keys", { name: "No JS", scopes: "*" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/api-keys");
    const html = await (await org.client.get("/api-keys")).text();
    expect(html).toContain("<h1>API keys</h1>");
    expect(secretsIn(html)).toHaveLength(1);
    const [row] = await db.select().from(apiKeys).where(eq(apiKeys.name, "No JS"));
    expect(row!.scopes).toEqual(["*"]);
  });

  test("invalid input re-renders the form with field errors and 422, keeping the values", async () => {
    const before = await db.$count(apiKeys);
    const res = await org.client.postForm(
      "/api-keys",
      { name: "", scopes: ["nope:read"], expiresAt: "2001-01-01", requestsPerMinute: "-3", maxMessagesPerDay: "abc", instanceId: "not-a-uuid" },
      { htmx: true },
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("Give the key a name");
    expect(html).toContain("Unknown scope");
    expect(html).toContain("The expiry must be in the future");
    expect(html).toContain("Must be at least 1");
    expect(html).toContain("Enter a whole number");
    expect(html).toContain("Choose a valid instance");
    expect(html).toContain('value="2001-01-01"');
    expect(secretsIn(html)).toEqual([]);
    expect(await db.$count(apiKeys)).toBe(before);

    const noScopes = await org.client.postForm("/api-keys", { name: "x" }, { htmx: true });
    expect(noScopes.status).toBe(422);
    expect(await noScopes.text()).toContain("Choose at least one scope");
  });

  test("binding another organization's instance or device is a field error, not a cross-tenant key", async () => {
    const [foreignInstance] = await db.insert(instances).values({ organizationId: other.organization.id, name: "Theirs" }).returning();
    const [foreignDevice] = await db.insert(devices).values({ organizationId: other.organization.id, name: "Theirs", kind: "server" }).returning();
    const res = await org.client.postForm(
      "/api-keys",
      { name: "Sneaky", scopes: "*", instanceId: foreignInstance!.id, deviceId: foreignDevice!.id },
      { htmx: true },
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("Choose one of this organization&#x27;s instances");
    expect(html).toContain("active devices");
    expect(await db.$count(apiKeys, eq(apiKeys.name, "Sneaky"))).toBe(0);
  });

  test("CSRF token is required", async () => {
    const res = await org.client.postForm("/api-keys", { name: "x", scopes: "*" }, { csrf: false });
    expect(res.status).toBe(403);
  });
});

describe("POST /api-keys/:id/revoke", () => {
  test("revokes (htmx row swap), the key gets 401, audited once", async () => {
    const { key, secret } = await createApiKey({ organizationId: org.organization.id, name: "To revoke", scopes: ["*"] });
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(200);
    const res = await org.client.postForm(`/api-keys/${key.id}/revoke`, {}, { htmx: true });
    expect(res.status).toBe(200);
    const row = await res.text();
    expect(row).toContain(`id="api-key-${key.id}"`);
    expect(row).toContain("revoked");
    expect(row).not.toContain("Revoke</button>");
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(401);
    // Again: idempotent, no second audit row.
    expect((await org.client.postForm(`/api-keys/${key.id}/revoke`, {}, { htmx: true })).status).toBe(200);
    expect(await db.$count(auditLogs, and(eq(auditLogs.action, "api_key.revoked"), eq(auditLogs.targetId, key.id)))).toBe(1);
  });

  test("the revoke button asks for confirmation", async () => {
    const { key } = await createApiKey({ organizationId: org.organization.id, name: "Confirm me", scopes: ["*"] });
    const html = await (await org.client.get("/api-keys")).text();
    expect(html).toContain(`hx-post="/api-keys/${key.id}/revoke"`);
    expect(html).toMatch(/hx-confirm="Revoke &#34;Confirm me&#34;\?/);
  });

  test("without htmx it redirects back with a flash", async () => {
    const { key } = await createApiKey({ organizationId: org.organization.id, name: "Plain revoke", scopes: ["*"] });
    const res = await org.client.postForm(`/api-keys/${key.id}/revoke`, {});
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/api-keys");
    expect(await (await org.client.get("/api-keys")).text()).toContain("Revoked Plain revoke");
  });

  test("another organization's key → 404 and stays valid; junk id → 404; logged out → redirect", async () => {
    const foreign = await createApiKey({ organizationId: other.organization.id, name: "Foreign", scopes: ["*"] });
    expect((await org.client.postForm(`/api-keys/${foreign.key.id}/revoke`, {}, { htmx: true })).status).toBe(404);
    expect((await api(app, "GET", "/v1/devices", foreign.secret)).status).toBe(200);
    expect((await org.client.postForm(`/api-keys/not-a-uuid/revoke`, {}, { htmx: true })).status).toBe(404);
    const anonymous = new TestClient(app);
    const res = await anonymous.postForm(`/api-keys/${foreign.key.id}/revoke`, {});
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toStartWith("/login");
  });
});
