import { afterEach, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, conversationActivities, conversations, departments, messages } from "@/db/schema";
import { setBusinessHours, slaElapsedMs } from "@/features/business-hours/business-hours.service";
import { api } from "../helpers/client";
import { createMember, memberCaller, setupOrg, signIn } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { connectedSandbox, inbound } from "../conversations/helpers";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let instanceId: string;
let salesId: string;
let otherDepartmentId: string;

const weekdays = [1, 2, 3, 4, 5].flatMap((day) => [
  { day, start: "08:00", end: "12:00" },
  { day, start: "13:00", end: "18:00" },
]);

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Hours A" });
  other = await setupOrg(app, { orgName: "Hours B" });
  instanceId = await connectedSandbox(app, org.key);
  const [sales] = await db.insert(departments).values({ organizationId: org.organization.id, name: "Vendas" }).returning();
  const [foreign] = await db.insert(departments).values({ organizationId: other.organization.id, name: "Outro" }).returning();
  salesId = sales!.id;
  otherDepartmentId = foreign!.id;
});

afterEach(() => setSystemTime());

async function outboundBodies(conversationId: string): Promise<string[]> {
  const rows = await db
    .select({ body: messages.body })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "outbound")));
  return rows.map((r) => r.body ?? "");
}

describe("/v1/business-hours", () => {
  test("set, read, list and remove the default and a department's schedule; audit rows", async () => {
    expect((await api(app, "GET", "/v1/business-hours/default", org.key)).status).toBe(404);
    const saved = await api(app, "PUT", "/v1/business-hours/default", org.key, {
      intervals: weekdays,
      holidays: [{ date: "2026-12-25", name: "Natal", yearly: true }],
      outOfHoursMessage: "Estamos fora do horário. Respondemos a partir das 08:00.",
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ departmentId: null, enabled: true, timeZone: "America/Sao_Paulo", holidays: [{ date: "2026-12-25", yearly: true }] });
    expect(saved.body.intervals).toHaveLength(10);

    const own = await api(app, "PUT", `/v1/departments/${salesId}/business-hours`, org.key, {
      intervals: [{ day: 6, start: "09:00", end: "13:00" }],
      outOfHoursMessage: "Vendas: sábado das 9 às 13.",
    });
    expect(own.status).toBe(200);
    expect(own.body.departmentId).toBe(salesId);
    // Saving again replaces (one row per department).
    const again = await api(app, "PUT", `/v1/departments/${salesId}/business-hours`, org.key, { intervals: [{ day: 6, start: "09:00", end: "14:00" }] });
    expect(again.body).toMatchObject({ id: own.body.id, outOfHoursMessage: null });
    const list = await api(app, "GET", "/v1/business-hours", org.key);
    expect(list.body.data.map((r: any) => r.departmentId)).toEqual([null, salesId]);

    expect((await api(app, "DELETE", `/v1/departments/${salesId}/business-hours`, org.key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/departments/${salesId}/business-hours`, org.key)).status).toBe(404);
    const audits = await db.select({ action: auditLogs.action }).from(auditLogs).where(eq(auditLogs.organizationId, org.organization.id));
    expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(["business_hours.updated", "business_hours.deleted"]));
  });

  test("bad input is a 422 naming the field, never a 500", async () => {
    const cases: [unknown, string][] = [
      [{ intervals: [{ day: 1, start: "8h", end: "12:00" }] }, "intervals.0.start"],
      [{ intervals: [{ day: 1, start: "12:00", end: "08:00" }] }, "intervals.0.end"],
      [{ intervals: [{ day: 9, start: "08:00", end: "12:00" }] }, "intervals.0.day"],
      [
        {
          intervals: [
            { day: 1, start: "08:00", end: "12:00" },
            { day: 1, start: "11:00", end: "13:00" },
          ],
        },
        "intervals",
      ],
      [{ intervals: [], holidays: [{ date: "2026-02-30" }] }, "holidays.0.date"],
    ];
    for (const [body, path] of cases) {
      const res = await api(app, "PUT", "/v1/business-hours/default", org.key, body);
      expect(res.status).toBe(422);
      expect(JSON.stringify(res.body)).toContain(path);
    }
  });

  test("another organization's department reads as 404; agents may not change hours", async () => {
    expect((await api(app, "GET", `/v1/departments/${otherDepartmentId}/business-hours`, org.key)).status).toBe(404);
    expect((await api(app, "PUT", `/v1/departments/${otherDepartmentId}/business-hours`, org.key, { intervals: [] })).status).toBe(404);
    expect((await api(app, "PUT", "/v1/departments/not-a-uuid/business-hours", org.key, { intervals: [] })).status).toBe(404);
    const agent = await createMember(org.organization.id, "agent");
    await expect(setBusinessHours(memberCaller(agent.id, org.organization.id, "agent"), null, { intervals: [] })).rejects.toMatchObject({ code: "forbidden" });
    const client = await signIn(app, agent.id, org.organization.id);
    expect((await client.get("/business-hours")).status).toBe(403);
    expect((await client.postForm("/business-hours/default", { day1: "08:00-12:00" })).status).toBe(403);
  });
});

describe("admin pages", () => {
  test("the list shows the default and each department; the form saves day lines and holidays; bad lines re-render with 422", async () => {
    const page = await org.client.get("/business-hours");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Vendas");
    const saved = await org.client.postForm(`/departments/${salesId}/business-hours`, {
      enabled: "true",
      day1: "09:00-12:00, 13:00-17:00",
      day6: "09:00-13:00",
      holidays: "12-25 Natal\n2026-04-03 Sexta-feira Santa",
      outOfHoursMessage: "Fechado agora.",
    });
    expect(saved.status).toBeLessThan(400);
    const api_ = await api(app, "GET", `/v1/departments/${salesId}/business-hours`, org.key);
    expect(api_.body.intervals).toEqual([
      { day: 1, start: "09:00", end: "12:00" },
      { day: 1, start: "13:00", end: "17:00" },
      { day: 6, start: "09:00", end: "13:00" },
    ]);
    expect(api_.body.holidays).toEqual([
      { date: "2000-12-25", name: "Natal", yearly: true },
      { date: "2026-04-03", name: "Sexta-feira Santa", yearly: false },
    ]);
    const edit = await (await org.client.get(`/departments/${salesId}/business-hours`)).text();
    expect(edit).toContain("09:00-12:00, 13:00-17:00");
    expect(edit).toContain("12-25 Natal");

    const bad = await org.client.postForm(`/departments/${salesId}/business-hours`, { day2: "nine to five" }, { htmx: true });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("business-hours-form");
    const reversed = await org.client.postForm(`/departments/${salesId}/business-hours`, { day3: "18:00-08:00" }, { htmx: true });
    expect(reversed.status).toBe(422);
    expect((await org.client.get(`/departments/${otherDepartmentId}/business-hours`)).status).toBe(404);
  });
});

describe("outside business hours", () => {
  test("the out-of-hours message answers once per conversation and closed period, with an activity line", async () => {
    await api(app, "PUT", "/v1/business-hours/default", org.key, { intervals: weekdays, outOfHoursMessage: "Fora do horário: voltamos às 08:00." });
    // Saturday 10:00 in São Paulo: closed since Friday 18:00.
    setSystemTime(new Date("2026-12-05T13:00:00Z"));
    const first = await inbound(app, org.key, instanceId, { from: "+5511944440001", text: "olá?" });
    await waitFor(async () => (await outboundBodies(first.conversationId)).length === 1, { what: "the out-of-hours reply" });
    expect(await outboundBodies(first.conversationId)).toEqual(["Fora do horário: voltamos às 08:00."]);
    // A second message in the same closed period: no second reply.
    setSystemTime(new Date("2026-12-06T13:00:00Z"));
    const second = await inbound(app, org.key, instanceId, { from: "+5511944440001", text: "alguém?" });
    expect(second.conversationId).toBe(first.conversationId);
    const activities = await waitFor(async () => {
      const rows = await db.select().from(conversationActivities).where(eq(conversationActivities.conversationId, first.conversationId));
      return rows.length === 1 ? rows : null;
    });
    expect(activities[0]).toMatchObject({ kind: "out_of_hours", actorType: "system" });
    expect(activities[0]!.details).toMatchObject({ closedSince: "2026-12-04T21:00:00.000Z", opensAt: "2026-12-07T11:00:00.000Z" });
    // Monday 09:00: open, nothing sent.
    setSystemTime(new Date("2026-12-07T12:00:00Z"));
    await inbound(app, org.key, instanceId, { from: "+5511944440001", text: "bom dia" });
    // Monday 12:30: the lunch break is a new closed period: answered again, once.
    setSystemTime(new Date("2026-12-07T15:30:00Z"));
    await inbound(app, org.key, instanceId, { from: "+5511944440001", text: "e agora?" });
    await waitFor(async () => (await outboundBodies(first.conversationId)).length === 2, { what: "the second period's reply" });
    // The activity line (and its audit row) follows the send.
    await waitFor(
      async () =>
        (
          await db
            .select({ action: auditLogs.action })
            .from(auditLogs)
            .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.action, "conversation.out_of_hours")))
        ).length === 2,
      { what: "two out_of_hours audit rows" },
    );
  });

  test("a department's own schedule (and its message) applies to its conversations", async () => {
    // Saturday 10:00: the default is closed, Vendas (09:00–13:00 on Saturdays, set above) is open.
    setSystemTime(new Date("2026-12-05T13:00:00Z"));
    const first = await inbound(app, org.key, instanceId, { from: "+5511944440002", text: "oi" });
    // Hooks run after the message is stored: wait for the default's reply before the department changes.
    await waitFor(async () => (await outboundBodies(first.conversationId)).length === 1, { what: "the default's reply" });
    await db.update(conversations).set({ departmentId: salesId }).where(eq(conversations.id, first.conversationId));
    await inbound(app, org.key, instanceId, { from: "+5511944440002", text: "quero comprar" });
    // Saturday 14:00: Vendas closed, its message is sent.
    setSystemTime(new Date("2026-12-05T17:00:00Z"));
    await inbound(app, org.key, instanceId, { from: "+5511944440002", text: "ainda aí?" });
    await waitFor(async () => (await outboundBodies(first.conversationId)).includes("Fechado agora."), { what: "the department's reply" });
    // The first message (before the department was set) got the default's reply: two in all, one per schedule's period.
    expect((await outboundBodies(first.conversationId)).sort()).toEqual(["Fechado agora.", "Fora do horário: voltamos às 08:00."]);
  });

  test("SLA elapsed time excludes closed hours by the conversation's schedule", async () => {
    const orgId = org.organization.id;
    // Friday 17:00 → Monday 09:00 under the default: 2 h.
    expect(await slaElapsedMs(orgId, null, new Date("2026-12-04T20:00:00Z"), new Date("2026-12-07T12:00:00Z"))).toBe(2 * 3_600_000);
    // Vendas: Saturday 09:00–13:00 and Monday 09:00–12:00, 13:00–17:00: the same span counts 4 h + 0 h + 0 h.
    expect(await slaElapsedMs(orgId, salesId, new Date("2026-12-04T20:00:00Z"), new Date("2026-12-07T12:00:00Z"))).toBe(4 * 3_600_000);
    // An organization without business hours: plain elapsed time.
    expect(await slaElapsedMs(other.organization.id, null, new Date("2026-12-04T20:00:00Z"), new Date("2026-12-04T21:00:00Z"))).toBe(3_600_000);
  });
});
