import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, events, instances, organizations } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { createVisitorDevice, createVisitorKey } from "@/features/devices/device.service";
import { decryptSecret } from "@/lib/crypto";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();

async function createSandbox(key: string, name = "Sandbox") {
  const res = await api(app, "POST", "/v1/instances", key, { name });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string; status: string };
}

describe("instances API", () => {
  test("logged out: every route answers 401 with the JSON envelope", async () => {
    const id = crypto.randomUUID();
    const routes: [string, string][] = [
      ["GET", "/v1/instances"],
      ["POST", "/v1/instances"],
      ["GET", `/v1/instances/${id}`],
      ["PATCH", `/v1/instances/${id}`],
      ["DELETE", `/v1/instances/${id}`],
      ["POST", `/v1/instances/${id}/connect`],
      ["GET", `/v1/instances/${id}/qr`],
      ["POST", `/v1/instances/${id}/pairing-code`],
      ["POST", `/v1/instances/${id}/logout`],
    ];
    for (const [method, path] of routes) {
      const res = await api(app, method, path, undefined, method === "GET" || method === "DELETE" ? undefined : {});
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.error.code).toBe("unauthorized");
    }
  });

  test("create, get, list with cursor pagination, rename, delete", async () => {
    const { key, organization } = await setupOrg(app);
    const a = await createSandbox(key, "First");
    expect(a).toMatchObject({ name: "First", status: "disconnected", organizationId: organization.id });
    const b = await createSandbox(key, "Second");
    const c = await createSandbox(key, "Third");

    const got = await api(app, "GET", `/v1/instances/${a.id}`, key);
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(a.id);

    const page1 = await api(app, "GET", "/v1/instances?limit=2", key);
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((i: { id: string }) => i.id)).toEqual([c.id, b.id]);
    expect(typeof page1.body.nextCursor).toBe("string");
    const page2 = await api(app, "GET", `/v1/instances?limit=2&cursor=${page1.body.nextCursor}`, key);
    expect(page2.body.data.map((i: { id: string }) => i.id)).toEqual([a.id]);
    expect(page2.body.nextCursor).toBeNull();
    const badCursor = await api(app, "GET", "/v1/instances?cursor=nonsense", key);
    expect(badCursor.status).toBe(422);

    const renamed = await api(app, "PATCH", `/v1/instances/${a.id}`, key, { name: "Renamed", maxMessagesPerDay: 50 });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Renamed", maxMessagesPerDay: 50 });

    const deleted = await api(app, "DELETE", `/v1/instances/${a.id}`, key);
    expect(deleted.status).toBe(200);
    expect((await api(app, "GET", `/v1/instances/${a.id}`, key)).status).toBe(404);
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, organization.id), eq(auditLogs.targetId, a.id)));
    expect(audit.map((r) => r.action).sort()).toEqual(["instance.created", "instance.deleted", "instance.updated"]);
  });

  test("bad bodies are 422 with field details", async () => {
    const { key } = await setupOrg(app);
    const empty = await api(app, "POST", "/v1/instances", key, { name: "" });
    expect(empty.status).toBe(422);
    expect(empty.body.error.code).toBe("validation_failed");
    expect(empty.body.error.details.map((d: { path: string }) => d.path)).toContain("name");
    const badProvider = await api(app, "POST", "/v1/instances", key, { name: "x", provider: "telegram" });
    expect(badProvider.status).toBe(422);
    expect(badProvider.body.error.details.map((d: { path: string }) => d.path)).toContain("provider");
    const cloud = await api(app, "POST", "/v1/instances", key, { name: "x", provider: "cloud", config: { phoneNumberId: "123" } });
    expect(cloud.status).toBe(422);
    const paths = cloud.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["config.accessToken", "config.appSecret", "config.verifyToken"]));
    const longName = await api(app, "PATCH", `/v1/instances/${crypto.randomUUID()}`, key, { name: "x".repeat(200) });
    expect(longName.status).toBe(422);
  });

  test("cloud credentials are stored encrypted and never returned", async () => {
    const { key } = await setupOrg(app);
    const secrets = { phoneNumberId: "1098765", accessToken: "EAAG-secret-token", appSecret: "app-secret-xyz", verifyToken: "verify-me-123" };
    const res = await api(app, "POST", "/v1/instances", key, { name: "Meta", provider: "cloud", config: secrets });
    expect(res.status).toBe(201);
    const text = JSON.stringify(res.body);
    for (const secret of [secrets.accessToken, secrets.appSecret, secrets.verifyToken]) expect(text).not.toContain(secret);
    expect(res.body.config).toMatchObject({ phoneNumberId: "1098765", accessTokenSet: true, appSecretSet: true, verifyTokenSet: true });
    const [row] = await db.select().from(instances).where(eq(instances.id, res.body.id));
    expect(JSON.stringify(row!.providerConfig)).not.toContain(secrets.accessToken);
    expect(decryptSecret(row!.providerConfig.accessTokenEnc as string)).toBe(secrets.accessToken);
    const listed = await api(app, "GET", "/v1/instances", key);
    expect(JSON.stringify(listed.body)).not.toContain(secrets.appSecret);
    // Rotating one secret keeps the others.
    const patched = await api(app, "PATCH", `/v1/instances/${res.body.id}`, key, { config: { accessToken: "EAAG-new" } });
    expect(patched.status).toBe(200);
    const [after] = await db.select().from(instances).where(eq(instances.id, res.body.id));
    expect(decryptSecret(after!.providerConfig.accessTokenEnc as string)).toBe("EAAG-new");
    expect(decryptSecret(after!.providerConfig.appSecretEnc as string)).toBe(secrets.appSecret);
  });

  test("sandbox end to end: connect → QR image → scan → connected → logout", async () => {
    const { key, organization } = await setupOrg(app);
    const inst = await createSandbox(key);
    const connect = await api(app, "POST", `/v1/instances/${inst.id}/connect`, key);
    expect(connect.status).toBe(200);
    expect(connect.body.status).toBe("qr");
    expect(connect.body.qr.code).toContain("/sandbox/pair/");
    expect(connect.body.qr.image).toStartWith("data:image/png;base64,");

    const qr = await api(app, "GET", `/v1/instances/${inst.id}/qr`, key);
    expect(qr.status).toBe(200);
    expect(qr.body).toMatchObject({ status: "qr", qr: { code: connect.body.qr.code } });

    const code = await api(app, "POST", `/v1/instances/${inst.id}/pairing-code`, key, { phone: "+55 11 99999-0001" });
    expect(code.status).toBe(200);
    expect(code.body.code).toMatch(/^[A-Z0-9]{8}$/);
    const badPhone = await api(app, "POST", `/v1/instances/${inst.id}/pairing-code`, key, { phone: "abc" });
    expect(badPhone.status).toBe(422);
    expect(badPhone.body.error.details[0].path).toBe("phone");

    const scan = await api(app, "POST", `/v1/sandbox/instances/${inst.id}/scan`, key, {});
    expect(scan.status).toBe(200);
    const got = await api(app, "GET", `/v1/instances/${inst.id}`, key);
    expect(got.body.status).toBe("connected");
    expect(got.body.waJid).toBeTruthy();
    const again = await api(app, "POST", `/v1/instances/${inst.id}/connect`, key);
    expect(again.body).toEqual({ status: "connected" });
    const pairingWhileConnected = await api(app, "POST", `/v1/instances/${inst.id}/pairing-code`, key, { phone: "+5511999990001" });
    expect(pairingWhileConnected.status).toBe(409);

    const logout = await api(app, "POST", `/v1/instances/${inst.id}/logout`, key);
    expect(logout.status).toBe(200);
    expect(logout.body.status).toBe("logged_out");

    const types = (
      await db
        .select()
        .from(events)
        .where(and(eq(events.organizationId, organization.id), eq(events.instanceId, inst.id)))
    ).map((e) => e.type);
    expect(types).toContain("instance.qr");
    expect(types.filter((t) => t === "instance.connected")).toHaveLength(1);
    expect(types).toContain("instance.logged_out");
    // The sandbox reports its QR itself; connect must not record it twice.
    expect(types.filter((t) => t === "instance.qr")).toHaveLength(1);
  });

  test("organization instance limit → 422 with a clear message", async () => {
    const { key, organization } = await setupOrg(app);
    await db.update(organizations).set({ maxInstances: 1 }).where(eq(organizations.id, organization.id));
    await createSandbox(key);
    const res = await api(app, "POST", "/v1/instances", key, { name: "Too many" });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain("1 of 1 instances");
    // Concurrent creates cannot both slip under the limit.
    await db.update(organizations).set({ maxInstances: 3 }).where(eq(organizations.id, organization.id));
    const results = await Promise.all([1, 2, 3, 4].map((n) => api(app, "POST", "/v1/instances", key, { name: `Race ${n}` })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(await db.$count(instances, eq(instances.organizationId, organization.id))).toBe(3);
  });

  test("scopes: instances:read cannot write; a key without instance scopes is refused", async () => {
    const { organization } = await setupOrg(app);
    const { secret: readOnly } = await createApiKey({ organizationId: organization.id, name: "ro", scopes: ["instances:read"] });
    expect((await api(app, "GET", "/v1/instances", readOnly)).status).toBe(200);
    const denied = await api(app, "POST", "/v1/instances", readOnly, { name: "x" });
    expect(denied.status).toBe(403);
    const { secret: messagesOnly } = await createApiKey({ organizationId: organization.id, name: "m", scopes: ["messages:write"] });
    expect((await api(app, "GET", "/v1/instances", messagesOnly)).status).toBe(403);
  });

  test("a key bound to one instance sees only that one and cannot create others", async () => {
    const { key, organization } = await setupOrg(app);
    const a = await createSandbox(key, "A");
    const b = await createSandbox(key, "B");
    const { secret: bound } = await createApiKey({ organizationId: organization.id, name: "bound", scopes: ["*"], instanceId: a.id });
    const list = await api(app, "GET", "/v1/instances", bound);
    expect(list.body.data.map((i: { id: string }) => i.id)).toEqual([a.id]);
    expect((await api(app, "GET", `/v1/instances/${a.id}`, bound)).status).toBe(200);
    for (const [method, path] of [
      ["GET", `/v1/instances/${b.id}`],
      ["PATCH", `/v1/instances/${b.id}`],
      ["DELETE", `/v1/instances/${b.id}`],
      ["POST", `/v1/instances/${b.id}/connect`],
      ["GET", `/v1/instances/${b.id}/qr`],
      ["POST", `/v1/instances/${b.id}/logout`],
    ] as const) {
      const res = await api(app, method, path, bound, method === "PATCH" ? { name: "x" } : undefined);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await api(app, "POST", "/v1/instances", bound, { name: "C" })).status).toBe(403);
  });

  test("another organization's instance is 404 on every route", async () => {
    const mine = await setupOrg(app);
    const theirs = await setupOrg(app);
    const inst = await createSandbox(theirs.key);
    const routes: [string, string, unknown?][] = [
      ["GET", `/v1/instances/${inst.id}`],
      ["PATCH", `/v1/instances/${inst.id}`, { name: "stolen" }],
      ["DELETE", `/v1/instances/${inst.id}`],
      ["POST", `/v1/instances/${inst.id}/connect`],
      ["GET", `/v1/instances/${inst.id}/qr`],
      ["POST", `/v1/instances/${inst.id}/pairing-code`, { phone: "+5511999990001" }],
      ["POST", `/v1/instances/${inst.id}/logout`],
    ];
    for (const [method, path, body] of routes) {
      const res = await api(app, method, path, mine.key, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    expect((await api(app, "GET", "/v1/instances/not-a-uuid", mine.key)).status).toBe(404);
    const list = await api(app, "GET", "/v1/instances", mine.key);
    expect(list.body.data).toEqual([]);
    const [row] = await db.select().from(instances).where(eq(instances.id, inst.id));
    expect(row!.name).toBe("Sandbox");
  });

  test("unclaimed visitor key: sees only its device's instance, one sandbox at most", async () => {
    const device = await createVisitorDevice();
    const [inst] = await db.insert(instances).values({ organizationId: null, createdByDeviceId: device.id, name: "Try" }).returning();
    const { secret } = await createVisitorKey(device.id, inst!.id);
    const other = await setupOrg(app);
    const foreign = await createSandbox(other.key);

    const list = await api(app, "GET", "/v1/instances", secret);
    expect(list.status).toBe(200);
    expect(list.body.data.map((i: { id: string }) => i.id)).toEqual([inst!.id]);
    expect((await api(app, "GET", `/v1/instances/${foreign.id}`, secret)).status).toBe(404);
    const connect = await api(app, "POST", `/v1/instances/${inst!.id}/connect`, secret);
    expect(connect.status).toBe(200);
    expect(connect.body.status).toBe("qr");
    // The visitor key is bound to its instance: creating another is refused.
    expect((await api(app, "POST", "/v1/instances", secret, { name: "More" })).status).toBe(403);
    // The other org cannot see the visitor's instance either.
    expect((await api(app, "GET", `/v1/instances/${inst!.id}`, other.key)).status).toBe(404);
  });
});

describe("provider failures", () => {
  let server: ReturnType<typeof Bun.serve>;
  const saved = { ...config.wuzapi };
  beforeAll(() => {
    // A WuzAPI that is up but failing: every admin call answers 500.
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => Response.json({ code: 500, error: "database is locked", success: false }, { status: 500 }),
    });
    config.wuzapi.url = `http://127.0.0.1:${server.port}`;
    config.wuzapi.adminToken = "admin-token";
  });
  afterAll(() => {
    server.stop(true);
    Object.assign(config.wuzapi, saved);
  });

  test("a provider error is a 502 provider_error and leaves no half-created instance", async () => {
    const { key, organization } = await setupOrg(app);
    const res = await api(app, "POST", "/v1/instances", key, { name: "Real number", provider: "wuzapi" });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe("provider_error");
    expect(res.body.error.message).toContain("database is locked");
    expect(await db.$count(instances, eq(instances.organizationId, organization.id))).toBe(0);
  });
});
