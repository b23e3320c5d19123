import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { campaignTargets, messages } from "@/db/schema";
import { dispatchDue } from "@/features/campaigns/campaign.dispatch";
import { ageInDays, dailyCapFor, gapMs, localTime, withinActiveHours } from "@/features/campaigns/campaign.pacing";
import { baseCampaign, campaignOrg, phonesCsv, runningCampaign, seededRandom, sendingNumber, sendsOf } from "./helpers";

const ZONE = "America/Sao_Paulo";
const PACING = { perMinute: 2, jitterPercent: 50, dailyCap: 8, warmupDays: 10, warmupStartPerDay: 3 };

describe("pure pacing rules", () => {
  test("the gap is never shorter than 60 s / rate; jitter only lengthens it, up to its percentage", () => {
    for (const r of [0, 0.25, 0.5, 0.999]) {
      const g = gapMs(PACING, r);
      expect(g).toBeGreaterThanOrEqual(30_000);
      expect(g).toBeLessThanOrEqual(45_000);
    }
    expect(gapMs(PACING, 0)).toBe(30_000);
  });

  test("warm-up: a young number's cap ramps from the start value to the campaign's cap", () => {
    const pacing = { ...PACING, dailyCap: 20 };
    expect(dailyCapFor(pacing, 0)).toBe(3);
    expect(dailyCapFor(pacing, 5)).toBe(11);
    expect(dailyCapFor(pacing, 9)).toBe(18);
    expect(dailyCapFor(pacing, 10)).toBe(20);
    expect(dailyCapFor({ ...pacing, warmupDays: 0 }, 0)).toBe(20);
    expect(ageInDays(new Date("2026-12-01T00:00:00Z"), new Date("2026-12-03T12:00:00Z"))).toBe(2);
  });

  test("active hours are read in the organization's zone (São Paulo is UTC-3)", () => {
    const hours = { weekdays: [1, 2, 3, 4, 5], start: "09:00", end: "10:00" };
    expect(localTime(new Date("2026-12-07T12:00:00Z"), ZONE)).toEqual({ weekday: 1, day: "2026-12-07", minute: 540 });
    expect(withinActiveHours(hours, new Date("2026-12-07T11:59:59Z"), ZONE)).toBe(false);
    expect(withinActiveHours(hours, new Date("2026-12-07T12:00:00Z"), ZONE)).toBe(true);
    expect(withinActiveHours(hours, new Date("2026-12-07T12:59:59Z"), ZONE)).toBe(true);
    expect(withinActiveHours(hours, new Date("2026-12-07T13:00:00Z"), ZONE)).toBe(false);
    // Saturday at 09:30 local.
    expect(withinActiveHours(hours, new Date("2026-12-12T12:30:00Z"), ZONE)).toBe(false);
  });
});

/**
 * Drives the dispatcher over [from, to): every 10 minutes outside 08:50–10:10 (to show nothing goes out
 * there), and every 15 s inside it (the 2-a-minute rate is checked on the recorded send times).
 */
async function drive(from: Date, to: Date, random: () => number, insideStepMs = 15_000) {
  let now = from;
  while (now < to) {
    await dispatchDue({ now, random, sync: false });
    const local = localTime(now, ZONE).minute;
    const inside = local >= 8 * 60 + 50 && local < 10 * 60 + 10;
    now = new Date(now.getTime() + (inside ? insideStepMs : 10 * 60_000));
  }
}

describe("dispatching with a controllable clock", () => {
  test("two numbers in rotation never exceed the rate or the daily cap, send nothing outside the window or on weekends, and reach every target once", async () => {
    // Friday 2026-12-11 08:00 in São Paulo.
    const start = new Date("2026-12-11T11:00:00Z");
    const { organization, owner } = await campaignOrg();
    const a = await sendingNumber(organization.id, 30, start);
    const b = await sendingNumber(organization.id, 30, start);
    const campaign = await runningCampaign(owner, baseCampaign([a.id, b.id], phonesCsv(30)), start);

    // Friday: 8 per number (the cap), then nothing over the weekend.
    await drive(new Date("2026-12-11T11:50:00Z"), new Date("2026-12-11T13:10:00Z"), seededRandom(7));
    // Saturday and Sunday inside their 09:00–10:00: nothing.
    await drive(new Date("2026-12-12T11:50:00Z"), new Date("2026-12-12T13:10:00Z"), seededRandom(9), 60_000);
    await drive(new Date("2026-12-13T11:50:00Z"), new Date("2026-12-13T13:10:00Z"), seededRandom(10), 60_000);
    expect((await sendsOf(campaign.id)).length).toBe(16);
    // Monday: the remaining 14.
    await drive(new Date("2026-12-14T11:50:00Z"), new Date("2026-12-14T13:10:00Z"), seededRandom(8));

    const sends = await sendsOf(campaign.id);
    expect(sends.length).toBe(30);
    expect(new Set(sends.map((s) => s.targetId)).size).toBe(30);
    expect(sends.every((s) => s.attempt === 1)).toBe(true);
    for (const number of [a, b]) {
      const mine = sends.filter((s) => s.instanceId === number.id).sort((x, y) => x.sentAt.getTime() - y.sentAt.getTime());
      expect(mine.length).toBeGreaterThan(0);
      // Never above 2 a minute: consecutive sends of one number at least 30 s apart.
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.sentAt.getTime() - mine[i - 1]!.sentAt.getTime()).toBeGreaterThanOrEqual(30_000);
      const perDay = new Map<string, number>();
      for (const s of mine) perDay.set(localTime(s.sentAt, ZONE).day, (perDay.get(localTime(s.sentAt, ZONE).day) ?? 0) + 1);
      for (const n of perDay.values()) expect(n).toBeLessThanOrEqual(8);
    }
    // Nothing outside 09:00–10:00 on a weekday.
    for (const s of sends) {
      const local = localTime(s.sentAt, ZONE);
      expect([1, 2, 3, 4, 5]).toContain(local.weekday);
      expect(local.minute).toBeGreaterThanOrEqual(540);
      expect(local.minute).toBeLessThan(600);
    }
    // Every send is a queued outbound message from the campaign, its variant rotated in turn and variables filled.
    const queued = await db
      .select()
      .from(messages)
      .where(and(eq(messages.organizationId, organization.id), eq(messages.sentBy, "campaign")));
    expect(queued.length).toBe(30);
    const byVariant = [0, 0, 0];
    for (const m of queued) byVariant[m.body!.includes(", A ") ? 0 : m.body!.includes(", B ") ? 1 : 2]!++;
    expect(byVariant).toEqual([10, 10, 10]);
    const targets = await db.select().from(campaignTargets).where(eq(campaignTargets.campaignId, campaign.id));
    const first = targets.find((t) => t.position === 0)!;
    expect(first.renderedBody).toBe("Oi Pessoa 0, A Plano 0");
    expect(targets.every((t) => t.state === "sending" && t.attempts === 1)).toBe(true);
  }, 120_000);

  test("a young number warms up: on its first day it sends only the ramp's start value", async () => {
    const start = new Date("2026-12-07T11:00:00Z");
    const { organization, owner } = await campaignOrg();
    const young = await sendingNumber(organization.id, 0, start);
    const campaign = await runningCampaign(owner, baseCampaign([young.id], phonesCsv(10, 100), { pacing: { ...PACING, dailyCap: 20 } }), start);
    await drive(new Date("2026-12-07T11:50:00Z"), new Date("2026-12-07T13:10:00Z"), seededRandom(1));
    expect((await sendsOf(campaign.id)).length).toBe(3);
    // A day older, the ramp allows 3 + 17 × 1/10 → 4.
    await drive(new Date("2026-12-08T11:50:00Z"), new Date("2026-12-08T13:10:00Z"), seededRandom(2));
    expect((await sendsOf(campaign.id)).length).toBe(7);
  }, 120_000);
});
