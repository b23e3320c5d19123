import { afterAll, describe, expect, test } from "bun:test";
import { startAppProcess } from "../helpers/processes";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { devices, instances, organizations } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { checkDailyMessageQuota, effectiveLimits, resolveLimit, UNCLAIMED_LIMITS } from "@/features/limits/limits.service";
import { closeRateLimiter } from "@/features/limits/rate-limit";
import { incrementUsage } from "@/features/usage/usage.service";
import { AppError } from "@/lib/errors";
import { api } from "../helpers/client";
import { createOwner, setupOrg } from "../helpers/factories";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const app = createApp();

afterAll(async () => {
  config.redisUrl = undefined;
  await closeRateLimiter();
});

async function keyWith(organizationId: string, requestsPerMinute: number | null, extra: { maxMessagesPerDay?: number | null } = {}) {
  const { secret } = await createApiKey({ organizationId, name: "limited", scopes: ["*"], requestsPerMinute, ...extra });
  return secret;
}

async function instanceOf(organizationId: string | null, maxMessagesPerDay: number | null = null, deviceId: string | null = null) {
  const [row] = await db.insert(instances).values({ organizationId, name: "Quota test", maxMessagesPerDay, createdByDeviceId: deviceId }).returning();
  return row!;
}

describe("per-key request rate on /v1", () => {
  test("every response carries X-RateLimit-*; over the limit → 429 rate_limited with Retry-After", async () => {
    const { organization } = await setupOrg(app);
    const key = await keyWith(organization.id, 3);
    const statuses: number[] = [];
    const remaining: string[] = [];
    let last!: Awaited<ReturnType<typeof api>>;
    for (let i = 0; i < 4; i++) {
      last = await api(app, "GET", "/v1/events", key);
      statuses.push(last.status);
      remaining.push(last.headers.get("x-ratelimit-remaining")!);
      expect(last.headers.get("x-ratelimit-limit")).toBe("3");
      expect(Number(last.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000 - 1);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(remaining).toEqual(["2", "1", "0", "0"]);
    expect(last.body.error.code).toBe("rate_limited");
    expect(last.body.error.requestId).toBeString();
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(last.headers.get("x-request-id")).toBeString();
    // Errors thrown by the handler after the check keep the headers too (onError copies them).
    const other = await keyWith(organization.id, 5);
    const missing = await api(app, "GET", `/v1/events/${crypto.randomUUID()}`, other);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-ratelimit-limit")).toBe("5");
    expect(missing.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  test("effective rate: key override, else the organization's plan; unclaimed keys get the small default", async () => {
    const { organization } = await createOwner();
    await db.update(organizations).set({ apiRequestsPerMinute: 7 }).where(eq(organizations.id, organization.id));
    const planKey = await keyWith(organization.id, null);
    const overrideKey = await keyWith(organization.id, 2);
    expect((await api(app, "GET", "/v1/events", planKey)).headers.get("x-ratelimit-limit")).toBe("7");
    expect((await api(app, "GET", "/v1/events", overrideKey)).headers.get("x-ratelimit-limit")).toBe("2");

    const [device] = await db.insert(devices).values({ name: "visitor", kind: "browser" }).returning();
    const { secret: unclaimed } = await createApiKey({ organizationId: null, deviceId: device!.id, name: "visitor", scopes: ["*"] });
    const res = await api(app, "GET", "/v1/events", unclaimed);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit")).toBe(String(UNCLAIMED_LIMITS.requestsPerMinute));
  });

  test("a missing or invalid key is 401 and spends nobody's budget", async () => {
    const res = await api(app, "GET", "/v1/events", `lc_live_${"x".repeat(32)}`);
    expect(res.status).toBe(401);
  });
});

describe("effective limits: key → instance → organization", () => {
  test("resolveLimit / effectiveLimits pick the first configured value", () => {
    expect(resolveLimit(5, 10, 20, 1)).toBe(5);
    expect(resolveLimit(null, 10, 20, 1)).toBe(10);
    expect(resolveLimit(undefined, null, 20, 1)).toBe(20);
    expect(resolveLimit(null, null, null, 1)).toBe(1);
    expect(resolveLimit(0, 10, 20, 1)).toBe(0); // an explicit 0 is a limit, not "unset"
    expect(
      effectiveLimits({
        key: { requestsPerMinute: null, maxMessagesPerDay: null },
        instance: { maxMessagesPerDay: 50 },
        organization: { apiRequestsPerMinute: 600, maxMessagesPerDay: 1000 },
      }),
    ).toEqual({ requestsPerMinute: 600, maxMessagesPerDay: 50 });
    expect(effectiveLimits({})).toEqual({ requestsPerMinute: UNCLAIMED_LIMITS.requestsPerMinute, maxMessagesPerDay: UNCLAIMED_LIMITS.maxMessagesPerDay });
  });

  test("checkDailyMessageQuota applies key ?? instance ?? organization to today's messages_sent", async () => {
    const { organization } = await createOwner();
    await db.update(organizations).set({ maxMessagesPerDay: 3 }).where(eq(organizations.id, organization.id));
    const plain = await instanceOf(organization.id);
    const generous = await instanceOf(organization.id, 10);
    for (const inst of [plain, generous]) {
      await incrementUsage({ organizationId: organization.id, instanceId: inst.id, metric: "messages_sent", by: 3 });
    }
    // Yesterday's messages do not count.
    await incrementUsage({ organizationId: organization.id, instanceId: plain.id, metric: "messages_sent", by: 99, at: new Date(Date.now() - 86_400_000) });

    // Organization plan (3) reached on the plain instance.
    const err = await checkDailyMessageQuota({ organizationId: organization.id, instanceId: plain.id }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("quota_exceeded");
    expect(err.status).toBe(429);
    expect(Number(err.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(err.headers["retry-after"])).toBeLessThanOrEqual(86_400);
    // The instance override (10) wins over the plan.
    expect(await checkDailyMessageQuota({ organizationId: organization.id, instanceId: generous.id })).toMatchObject({ limit: 10, used: 3, remaining: 7 });
    // The key override wins over both, in either direction.
    expect(await checkDailyMessageQuota({ organizationId: organization.id, instanceId: plain.id, apiKey: { maxMessagesPerDay: 5 } })).toMatchObject({
      limit: 5,
      used: 3,
    });
    const keyErr = await checkDailyMessageQuota({ organizationId: organization.id, instanceId: generous.id, apiKey: { maxMessagesPerDay: 2 } }).catch((e) => e);
    expect(keyErr.code).toBe("quota_exceeded");
    // `count` checks a batch: 7 more fit on the generous instance, 8 do not.
    await checkDailyMessageQuota({ organizationId: organization.id, instanceId: generous.id, count: 7 });
    expect((await checkDailyMessageQuota({ organizationId: organization.id, instanceId: generous.id, count: 8 }).catch((e) => e)).code).toBe("quota_exceeded");
  });

  test("another organization's instance is not found", async () => {
    const a = await createOwner();
    const b = await createOwner();
    const inst = await instanceOf(a.organization.id);
    const err = await checkDailyMessageQuota({ organizationId: b.organization.id, instanceId: inst.id }).catch((e) => e);
    expect(err.code).toBe("not_found");
  });

  test("unclaimed instances count today's outbound messages under the small default", async () => {
    const [device] = await db.insert(devices).values({ name: "visitor", kind: "browser" }).returning();
    const inst = await instanceOf(null, null, device!.id);
    expect(await checkDailyMessageQuota({ organizationId: null, instanceId: inst.id })).toMatchObject({ limit: UNCLAIMED_LIMITS.maxMessagesPerDay, used: 0 });
  });

  test("concurrent senders cannot both take the last slot (per-instance lock held until commit)", async () => {
    const { organization } = await createOwner();
    const inst = await instanceOf(organization.id, 5);
    await incrementUsage({ organizationId: organization.id, instanceId: inst.id, metric: "messages_sent", by: 4 });
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        db.transaction(async (tx) => {
          await checkDailyMessageQuota({ organizationId: organization.id, instanceId: inst.id }, tx);
          await incrementUsage({ organizationId: organization.id, instanceId: inst.id, metric: "messages_sent" }, tx);
        }),
      ),
    );
    expect(attempts.filter((a) => a.status === "fulfilled").length).toBe(1);
    for (const a of attempts) if (a.status === "rejected") expect((a.reason as AppError).code).toBe("quota_exceeded");
  });
});

describe("shared budget across processes", () => {
  let second: Awaited<ReturnType<typeof startAppProcess>> | undefined;
  afterAll(async () => {
    await second?.stop();
  });

  test("with REDIS_URL, this process and a second app process spend one key's budget together", async () => {
    config.redisUrl = REDIS_URL;
    second = await startAppProcess({ REDIS_URL });
    const base = second.url;
    const { organization } = await createOwner();
    const key = await keyWith(organization.id, 10);
    const here: number[] = [];
    const there: number[] = [];
    for (let i = 0; i < 8; i++) {
      here.push((await api(app, "GET", "/v1/events", key)).status);
      const res = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${key}` } });
      there.push(res.status);
      expect(res.headers.get("x-ratelimit-limit")).toBe("10");
      if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
    const allowed = [...here, ...there].filter((s) => s === 200).length;
    expect(allowed).toBe(10);
    expect([...here, ...there].filter((s) => s === 429).length).toBe(6);
    // Both processes refused some: the budget really is shared, not split.
    expect(here.slice(5)).toEqual([429, 429, 429]);
    expect(there.slice(5)).toEqual([429, 429, 429]);
  }, 40_000);
});
