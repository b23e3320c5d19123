import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, events, organizationRetention } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { recordEvent } from "@/features/events/event.service";
import { databaseToday, addDays } from "@/features/retention/retention.partitions";
import { api, TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";

const app = createApp();

const auditRows = (organizationId: string) =>
  db
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.organizationId, organizationId), eq(auditLogs.action, "organization.retention_changed")));

describe("/v1/retention", () => {
  test("reads the defaults, changes only the fields sent, audits the change, and new events take the new retention", async () => {
    const { organization, key } = await setupOrg(app);
    const read = await api(app, "GET", "/v1/retention", key);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ eventsDays: 30, deliveriesDays: 30, messagesDays: null });

    const changed = await api(app, "PATCH", "/v1/retention", key, { eventsDays: 7, messagesDays: 365 });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ eventsDays: 7, deliveriesDays: 30, messagesDays: 365 });
    const [audit] = await auditRows(organization.id);
    expect(audit?.details).toEqual({ eventsDays: { from: 30, to: 7 }, messagesDays: { from: null, to: 365 } });

    // The same values again change nothing and write no second audit row.
    await api(app, "PATCH", "/v1/retention", key, { eventsDays: 7 });
    expect(await auditRows(organization.id)).toHaveLength(1);

    const event = await recordEvent({ organizationId: organization.id, type: "message.sent", data: {} });
    expect(event.expiresOn).toBe(addDays(await databaseToday(), 7));

    // null messagesDays = keep messages again.
    const kept = await api(app, "PATCH", "/v1/retention", key, { messagesDays: null });
    expect(kept.body.messagesDays).toBeNull();
  });

  test("422 names the field in the caller's language; 401 without a key; 403 for a key without full access", async () => {
    const { key, organization } = await setupOrg(app);
    const bad = await api(app, "PATCH", "/v1/retention", key, { eventsDays: 0, deliveriesDays: 91, messagesDays: "x" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["deliveriesDays", "eventsDays", "messagesDays"]);
    expect(bad.body.error.details.find((d: { path: string }) => d.path === "eventsDays").message).toContain("between 1 and 90");
    const pt = await api(app, "PATCH", "/v1/retention", key, { eventsDays: 1.5 }, { "accept-language": "pt-BR" });
    expect(pt.status).toBe(422);
    expect(pt.body.error.details[0].message).toContain("entre 1 e 90");

    expect((await api(app, "GET", "/v1/retention")).status).toBe(401);
    const { secret: readOnly } = await createApiKey({ organizationId: organization.id, name: "events", scopes: ["events:read"] });
    expect((await api(app, "GET", "/v1/retention", readOnly)).status).toBe(200);
    expect((await api(app, "PATCH", "/v1/retention", readOnly, { eventsDays: 5 })).status).toBe(403);
    expect(await db.select().from(organizationRetention).where(eq(organizationRetention.organizationId, organization.id))).toHaveLength(0);
  });

  test("each organization reads and changes only its own settings", async () => {
    const a = await setupOrg(app);
    const b = await setupOrg(app);
    await api(app, "PATCH", "/v1/retention", a.key, { deliveriesDays: 3 });
    expect((await api(app, "GET", "/v1/retention", b.key)).body.deliveriesDays).toBe(30);
    expect((await api(app, "GET", "/v1/retention", a.key)).body.deliveriesDays).toBe(3);
    const other = await recordEvent({ organizationId: b.organization.id, type: "message.sent", data: {} });
    const [row] = await db.select().from(events).where(eq(events.id, other.id));
    expect(row?.expiresOn).toBe(addDays(await databaseToday(), 30));
  });
});

describe("Settings → Data retention", () => {
  test("the page shows the settings; an admin saves them (audited); 422 re-renders with the field's error", async () => {
    const { organization, client } = await setupOrg(app);
    const page = await client.get("/settings");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('id="retention-form"');
    expect(html).toContain('name="eventsDays"');

    const bad = await client.postForm("/settings/retention", { eventsDays: "abc", deliveriesDays: "30", messagesDays: "" });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain("Enter a whole number of days between 1 and 90.");
    expect(badHtml).toContain('value="abc"');

    const saved = await client.postForm("/settings/retention", { eventsDays: "14", deliveriesDays: "10", messagesDays: "" });
    expect([200, 204, 302, 303]).toContain(saved.status);
    const [row] = await db.select().from(organizationRetention).where(eq(organizationRetention.organizationId, organization.id));
    expect(row).toMatchObject({ eventsDays: 14, deliveriesDays: 10, messagesDays: null });
    expect(await auditRows(organization.id)).toHaveLength(1);
    expect(await (await client.get("/settings")).text()).toContain('value="14"');

    const pt = await client.postForm(
      "/settings/retention",
      { eventsDays: "14", deliveriesDays: "10", messagesDays: "0" },
      { headers: { "accept-language": "pt-BR" } },
    );
    expect(pt.status).toBe(422);
  });

  test("an agent reads the settings but cannot change them; signed out is sent to sign in", async () => {
    const { organization } = await setupOrg(app);
    const agent = await createMember(organization.id, "agent");
    const client = await signIn(app, agent.id, organization.id);
    const page = await (await client.get("/settings")).text();
    expect(page).toContain("Events kept for 30 days.");
    expect(page).not.toContain('id="retention-form"');
    const refused = await client.postForm("/settings/retention", { eventsDays: "1", deliveriesDays: "1", messagesDays: "1" });
    expect(refused.status).toBe(403);
    expect(await db.select().from(organizationRetention).where(eq(organizationRetention.organizationId, organization.id))).toHaveLength(0);

    const anonymous = await new TestClient(app).postForm("/settings/retention", { eventsDays: "1" });
    expect([302, 303, 401, 403]).toContain(anonymous.status);
  });
});
