import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { crmSyncConfigs, users } from "@/db/schema";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { app, sendingNumber } from "../campaigns/helpers";

let server: ReturnType<typeof Bun.serve>;

beforeAll(() => {
  config.allowPrivateWebhookTargets = true;
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) =>
      req.headers.get("authorization") === "Bearer page-key"
        ? Response.json([{ fone: "+5511933330001", nome: "Lia", valor: 4990, venc: "2031-09-01" }])
        : new Response("no", { status: 401 }),
  });
});
afterAll(() => server.stop(true));

test("pages: CRM sync create (422 re-render, then saved), show with runs and sync now, rules, debtors; agents are kept out of the CRM pages", async () => {
  const org = await setupOrg(app, { orgName: "Páginas cobrança" });
  const other = await setupOrg(app, { orgName: "Outra" });
  await db.update(users).set({ language: "pt-BR" }).where(eq(users.id, org.user.id));
  const client = await signIn(app, org.user.id, org.organization.id);
  const instance = await sendingNumber(org.organization.id, 60, new Date());
  const campaign = await api(app, "POST", "/v1/campaigns", org.key, {
    name: "Cobrança página",
    audience: { source: "csv", csv: "telefone,nome\n+5511933330009,Zé\n" },
    message: { body: "{{devedor}} {{valor}}" },
    instanceIds: [instance.id],
    activeHours: { weekdays: [1, 2, 3, 4, 5], start: "09:00", end: "18:00" },
    pacing: { perMinute: 5, dailyCap: 100 },
  });

  const index = await (await client.get("/collections/crm-syncs")).text();
  expect(index).toContain("Sincronização com CRM");
  expect(index).toContain("Cobrança página");
  const form = {
    name: "ERP",
    url: `http://127.0.0.1:${server.port}/devedores?token=zzz`,
    apiKey: "page-key",
    authHeader: "Authorization",
    "mapping.phone": "fone",
    "mapping.name": "nome",
    "mapping.document": "",
    "mapping.amount": "valor",
    "mapping.amountUnit": "cents",
    "mapping.dueDate": "venc",
    "mapping.metadata": "",
    dateRangeType: "relative",
    dateRangeDays: "",
    dateRangeFrom: "",
    dateRangeTo: "",
    minAmountCents: "",
    maxAmountCents: "",
    dedupeBy: "phone",
    intervalMinutes: "60",
    campaignId: campaign.body.id,
    enabled: ["false", "true"],
    updateExisting: ["false", "true"],
  };
  const invalid = await client.postForm("/collections/crm-syncs", form, { htmx: true });
  expect(invalid.status).toBe(422);
  const invalidHtml = await invalid.text();
  expect(invalidHtml).toContain("Informe quantos dias");
  expect(invalidHtml).not.toContain("page-key");
  const created = await client.postForm("/collections/crm-syncs", { ...form, dateRangeType: "none" }, { htmx: true });
  expect(created.status).toBe(204);
  const [row] = await db.select().from(crmSyncConfigs).where(eq(crmSyncConfigs.organizationId, org.organization.id));
  expect(row!.mapping).toMatchObject({ phone: "fone", name: "nome", document: null, metadata: [] });

  // Sync now from the page, then the run shows on it.
  expect((await client.postForm(`/collections/crm-syncs/${row!.id}/run`, {}, { htmx: true })).status).toBe(204);
  let show = "";
  for (let i = 0; i < 50 && !show.includes("Concluída"); i++) {
    await Bun.sleep(100);
    show = await (await client.get(`/collections/crm-syncs/${row!.id}`)).text();
  }
  expect(show).toContain("Concluída");
  expect(show).toContain("1 lidos, 1 criados");
  expect(show).toContain("token=•••");
  expect(show).not.toContain("page-key");
  expect(show).not.toContain("zzz");
  // Editing with the URL and key left empty keeps them.
  const kept = await client.postForm(
    `/collections/crm-syncs/${row!.id}`,
    { ...form, url: "", apiKey: "", dateRangeType: "none", name: "ERP 2" },
    { htmx: true },
  );
  expect(kept.status).toBe(204);
  const [after] = await db.select().from(crmSyncConfigs).where(eq(crmSyncConfigs.id, row!.id));
  expect([after!.name, after!.urlEncrypted, after!.apiKeyEncrypted]).toEqual(["ERP 2", row!.urlEncrypted, row!.apiKeyEncrypted]);
  expect((await other.client.get(`/collections/crm-syncs/${row!.id}`)).status).toBe(404);
  expect((await other.client.postForm(`/collections/crm-syncs/${row!.id}/run`, {}, { htmx: true })).status).toBe(404);

  const debtors = await (await client.get(`/collections/targets?campaignId=${campaign.body.id}`)).text();
  expect(debtors).toContain("Lia");
  expect(debtors).toContain("R$ 49,90");
  expect(debtors).toContain("01/09/2031");

  expect(await (await client.get("/collections/settings")).text()).toContain("Regras de cobrança");
  expect(
    (await client.postForm("/collections/settings", { remindersEnabled: "false", reminderDaysBefore: "99", promiseMaxDays: "" }, { htmx: true })).status,
  ).toBe(422);
  const saved = await client.postForm(
    "/collections/settings",
    { remindersEnabled: ["false", "true"], reminderDaysBefore: "2", promiseMaxDays: "15", allowedMethods: ["pix", "boleto"] },
    { htmx: true },
  );
  expect(saved.status).toBe(204);
  expect((await api(app, "GET", "/v1/collections/settings", org.key)).body).toMatchObject({
    reminderDaysBefore: 2,
    promiseMaxDays: 15,
    allowedMethods: ["pix", "boleto"],
  });

  const agent = await createMember(org.organization.id, "agent");
  const agentClient = await signIn(app, agent.id, org.organization.id);
  expect((await agentClient.get("/collections/crm-syncs")).status).toBe(403);
  expect((await agentClient.get("/collections/targets")).status).toBe(200);

  expect((await client.postForm(`/collections/crm-syncs/${row!.id}/delete`, {}, { htmx: true })).status).toBe(204);
  expect((await client.get(`/collections/crm-syncs/${row!.id}`)).status).toBe(404);
});
