import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { events, instances, usageDaily, webhookDeliveries, webhooks } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { getDashboardStats, utcDay } from "@/features/dashboard/dashboard.service";
import { recordEvent } from "@/features/events/event.service";
import { incrementUsage } from "@/features/usage/usage.service";
import { encryptSecret } from "@/lib/crypto";
import { TestClient } from "../helpers/client";
import { createMember, createOwner, signIn } from "../helpers/factories";

const app = createApp();
const HOUR = 3_600_000;

async function seedOrganization(organizationId: string, scale = 1) {
  const inst = await db
    .insert(instances)
    .values([
      { organizationId, name: "Sales <b>", status: "connected" },
      { organizationId, name: "Support", status: "qr" },
      { organizationId, name: "Old", status: "disconnected" },
    ])
    .returning();
  await incrementUsage({ organizationId, instanceId: inst[0]!.id, metric: "messages_sent", by: 7 * scale });
  await incrementUsage({ organizationId, instanceId: inst[1]!.id, metric: "messages_sent", by: 3 * scale });
  await incrementUsage({ organizationId, metric: "messages_received", by: 5 * scale });
  await incrementUsage({ organizationId, metric: "api_calls", by: 42 * scale });
  // Yesterday does not count as today.
  await incrementUsage({ organizationId, metric: "messages_sent", by: 1000, at: new Date(Date.now() - 24 * HOUR) });

  const evs = await db
    .insert(events)
    .values(
      Array.from({ length: 12 }, (_, i) => ({
        organizationId,
        instanceId: i === 11 ? inst[0]!.id : null,
        type: `test.event_${i}`,
        at: new Date(Date.now() - (12 - i) * 60_000),
      })),
    )
    .returning();
  // Created after the events, so its cursor starts past them: only the rows below are its deliveries.
  const [hook] = await db
    .insert(webhooks)
    .values({ organizationId, url: "https://example.test/hook", secretEnc: encryptSecret("whsec_x") })
    .returning();
  const statuses = ["succeeded", "succeeded", "succeeded", "failed", "exhausted", "pending", "cancelled"] as const;
  await db.insert(webhookDeliveries).values([
    ...statuses.map((status, i) => ({ organizationId, webhookId: hook!.id, eventId: evs[i]!.id, eventType: "x", status })),
    // Older than 24 h: not in the rate.
    { organizationId, webhookId: hook!.id, eventId: evs[8]!.id, eventType: "x", status: "failed" as const, createdAt: new Date(Date.now() - 25 * HOUR) },
  ]);
  return inst;
}

describe("dashboard", () => {
  test("logged out: the home page leads to try-before-sign-up, other pages to /login", async () => {
    const res = await new TestClient(app).get("/");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/try");
    const audit = await new TestClient(app).get("/audit");
    expect(audit.headers.get("location")).toBe("/login?next=%2Faudit");
  });

  test("counts come from the database, for the active organization only", async () => {
    const { user, organization } = await createOwner({ orgName: "Counted" });
    await createMember(organization.id, "agent");
    await createMember(organization.id, "supervisor");
    const other = await createOwner();
    await seedOrganization(organization.id);
    await seedOrganization(other.organization.id, 10);

    const stats = await getDashboardStats(organization.id);
    expect(stats.instances).toEqual({ total: 3, connected: 1 });
    expect(stats.today).toEqual({ day: utcDay(), messagesSent: 10, messagesReceived: 5, apiCalls: 42 });
    expect(stats.deliveries).toEqual({ succeeded: 3, failing: 2, pending: 1, successRate: 0.6 });
    expect(stats.recentEvents.map((e) => e.type)).toEqual(Array.from({ length: 10 }, (_, i) => `test.event_${11 - i}`));
    expect(stats.recentEvents[0]!.instanceName).toBe("Sales <b>");
    expect(stats.members).toBe(3);
    expect(stats.activeWebhooks).toBe(1);
    expect(stats.activeApiKeys).toBe(0);

    const html = await (await (await signIn(app, user.id, organization.id)).get("/")).text();
    expect(html).toContain("<h1>Counted</h1>");
    expect(html).toContain('<div class="stat">1 / 3</div>');
    expect(html).toContain('<div class="stat">15</div>');
    expect(html).toContain("10 sent · 5 received");
    expect(html).toContain('<div class="stat">42</div>');
    expect(html).toContain('<div class="stat">60.0%</div>');
    expect(html).toContain("3 ok · 2 failing · 1 pending");
    expect(html).toContain("test.event_11");
    expect(html).not.toContain("test.event_1<");
    expect(html).toContain("Sales &lt;b&gt;");
    expect(html).not.toContain("Sales <b>");
    // Keys are still missing: the guide points to them.
    expect(html).toContain('<a href="/api-keys">Create an API key</a>');
    expect(html).not.toContain("Create your first instance");

    // Events the endpoint's cursor has not reached yet are pending too (a delivery row exists once attempted).
    await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} });
    await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} });
    expect((await getDashboardStats(organization.id)).deliveries).toEqual({ succeeded: 3, failing: 2, pending: 3, successRate: 0.6 });
  });

  test("an empty organization gets a guide; agents are told whom to ask", async () => {
    const { user, organization } = await createOwner();
    const html = await (await (await signIn(app, user.id, organization.id)).get("/")).text();
    expect(html).toContain('<a href="/instances">Create your first instance</a>');
    expect(html).toContain('<a href="/api-keys">Create an API key</a>');
    expect(html).toContain('<a href="/webhooks">Add a webhook</a>');
    expect(html).toContain("No events yet");
    expect(html).toContain("No deliveries in the last 24 h");
    expect(html).toContain('<div class="stat">0 / 0</div>');

    const agent = await createMember(organization.id, "agent");
    const agentHtml = await (await (await signIn(app, agent.id, organization.id)).get("/")).text();
    expect(agentHtml).toContain("Ask a supervisor to create an instance");
    expect(agentHtml).toContain("Ask an admin for an API key");
    expect(agentHtml).not.toContain('href="/api-keys"');

    // Once everything exists, the guide disappears.
    await createApiKey({ organizationId: organization.id, name: "k", scopes: ["*"] });
    await db.insert(instances).values({ organizationId: organization.id, name: "On", status: "connected" });
    await db.insert(webhooks).values({ organizationId: organization.id, url: "https://example.test/h", secretEnc: encryptSecret("whsec_y") });
    const done = await (await (await signIn(app, user.id, organization.id)).get("/")).text();
    expect(done).not.toContain("Get started");
  });

  test("usage rows of another day or organization never leak into today's numbers", async () => {
    const { organization } = await createOwner();
    await db.insert(usageDaily).values({ organizationId: organization.id, day: "2020-01-01", metric: "api_calls", count: 99 });
    const stats = await getDashboardStats(organization.id);
    expect(stats.today.apiCalls).toBe(0);
  });
});
