import { expect, test } from "bun:test";
import { and, asc, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { consentRecords, contacts, messages, triggerFirings } from "@/db/schema";
import { dispatchDue } from "@/features/campaigns/campaign.dispatch";
import { campaignProgress, campaignReport, campaignSummary, createCampaign, startCampaign } from "@/features/campaigns/campaign.service";
import { createTemplate } from "@/features/templates/template.service";
import { systemCaller } from "@/lib/caller";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { contactWrites } from "../automation/helpers";
import { app, baseCampaign, sendingNumber } from "./helpers";

const always = { weekdays: [0, 1, 2, 3, 4, 5, 6], start: "00:00", end: "23:59" };

/** An organization whose "any message" trigger answers everything: automation that must not see consent keywords. */
async function orgWithAutomation() {
  const org = await setupOrg(app);
  const owner = systemCaller("test", org.organization.id);
  await createTemplate(owner, { key: "welcome", body: "Bem-vindo ao bot!", variants: [], variables: [], active: true });
  const trigger = await api(app, "POST", "/v1/triggers", org.key, { match: "any", action: "reply_template", templateKey: "welcome" });
  expect(trigger.status).toBe(201);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  organizationId = org.organization.id;
  return { ...org, number };
}

async function outboundTo(contactId: string) {
  const rows = await db
    .select({ body: messages.body, sentBy: messages.sentBy })
    .from(messages)
    .where(and(eq(messages.contactId, contactId), eq(messages.direction, "outbound")))
    .orderBy(asc(messages.createdAt));
  return rows;
}

let organizationId = "";
async function contactByPhone(phone: string) {
  return (
    await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.organizationId, organizationId), eq(contacts.phone, phone)))
  )[0]!;
}

test('"SAIR" after a campaign message: opted out with the campaign recorded, confirmed in pt-BR, no bot answers it; later campaigns skip the contact', async () => {
  const org = await orgWithAutomation();
  const csv = "telefone,nome\n+5511970001001,Ana\n+5511970001002,Bruno";
  const campaign = await createCampaign(systemCaller("test", org.organization.id), {
    ...baseCampaign([org.number.id], csv),
    activeHours: always,
    pacing: { perMinute: 60, jitterPercent: 0, dailyCap: 100, warmupDays: 0, warmupStartPerDay: 1 },
  });
  await startCampaign(systemCaller("test", org.organization.id), campaign.id);
  await dispatchDue();
  const ana = await contactByPhone("+5511970001001");
  expect((await outboundTo(ana.id)).map((m) => m.sentBy)).toEqual(["campaign"]);

  // A control first: an ordinary message from Bruno is answered by the trigger.
  const bruno = await contactByPhone("+5511970001002");
  await contactWrites(org.number, "+5511970001002", "oi, tudo bem?");
  expect((await db.select().from(triggerFirings).where(eq(triggerFirings.contactId, bruno.id))).length).toBe(1);

  await contactWrites(org.number, "+5511970001001", "Sair!");
  const after = await contactByPhone("+5511970001001");
  expect(after.optedOut).toBe(true);
  const [record] = await db.select().from(consentRecords).where(eq(consentRecords.contactId, ana.id));
  expect(record).toMatchObject({ kind: "opt_out", source: "keyword", keyword: "SAIR", campaignId: campaign.id });
  // Confirmed to the contact in the organization's language, and no trigger fired on it.
  const texts = (await outboundTo(ana.id)).map((m) => m.body);
  expect(texts).toHaveLength(2);
  expect(texts[1]).toBe("Pronto, você não vai mais receber nossas mensagens. Se mudar de ideia, responda QUERO RECEBER.");
  expect(await db.select().from(triggerFirings).where(eq(triggerFirings.contactId, ana.id))).toEqual([]);
  expect(texts.some((t) => t?.includes("Bem-vindo"))).toBe(false);

  // The report says so: her target replied, opted out in answer to this campaign.
  await dispatchDue();
  const report = await campaignReport(systemCaller("test", org.organization.id), campaign.id);
  const anaRow = report.find((r) => r.phone === "+5511970001001")!;
  expect(anaRow.optedOutAt).toBeInstanceOf(Date);
  expect((await campaignSummary(systemCaller("test", org.organization.id), campaign.id)).optedOut).toBe(1);

  // A second campaign reaches Bruno but skips Ana with the reason.
  const second = await createCampaign(systemCaller("test", org.organization.id), {
    ...baseCampaign([org.number.id], csv),
    name: "Segunda",
    activeHours: always,
    pacing: { perMinute: 60, jitterPercent: 0, dailyCap: 100, warmupDays: 0, warmupStartPerDay: 1 },
  });
  await startCampaign(systemCaller("test", org.organization.id), second.id);
  await dispatchDue();
  const progress = await campaignProgress(systemCaller("test", org.organization.id), second.id);
  expect(progress.states.skipped).toBe(1);
  const secondReport = await campaignReport(systemCaller("test", org.organization.id), second.id);
  expect(secondReport.find((r) => r.phone === "+5511970001001")).toMatchObject({ state: "skipped", skipReason: "opted_out" });
  expect((await outboundTo(ana.id)).filter((m) => m.sentBy === "campaign")).toHaveLength(1);
});

test("the organization's own confirmation texts; an opt-in keyword opts an opted-out contact back in, confirmed and claimed; from anyone else it is recorded and left to automation", async () => {
  const org = await orgWithAutomation();
  const settings = await api(app, "PUT", "/v1/consent/settings", org.key, {
    optOutKeywords: ["cancelar"],
    optOutReply: "Ok, removemos seu número da lista.",
    optInReply: "  ",
  });
  expect(settings.status).toBe(200);
  expect(settings.body).toMatchObject({ optOutReply: "Ok, removemos seu número da lista.", optInReply: null });
  expect((await api(app, "GET", "/v1/consent/settings", org.key)).body.optOutReply).toBe("Ok, removemos seu número da lista.");
  const tooLong = await api(app, "PUT", "/v1/consent/settings", org.key, { optOutReply: "x".repeat(1001) });
  expect(tooLong.status).toBe(422);
  expect(tooLong.body.error.details[0].path).toBe("optOutReply");

  await contactWrites(org.number, "+5511970002001", "CANCELAR");
  const carla = await contactByPhone("+5511970002001");
  expect(carla.optedOut).toBe(true);
  expect((await outboundTo(carla.id)).map((m) => m.body)).toEqual(["Ok, removemos seu número da lista."]);

  await contactWrites(org.number, "+5511970002001", "quero receber");
  expect((await contactByPhone("+5511970002001")).optedOut).toBe(false);
  const texts = (await outboundTo(carla.id)).map((m) => m.body);
  expect(texts).toEqual(["Ok, removemos seu número da lista.", "Pronto, você voltará a receber nossas mensagens. Para parar, responda SAIR."]);
  expect(await db.select().from(triggerFirings).where(eq(triggerFirings.contactId, carla.id))).toEqual([]);
  const kinds = (await db.select().from(consentRecords).where(eq(consentRecords.contactId, carla.id))).map((r) => r.kind).sort();
  expect(kinds).toEqual(["opt_in", "opt_out"]);

  // "START" from a contact who never opted out is recorded, but it is an ordinary message: the bot answers it.
  await contactWrites(org.number, "+5511970002002", "Start");
  const diego = await contactByPhone("+5511970002002");
  expect((await db.select().from(consentRecords).where(eq(consentRecords.contactId, diego.id))).map((r) => r.kind)).toEqual(["opt_in"]);
  expect((await db.select().from(triggerFirings).where(eq(triggerFirings.contactId, diego.id))).length).toBe(1);

  // A sentence that merely contains the word is an ordinary message: the bot answers it.
  await contactWrites(org.number, "+5511970002001", "não posso sair hoje");
  expect((await db.select().from(triggerFirings).where(eq(triggerFirings.contactId, carla.id))).length).toBe(1);
  expect((await contactByPhone("+5511970002001")).optedOut).toBe(false);
});
