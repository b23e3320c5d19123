import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq, isNull } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { apiKeys, auditLogs, devices, instances } from "@/db/schema";
import { createApiKey, revokeOrganizationApiKey } from "@/features/api-keys/api-key.service";
import { createVisitorDevice, createVisitorKey } from "@/features/devices/device.service";
import { api } from "../helpers/client";
import { memberCaller, setupOrg } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let foreignDeviceId: string;

beforeAll(async () => {
  org = await setupOrg(app);
  other = await setupOrg(app);
  const [d] = await db.insert(devices).values({ organizationId: other.organization.id, name: "Their server", kind: "server" }).returning();
  foreignDeviceId = d!.id;
});

describe("POST /v1/devices", () => {
  test("registers a device (201) and audits it", async () => {
    const res = await api(app, "POST", "/v1/devices", org.key, { name: "Warehouse scanner", kind: "pos" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "Warehouse scanner", kind: "pos", status: "active", revokedAt: null, ip: null });
    expect(res.body.apiKey).toBeUndefined();
    const [row] = await db.select().from(devices).where(eq(devices.id, res.body.id));
    expect(row!.organizationId).toBe(org.organization.id);
    expect(await db.$count(auditLogs, and(eq(auditLogs.action, "device.created"), eq(auditLogs.targetId, res.body.id)))).toBe(1);
  });

  test("with createKey returns a key bound to the device, once, that works", async () => {
    const res = await api(app, "POST", "/v1/devices", org.key, {
      name: "Kiosk",
      kind: "browser",
      createKey: true,
      keyScopes: ["devices:read", "messages:write"],
    });
    expect(res.status).toBe(201);
    const { apiKey } = res.body;
    expect(apiKey.secret).toMatch(/^lc_live_[0-9A-Za-z]{32}$/);
    expect(apiKey).toMatchObject({ deviceId: res.body.id, scopes: ["devices:read", "messages:write"], instanceId: null });
    const [stored] = await db.select().from(apiKeys).where(eq(apiKeys.id, apiKey.id));
    expect(stored).toMatchObject({ organizationId: org.organization.id, deviceId: res.body.id });
    // The device's own key sees only its device.
    const list = await api(app, "GET", "/v1/devices", apiKey.secret);
    expect(list.status).toBe(200);
    expect(list.body.data.map((d: { id: string }) => d.id)).toEqual([res.body.id]);
    // …and cannot register other devices.
    expect((await api(app, "POST", "/v1/devices", apiKey.secret, { name: "x" })).status).toBe(403);
  });

  test("a created key never exceeds the caller's scopes and inherits its instance binding", async () => {
    const [instance] = await db.insert(instances).values({ organizationId: org.organization.id, name: "Only this" }).returning();
    const { secret } = await createApiKey({
      organizationId: org.organization.id,
      name: "narrow",
      scopes: ["devices:write", "devices:read", "messages:read"],
      instanceId: instance!.id,
    });
    const escalate = await api(app, "POST", "/v1/devices", secret, { name: "x", createKey: true, keyScopes: ["*"] });
    expect(escalate.status).toBe(403);
    expect(escalate.body.error.message).toContain("*");
    const escalate2 = await api(app, "POST", "/v1/devices", secret, { name: "x", createKey: true, keyScopes: ["webhooks:write"] });
    expect(escalate2.status).toBe(403);
    // Default scopes include instances:write which this key lacks.
    expect((await api(app, "POST", "/v1/devices", secret, { name: "x", createKey: true })).status).toBe(403);
    const ok = await api(app, "POST", "/v1/devices", secret, { name: "ok", createKey: true, keyScopes: ["messages:read"] });
    expect(ok.status).toBe(201);
    expect(ok.body.apiKey.instanceId).toBe(instance!.id);
    expect(await db.$count(devices, eq(devices.name, "x"))).toBe(0);
  });

  test("a key-created key never outlives the caller nor gets higher limits (the stricter wins), and records its parent", async () => {
    const parentExpiry = new Date(Date.now() + 2 * 86_400_000);
    const { key: parent, secret } = await createApiKey({
      organizationId: org.organization.id,
      name: "minting parent",
      scopes: ["devices:write", "messages:read"],
      expiresAt: parentExpiry,
      requestsPerMinute: 100,
      maxMessagesPerDay: 50,
    });
    const mint = async (extra: Record<string, unknown> = {}) => {
      const res = await api(app, "POST", "/v1/devices", secret, { name: "minted", createKey: true, keyScopes: ["messages:read"], ...extra });
      expect(res.status).toBe(201);
      const [stored] = await db.select().from(apiKeys).where(eq(apiKeys.id, res.body.apiKey.id));
      return { body: res.body.apiKey, stored: stored! };
    };

    // Nothing asked: the parent's expiry and limits.
    const inherited = await mint();
    expect(inherited.stored).toMatchObject({ parentKeyId: parent.id, requestsPerMinute: 100, maxMessagesPerDay: 50 });
    expect(inherited.stored.expiresAt!.getTime()).toBe(parentExpiry.getTime());
    expect(inherited.body).toMatchObject({ parentKeyId: parent.id, expiresAt: parentExpiry.toISOString(), requestsPerMinute: 100, maxMessagesPerDay: 50 });

    // More asked than the parent has: clamped to the parent.
    const greedy = await mint({ keyExpiresAt: "2099-01-01T00:00:00Z", keyRequestsPerMinute: 5000, keyMaxMessagesPerDay: 1000 });
    expect(greedy.stored.expiresAt!.getTime()).toBe(parentExpiry.getTime());
    expect(greedy.stored).toMatchObject({ requestsPerMinute: 100, maxMessagesPerDay: 50 });

    // Less asked: kept.
    const soon = new Date(Date.now() + 3_600_000);
    const modest = await mint({ keyExpiresAt: soon.toISOString(), keyRequestsPerMinute: 10, keyMaxMessagesPerDay: 5 });
    expect(modest.stored.expiresAt!.getTime()).toBe(soon.getTime());
    expect(modest.stored).toMatchObject({ requestsPerMinute: 10, maxMessagesPerDay: 5 });

    // A parent on the organization's plan (no override) caps a requested rate at that plan.
    const { secret: planKey } = await createApiKey({ organizationId: org.organization.id, name: "plan parent", scopes: ["devices:write", "messages:read"] });
    const planned = await api(app, "POST", "/v1/devices", planKey, {
      name: "minted",
      createKey: true,
      keyScopes: ["messages:read"],
      keyRequestsPerMinute: 100_000,
    });
    expect(planned.body.apiKey).toMatchObject({ requestsPerMinute: 600, expiresAt: null, maxMessagesPerDay: null });
    const unasked = await api(app, "POST", "/v1/devices", planKey, { name: "minted", createKey: true, keyScopes: ["messages:read"] });
    expect(unasked.body.apiKey).toMatchObject({ requestsPerMinute: null, expiresAt: null });
  });

  test("revoking the parent key revokes every key it minted (refused at once, even when cached), audited", async () => {
    const { key: parent, secret } = await createApiKey({ organizationId: org.organization.id, name: "parent", scopes: ["devices:write", "devices:read"] });
    const children: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await api(app, "POST", "/v1/devices", secret, { name: `child ${i}`, createKey: true, keyScopes: ["devices:read"] });
      children.push(res.body.apiKey.secret);
    }
    const { secret: unrelated } = await createApiKey({ organizationId: org.organization.id, name: "unrelated", scopes: ["devices:read"] });
    for (const child of [...children, unrelated]) expect((await api(app, "GET", "/v1/devices", child)).status).toBe(200);

    const revoked = await revokeOrganizationApiKey(memberCaller(org.user.id, org.organization.id, "owner"), parent.id);
    expect(revoked.revokedDescendants).toHaveLength(2);
    for (const child of children) expect((await api(app, "GET", "/v1/devices", child)).status).toBe(401);
    expect((await api(app, "GET", "/v1/devices", unrelated)).status).toBe(200);
    const minted = await db.select().from(apiKeys).where(eq(apiKeys.parentKeyId, parent.id));
    expect(minted.every((k) => k.revokedAt !== null)).toBe(true);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "api_key.revoked"), eq(auditLogs.targetId, parent.id)));
    expect((audit!.details as { revokedMintedKeys: string[] }).revokedMintedKeys.sort()).toEqual(minted.map((k) => k.id).sort());
  });

  test("keys minted while their parent is being revoked are never left alive", async () => {
    const { key: parent, secret } = await createApiKey({
      organizationId: org.organization.id,
      name: "racing parent",
      scopes: ["devices:write", "devices:read"],
    });
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(200); // cached: the mints below skip the key lookup
    const mints = Array.from({ length: 10 }, (_, i) =>
      api(app, "POST", "/v1/devices", secret, { name: `race ${i}`, createKey: true, keyScopes: ["devices:read"] }),
    );
    const revocation = revokeOrganizationApiKey(memberCaller(org.user.id, org.organization.id, "owner"), parent.id);
    const results = await Promise.all(mints);
    await revocation;
    for (const res of results) expect([201, 401]).toContain(res.status);
    const alive = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.parentKeyId, parent.id), isNull(apiKeys.revokedAt)));
    expect(alive).toHaveLength(0);
  });

  test("invalid bodies → 422 with details, never 500", async () => {
    for (const body of [
      {},
      { name: "" },
      { name: "a".repeat(101) },
      { name: "x", kind: "toaster" },
      { name: "x", createKey: "maybe" },
      { name: "x", keyScopes: ["root"] },
    ]) {
      const res = await api(app, "POST", "/v1/devices", org.key, body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
      expect(res.body.error.details.length).toBeGreaterThan(0);
    }
    const bad = await api(app, "POST", "/v1/devices", org.key, "{not json");
    expect([400, 422]).toContain(bad.status);
  });
});

describe("GET /v1/devices", () => {
  test("lists only the organization's devices, newest first, with cursor pagination", async () => {
    const { organization, key } = await setupOrg(app);
    for (let i = 0; i < 5; i++) expect((await api(app, "POST", "/v1/devices", key, { name: `d${i}` })).status).toBe(201);
    const first = await api(app, "GET", "/v1/devices?limit=2", key);
    expect(first.status).toBe(200);
    expect(first.body.data.map((d: { name: string }) => d.name)).toEqual(["d4", "d3"]);
    expect(first.body.nextCursor).toBeString();
    const second = await api(app, "GET", `/v1/devices?limit=2&cursor=${first.body.nextCursor}`, key);
    expect(second.body.data.map((d: { name: string }) => d.name)).toEqual(["d2", "d1"]);
    const third = await api(app, "GET", `/v1/devices?limit=2&cursor=${second.body.nextCursor}`, key);
    expect(third.body.data.map((d: { name: string }) => d.name)).toEqual(["d0"]);
    expect(third.body.nextCursor).toBeNull();
    const all = await api(app, "GET", "/v1/devices", key);
    expect(all.body.data).toHaveLength(5);
    expect(all.body.data.every((d: { id: string }) => d.id !== foreignDeviceId)).toBe(true);
    expect(organization.id).toBeString();
  });

  test("bad paging input → 422, not 500", async () => {
    expect((await api(app, "GET", "/v1/devices?cursor=garbage", org.key)).status).toBe(422);
    expect((await api(app, "GET", "/v1/devices?limit=0", org.key)).status).toBe(422);
    expect((await api(app, "GET", "/v1/devices?limit=abc", org.key)).status).toBe(422);
  });
});

describe("GET/DELETE /v1/devices/:id", () => {
  test("gets a device", async () => {
    const created = await api(app, "POST", "/v1/devices", org.key, { name: "Phone", kind: "mobile" });
    const res = await api(app, "GET", `/v1/devices/${created.body.id}`, org.key);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: created.body.id, name: "Phone", kind: "mobile" });
  });

  test("DELETE revokes the device and all its keys (401 at once), audited, idempotent", async () => {
    const created = await api(app, "POST", "/v1/devices", org.key, { name: "Lost phone", kind: "mobile", createKey: true, keyScopes: ["devices:read"] });
    const id = created.body.id as string;
    const second = await createApiKey({ organizationId: org.organization.id, name: "second", scopes: ["*"], deviceId: id });
    expect((await api(app, "GET", "/v1/devices", created.body.apiKey.secret)).status).toBe(200);
    expect((await api(app, "GET", "/v1/devices", second.secret)).status).toBe(200);

    const res = await api(app, "DELETE", `/v1/devices/${id}`, org.key);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: "revoked" });
    expect(res.body.revokedAt).toBeString();
    expect((await api(app, "GET", "/v1/devices", created.body.apiKey.secret)).status).toBe(401);
    expect((await api(app, "GET", "/v1/devices", second.secret)).status).toBe(401);
    const keys = await db.select().from(apiKeys).where(eq(apiKeys.deviceId, id));
    expect(keys.every((k) => k.revokedAt !== null)).toBe(true);

    const audits = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "device.revoked"), eq(auditLogs.targetId, id)));
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorType: "api_key", actorId: org.apiKey.id });
    expect(await db.$count(auditLogs, and(eq(auditLogs.action, "api_key.revoked"), eq(auditLogs.targetId, second.key.id)))).toBe(1);

    const again = await api(app, "DELETE", `/v1/devices/${id}`, org.key);
    expect(again.status).toBe(200);
    expect(await db.$count(auditLogs, and(eq(auditLogs.action, "device.revoked"), eq(auditLogs.targetId, id)))).toBe(1);
  });

  test("another organization's device → 404 on GET and DELETE, and it is untouched", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await api(app, method, `/v1/devices/${foreignDeviceId}`, org.key);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    const [d] = await db.select().from(devices).where(eq(devices.id, foreignDeviceId));
    expect(d!.revokedAt).toBeNull();
  });

  test("unknown or malformed id → 404 (ids that cannot exist name nothing)", async () => {
    expect((await api(app, "GET", `/v1/devices/${crypto.randomUUID()}`, org.key)).status).toBe(404);
    expect((await api(app, "GET", "/v1/devices/not-a-uuid", org.key)).status).toBe(404);
  });

  test("a device-bound key cannot see or revoke its organization's other devices", async () => {
    const mine = await api(app, "POST", "/v1/devices", org.key, { name: "Mine", createKey: true, keyScopes: ["devices:read", "devices:write"] });
    const sibling = await api(app, "POST", "/v1/devices", org.key, { name: "Sibling" });
    const key = mine.body.apiKey.secret;
    expect((await api(app, "GET", `/v1/devices/${sibling.body.id}`, key)).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/devices/${sibling.body.id}`, key)).status).toBe(404);
    expect((await api(app, "GET", `/v1/devices/${mine.body.id}`, key)).status).toBe(200);
  });
});

describe("auth on every route", () => {
  const routes = (id: string) =>
    [
      ["GET", "/v1/devices", "devices:read"],
      ["POST", "/v1/devices", "devices:write"],
      ["GET", `/v1/devices/${id}`, "devices:read"],
      ["DELETE", `/v1/devices/${id}`, "devices:write"],
    ] as const;

  test("no key → 401; wrong scope → 403", async () => {
    const { secret: noDevices } = await createApiKey({ organizationId: org.organization.id, name: "msgs", scopes: ["messages:write", "contacts:*"] });
    for (const [method, path, scope] of routes(foreignDeviceId)) {
      const body = method === "POST" ? { name: "x" } : undefined;
      const anon = await api(app, method, path, undefined, body);
      expect(anon.status).toBe(401);
      const res = await api(app, method, path, noDevices, body);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain(scope);
    }
  });

  test("a visitor (org-less) key cannot manage devices", async () => {
    const device = await createVisitorDevice();
    const [instance] = await db.insert(instances).values({ organizationId: null, name: "try", createdByDeviceId: device.id }).returning();
    const { secret } = await createVisitorKey(device.id, instance!.id);
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(403);
  });
});

test("/openapi.json documents the devices API from the zod schemas", async () => {
  const res = await app.handle(new Request("http://localhost/openapi.json"));
  const doc = (await res.json()) as any;
  const path = doc.paths["/v1/devices"];
  expect(path.get).toBeDefined();
  expect(path.post).toBeDefined();
  expect(JSON.stringify(path.post.requestBody)).toContain("createKey");
  const byId = doc.paths["/v1/devices/{id}"];
  expect(byId.get).toBeDefined();
  expect(byId.delete).toBeDefined();
  expect(doc.paths["/api-keys"]).toBeUndefined();
});
