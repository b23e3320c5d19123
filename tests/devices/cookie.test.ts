import { afterEach, describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { devices, instances, organizations } from "@/db/schema";
import { verifyApiKey } from "@/features/api-keys/api-key.verify";
import { DEVICE_COOKIE, ensureVisitorDevice, readDeviceId } from "@/features/devices/device.cookie";
import { createVisitorKey } from "@/features/devices/device.service";
import { rememberServer } from "@/lib/client-ip";
import { signValue } from "@/lib/crypto";
import { createOwner } from "../helpers/factories";

// A minimal page that does what the landing page does with the cookie, on a real socket so the
// device records the client's address (trusted proxies: loopback and 10.0.0.0/8).
const app = new Elysia()
  .get("/visit", async ({ cookie, request }) => {
    const device = await ensureVisitorDevice(cookie, request);
    return { id: device.id, ip: device.ip, userAgent: device.userAgent, kind: device.kind, organizationId: device.organizationId };
  })
  .get("/whoami", ({ cookie }) => ({ deviceId: readDeviceId(cookie) }))
  .listen({ port: 0, hostname: "127.0.0.1" });
rememberServer(app.server);
config.trustedProxies = ["loopback", "10.0.0.0/8"];

async function visit(cookie?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${app.server!.port}/visit`, {
    headers: { ...(cookie ? { cookie: `${DEVICE_COOKIE}=${cookie}` } : {}), ...headers },
  });
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${DEVICE_COOKIE}=`));
  return { body: (await res.json()) as { id: string; ip: string | null; userAgent: string | null; kind: string; organizationId: string | null }, setCookie };
}

const cookieValue = (setCookie: string) => decodeURIComponent(setCookie.split(";")[0]!.slice(DEVICE_COOKIE.length + 1));

afterEach(() => {
  config.secureCookies = false;
});

describe("ensureVisitorDevice", () => {
  test("without a cookie: creates an org-less browser device with ip and user agent, sets a signed 1-year httpOnly Lax cookie", async () => {
    const { body, setCookie } = await visit(undefined, { "user-agent": "Mozilla/5.0 Test", "x-forwarded-for": "198.51.100.7, 10.0.0.1" });
    expect(body).toMatchObject({ kind: "browser", organizationId: null, ip: "198.51.100.7", userAgent: "Mozilla/5.0 Test" });
    expect(setCookie).toBeDefined();
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toContain("Max-Age=31536000");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).not.toContain("Secure");
    expect(cookieValue(setCookie!)).toBe(signValue(body.id));
    const [row] = await db.select().from(devices).where(eq(devices.id, body.id));
    expect(row!.lastSeenAt).toBeInstanceOf(Date);
  });

  test("without trusted proxies a forged X-Forwarded-For is ignored: the device records the socket address", async () => {
    const trusted = config.trustedProxies;
    config.trustedProxies = [];
    try {
      const { body } = await visit(undefined, { "x-forwarded-for": "198.51.100.7" });
      expect(body.ip).toBe("127.0.0.1");
    } finally {
      config.trustedProxies = trusted;
    }
  });

  test("the cookie is Secure when the app is served over https", async () => {
    config.secureCookies = true;
    const { setCookie } = await visit();
    expect(setCookie).toContain("Secure");
  });

  test("a valid cookie returns the same device and sets nothing", async () => {
    const first = await visit();
    const again = await visit(cookieValue(first.setCookie!));
    expect(again.body.id).toBe(first.body.id);
    expect(again.setCookie).toBeUndefined();
    expect(await db.$count(devices, eq(devices.id, first.body.id))).toBe(1);
  });

  test.each([
    ["tampered signature", (id: string) => `${id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`],
    ["unsigned id", (id: string) => id],
    ["garbage", () => "%%%not-a-cookie"],
    ["signed non-uuid", () => signValue("../../etc/passwd")],
  ])("%s → a new device and a new cookie", async (_label, forge) => {
    const first = await visit();
    const res = await visit(encodeURIComponent(forge(first.body.id)));
    expect(res.body.id).not.toBe(first.body.id);
    expect(cookieValue(res.setCookie!)).toBe(signValue(res.body.id));
  });

  test("a revoked device → a new device", async () => {
    const first = await visit();
    await db.update(devices).set({ revokedAt: new Date() }).where(eq(devices.id, first.body.id));
    const res = await visit(cookieValue(first.setCookie!));
    expect(res.body.id).not.toBe(first.body.id);
    expect(res.setCookie).toBeDefined();
  });

  test("a device already claimed by an organization → a new visitor device (a signed-out browser never acts as the org)", async () => {
    const { organization } = await createOwner();
    const first = await visit();
    await db.update(devices).set({ organizationId: organization.id, claimedAt: new Date() }).where(eq(devices.id, first.body.id));
    const res = await visit(cookieValue(first.setCookie!));
    expect(res.body.id).not.toBe(first.body.id);
    expect(res.body.organizationId).toBeNull();
    expect(await db.$count(organizations, eq(organizations.id, organization.id))).toBe(1);
  });
});

describe("readDeviceId", () => {
  test("returns the id only for a validly signed cookie", async () => {
    const id = crypto.randomUUID();
    const read = async (value?: string) =>
      (
        (await (
          await app.handle(new Request("http://localhost/whoami", { headers: value ? { cookie: `${DEVICE_COOKIE}=${encodeURIComponent(value)}` } : {} }))
        ).json()) as { deviceId: string | null }
      ).deviceId;
    expect(await read(signValue(id))).toBe(id);
    expect(await read()).toBeNull();
    expect(await read(id)).toBeNull();
    expect(await read(`${id}.forged`)).toBeNull();
  });
});

describe("createVisitorKey", () => {
  test("an org-less key bound to the device and the instance, with the visitor scopes", async () => {
    const { body } = await visit();
    const [instance] = await db.insert(instances).values({ organizationId: null, name: "Try me", createdByDeviceId: body.id }).returning();
    const { key, secret } = await createVisitorKey(body.id, instance!.id);
    expect(key).toMatchObject({ organizationId: null, deviceId: body.id, instanceId: instance!.id });
    expect(key.scopes.sort()).toEqual(["contacts:read", "instances:read", "instances:write", "messages:read", "messages:write"]);
    const verified = await verifyApiKey(secret);
    expect(verified).toMatchObject({ organizationId: null, deviceId: body.id, instanceId: instance!.id });
  });
});
