// Report numbers on a known dataset: totals, day/week/month buckets in the organization's zone, per agent /
// department / instance, filters; CSV content; roles, validation and isolation over /v1 and the page.
import { beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { seedDataset } from "./dataset";

/** Our CSV has no quoted fields in this dataset: a header row and plain comma-separated values. */
function parse(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split("\n");
  const columns = head!.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [columns[i], v])));
}

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let data: Awaited<ReturnType<typeof seedDataset>>;
const range = "from=2026-03-01&to=2026-04-30";

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Reports A" });
  other = await setupOrg(app, { orgName: "Reports B" });
  data = await seedDataset(app, org, "+55119444400");
});

describe("/v1/reports/conversations", () => {
  test("totals: conversations, first response, resolution, bot vs human, NPS", async () => {
    const res = await api(app, "GET", `/v1/reports/conversations?${range}`, org.key);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: "2026-03-01", to: "2026-04-30", timeZone: "America/Sao_Paulo", bucket: "day", groupBy: "none" });
    expect(res.body.totals).toEqual({
      conversations: 5,
      firstResponses: 4,
      avgFirstResponseSeconds: 113, // (60 + 120 + 30 + 240) / 4 = 112.5
      resolved: 4,
      botResolved: 2,
      humanResolved: 2,
      avgResolutionSeconds: 550,
      npsAnswers: 2,
      avgNps: 7,
      nps: 0,
    });
  });

  test("days in the organization's zone (02:00 UTC counts on the day before), weeks from Monday, months", async () => {
    const days = await api(app, "GET", `/v1/reports/conversations?${range}&bucket=day`, org.key);
    expect(days.body.series.map((r: any) => [r.key, r.conversations, r.npsAnswers])).toEqual([
      ["2026-03-10", 3, 1],
      ["2026-03-11", 1, 0],
      ["2026-03-12", 0, 1],
      ["2026-04-02", 1, 0],
    ]);
    const weeks = await api(app, "GET", `/v1/reports/conversations?${range}&bucket=week`, org.key);
    expect(weeks.body.series.map((r: any) => [r.key, r.conversations])).toEqual([
      ["2026-03-09", 4],
      ["2026-03-30", 1],
    ]);
    const months = await api(app, "GET", `/v1/reports/conversations?${range}&bucket=month`, org.key);
    expect(months.body.series.map((r: any) => [r.key, r.conversations, r.resolved, r.avgResolutionSeconds])).toEqual([
      ["2026-03-01", 4, 3, 700],
      ["2026-04-01", 1, 1, 100],
    ]);
    // One day only: the 11th in São Paulo holds c4 only.
    const one = await api(app, "GET", "/v1/reports/conversations?from=2026-03-11&to=2026-03-11", org.key);
    expect(one.body.totals.conversations).toBe(1);
  });

  test("per agent, department and instance; filters", async () => {
    const byAgent = await api(app, "GET", `/v1/reports/conversations?${range}&groupBy=agent`, org.key);
    expect(byAgent.body.groups.map((g: any) => [g.key, g.conversations, g.resolved, g.avgFirstResponseSeconds, g.avgNps])).toEqual([
      [data.agentA.id, 3, 2, 70, 9],
      [data.agentB.id, 2, 2, 240, 5],
    ]);
    const byDept = await api(app, "GET", `/v1/reports/conversations?${range}&groupBy=department`, org.key);
    expect(byDept.body.groups.map((g: any) => [g.label, g.conversations, g.botResolved, g.humanResolved])).toEqual([
      [data.d1.name, 3, 1, 1],
      [data.d2.name, 2, 1, 1],
    ]);
    const byInstance = await api(app, "GET", `/v1/reports/conversations?${range}&groupBy=instance`, org.key);
    expect(byInstance.body.groups.map((g: any) => [g.key, g.conversations])).toEqual([[data.instanceId, 5]]);
    const filtered = await api(app, "GET", `/v1/reports/conversations?${range}&agentUserId=${data.agentB.id}`, org.key);
    expect(filtered.body.totals).toMatchObject({ conversations: 2, resolved: 2, nps: -100 });
    const dept = await api(app, "GET", `/v1/reports/conversations?${range}&departmentId=${data.d1.id}`, org.key);
    expect(dept.body.totals).toMatchObject({ conversations: 3, firstResponses: 3 });
  });

  test("CSV: one row per bucket or group, machine column names", async () => {
    const res = await app.handle(
      new Request(`http://localhost/v1/reports/conversations/csv?${range}&bucket=month`, { headers: { authorization: `Bearer ${org.key}` } }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.headers.get("content-disposition")).toContain("report-2026-03-01-2026-04-30.csv");
    const rows = parse(await res.text());
    expect(rows).toEqual([
      {
        period: "2026-03-01",
        conversations: "4",
        firstResponses: "4",
        avgFirstResponseSeconds: "113",
        resolved: "3",
        botResolved: "1",
        humanResolved: "2",
        avgResolutionSeconds: "700",
        npsAnswers: "2",
        avgNps: "7",
        nps: "0",
      },
      {
        period: "2026-04-01",
        conversations: "1",
        firstResponses: "0",
        avgFirstResponseSeconds: "",
        resolved: "1",
        botResolved: "1",
        humanResolved: "0",
        avgResolutionSeconds: "100",
        npsAnswers: "0",
        avgNps: "",
        nps: "",
      },
    ]);
    const grouped = await app.handle(
      new Request(`http://localhost/v1/reports/conversations/csv?${range}&groupBy=department`, { headers: { authorization: `Bearer ${org.key}` } }),
    );
    const groupRows = parse(await grouped.text());
    expect(groupRows.map((r) => [r.department, r.departmentName, r.conversations])).toEqual([
      [data.d1.id, data.d1.name, "3"],
      [data.d2.id, data.d2.name, "2"],
    ]);
  });

  test("another organization sees none of it; bad input is 422 with the field; no key is 401", async () => {
    const res = await api(app, "GET", `/v1/reports/conversations?${range}&groupBy=agent`, other.key);
    expect(res.body.totals.conversations).toBe(0);
    expect(res.body.groups).toEqual([]);
    const bad = await api(app, "GET", "/v1/reports/conversations?from=2026-04-01&to=2026-03-01", org.key);
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain("to");
    expect((await api(app, "GET", "/v1/reports/conversations?bucket=year", org.key)).status).toBe(422);
    expect((await api(app, "GET", "/v1/reports/conversations?agentUserId=nope", org.key)).status).toBe(422);
    expect((await app.handle(new Request("http://localhost/v1/reports/conversations"))).status).toBe(401);
  });
});

describe("reports page", () => {
  test("supervisors see the chart, tables and CSV link; agents are refused", async () => {
    const supervisor = await createMember(org.organization.id, "supervisor");
    const client = await signIn(app, supervisor.id, org.organization.id);
    const page = await client.request(`/reports?${range}&groupBy=agent`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<svg class="report-chart"');
    expect(html).toContain('data-key="2026-03-10"');
    expect(html).toContain("/reports/export.csv?");
    expect(html).toContain(data.agentA.id);
    const csv = await client.request(`/reports/export.csv?${range}`);
    expect(csv.status).toBe(200);
    expect((await csv.text()).split("\n")[0]).toBe(
      "period,conversations,firstResponses,avgFirstResponseSeconds,resolved,botResolved,humanResolved,avgResolutionSeconds,npsAnswers,avgNps,nps",
    );
    const bad = await client.request("/reports?from=bad");
    expect(bad.status).toBe(422);

    const agent = await signIn(app, data.agentA.id, org.organization.id);
    const refused = await agent.request("/reports");
    expect(refused.status).toBe(403);
  });
});
