import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances, usageDaily } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { flushUsage, incrementUsage, meterApiCall, pendingUsageCount } from "@/features/usage/usage.service";
import { api, TestClient } from "../helpers/client";
import { createMember, createOwner, setupOrg, signIn } from "../helpers/factories";

const app = createApp();
const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

async function instanceOf(organizationId: string, name = "Main") {
  const [row] = await db.insert(instances).values({ organizationId, name }).returning();
  return row!;
}

async function counts(organizationId: string, metric: string) {
  return db
    .select()
    .from(usageDaily)
    .where(and(eq(usageDaily.organizationId, organizationId), eq(usageDaily.metric, metric)));
}

describe("usage counters", () => {
  test("50 parallel increments of one counter end at exactly 50 (atomic upsert)", async () => {
    const { organization } = await createOwner();
    const inst = await instanceOf(organization.id);
    await Promise.all(Array.from({ length: 50 }, () => incrementUsage({ organizationId: organization.id, instanceId: inst.id, metric: "messages_sent" })));
    const rows = await counts(organization.id, "messages_sent");
    expect(rows.length).toBe(1);
    expect(rows[0]!.count).toBe(50);
  });

  test("API calls are buffered in memory and written in one upsert per (org, instance, key, day)", async () => {
    const { organization } = await createOwner();
    const inst = await instanceOf(organization.id);
    const { key: k1 } = await createApiKey({ organizationId: organization.id, name: "k1", scopes: ["*"] });
    const { key: k2 } = await createApiKey({ organizationId: organization.id, name: "k2", scopes: ["*"], instanceId: inst.id });
    for (let i = 0; i < 30; i++) meterApiCall({ organizationId: organization.id, apiKeyId: k1.id });
    for (let i = 0; i < 20; i++) meterApiCall({ organizationId: organization.id, apiKeyId: k2.id, instanceId: inst.id });
    meterApiCall({ organizationId: null, apiKeyId: k1.id }); // unclaimed: not metered
    expect(pendingUsageCount()).toBeGreaterThanOrEqual(50);
    expect(await counts(organization.id, "api_calls")).toEqual([]);
    // Concurrent flushes (two timers, shutdown racing a tick) write each call once.
    await Promise.all([flushUsage(), flushUsage(), flushUsage()]);
    const rows = await counts(organization.id, "api_calls");
    const byKey = Object.fromEntries(rows.map((r) => [r.apiKeyId, r]));
    expect(byKey[k1.id]!.count).toBe(30);
    expect(byKey[k2.id]!.count).toBe(20);
    expect(byKey[k2.id]!.instanceId).toBe(inst.id);
    // A second batch adds to the same rows.
    for (let i = 0; i < 5; i++) meterApiCall({ organizationId: organization.id, apiKeyId: k1.id });
    await flushUsage();
    const again = await counts(organization.id, "api_calls");
    expect(again.find((r) => r.apiKeyId === k1.id)!.count).toBe(35);
  });

  test("every authenticated /v1 call is counted for its key", async () => {
    const { organization, apiKey, key } = await setupOrg(app);
    await flushUsage();
    for (let i = 0; i < 4; i++) expect((await api(app, "GET", "/v1/events", key)).status).toBe(200);
    await flushUsage();
    const rows = await counts(organization.id, "api_calls");
    expect(rows.find((r) => r.apiKeyId === apiKey.id)!.count).toBe(4);
  });
});

describe("GET /v1/usage", () => {
  test("per-day rows and totals for the range, zero-filled, optionally for one instance", async () => {
    const { organization, key } = await setupOrg(app);
    const a = await instanceOf(organization.id, "A");
    const b = await instanceOf(organization.id, "B");
    const at = (offset: number) => new Date(Date.now() + offset * DAY);
    await incrementUsage({ organizationId: organization.id, instanceId: a.id, metric: "messages_sent", by: 3, at: at(-2) });
    await incrementUsage({ organizationId: organization.id, instanceId: b.id, metric: "messages_sent", by: 4, at: at(-2) });
    await incrementUsage({ organizationId: organization.id, instanceId: a.id, metric: "messages_received", by: 7, at: at(0) });
    await incrementUsage({ organizationId: organization.id, metric: "deliveries_succeeded", by: 9, at: at(-1) });
    await incrementUsage({ organizationId: organization.id, metric: "deliveries_failed", by: 1, at: at(-1) });
    await incrementUsage({ organizationId: organization.id, metric: "deliveries_failed", by: 100, at: at(-10) }); // outside the range
    const other = await createOwner();
    await incrementUsage({ organizationId: other.organization.id, metric: "messages_sent", by: 1000 });

    const res = await api(app, "GET", `/v1/usage?from=${day(-3)}&to=${day(0)}`, key);
    expect(res.status).toBe(200);
    expect(res.body.from).toBe(day(-3));
    expect(res.body.to).toBe(day(0));
    expect(res.body.data.map((d: { day: string }) => d.day)).toEqual([day(-3), day(-2), day(-1), day(0)]);
    expect(res.body.data[0]).toEqual({
      day: day(-3),
      api_calls: 0,
      messages_sent: 0,
      messages_received: 0,
      deliveries_succeeded: 0,
      deliveries_failed: 0,
      ai_tokens: 0,
    });
    expect(res.body.data[1].messages_sent).toBe(7);
    expect(res.body.totals).toMatchObject({ messages_sent: 7, messages_received: 7, deliveries_succeeded: 9, deliveries_failed: 1 });

    const onlyA = await api(app, "GET", `/v1/usage?from=${day(-3)}&to=${day(0)}&instanceId=${a.id}`, key);
    expect(onlyA.body.totals).toMatchObject({ messages_sent: 3, messages_received: 7, deliveries_succeeded: 0 });
    expect(onlyA.body.instanceId).toBe(a.id);

    // Default range: the last 30 days, ending today.
    const byDefault = await api(app, "GET", "/v1/usage", key);
    expect(byDefault.body.data.length).toBe(30);
    expect(byDefault.body.to).toBe(day(0));
    expect(byDefault.body.totals.deliveries_failed).toBe(101);
  });

  test("422 on bad dates and ranges; 404 for another organization's instance; 401 without a key", async () => {
    const { key } = await setupOrg(app);
    const other = await createOwner();
    const foreign = await instanceOf(other.organization.id);
    for (const q of ["from=2025-02-30", "from=yesterday", "to=2025-1-1", "from=2025-03-01&to=2025-02-01", "from=2024-01-01&to=2025-01-02", "instanceId=x"]) {
      const res = await api(app, "GET", `/v1/usage?${q}`, key);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
      expect(res.body.error.details.length).toBeGreaterThan(0);
    }
    // Exactly 366 days is allowed.
    expect((await api(app, "GET", "/v1/usage?from=2024-01-01&to=2024-12-31", key)).status).toBe(200);
    expect((await api(app, "GET", `/v1/usage?instanceId=${foreign.id}`, key)).status).toBe(404);
    expect((await api(app, "GET", "/v1/usage")).status).toBe(401);
  });
});

describe("GET /v1/usage scope", () => {
  test("needs usage:read (or *): any other key is a 403", async () => {
    const { organization } = await createOwner();
    const keyWith = async (scopes: string[]) => (await createApiKey({ organizationId: organization.id, name: scopes.join(" "), scopes })).secret;
    for (const scopes of [["usage:read"], ["*"]]) expect((await api(app, "GET", "/v1/usage", await keyWith(scopes))).status).toBe(200);
    for (const scopes of [["messages:read"], ["events:read", "instances:read"]]) {
      const refused = await api(app, "GET", "/v1/usage", await keyWith(scopes));
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain("usage:read");
    }
  });
});

describe("/usage page", () => {
  test("renders server-side SVG charts and the per-day table for an agent", async () => {
    const { organization } = await setupOrg(app);
    const agent = await signIn(app, (await createMember(organization.id, "agent")).id, organization.id);
    await incrementUsage({ organizationId: organization.id, metric: "api_calls", by: 1234 });
    await incrementUsage({ organizationId: organization.id, metric: "deliveries_failed", by: 2 });
    const res = await agent.get("/usage");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect((html.match(/<svg /g) ?? []).length).toBe(4); // API calls, messages, deliveries, AI tokens
    expect(html).toContain("API calls");
    // Counts are formatted for the reader (en here).
    expect(html).toContain(">1,234<");
    expect(html).toContain(`${day(0)} · API calls: 1,234`);
    expect(html).not.toContain("cdn");
    expect(html).toContain('href="/usage?from=');

    const ranged = await agent.get(`/usage?from=${day(-6)}&to=${day(0)}`);
    expect(ranged.status).toBe(200);
    expect(((await ranged.text()).match(/<td class="nowrap"/g) ?? []).length).toBe(7);
  });

  test("bad range → 422 with field errors; foreign instance → 404; logged out → sign-in", async () => {
    const { client } = await setupOrg(app);
    const bad = await client.get("/usage?from=2025-03-01&to=2025-02-01");
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("has-error");
    const tooLong = await client.get("/usage?from=2020-01-01&to=2025-01-01");
    expect(tooLong.status).toBe(422);
    const other = await createOwner();
    const foreign = await instanceOf(other.organization.id);
    expect((await client.get(`/usage?instanceId=${foreign.id}`)).status).toBe(404);
    const anonymous = await new TestClient(app).get("/usage");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toStartWith("/login");
  });
});
