import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { auditLogs, campaignTargets, messages } from "@/db/schema";
import { dispatchDue } from "@/features/campaigns/campaign.dispatch";
import { runPromiseSweep } from "@/features/collections/promise.service";
import { debtVariables, formatBrl } from "@/features/collections/target.variables";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { app, sendingNumber } from "../campaigns/helpers";

let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let campaignId: string;
let instanceId: string;

const BODY = "Olá {{nome}}, sua fatura de {{valor}} venceu em {{vencimento}} (CPF {{documento}}, contrato {{contrato}}).";
const ALWAYS = { weekdays: [0, 1, 2, 3, 4, 5, 6], start: "00:00", end: "23:59" };

async function campaign(key: string, instance: string, name = "Cobrança dezembro") {
  const created = await api(app, "POST", "/v1/campaigns", key, {
    name,
    audience: { source: "csv", csv: "telefone,nome\n+5511988880001,Plano antigo\n" },
    message: { body: BODY },
    instanceIds: [instance],
    activeHours: ALWAYS,
    pacing: { perMinute: 60, jitterPercent: 0, dailyCap: 100, warmupDays: 0, warmupStartPerDay: 1 },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Cobranças A" });
  other = await setupOrg(app, { orgName: "Cobranças B" });
  instanceId = (await sendingNumber(org.organization.id, 60, new Date())).id;
  campaignId = await campaign(org.key, instanceId);
});

describe("collection targets", () => {
  test("formatting: R$ 1.234,56 and dd/mm/aaaa, masked CPF, metadata fields as variables (fixed names win)", () => {
    expect(formatBrl(123456)).toBe("R$ 1.234,56");
    expect(formatBrl(5)).toBe("R$ 0,05");
    expect(
      debtVariables({
        debtorName: "Ana",
        document: "52998224725",
        amountCents: 100000000,
        dueDate: "2031-03-10",
        metadata: { contrato: "C-9", valor: "x", nested: { a: 1 } },
      }),
    ).toMatchObject({ valor: "R$ 1.000.000,00", vencimento: "10/03/2031", documento: "529.982.247-25", devedor: "Ana", contrato: "C-9" });
  });

  test("created over the API with validated fields; 422s name the field; another organization's ids are 404", async () => {
    const base = {
      campaignId,
      phone: "+55 11 98888-0002",
      debtorName: "Bruna Lima",
      amountCents: 123456,
      dueDate: "2031-03-10",
      metadata: { contrato: "CT-77" },
    };
    const bad = async (patch: Record<string, unknown>) => (await api(app, "POST", "/v1/collections/targets", org.key, { ...base, ...patch })).body.error;
    expect((await bad({ document: "111.111.111-11" })).details[0].path).toBe("document");
    expect((await bad({ dueDate: "2031-02-30" })).details[0].path).toBe("dueDate");
    expect((await bad({ amountCents: 0 })).details[0].path).toBe("amountCents");
    expect((await bad({ phone: "abc" })).details[0].path).toBe("phone");
    expect((await bad({ metadata: { big: "x".repeat(9000) } })).details[0].path).toBe("metadata");
    const foreignCampaign = await campaign(other.key, (await sendingNumber(other.organization.id, 60, new Date())).id, "Deles");
    const foreign = await api(app, "POST", "/v1/collections/targets", org.key, { ...base, campaignId: foreignCampaign });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details[0].path).toBe("campaignId");
    // Portuguese messages for a Portuguese reader.
    const pt = await api(app, "POST", "/v1/collections/targets", org.key, { ...base, document: "123" }, { "accept-language": "pt-BR" });
    expect(pt.body.error.details[0].message).toBe("CPF ou CNPJ inválido.");

    const created = await api(app, "POST", "/v1/collections/targets", org.key, { ...base, document: "529.982.247-25" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      campaignId,
      debtorName: "Bruna Lima",
      document: "52998224725",
      documentType: "cpf",
      amountCents: 123456,
      dueDate: "2031-03-10",
      metadata: { contrato: "CT-77" },
      state: "pending",
      contact: { phone: "+5511988880002", name: "Bruna Lima" },
      promises: [],
    });
    // The campaign has one debt per contact.
    expect((await api(app, "POST", "/v1/collections/targets", org.key, base)).status).toBe(409);
    const id = created.body.id;
    expect((await api(app, "GET", `/v1/collections/targets/${id}`, other.key)).status).toBe(404);
    expect((await api(app, "PATCH", `/v1/collections/targets/${id}`, other.key, { amountCents: 1 })).status).toBe(404);
    expect((await api(app, "GET", "/v1/collections/targets", other.key)).body.data.map((t: { id: string }) => t.id)).not.toContain(id);
    expect((await api(app, "GET", `/v1/collections/targets?campaignId=${campaignId}`, org.key)).body.data.map((t: { id: string }) => t.id)).toEqual([id]);
    expect((await api(app, "PATCH", `/v1/collections/targets/${id}`, org.key, { dueDate: "2031-13-01" })).status).toBe(422);
    const audit = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, id)));
    expect(audit.map((a) => a.action)).toEqual(["collection_target.created"]);
  });

  test("campaign messages render the debt: preview, the sent message after a correction, and a promise in that conversation links to the target", async () => {
    const [target] = (await api(app, "GET", `/v1/collections/targets?campaignId=${campaignId}`, org.key)).body.data;
    const preview = await api(app, "GET", `/v1/campaigns/${campaignId}/preview`, org.key);
    const bodies = preview.body.data.map((p: { body: string }) => p.body);
    // The CSV target has no debt (its variables are empty); the debtor's message carries the debt.
    expect(bodies).toContain("Olá Bruna Lima, sua fatura de R$ 1.234,56 venceu em 10/03/2031 (CPF 529.982.247-25, contrato CT-77).");
    // Corrected before sending: the message renders the new values.
    const patched = await api(app, "PATCH", `/v1/collections/targets/${target.id}`, org.key, { amountCents: 99990, dueDate: "2031-04-05" });
    expect(patched.body).toMatchObject({ amountCents: 99990, dueDate: "2031-04-05" });
    expect((await api(app, "POST", `/v1/campaigns/${campaignId}/start`, org.key)).status).toBe(200);
    for (let i = 0; i < 3; i++) await dispatchDue({ now: new Date(Date.now() + i * 61_000), random: () => 0 });
    const [row] = await db.select({ messageId: campaignTargets.messageId }).from(campaignTargets).where(eq(campaignTargets.id, target.id));
    const [sent] = await db.select({ body: messages.body, conversationId: messages.conversationId }).from(messages).where(eq(messages.id, row!.messageId!));
    expect(sent!.body).toBe("Olá Bruna Lima, sua fatura de R$ 999,90 venceu em 05/04/2031 (CPF 529.982.247-25, contrato CT-77).");

    // The debtor promises in that conversation: the promise answers the target.
    const promise = await api(app, "POST", "/v1/collections/promises", org.key, {
      conversationId: sent!.conversationId,
      amountCents: 99990,
      dueDate: "2031-04-10",
      method: "pix",
    });
    expect(promise.status).toBe(201);
    expect(promise.body.targetId).toBe(target.id);
    expect((await api(app, "GET", `/v1/collections/targets/${target.id}`, org.key)).body.promises).toEqual([{ id: promise.body.id, status: "pending" }]);
    // A promise by phone names no conversation: no link unless the target is given (and it must be the contact's).
    const byPhone = await api(app, "POST", "/v1/collections/promises", org.key, { phone: "+5511988880002", amountCents: 100, dueDate: "2031-04-11" });
    expect(byPhone.body.targetId).toBeNull();
    const named = await api(app, "POST", "/v1/collections/promises", org.key, {
      phone: "+5511988880002",
      amountCents: 100,
      dueDate: "2031-04-12",
      targetId: target.id,
    });
    expect(named.body.targetId).toBe(target.id);
    const wrong = await api(app, "POST", "/v1/collections/promises", org.key, {
      phone: "+5511988880001",
      amountCents: 100,
      dueDate: "2031-04-12",
      targetId: target.id,
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details[0].path).toBe("targetId");
  });
});

describe("collection settings drive the promise rules", () => {
  test("allowed methods and the furthest promised day are enforced (422 on the field); bad settings are 422; audited", async () => {
    const s = await setupOrg(app, { orgName: "Regras" });
    expect((await api(app, "GET", "/v1/collections/settings", s.key)).body).toMatchObject({
      remindersEnabled: true,
      reminderDaysBefore: 1,
      promiseMaxDays: null,
      allowedMethods: ["boleto", "pix", "card", "other"],
    });
    expect((await api(app, "PUT", "/v1/collections/settings", s.key, { reminderDaysBefore: 99 })).body.error.details[0].path).toBe("reminderDaysBefore");
    expect((await api(app, "PUT", "/v1/collections/settings", s.key, { allowedMethods: [] })).body.error.details[0].path).toBe("allowedMethods");
    expect((await api(app, "PUT", "/v1/collections/settings", s.key, { allowedMethods: ["cheque"] })).status).toBe(422);
    const saved = await api(app, "PUT", "/v1/collections/settings", s.key, { allowedMethods: ["pix", "boleto"], promiseMaxDays: 10, reminderDaysBefore: 3 });
    expect(saved.body).toMatchObject({ allowedMethods: ["pix", "boleto"], promiseMaxDays: 10, reminderDaysBefore: 3, remindersEnabled: true });
    // Another organization keeps the defaults.
    expect((await api(app, "GET", "/v1/collections/settings", other.key)).body.promiseMaxDays).toBeNull();

    const conv = await api(app, "POST", "/v1/contacts", s.key, { phone: "+5511977770001", name: "Caio" });
    expect(conv.status).toBe(201);
    const soon = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const far = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
    const card = await api(app, "POST", "/v1/collections/promises", s.key, { phone: "+5511977770001", amountCents: 100, dueDate: soon, method: "card" });
    expect(card.status).toBe(422);
    expect(card.body.error.details[0].path).toBe("method");
    const tooFar = await api(app, "POST", "/v1/collections/promises", s.key, { phone: "+5511977770001", amountCents: 100, dueDate: far, method: "pix" });
    expect(tooFar.body.error.details[0].path).toBe("dueDate");
    expect(
      (await api(app, "POST", "/v1/collections/promises", s.key, { phone: "+5511977770001", amountCents: 100, dueDate: soon, method: "pix" })).status,
    ).toBe(201);
    const audit = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, s.organization.id), eq(auditLogs.action, "collection_settings.updated")));
    expect(audit).toHaveLength(1);
  });

  test("the reminder goes the configured number of days before, and not at all when reminders are off", async () => {
    const s = await setupOrg(app, { orgName: "Lembretes" });
    const instance = await sendingNumber(s.organization.id, 60, new Date());
    const contact = await api(app, "POST", "/v1/contacts", s.key, { phone: "+5511966660001", name: "Duda" });
    // A conversation on the number, so the reminder has somewhere to go.
    await api(app, "POST", "/v1/messages", s.key, { instanceId: instance.id, to: "+5511966660001", type: "text", text: "Oi" });
    await api(app, "PUT", "/v1/collections/settings", s.key, { reminderDaysBefore: 3 });
    const p = await api(app, "POST", "/v1/collections/promises", s.key, { contactId: contact.body.id, amountCents: 5000, dueDate: "2031-06-20" });
    expect(p.status).toBe(201);
    const noon = (day: string) => new Date(`${day}T15:00:00Z`);
    await runPromiseSweep(noon("2031-06-19"));
    expect((await api(app, "GET", `/v1/collections/promises/${p.body.id}`, s.key)).body.reminderSentAt).toBeNull();
    await runPromiseSweep(noon("2031-06-17"));
    expect((await api(app, "GET", `/v1/collections/promises/${p.body.id}`, s.key)).body.reminderSentAt).not.toBeNull();

    await api(app, "PUT", "/v1/collections/settings", s.key, { remindersEnabled: false });
    const q = await api(app, "POST", "/v1/collections/promises", s.key, { contactId: contact.body.id, amountCents: 5000, dueDate: "2031-07-20" });
    await runPromiseSweep(noon("2031-07-17"));
    expect((await api(app, "GET", `/v1/collections/promises/${q.body.id}`, s.key)).body.reminderSentAt).toBeNull();
  });
});
