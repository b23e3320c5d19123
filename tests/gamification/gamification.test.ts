// Gamification on a known dataset (tests/reports/dataset.ts): scores with the default and custom weights,
// badge thresholds, opt-out, the permanent top-5 history of a closed period, idempotent recalculation,
// the scheduled run, roles, isolation and the page.
import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { gamificationBadges, gamificationHistory, gamificationScores } from "@/db/schema";
import { periodContaining, periodOfKey, previousPeriod } from "@/features/gamification/gamification.period";
import { calculateDueScores, calculateScores, DEFAULT_GAMIFICATION_SETTINGS, scoreAgents } from "@/features/gamification/gamification.service";
import { systemCaller } from "@/lib/caller";
import { api } from "../helpers/client";
import { createMember, memberCaller, setupOrg, signIn } from "../helpers/factories";
import { seedDataset } from "../reports/dataset";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let data: Awaited<ReturnType<typeof seedDataset>>;
const afterMarch = new Date("2026-05-01T12:00:00Z");

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Game A" });
  other = await setupOrg(app, { orgName: "Game B" });
  data = await seedDataset(app, org, "+55119555500");
});

describe("periods", () => {
  test("monthly, ISO weekly and quarterly keys and days", () => {
    expect(periodContaining("monthly", "2026-02-14")).toEqual({ kind: "monthly", key: "2026-02", from: "2026-02-01", to: "2026-02-28" });
    expect(periodContaining("weekly", "2026-03-11")).toEqual({ kind: "weekly", key: "2026-W11", from: "2026-03-09", to: "2026-03-15" });
    expect(periodContaining("weekly", "2027-01-01").key).toBe("2026-W53");
    expect(periodContaining("quarterly", "2026-05-20")).toEqual({ kind: "quarterly", key: "2026-Q2", from: "2026-04-01", to: "2026-06-30" });
    expect(periodOfKey("2026-W11")?.from).toBe("2026-03-09");
    expect(periodOfKey("2026-13")).toBeNull();
    expect(previousPeriod(periodOfKey("2026-01")!).key).toBe("2025-12");
  });
});

describe("scores", () => {
  test("default weights (NPS 40, volume 30, resolution 20, time 10) and badges", async () => {
    const { scores } = await calculateScores(memberCaller(org.user.id, org.organization.id, "owner"), "2026-03", afterMarch);
    expect(scores.map((s) => ({ agent: s.agentUserId, total: s.totalScore, ranking: s.ranking, badges: s.badges }))).toEqual([
      // A: NPS 9 → 90; volume 2/500 → 0; resolution 67 %/85 % → 79; time 70 s ≤ 120 s → 100 → 61.8
      { agent: data.agentA.id, total: 62, ranking: 1, badges: ["campeao_volume", "velocista"] },
      // B: NPS 5 → 50; volume 0; resolution 100 %/85 % → 100 (capped); time 120/240 → 50 → 45
      { agent: data.agentB.id, total: 45, ranking: 2, badges: [] },
    ]);
    expect(scores[0]).toMatchObject({
      totalConversations: 2,
      handled: 3,
      successRate: 67,
      avgNps: 9,
      avgResponseTime: 70,
      npsScore: 90,
      resolutionScore: 79,
      timeScore: 100,
    });
    const stored = await db.select().from(gamificationScores).where(eq(gamificationScores.organizationId, org.organization.id));
    expect(stored.map((s) => [s.agentUserId, s.period, s.totalScore]).sort()).toEqual(
      [
        [data.agentA.id, "2026-03", 62],
        [data.agentB.id, "2026-03", 45],
      ].sort(),
    );
    const badges = await db.select().from(gamificationBadges).where(eq(gamificationBadges.organizationId, org.organization.id));
    expect(badges.map((b) => [b.badgeType, b.metric]).sort()).toEqual([
      ["campeao_volume", 2],
      ["velocista", 70],
    ]);
  });

  test("the period closed: its top 5 is written once and kept when scores are recalculated with custom weights", async () => {
    const history = await db.select().from(gamificationHistory).where(eq(gamificationHistory.organizationId, org.organization.id));
    expect(history.map((h) => [h.period, h.ranking, h.agentUserId, h.totalScore]).sort()).toEqual([
      ["2026-03", 1, data.agentA.id, 62],
      ["2026-03", 2, data.agentB.id, 45],
    ]);
    const settings = await api(app, "PUT", "/v1/gamification/settings", org.key, {
      ...DEFAULT_GAMIFICATION_SETTINGS,
      npsWeight: 0,
      volumeWeight: 0,
      resolutionWeight: 100,
      responseTimeWeight: 0,
      targetResolution: 100,
      solucionadorNpsMin: 9,
      solucionadorResolutionMin: 60,
    });
    expect(settings.status).toBe(200);
    const { scores } = await calculateScores(systemCaller("test", org.organization.id), "2026-03", afterMarch);
    expect(scores.map((s) => [s.agentUserId, s.totalScore, s.badges])).toEqual([
      [data.agentB.id, 100, []],
      [data.agentA.id, 67, ["campeao_volume", "solucionador", "velocista"]],
    ]);
    // Idempotent: the same calculation again stores the same rows, once.
    await calculateScores(systemCaller("test", org.organization.id), "2026-03", afterMarch);
    expect(await db.select().from(gamificationScores).where(eq(gamificationScores.organizationId, org.organization.id))).toHaveLength(2);
    const kept = await db.select().from(gamificationHistory).where(eq(gamificationHistory.organizationId, org.organization.id));
    expect(kept.find((h) => h.ranking === 1)?.agentUserId).toBe(data.agentA.id);

    const listed = await api(app, "GET", "/v1/gamification/history", org.key);
    expect(listed.body.data.map((h: any) => [h.period, h.ranking, h.agentName])).toEqual([
      ["2026-03", 1, kept.find((h) => h.ranking === 1)!.agentName],
      ["2026-03", 2, kept.find((h) => h.ranking === 2)!.agentName],
    ]);
  });

  test("weights must add up to 100 (422 with the field)", async () => {
    const res = await api(app, "PUT", "/v1/gamification/settings", org.key, { ...DEFAULT_GAMIFICATION_SETTINGS, npsWeight: 50 });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain("npsWeight");
  });

  test("scoring rule: no data scores 0; time above target is target ÷ average", () => {
    const [s] = scoreAgents(
      [{ agentUserId: "x", totalConversations: 0, handled: 0, avgNps: null, successRate: 0, avgResponseTime: 240 }],
      DEFAULT_GAMIFICATION_SETTINGS,
    );
    expect(s).toMatchObject({ npsScore: 0, volumeScore: 0, resolutionScore: 0, timeScore: 50, totalScore: 5, badges: [] });
  });

  test("an agent who opts out leaves the ranking; only their own setting (or a key) changes it", async () => {
    const agentB = await signIn(app, data.agentB.id, org.organization.id);
    const page = await agentB.request("/gamification?period=2026-03");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`data-agent="${data.agentA.id}"`);
    expect(html).not.toContain("gamification-settings");

    // Agents see the ranking and only their own breakdown.
    const ranking = await api(app, "GET", "/v1/gamification/ranking?period=2026-03", org.key);
    expect(ranking.body.entries).toHaveLength(2);

    const opted = await agentB.request("/gamification/participation", { method: "POST", body: new URLSearchParams({}) });
    expect(opted.status).toBeLessThan(400);
    const { scores } = await calculateScores(systemCaller("test", org.organization.id), "2026-03", afterMarch);
    expect(scores.map((s) => s.agentUserId)).toEqual([data.agentA.id]);

    const refused = await api(app, "PUT", `/v1/gamification/participants/${data.agentB.id}`, other.key, { participates: true });
    expect(refused.status).toBe(404);
    const back = await api(app, "PUT", `/v1/gamification/participants/${data.agentB.id}`, org.key, { participates: true });
    expect(back.body).toEqual({ userId: data.agentB.id, participates: true });

    // An agent cannot calculate, change settings or another member's participation.
    const calc = await agentB.request("/gamification/calculate", { method: "POST", body: new URLSearchParams({}) });
    expect(calc.status).toBe(403);
    await expect(
      (async () => {
        const { setParticipation } = await import("@/features/gamification/gamification.service");
        await setParticipation(memberCaller(data.agentB.id, org.organization.id, "agent"), data.agentA.id, { participates: false });
      })(),
    ).rejects.toThrow();
  });

  test("on demand over /v1 and by the scheduled run; another organization sees nothing", async () => {
    const res = await api(app, "POST", "/v1/gamification/calculate?period=2026-04", org.key);
    expect(res.status).toBe(200);
    expect(res.body.period).toEqual({ kind: "monthly", key: "2026-04", from: "2026-04-01", to: "2026-04-30" });
    expect(res.body.entries.map((e: any) => [e.agentUserId, e.metrics.totalConversations])).toContainEqual([data.agentB.id, 1]);
    expect((await api(app, "POST", "/v1/gamification/calculate?period=2026-13", org.key)).status).toBe(422);

    const runs = await calculateDueScores(new Date("2026-04-15T12:00:00Z"));
    expect(runs).toBeGreaterThanOrEqual(1);
    const april = await db
      .select()
      .from(gamificationScores)
      .where(and(eq(gamificationScores.organizationId, org.organization.id), eq(gamificationScores.period, "2026-04")));
    expect(april.length).toBeGreaterThan(0);

    const foreign = await api(app, "GET", "/v1/gamification/ranking?period=2026-03", other.key);
    expect(foreign.body.entries).toEqual([]);
    expect((await api(app, "GET", "/v1/gamification/history", other.key)).body.data).toEqual([]);
  });

  test("supervisors calculate from the page and change settings; bad settings re-render with 422", async () => {
    const supervisor = await createMember(org.organization.id, "supervisor");
    const client = await signIn(app, supervisor.id, org.organization.id);
    const calc = await client.request("/gamification/calculate?period=2026-03", { method: "POST", body: new URLSearchParams({}) });
    expect(calc.status).toBeLessThan(400);
    const form = new URLSearchParams(Object.entries({ ...DEFAULT_GAMIFICATION_SETTINGS, npsWeight: 90 }).map(([k, v]) => [k, String(v)]));
    const bad = await client.request("/gamification/settings", { method: "POST", body: form });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("100");
  });
});
