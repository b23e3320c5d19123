import { afterEach, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { campaignTargets, consentRecords, contacts, messages } from "@/db/schema";
import { dispatchDue, syncTargetStates } from "@/features/campaigns/campaign.dispatch";
import {
  campaignProgress,
  campaignReport,
  campaignReportCsv,
  cancelCampaign,
  pauseCampaign,
  previewCampaign,
  resumeCampaign,
  riskCheck,
} from "@/features/campaigns/campaign.service";
import { changeConsent } from "@/features/consent/consent.service";
import { ingestInbound } from "@/features/inbound/inbound.service";
import { withLocale } from "@/lib/i18n";
import { sandboxIdle, sandboxTiming } from "@/providers/sandbox";
import { runOutboundOnce } from "@/workers/outbound.worker";
import { contactWrites } from "../automation/helpers";
import { baseCampaign, campaignOrg, phonesCsv, runningCampaign, sendingNumber, sendsOf } from "./helpers";

const cleanups: (() => void)[] = [];
const afterThis = (f: () => void) => cleanups.push(f);
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

const ALWAYS = { weekdays: [0, 1, 2, 3, 4, 5, 6], start: "00:00", end: "23:59" };
const FAST = { perMinute: 60, jitterPercent: 0, dailyCap: 100, warmupDays: 0, warmupStartPerDay: 1 };

async function targetsByPhone(campaignId: string) {
  const rows = await db
    .select({ target: campaignTargets, phone: contacts.phone })
    .from(campaignTargets)
    .innerJoin(contacts, eq(contacts.id, campaignTargets.contactId))
    .where(eq(campaignTargets.campaignId, campaignId));
  return new Map(rows.map((r) => [r.phone!, r.target]));
}

/** Passes of the dispatcher a second apart (the 60-a-minute gap) until `n` sends went out. */
async function dispatchUntil(campaignId: string, n: number, from: Date): Promise<Date> {
  let now = from;
  for (let i = 0; i < 50 && (await sendsOf(campaignId)).length < n; i++) {
    await dispatchDue({ now });
    now = new Date(now.getTime() + 1000);
  }
  expect((await sendsOf(campaignId)).length).toBe(n);
  return now;
}

const receipt = (instance: Parameters<typeof ingestInbound>[0], providerMessageId: string, status: "delivered" | "read" | "failed") =>
  ingestInbound(instance, { kind: "receipt", providerMessageId, status, timestamp: new Date(), ...(status === "failed" ? { error: "undeliverable" } : {}) });

test("targets follow their messages (sent, delivered, read, replied), opted-out and blocked contacts are skipped with the reason, SAIR opts out in answer to the campaign and the report/CSV says so", async () => {
  // A minute back: the simulated send times (a second apart) stay before the contacts' real replies.
  const start = new Date(Date.now() - 60_000);
  const { organization, owner } = await campaignOrg();
  const number = await sendingNumber(organization.id, 30, start);
  const csv = phonesCsv(5, 500);
  const campaign = await runningCampaign(owner, baseCampaign([number.id], csv, { activeHours: ALWAYS, pacing: FAST }), start);
  const byPhone = await targetsByPhone(campaign.id);
  const phones = [...byPhone.keys()].sort();
  // Before sending: the 4th contact opts out (manually, by a member), the 5th is blocked.
  await changeConsent(owner, byPhone.get(phones[3]!)!.contactId, { kind: "opt_out", note: "pediu por telefone" });
  await db
    .update(contacts)
    .set({ blocked: true })
    .where(eq(contacts.id, byPhone.get(phones[4]!)!.contactId));

  const after = await dispatchUntil(campaign.id, 3, start);
  // The next pass meets the opted-out and blocked targets: settled on the way, nothing sent.
  await dispatchDue({ now: new Date(after.getTime() + 1000) });
  expect((await sendsOf(campaign.id)).length).toBe(3);
  await runOutboundOnce();
  // The sandbox phone plays sent → delivered → read for each message, through the real receipt path.
  let targets = await targetsByPhone(campaign.id);
  await sandboxIdle();
  await syncTargetStates();
  targets = await targetsByPhone(campaign.id);
  expect(phones.slice(0, 3).map((p) => targets.get(p)!.state)).toEqual(["read", "read", "read"]);
  expect(targets.get(phones[0]!)!.deliveredAt).toBeInstanceOf(Date);
  expect(targets.get(phones[3]!)).toMatchObject({ state: "skipped", skipReason: "opted_out" });
  expect(targets.get(phones[4]!)).toMatchObject({ state: "skipped", skipReason: "blocked" });

  await contactWrites(number, phones[2]!, "Sair!");
  await syncTargetStates();
  targets = await targetsByPhone(campaign.id);
  expect(targets.get(phones[2]!)!.state).toBe("replied");

  // The SAIR: contact opted out, recorded with the keyword, the message and the campaign target it answered.
  const [optedOut] = await db
    .select()
    .from(contacts)
    .where(eq(contacts.id, targets.get(phones[2]!)!.contactId));
  expect(optedOut!.optedOut).toBe(true);
  const [record] = await db
    .select()
    .from(consentRecords)
    .where(and(eq(consentRecords.contactId, optedOut!.id), eq(consentRecords.kind, "opt_out")));
  expect(record).toMatchObject({ source: "keyword", keyword: "SAIR", campaignId: campaign.id, campaignTargetId: targets.get(phones[2]!)!.id });
  expect(record!.messageId).not.toBeNull();

  const progress = await campaignProgress(owner, campaign.id);
  expect(progress).toEqual({
    total: 5,
    states: { pending: 0, scheduled: 0, sending: 0, sent: 0, delivered: 0, read: 2, replied: 1, failed: 0, skipped: 2 },
  });
  const report = await campaignReport(owner, campaign.id);
  const row = report.find((r) => r.phone === phones[2]);
  expect(row!.state).toBe("replied");
  expect(row!.optedOutAt).toBeInstanceOf(Date);
  const csvText = await withLocale({ locale: "pt-BR" }, () => campaignReportCsv(owner, campaign.id));
  const lines = csvText.trim().split("\n");
  expect(lines[0]).toBe("Telefone,Nome,Situação,Motivo,Erro,Tentativas,Variação,Enviado em,Entregue em,Lido em,Respondeu em,Descadastrou em");
  expect(lines).toHaveLength(6);
  expect(lines.find((l) => l.startsWith(phones[3]!))).toContain("Descadastrado (opt-out)");
  expect(lines.find((l) => l.startsWith(phones[4]!))).toContain("Contato bloqueado");
  expect(lines.find((l) => l.startsWith(phones[2]!))).toMatch(/Respondeu,.*\d{4}-\d\d-\d\dT.*Z$/);
  // Nothing left to send: the campaign completed.
  await dispatchDue();
  expect((await campaignProgress(owner, campaign.id)).states.sending).toBe(0);
});

test("a failed message is retried after the spacing, but not once the contact replied (stop-on-reply); pause holds and cancel skips the rest", async () => {
  // The simulated phone stays silent here: the provider reports the failures below instead.
  const timing = { ...sandboxTiming };
  Object.assign(sandboxTiming, { sentMs: 3_600_000, deliveredMs: 3_600_000, readMs: 3_600_000 });
  afterThis(() => Object.assign(sandboxTiming, timing));
  // A minute back: the simulated send times (a second apart) stay before the contacts' real replies.
  const start = new Date(Date.now() - 60_000);
  const { organization, owner } = await campaignOrg();
  const number = await sendingNumber(organization.id, 30, start);
  const campaign = await runningCampaign(
    owner,
    baseCampaign([number.id], phonesCsv(4, 600), { activeHours: ALWAYS, pacing: FAST, maxAttempts: 3, attemptSpacingMinutes: 5 }),
    start,
  );
  let now = await dispatchUntil(campaign.id, 2, start);
  await runOutboundOnce();
  await syncTargetStates(now);
  let targets = await targetsByPhone(campaign.id);
  const phones = [...targets.keys()].sort();
  const sent = phones.filter((p) => targets.get(p)!.attempts === 1);
  const providerId = async (phone: string) =>
    (
      await db
        .select()
        .from(messages)
        .where(eq(messages.id, targets.get(phone)!.messageId!))
    )[0]!.providerMessageId!;
  // Both messages fail; one contact then writes to us.
  await receipt(number, await providerId(sent[0]!), "failed");
  await receipt(number, await providerId(sent[1]!), "failed");
  await syncTargetStates(now);
  targets = await targetsByPhone(campaign.id);
  expect(targets.get(sent[0]!)!.state).toBe("scheduled");
  expect(targets.get(sent[0]!)!.nextAttemptAt!.getTime()).toBe(now.getTime() + 5 * 60_000);
  await contactWrites(number, sent[1]!, "recebi sim, obrigado");
  await syncTargetStates(now);
  expect((await targetsByPhone(campaign.id)).get(sent[1]!)!.state).toBe("replied");

  // Paused: nothing goes out even when due.
  await pauseCampaign(owner, campaign.id, now);
  now = new Date(now.getTime() + 6 * 60_000);
  await dispatchDue({ now });
  expect((await sendsOf(campaign.id)).length).toBe(2);
  await resumeCampaign(owner, campaign.id, now);
  now = await dispatchUntil(campaign.id, 4, now);
  const sends = await sendsOf(campaign.id);
  // The retry of the failed target is its attempt 2; the one who replied got nothing more.
  const retried = targets.get(sent[0]!)!.id;
  expect(
    sends
      .filter((s) => s.targetId === retried)
      .map((s) => s.attempt)
      .sort(),
  ).toEqual([1, 2]);
  expect(sends.filter((s) => s.targetId === targets.get(sent[1]!)!.id)).toHaveLength(1);
  await cancelCampaign(owner, campaign.id, now);
  targets = await targetsByPhone(campaign.id);
  expect([...targets.values()].filter((t) => t.state === "skipped").every((t) => t.skipReason === "cancelled")).toBe(true);
  await expect(resumeCampaign(owner, campaign.id, now)).rejects.toMatchObject({ code: "conflict" });
});

test("preview renders the first targets' messages in rotation; the risk check warns of capacity, young numbers and a high rate", async () => {
  const now = new Date("2026-12-07T12:00:00Z");
  const { organization, owner } = await campaignOrg();
  const young = await sendingNumber(organization.id, 2, now);
  const campaign = await runningCampaign(
    owner,
    baseCampaign([young.id], phonesCsv(50, 700), {
      pacing: { perMinute: 30, jitterPercent: 10, dailyCap: 10, warmupDays: 10, warmupStartPerDay: 4 },
      startsAt: now.toISOString(),
      endsAt: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
    }),
    now,
  );
  await pauseCampaign(owner, campaign.id, now);
  const preview = await previewCampaign(owner, campaign.id, 3);
  expect(preview.map((p) => p.body)).toEqual(["Oi Pessoa 700, A Plano 0", "Olá Pessoa 701, B Plano 1", "E aí Pessoa 702, C Plano 2"]);
  const risk = await withLocale({ locale: "en" }, () => riskCheck(owner, campaign.id, now));
  // Age 2 of 10 days: 4 + 6 × 2/10 → 5 a day, 5 weekdays in the 7 days → 25 of 50.
  expect(risk).toMatchObject({ audience: 50, perDay: 5, daysNeeded: 10, daysAvailable: 5 });
  expect(risk.warnings.map((w) => w.code).sort()).toEqual(["capacity", "rate_high", "young_number"]);
  expect(risk.warnings.find((w) => w.code === "capacity")!.message).toContain("only 25 will be reached");
});
