import { afterAll, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { db, notify } from "@/db/client";
import { startCacheSync, stopCacheSync } from "@/db/notified-cache";
import { apiKeys, devices, instances } from "@/db/schema";
import { createApiKey, revokeApiKey } from "@/features/api-keys/api-key.service";
import { API_KEY_REVOKED_CHANNEL, flushApiKeyLastUsed, hasScope, verifyApiKey } from "@/features/api-keys/api-key.verify";
import { sha256Hex } from "@/lib/crypto";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app);
  await startCacheSync();
});
afterAll(async () => {
  await stopCacheSync();
});

const key = (scopes: string[], extra: Partial<Parameters<typeof createApiKey>[0]> = {}) =>
  createApiKey({ organizationId: org.organization.id, name: "k", scopes, ...extra });

async function raw(headers: Record<string, string>) {
  const res = await app.handle(new Request("http://localhost/v1/devices", { headers }));
  return { status: res.status, body: (await res.json()) as any, requestId: res.headers.get("x-request-id") };
}

/** Polls until `check` holds or `ms` pass; returns how long it took (or Infinity). */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  const held = await waitFor(check, { timeoutMs: ms }).then(
    () => true,
    () => false,
  );
  return held ? performance.now() - start : Infinity;
}

describe("presenting a key", () => {
  test("Authorization: Bearer and X-Api-Key both authenticate", async () => {
    const { secret } = await key(["devices:read"]);
    expect((await raw({ authorization: `Bearer ${secret}` })).status).toBe(200);
    expect((await raw({ authorization: `bearer ${secret}` })).status).toBe(200);
    expect((await raw({ "x-api-key": secret })).status).toBe(200);
  });

  test("no key → 401 envelope with the request id", async () => {
    const res = await raw({});
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthorized");
    expect(res.body.error.requestId).toBe(res.requestId!);
  });

  test.each([
    ["malformed", "not-a-key"],
    ["too short", "lc_live_abc"],
    ["wrong prefix", `lc_test_${"a".repeat(32)}`],
    ["bad characters", `lc_live_${"-".repeat(32)}`],
    ["well-formed but unknown", `lc_live_${"A".repeat(32)}`],
    ["empty bearer", ""],
  ])("%s key → 401", async (_label, presented) => {
    const res = await raw({ authorization: `Bearer ${presented}` });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthorized");
    expect(JSON.stringify(res.body)).not.toContain("select");
  });

  test("expired key → 401", async () => {
    const { secret } = await key(["*"], { expiresAt: new Date(Date.now() - 1000) });
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(401);
  });

  test("a cached key stops working the moment it expires", async () => {
    const expiresAt = new Date(Date.now() + 1500);
    const { secret } = await key(["*"], { expiresAt });
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(200);
    // The clock moves to just past the expiry, still well inside the cache's lifetime.
    setSystemTime(new Date(expiresAt.getTime() + 1));
    try {
      expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(401);
    } finally {
      setSystemTime();
    }
  });

  test("revoked key → 401", async () => {
    const { key: k, secret } = await key(["*"]);
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(200);
    await revokeApiKey(org.organization.id, k.id);
    const res = await api(app, "GET", "/v1/devices", secret);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("revoked");
  });

  test("missing scope → 403 forbidden naming the scope", async () => {
    const { secret } = await key(["messages:read"]);
    const res = await api(app, "GET", "/v1/devices", secret);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
    expect(res.body.error.message).toContain("devices:read");
    const readOnly = await key(["devices:read"]);
    expect((await api(app, "POST", "/v1/devices", readOnly.secret, { name: "x" })).status).toBe(403);
  });

  test("scope rules: * grants everything, resource:* grants that resource only", () => {
    expect(hasScope({ scopes: ["*"] }, "webhooks:write")).toBe(true);
    expect(hasScope({ scopes: ["devices:*"] }, "devices:write")).toBe(true);
    expect(hasScope({ scopes: ["devices:*"] }, "messages:read")).toBe(false);
    expect(hasScope({ scopes: ["devices:read"] }, "devices:write")).toBe(false);
  });
});

describe("in-process cache", () => {
  test("a warm key is served from the cache; the revocation NOTIFY evicts it within 1 s", async () => {
    const { key: k, secret } = await key(["*"]);
    expect(await verifyApiKey(secret)).not.toBeNull();
    // Revoke behind the cache's back (no NOTIFY): the cached entry keeps answering, proving no DB read.
    await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, k.id));
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(200);
    // Now announce it the way revokeApiKey does on any process: this process hears it over LISTEN.
    await notify(API_KEY_REVOKED_CHANNEL, sha256Hex(secret));
    const took = await within(1000, async () => (await api(app, "GET", "/v1/devices", secret)).status === 401);
    expect(took).toBeLessThan(1000);
  });

  test("keys bound to an instance or a device carry that binding", async () => {
    const [instance] = await db.insert(instances).values({ organizationId: org.organization.id, name: "bound" }).returning();
    const [device] = await db.insert(devices).values({ organizationId: org.organization.id, name: "pos", kind: "pos" }).returning();
    const { key: k, secret } = await key(["messages:write"], { instanceId: instance!.id, deviceId: device!.id, requestsPerMinute: 42, maxMessagesPerDay: 7 });
    const verified = await verifyApiKey(secret);
    expect(verified).toMatchObject({
      id: k.id,
      organizationId: org.organization.id,
      instanceId: instance!.id,
      deviceId: device!.id,
      scopes: ["messages:write"],
      requestsPerMinute: 42,
      maxMessagesPerDay: 7,
    });
    const unbound = await verifyApiKey(org.key);
    expect(unbound).toMatchObject({ instanceId: null, deviceId: null, requestsPerMinute: 600 });
  });

  test("a key of a revoked device is refused once its entry is evicted", async () => {
    const [device] = await db.insert(devices).values({ organizationId: org.organization.id, name: "lost phone", kind: "mobile" }).returning();
    const { secret } = await key(["*"], { deviceId: device!.id });
    expect(await verifyApiKey(secret)).not.toBeNull();
    await db.update(devices).set({ revokedAt: new Date() }).where(eq(devices.id, device!.id));
    await notify(API_KEY_REVOKED_CHANNEL, sha256Hex(secret));
    expect(await within(1000, async () => (await verifyApiKey(secret)) === null)).toBeLessThan(1000);
  });
});

describe("lastUsedAt", () => {
  test("is batched: no write per request, one write on flush (and the device is marked seen)", async () => {
    await flushApiKeyLastUsed(); // start from an empty batch
    const [device] = await db.insert(devices).values({ organizationId: org.organization.id, name: "server", kind: "server" }).returning();
    const { key: k, secret } = await key(["devices:read"], { deviceId: device!.id });
    for (let i = 0; i < 5; i++) expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(200);
    const before = await db.select({ lastUsedAt: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, k.id));
    expect(before[0]!.lastUsedAt).toBeNull();
    const flushedAt = Date.now();
    await flushApiKeyLastUsed();
    const [after] = await db.select({ lastUsedAt: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, k.id));
    expect(after!.lastUsedAt).toBeInstanceOf(Date);
    expect(Math.abs(after!.lastUsedAt!.getTime() - flushedAt)).toBeLessThan(60_000);
    const [seen] = await db.select({ lastSeenAt: devices.lastSeenAt }).from(devices).where(eq(devices.id, device!.id));
    expect(seen!.lastSeenAt?.getTime()).toBe(after!.lastUsedAt!.getTime());
    // Nothing pending: a second flush writes nothing (the timestamp does not move).
    await flushApiKeyLastUsed();
    const [again] = await db.select({ lastUsedAt: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, k.id));
    expect(again!.lastUsedAt!.getTime()).toBe(after!.lastUsedAt!.getTime());
  });

  test("only the key hash is stored, never the key", async () => {
    const { key: k, secret } = await key(["*"]);
    const rows = await db.execute(sql`select * from api_keys where id = ${k.id}`);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(k.keyHash).toBe(sha256Hex(secret));
    expect(k.displayPrefix).toBe(secret.slice(0, 14));
  });
});
