// Outage notices: who an outage reaches (regions, city + neighbourhoods, accents and case), pacing with a
// controllable clock (never above the rate), opt-outs and blocks skipped, the resolution message to those
// notified, and a crash in the middle of a pass (no duplicate, no loss).
import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { messages, outagePacing } from "@/db/schema";
import { dispatchOutages, syncNotificationStates } from "@/features/outages/outage.dispatch";
import { cancelOutage, countAffected, createRegion, declareOutage, outageMetrics, resolveOutage } from "@/features/outages/outage.service";
import { AppError } from "@/lib/errors";
import { declaration, notificationsOf, outageOrg, outboundTo, person, seededRandom, sendingNumber } from "./helpers";

const T0 = new Date("2026-12-11T14:00:00Z");

/** Passes every `stepMs` over [from, from + spanMs). */
async function drive(from: Date, spanMs: number, random: () => number, stepMs = 5_000) {
  for (let at = from.getTime(); at < from.getTime() + spanMs; at += stepMs) await dispatchOutages({ now: new Date(at), random, sync: false });
}

describe("who an outage affects", () => {
  test("predefined regions match by city (any case, no accents), UF or CEP prefix; custom areas by city and neighbourhood (custom field bairro)", async () => {
    const { organization, owner } = await outageOrg();
    const inCity = await person(organization.id, { city: "TERESOPOLIS" });
    const inUf = await person(organization.id, { city: "Niterói", state: "ES" });
    const inCep = await person(organization.id, { city: "Outra", zipCode: "25960000" });
    const centro = await person(organization.id, { city: "petrópolis", bairro: "Centro" });
    const alto = await person(organization.id, { city: "Petropolis", bairro: "Alto da Serra" });
    const nowhere = await person(organization.id, { city: "São Paulo", state: "SP", zipCode: "01310100" });
    const region = await createRegion(owner, { name: "Serra", cities: "Teresópolis", states: ["es"], cepPrefixes: "259" });
    const instance = await sendingNumber(organization.id);

    const areas = { regionIds: [region.id], custom: [{ city: "Petrópolis", neighborhoods: ["centro"] }] };
    expect(await countAffected(owner, areas)).toBe(4);
    const outage = await declareOutage(owner, declaration([instance.id], { affected: areas }), T0);
    const reached = (await notificationsOf(outage.id)).map((n) => n.contactId).sort();
    expect(reached).toEqual([inCity.id, inUf.id, inCep.id, centro.id].sort());
    expect(reached).not.toContain(alto.id);
    expect(reached).not.toContain(nowhere.id);

    // The whole city when no neighbourhood is listed.
    const whole = await declareOutage(
      owner,
      declaration([instance.id], { affected: { regionIds: [], custom: [{ city: "PETROPOLIS", neighborhoods: [] }] } }),
      T0,
    );
    expect((await notificationsOf(whole.id)).map((n) => n.contactId).sort()).toEqual([centro.id, alto.id].sort());
  });

  test("another organization's region or number is a 422 naming the field", async () => {
    const a = await outageOrg();
    const b = await outageOrg();
    const theirs = await createRegion(b.owner, { name: "Deles", cities: ["Rio"] });
    const mine = await sendingNumber(a.organization.id);
    const other = await sendingNumber(b.organization.id);
    const regionErr = await declareOutage(a.owner, declaration([mine.id], { affected: { regionIds: [theirs.id], custom: [] } })).catch((e) => e);
    expect(regionErr).toBeInstanceOf(AppError);
    expect(regionErr.details).toEqual([{ path: "affected.regionIds", message: expect.any(String) }]);
    const numberErr = await declareOutage(a.owner, declaration([other.id])).catch((e) => e);
    expect(numberErr.details?.[0]?.path).toBe("instanceIds");
  });
});

describe("paced notices", () => {
  test("two numbers never exceed their rate (2/min each, jitter only lengthens), skip opted-out and blocked contacts, and reach everyone else once", async () => {
    const { organization, owner } = await outageOrg();
    const a = await sendingNumber(organization.id);
    const b = await sendingNumber(organization.id);
    const people = [];
    for (let i = 0; i < 12; i++) people.push(await person(organization.id, { city: "Teresópolis", name: `Cliente ${i}` }));
    const optedOut = await person(organization.id, { city: "Teresópolis", optedOut: true });
    const blocked = await person(organization.id, { city: "Teresópolis", blocked: true });
    const outage = await declareOutage(owner, declaration([a.id, b.id]), T0);

    await drive(T0, 4 * 60_000, seededRandom(3));
    const sent = await db
      .select({ instanceId: messages.instanceId, createdAt: messages.createdAt, contactId: messages.contactId, body: messages.body })
      .from(messages)
      .where(and(eq(messages.organizationId, organization.id), eq(messages.direction, "outbound")));
    const log = await notificationsOf(outage.id, "notice");
    const sentAt = log.filter((n) => n.sentAt).map((n) => ({ instanceId: n.instanceId!, at: n.sentAt!.getTime() }));
    // 4 minutes at 2/min per number, gaps of 30–45 s: at most 8 per number (first at once), at least 6.
    for (const number of [a, b]) {
      const times = sentAt
        .filter((s) => s.instanceId === number.id)
        .map((s) => s.at)
        .sort((x, y) => x - y);
      expect(times.length).toBeLessThanOrEqual(8);
      expect(times.length).toBeGreaterThanOrEqual(5);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(30_000);
      // Any 60 s window holds at most 2 sends of one number.
      for (const t of times) expect(times.filter((u) => u >= t && u < t + 60_000).length).toBeLessThanOrEqual(2);
    }
    expect(sent.length).toBe(sentAt.length);

    await drive(new Date(T0.getTime() + 4 * 60_000), 10 * 60_000, seededRandom(4));
    const done = await notificationsOf(outage.id, "notice");
    expect(done.filter((n) => n.sentAt).length).toBe(12);
    expect(new Set(done.filter((n) => n.sentAt).map((n) => n.contactId)).size).toBe(12);
    expect(done.find((n) => n.contactId === optedOut.id)).toMatchObject({ state: "skipped", skipReason: "opted_out", sentAt: null });
    expect(done.find((n) => n.contactId === blocked.id)).toMatchObject({ state: "skipped", skipReason: "blocked", sentAt: null });
    expect(await outboundTo(optedOut.id)).toEqual([]);
    expect(await outboundTo(blocked.id)).toEqual([]);
    // The notice is rendered per contact, {{previsao}} in the organization's zone (São Paulo) and language.
    const first = (await outboundTo(people[0]!.id))[0]!;
    expect(first.body).toContain("Cliente 0");
    expect(first.body).toContain("Queda de energia");
    expect(first.body).toContain("11/12/2026");
    expect(first.body).toContain("15:00");
    expect(first.body).not.toContain("{{");
  });

  test("a crash mid-pass (after the message was queued, before commit) and two processes at once neither duplicate nor lose a notice", async () => {
    const { organization, owner } = await outageOrg();
    const a = await sendingNumber(organization.id);
    const b = await sendingNumber(organization.id);
    for (let i = 0; i < 6; i++) await person(organization.id, { city: "Teresópolis" });
    const outage = await declareOutage(owner, declaration([a.id, b.id], { pacing: { perMinute: 60, jitterPercent: 0, dailyCap: 100 } }), T0);

    // The random draw for the next gap comes after the message was queued in the transaction: throwing there is a crash before commit.
    let calls = 0;
    const crashing = () => {
      if (++calls === 2) throw new Error("kill -9");
      return 0;
    };
    await expect(dispatchOutages({ now: T0, random: crashing, sync: false })).rejects.toThrow("kill -9");
    const afterCrash = await notificationsOf(outage.id, "notice");
    const messagesAfterCrash = await db.select({ id: messages.id }).from(messages).where(eq(messages.organizationId, organization.id));
    expect(afterCrash.filter((n) => n.state === "sending").length).toBe(messagesAfterCrash.length);

    // "Restart": two processes run passes at the same instants.
    for (let s = 0; s < 6; s++) {
      const now = new Date(T0.getTime() + s * 1_000);
      await Promise.all([dispatchOutages({ now, random: () => 0, sync: false }), dispatchOutages({ now, random: () => 0, sync: false })]);
    }
    const log = await notificationsOf(outage.id, "notice");
    expect(log.every((n) => n.state === "sending")).toBe(true);
    const sent = await db
      .select({ contactId: messages.contactId, instanceId: messages.instanceId, createdAt: messages.createdAt })
      .from(messages)
      .where(eq(messages.organizationId, organization.id));
    expect(sent.length).toBe(6);
    expect(new Set(sent.map((m) => m.contactId)).size).toBe(6);
    const slots = await db.select().from(outagePacing).where(eq(outagePacing.outageId, outage.id));
    expect(slots.map((s) => s.sentOnDay).reduce((x, y) => x + y, 0)).toBe(6);
  });
});

describe("resolving and cancelling", () => {
  test("resolution goes (paced, once) to everyone who was sent the notice; notices still pending are skipped; states follow receipts", async () => {
    const { organization, owner } = await outageOrg();
    const a = await sendingNumber(organization.id);
    for (let i = 0; i < 3; i++) await person(organization.id, { city: "Teresópolis" });
    const outage = await declareOutage(owner, declaration([a.id], { pacing: { perMinute: 1, jitterPercent: 0, dailyCap: 100 } }), T0);
    await dispatchOutages({ now: T0, random: () => 0 });
    await dispatchOutages({ now: new Date(T0.getTime() + 60_000), random: () => 0 });
    // A receipt: the first notice was read.
    const [firstNotice] = await notificationsOf(outage.id, "notice");
    await db
      .update(messages)
      .set({ status: "read", deliveredAt: new Date(T0.getTime() + 5_000), readAt: new Date(T0.getTime() + 9_000) })
      .where(eq(messages.id, firstNotice!.messageId!));
    await syncNotificationStates();

    const resolvedAt = new Date(T0.getTime() + 90_000);
    const resolved = await resolveOutage(owner, outage.id, { resolutionMessage: "Tudo certo, {{nome}}! ({{titulo}})" }, resolvedAt);
    expect(resolved.status).toBe("resolved");
    expect(resolved.resolvedAt?.getTime()).toBe(resolvedAt.getTime());
    expect(resolved.resolvedByUserId).toBe(owner.id);
    const notices = await notificationsOf(outage.id, "notice");
    const reached = notices.filter((n) => n.sentAt).map((n) => ({ id: n.contactId }));
    expect(reached.length).toBe(2);
    const late = { id: notices.find((n) => !n.sentAt)!.contactId };
    expect(notices.find((n) => n.contactId === late.id)).toMatchObject({ state: "skipped", skipReason: "resolved" });

    await drive(resolvedAt, 3 * 60_000, () => 0, 10_000);
    const resolutions = await notificationsOf(outage.id, "resolution");
    expect(resolutions.map((r) => r.contactId).sort()).toEqual(reached.map((r) => r.id).sort());
    expect(resolutions.every((r) => r.sentAt && r.body?.startsWith("Tudo certo"))).toBe(true);
    // Paced: 1 a minute on the one number.
    const times = resolutions.map((r) => r.sentAt!.getTime()).sort();
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(60_000);
    // …and the first one never follows the last notice sooner than the pace allows (the slot keeps its next time).
    const lastNotice = Math.max(...notices.filter((n) => n.sentAt).map((n) => n.sentAt!.getTime()));
    expect(times[0]! - lastNotice).toBeGreaterThanOrEqual(60_000);
    expect(await outboundTo(late.id)).toEqual([]);
    for (const p of reached) expect((await outboundTo(p.id)).length).toBe(2);

    const metrics = await outageMetrics(owner, outage.id);
    expect(metrics.notice).toMatchObject({ total: 3, notified: 2, delivered: 1, read: 1, skipped: 1 });
    expect(metrics.resolution).toMatchObject({ total: 2, notified: 2 });
    // Resolving twice is a conflict.
    expect((await resolveOutage(owner, outage.id).catch((e) => e)).code).toBe("conflict");
  });

  test("cancelling skips pending notices and sends no resolution", async () => {
    const { organization, owner } = await outageOrg();
    const a = await sendingNumber(organization.id);
    await person(organization.id, { city: "Teresópolis" });
    const outage = await declareOutage(owner, declaration([a.id]), T0);
    await cancelOutage(owner, outage.id, T0);
    await drive(T0, 2 * 60_000, () => 0);
    const log = await notificationsOf(outage.id);
    expect(log.map((n) => [n.kind, n.state, n.skipReason])).toEqual([["notice", "skipped", "cancelled"]]);
  });
});
