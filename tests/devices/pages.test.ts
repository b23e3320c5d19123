import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { apiKeys, auditLogs, devices } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { api, TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app);
  other = await setupOrg(app);
});

const SECRET = /lc_live_[0-9A-Za-z]{32}/g;
const secretsIn = (html: string) => [...new Set(html.match(SECRET) ?? [])];

describe("/devices", () => {
  test("logged out → login redirect; agent/supervisor → 403", async () => {
    const anon = new TestClient(app);
    const res = await anon.get("/devices");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=%2Fdevices");
    expect((await anon.postForm("/devices", { name: "x" })).status).toBe(303);
    for (const role of ["agent", "supervisor"] as const) {
      const member = await createMember(org.organization.id, role);
      const client = await signIn(app, member.id, org.organization.id);
      expect((await client.get("/devices")).status).toBe(403);
      expect((await client.postForm("/devices", { name: "x" })).status).toBe(403);
    }
  });

  test("registers a device with a bound key shown once; the list shows last seen, ip, user agent, status", async () => {
    const res = await org.client.postForm(
      "/devices",
      { name: "Front <desk>", kind: "pos", createKey: "on", keyScopes: ["devices:read", "messages:write"] },
      { htmx: true },
    );
    // Post → redirect → get: the page the redirect leads to shows the key this once.
    expect(res.status).toBe(204);
    expect(res.headers.get("hx-redirect")).toBe("/devices");
    const shown = await org.client.get("/devices");
    expect(shown.headers.get("cache-control")).toBe("no-store");
    const html = await shown.text();
    const [secret] = secretsIn(html);
    expect(secret).toBeDefined();
    expect(html).toContain("Front &lt;desk&gt;");
    const [device] = await db.select().from(devices).where(eq(devices.name, "Front <desk>"));
    expect(device).toMatchObject({ organizationId: org.organization.id, kind: "pos" });
    const [key] = await db.select().from(apiKeys).where(eq(apiKeys.deviceId, device!.id));
    expect(key).toMatchObject({ organizationId: org.organization.id, scopes: ["devices:read", "messages:write"], createdByUserId: org.user.id });
    expect((await api(app, "GET", "/v1/devices", secret)).status).toBe(200);

    await db
      .update(devices)
      .set({ ip: "203.0.113.9", userAgent: "PosOS/1.0 <b>", lastSeenAt: new Date("2030-01-02T03:04:00Z") })
      .where(eq(devices.id, device!.id));
    const page = await (await org.client.get("/devices")).text();
    expect(secretsIn(page)).toEqual([]);
    expect(page).toContain("203.0.113.9");
    expect(page).toContain("PosOS/1.0 &lt;b&gt;");
    // In the organization's zone (America/Sao_Paulo), the member having none of their own.
    expect(page).toMatch(/01\/02\/2030, 12:04 AM (BRT|GMT-3)/);
    expect(page).toContain("badge-ok");
  });

  test("without the checkbox no key is created", async () => {
    const res = await org.client.postForm("/devices", { name: "Keyless", kind: "server" }, { htmx: true });
    expect(res.status).toBe(204);
    expect(secretsIn(await (await org.client.get("/devices")).text())).toEqual([]);
    const [device] = await db.select().from(devices).where(eq(devices.name, "Keyless"));
    expect(await db.$count(apiKeys, eq(apiKeys.deviceId, device!.id))).toBe(0);
  });

  test("invalid input → 422 with field errors and submitted values", async () => {
    const before = await db.$count(devices);
    const res = await org.client.postForm("/devices", { name: "", kind: "fridge", createKey: "on", keyScopes: ["bogus"] }, { htmx: true });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("Give the device a name");
    expect(html).toContain("One of browser, server, mobile, pos");
    expect(html).toContain("Unknown scope");
    expect(await db.$count(devices)).toBe(before);
  });

  test("revoke → device and all its keys revoked (401 at once), audited", async () => {
    const [device] = await db.insert(devices).values({ organizationId: org.organization.id, name: "Stolen tablet", kind: "mobile" }).returning();
    const a = await createApiKey({ organizationId: org.organization.id, name: "a", scopes: ["*"], deviceId: device!.id });
    const b = await createApiKey({ organizationId: org.organization.id, name: "b", scopes: ["*"], deviceId: device!.id });
    const unrelated = await createApiKey({ organizationId: org.organization.id, name: "c", scopes: ["*"] });
    for (const k of [a, b]) expect((await api(app, "GET", "/v1/devices", k.secret)).status).toBe(200);

    const listing = await (await org.client.get("/devices")).text();
    expect(listing).toContain(`hx-post="/devices/${device!.id}/revoke"`);
    expect(listing).toContain("hx-confirm=");

    const res = await org.client.postForm(`/devices/${device!.id}/revoke`, {}, { htmx: true });
    expect(res.status).toBe(200);
    const row = await res.text();
    expect(row).toContain(`id="device-${device!.id}"`);
    expect(row).toContain("revoked");
    for (const k of [a, b]) expect((await api(app, "GET", "/v1/devices", k.secret)).status).toBe(401);
    expect((await api(app, "GET", "/v1/devices", unrelated.secret)).status).toBe(200);
    const [audit] = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "device.revoked"), eq(auditLogs.targetId, device!.id)));
    expect(audit).toMatchObject({ organizationId: org.organization.id, actorType: "user", actorId: org.user.id });
    expect((audit!.details as { revokedKeys: string[] }).revokedKeys.sort()).toEqual([a.key.id, b.key.id].sort());
  });

  test("plain form revoke redirects with a flash", async () => {
    const [device] = await db.insert(devices).values({ organizationId: org.organization.id, name: "Old server", kind: "server" }).returning();
    const res = await org.client.postForm(`/devices/${device!.id}/revoke`, {});
    expect(res.status).toBe(303);
    expect(await (await org.client.get("/devices")).text()).toContain("Revoked Old server and 0 keys");
  });

  test("another organization's device → 404 and untouched; junk id → 404; logged out → redirect", async () => {
    const [theirs] = await db.insert(devices).values({ organizationId: other.organization.id, name: "Theirs", kind: "server" }).returning();
    const theirKey = await createApiKey({ organizationId: other.organization.id, name: "t", scopes: ["*"], deviceId: theirs!.id });
    expect((await org.client.postForm(`/devices/${theirs!.id}/revoke`, {}, { htmx: true })).status).toBe(404);
    expect((await org.client.postForm("/devices/nope/revoke", {}, { htmx: true })).status).toBe(404);
    expect((await new TestClient(app).postForm(`/devices/${theirs!.id}/revoke`, {})).status).toBe(303);
    const [still] = await db.select().from(devices).where(eq(devices.id, theirs!.id));
    expect(still!.revokedAt).toBeNull();
    expect((await api(app, "GET", "/v1/devices", theirKey.secret)).status).toBe(200);
    const page = await (await org.client.get("/devices")).text();
    expect(page).not.toContain("Theirs");
  });
});
