import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { auditLogs, crmSyncConfigs } from "@/db/schema";
import { runDueCrmSyncs } from "@/features/collections/crm-sync.run";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { app, sendingNumber } from "../campaigns/helpers";

/**
 * A CRM on 127.0.0.1 speaking the accepted shape: `{data, next}` pages (next relative) or a bare array.
 * It wants `Authorization: Bearer crm-secret-key` and records what it was sent.
 */
type Rec = Record<string, unknown>;
let pages: (Rec | string)[][] = [];
const seenAuth: string[] = [];
let server: ReturnType<typeof Bun.serve>;
let base: string;
const UPSTREAM_SECRET = "UPSTREAM-STACKTRACE-password=hunter2";

beforeAll(() => {
  config.allowPrivateWebhookTargets = true;
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      seenAuth.push(req.headers.get("authorization") ?? req.headers.get("x-api-key") ?? "");
      if (req.headers.get("authorization") !== "Bearer crm-secret-key" && req.headers.get("x-api-key") !== "crm-secret-key")
        return new Response("no", { status: 401 });
      if (url.pathname === "/debtors") {
        const page = Number(url.searchParams.get("page") ?? "1");
        const next = page < pages.length ? `/debtors?page=${page + 1}&token=abc` : null;
        return Response.json({ data: pages[page - 1] ?? [], next });
      }
      if (url.pathname === "/array") return Response.json(pages.flat());
      if (url.pathname === "/error") return new Response(UPSTREAM_SECRET, { status: 500 });
      if (url.pathname === "/redirect") return new Response(UPSTREAM_SECRET, { status: 302, headers: { location: "/debtors" } });
      if (url.pathname === "/notjson") return new Response(`<html>${UPSTREAM_SECRET}</html>`);
      if (url.pathname === "/elsewhere") return Response.json({ data: [], next: "http://example.com/steal" });
      if (url.pathname === "/slow") {
        await Bun.sleep(1500);
        return Response.json([]);
      }
      return new Response("not found", { status: 404 });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(() => {
  server.stop(true);
});

let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;
let campaignId: string;
let otherCampaignId: string;

async function campaign(key: string, organizationId: string, name: string) {
  const instance = await sendingNumber(organizationId, 60, new Date());
  const created = await api(app, "POST", "/v1/campaigns", key, {
    name,
    audience: { source: "csv", csv: "telefone,nome\n+5511900000001,Semente\n" },
    message: { body: "{{devedor}}: {{valor}} venceu em {{vencimento}}" },
    instanceIds: [instance.id],
    activeHours: { weekdays: [1, 2, 3, 4, 5], start: "09:00", end: "18:00" },
    pacing: { perMinute: 5, dailyCap: 100 },
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

const mapping = {
  phone: "telefone",
  name: "cliente.nome",
  document: "cpf",
  amount: "valor",
  amountUnit: "cents",
  dueDate: "vencimento",
  metadata: ["contrato"],
};
const valid = (over: Record<string, unknown> = {}) => ({
  name: "ERP cobrança",
  url: `${base}/debtors?page=1&token=abc`,
  apiKey: "crm-secret-key",
  mapping,
  dateRangeType: "fixed",
  dateRangeFrom: "2031-01-01",
  dateRangeTo: "2031-12-31",
  minAmountCents: 1000,
  maxAmountCents: 500000,
  dedupeBy: "document",
  updateExisting: true,
  intervalMinutes: 60,
  campaignId,
  ...over,
});

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "CRM A" });
  other = await setupOrg(app, { orgName: "CRM B" });
  campaignId = await campaign(org.key, org.organization.id, "Cobrança CRM");
  otherCampaignId = await campaign(other.key, other.organization.id, "Outra");
});

const run = async (id: string, key = org.key) => api(app, "POST", `/v1/collections/crm-syncs/${id}/run?wait=true`, key);
const targetsOf = async (campaign: string) =>
  (await api(app, "GET", `/v1/collections/targets?campaignId=${campaign}&limit=200`, org.key)).body.data as {
    debtorName: string;
    document: string;
    amountCents: number;
    dueDate: string;
    metadata: Rec;
    contact: { phone: string; name: string };
    crmSyncId: string;
  }[];

describe("CRM sync", () => {
  let syncId: string;

  test("configs: 422s name the field; the URL and key are stored encrypted and never returned", async () => {
    const bad = async (over: Record<string, unknown>) =>
      (await api(app, "POST", "/v1/collections/crm-syncs", org.key, valid(over))).body.error?.details?.[0]?.path;
    expect(await bad({ url: "ftp://crm.example.com/x" })).toBe("url");
    expect(await bad({ dateRangeType: "relative", dateRangeDays: null })).toBe("dateRangeDays");
    expect(await bad({ dateRangeFrom: "2031-12-31", dateRangeTo: "2031-01-01" })).toBe("dateRangeTo");
    expect(await bad({ minAmountCents: 9000, maxAmountCents: 100 })).toBe("maxAmountCents");
    expect(await bad({ mapping: { ...mapping, phone: "tele fone" } })).toBe("mapping.phone");
    expect(await bad({ intervalMinutes: 1 })).toBe("intervalMinutes");
    expect(await bad({ dedupeBy: "email" })).toBe("dedupeBy");
    expect(await bad({ campaignId: otherCampaignId })).toBe("campaignId");
    const pt = await api(app, "POST", "/v1/collections/crm-syncs", org.key, valid({ name: "" }), { "accept-language": "pt-BR" });
    expect(pt.body.error.details[0]).toEqual({ path: "name", message: "Informe um nome." });

    const created = await api(app, "POST", "/v1/collections/crm-syncs", org.key, valid());
    expect(created.status).toBe(201);
    syncId = created.body.id;
    expect(created.body).toMatchObject({ url: `${base}/debtors?page=•••&token=•••`, apiKey: "••••-key", authHeader: "Authorization", enabled: true });
    const shown = JSON.stringify([created.body, (await api(app, "GET", `/v1/collections/crm-syncs/${syncId}`, org.key)).body]);
    expect(shown).not.toContain("crm-secret-key");
    expect(shown).not.toContain("abc");
    const [stored] = await db.select().from(crmSyncConfigs).where(eq(crmSyncConfigs.id, syncId));
    expect(stored!.urlEncrypted.startsWith("v1.")).toBe(true);
    expect(stored!.urlEncrypted).not.toContain("127.0.0.1");
    expect(stored!.apiKeyEncrypted!.startsWith("v1.")).toBe(true);
    expect(stored!.apiKeyEncrypted).not.toContain("crm-secret-key");
  });

  test("a run follows the pages with the decrypted key, filters by due date and amount, dedupes by document, and counts skips by reason", async () => {
    pages = [
      [
        { telefone: "+55 11 91111-0001", cliente: { nome: "Ana Souza" }, cpf: "529.982.247-25", valor: 123456, vencimento: "2031-03-10", contrato: "C-1" },
        { telefone: "não tem", cpf: "11144477735", valor: 5000, vencimento: "2031-03-10" },
        { telefone: "+5511911110003", cpf: "123.456.789-00", valor: 5000, vencimento: "2031-03-10" },
        { telefone: "+5511911110004", cpf: "11144477735", valor: 999, vencimento: "2031-03-10" },
        { telefone: "+5511911110005", cpf: "11144477735", valor: 5000, vencimento: "2030-12-31" },
        { telefone: "+5511911110006", cpf: "52998224725", valor: 7000, vencimento: "2031-03-11" },
        "not a record",
      ],
      [
        { telefone: "11911110007", cliente: { nome: "Caio" }, cpf: "11.222.333/0001-81", valor: "2500", vencimento: "15/04/2031T", contrato: "C-7" },
        { telefone: "11911110008", cliente: { nome: "Caio" }, cpf: "11.222.333/0001-81", valor: 2500, vencimento: "15/04/2031" },
        { telefone: "+5511911110009", cpf: "11144477735", valor: 600000, vencimento: "2031-05-01" },
        { telefone: "+5511911110010", valor: 5000, vencimento: "2031-05-01" },
      ],
    ];
    seenAuth.length = 0;
    const result = await run(syncId);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: "partial", trigger: "manual", pages: 2, fetched: 11, created: 2, updated: 0, skipped: 9, error: null });
    expect(result.body.skipReasons).toEqual({
      invalid_phone: 1,
      invalid_document: 1,
      below_min: 1,
      out_of_range: 1,
      duplicate: 1,
      not_an_object: 1,
      invalid_due_date: 1,
      above_max: 1,
      missing_document: 1,
    });
    expect(result.body.skippedSamples.slice(0, 2)).toEqual([
      { record: 2, reason: "invalid_phone" },
      { record: 3, reason: "invalid_document" },
    ]);
    expect(seenAuth).toEqual(["Bearer crm-secret-key", "Bearer crm-secret-key"]);
    const targets = await targetsOf(campaignId);
    expect(targets.map((t) => [t.contact.phone, t.debtorName, t.document, t.amountCents, t.dueDate, t.metadata]).sort()).toEqual([
      ["+5511911110001", "Ana Souza", "52998224725", 123456, "2031-03-10", { contrato: "C-1" }],
      ["+5511911110008", "Caio", "11222333000181", 2500, "2031-04-15", {}],
    ]);
    expect(targets.every((t) => t.crmSyncId === syncId)).toBe(true);
    // The debtors render in the campaign's messages.
    const preview = (await api(app, "GET", `/v1/campaigns/${campaignId}/preview?limit=5`, org.key)).body.data.map((p: { body: string }) => p.body);
    expect(preview).toContain("Ana Souza: R$ 1.234,56 venceu em 10/03/2031");
    const shown = (await api(app, "GET", `/v1/collections/crm-syncs/${syncId}`, org.key)).body;
    expect(shown.lastSync).toMatchObject({ status: "partial", fetched: 11, created: 2, updated: 0, skipped: 9, error: null });
    expect(shown.running).toBe(false);
  });

  test("the next run updates changed debts, skips unchanged ones; without updateExisting they are skipped as existing", async () => {
    pages = [
      [
        { telefone: "+5511911110001", cliente: { nome: "Ana Souza" }, cpf: "52998224725", valor: 150000, vencimento: "2031-03-20", contrato: "C-1" },
        { telefone: "11911110008", cliente: { nome: "Caio" }, cpf: "11222333000181", valor: 2500, vencimento: "2031-04-15" },
      ],
    ];
    const again = await run(syncId);
    expect(again.body).toMatchObject({ status: "success", fetched: 2, created: 0, updated: 1, skipped: 1, skipReasons: { unchanged: 1 } });
    const ana = (await targetsOf(campaignId)).find((t) => t.document === "52998224725")!;
    expect([ana.amountCents, ana.dueDate]).toEqual([150000, "2031-03-20"]);

    expect((await api(app, "PATCH", `/v1/collections/crm-syncs/${syncId}`, org.key, { updateExisting: false })).body.updateExisting).toBe(false);
    (pages[0]![0] as Rec).valor = 160000;
    const kept = await run(syncId);
    expect(kept.body).toMatchObject({ status: "success", created: 0, updated: 0, skipped: 2, skipReasons: { exists: 2 } });
    await api(app, "PATCH", `/v1/collections/crm-syncs/${syncId}`, org.key, { updateExisting: true });
  });

  test("dedupe by phone, a bare array, reais and another auth header", async () => {
    const secondCampaign = await campaign(org.key, org.organization.id, "Por telefone");
    pages = [
      [
        { fone: "+5511922220001", doc: "52998224725", total: "1.234,56", venc: "2031-02-01T10:00:00-03:00" },
        { fone: "+55 11 92222-0001", doc: "11144477735", total: 99.9, venc: "2031-02-02" },
        { fone: "+5511922220002", total: "R$ 10,00", venc: "2031-02-03" },
      ],
    ];
    const created = await api(app, "POST", "/v1/collections/crm-syncs", org.key, {
      name: "Planilha",
      url: `${base}/array`,
      apiKey: "crm-secret-key",
      authHeader: "X-Api-Key",
      mapping: { phone: "fone", document: "doc", amount: "total", amountUnit: "reais", dueDate: "venc" },
      dedupeBy: "phone",
      campaignId: secondCampaign,
    });
    expect(created.status).toBe(201);
    seenAuth.length = 0;
    const result = await run(created.body.id);
    expect(result.body).toMatchObject({ status: "success", pages: 1, fetched: 3, created: 2, skipped: 1, skipReasons: { duplicate: 1 } });
    expect(seenAuth).toEqual(["crm-secret-key"]);
    expect((await targetsOf(secondCampaign)).map((t) => [t.contact.phone, t.amountCents, t.dueDate]).sort()).toEqual([
      ["+5511922220001", 123456, "2031-02-01"],
      ["+5511922220002", 1000, "2031-02-03"],
    ]);
  });

  test("error statuses, redirects, non-JSON and a next page elsewhere fail the run in our words (the organization's language), never echoing the body", async () => {
    const cases: [string, string][] = [
      ["/error", "A fonte respondeu HTTP 500."],
      ["/redirect", "A fonte respondeu 302 com um redirecionamento, que não é seguido."],
      ["/notjson", "A resposta não é JSON."],
      ["/nothing-here", "A fonte respondeu HTTP 404."],
    ];
    for (const [path, error] of cases) {
      const created = await api(app, "POST", "/v1/collections/crm-syncs", org.key, valid({ name: path, url: `${base}${path}` }));
      const result = await run(created.body.id);
      expect(result.body).toMatchObject({ status: "failed", error, fetched: 0, created: 0 });
      const shown = await api(app, "GET", `/v1/collections/crm-syncs/${created.body.id}`, org.key);
      expect(shown.body.lastSync).toMatchObject({ status: "failed", error });
      expect(JSON.stringify([result.body, shown.body])).not.toContain("UPSTREAM");
    }
    // The key is only sent to the configured origin: a `next` elsewhere stops the run after its page.
    const elsewhere = await api(app, "POST", "/v1/collections/crm-syncs", org.key, valid({ name: "elsewhere", url: `${base}/elsewhere` }));
    expect((await run(elsewhere.body.id)).body).toMatchObject({ status: "partial", pages: 1, error: expect.stringContaining("outro endereço") });
    // A wrong key is a 401 recorded as such.
    const wrongKey = await api(app, "POST", "/v1/collections/crm-syncs", org.key, valid({ name: "wrong key", apiKey: "nope" }));
    expect((await run(wrongKey.body.id)).body.error).toBe("A fonte respondeu HTTP 401.");
  });

  test("the outbound guard refuses private addresses at save time (422) and at run time (failed)", async () => {
    config.allowPrivateWebhookTargets = false;
    try {
      const refused = await api(app, "POST", "/v1/collections/crm-syncs", org.key, valid({ url: "http://127.0.0.1:9/debtors" }));
      expect(refused.status).toBe(422);
      expect(refused.body.error.details[0].path).toBe("url");
      expect((await api(app, "PATCH", `/v1/collections/crm-syncs/${syncId}`, org.key, { url: "http://10.0.0.5/x" })).status).toBe(422);
      // Saved while allowed, run while not: the run is refused before any connection.
      seenAuth.length = 0;
      const result = await run(syncId);
      expect(result.body).toMatchObject({ status: "failed", error: "O endereço foi recusado: só endereços públicos da internet podem ser consultados." });
      expect(seenAuth).toEqual([]);
    } finally {
      config.allowPrivateWebhookTargets = true;
    }
  });

  test("one run at a time per config (the lease): sync now answers 202, a second is 409 and the scheduler skips it; then the schedule runs due configs once", async () => {
    const slow = await api(app, "POST", "/v1/collections/crm-syncs", org.key, valid({ name: "slow", url: `${base}/slow` }));
    // Other configs are not due for this test.
    await db
      .update(crmSyncConfigs)
      .set({ nextRunAt: new Date(Date.now() + 3_600_000) })
      .where(eq(crmSyncConfigs.organizationId, org.organization.id));
    await db
      .update(crmSyncConfigs)
      .set({ nextRunAt: new Date(Date.now() - 1000) })
      .where(eq(crmSyncConfigs.id, slow.body.id));
    const started = await api(app, "POST", `/v1/collections/crm-syncs/${slow.body.id}/run`, org.key);
    expect(started.status).toBe(202);
    expect(started.body.status).toBe("running");
    expect((await api(app, "POST", `/v1/collections/crm-syncs/${slow.body.id}/run`, org.key)).status).toBe(409);
    expect((await api(app, "GET", `/v1/collections/crm-syncs/${slow.body.id}`, org.key)).body.running).toBe(true);
    expect(await runDueCrmSyncs()).toEqual([]);
    let finished: { status: string } | undefined;
    for (let i = 0; i < 50 && finished?.status !== "success"; i++) {
      await Bun.sleep(100);
      finished = (await api(app, "GET", `/v1/collections/crm-syncs/${slow.body.id}/runs/${started.body.id}`, org.key)).body;
    }
    expect(finished?.status).toBe("success");

    // The scheduler: due (enabled, next time passed) configs run once, then wait their interval.
    const now = new Date();
    await db
      .update(crmSyncConfigs)
      .set({ nextRunAt: new Date(now.getTime() - 1000) })
      .where(eq(crmSyncConfigs.id, slow.body.id));
    const ran = await runDueCrmSyncs(3, now);
    expect(ran.map((r) => [r.configId, r.trigger, r.status])).toEqual([[slow.body.id, "schedule", "success"]]);
    expect(await runDueCrmSyncs(3, now)).toEqual([]);
    const [row] = await db.select().from(crmSyncConfigs).where(eq(crmSyncConfigs.id, slow.body.id));
    expect(row!.nextRunAt.getTime()).toBe(now.getTime() + 60 * 60_000);
    expect(row!.leaseUntil).toBeNull();
    // Disabled configs are not scheduled.
    await api(app, "PATCH", `/v1/collections/crm-syncs/${slow.body.id}`, org.key, { enabled: false });
    await db
      .update(crmSyncConfigs)
      .set({ nextRunAt: new Date(now.getTime() - 1000) })
      .where(eq(crmSyncConfigs.id, slow.body.id));
    expect(await runDueCrmSyncs(3, now)).toEqual([]);
    const runs = (await api(app, "GET", `/v1/collections/crm-syncs/${slow.body.id}/runs`, org.key)).body.data;
    expect(runs.map((r: { trigger: string }) => r.trigger)).toEqual(["schedule", "manual"]);
  });

  test("another organization's configs and runs are 404; changes are audited; delete", async () => {
    const runs = (await api(app, "GET", `/v1/collections/crm-syncs/${syncId}/runs`, org.key)).body.data;
    expect(runs.length).toBeGreaterThan(2);
    for (const [method, path, body] of [
      ["GET", `/v1/collections/crm-syncs/${syncId}`],
      ["PATCH", `/v1/collections/crm-syncs/${syncId}`, { name: "x" }],
      ["POST", `/v1/collections/crm-syncs/${syncId}/run`],
      ["GET", `/v1/collections/crm-syncs/${syncId}/runs`],
      ["GET", `/v1/collections/crm-syncs/${syncId}/runs/${runs[0].id}`],
      ["DELETE", `/v1/collections/crm-syncs/${syncId}`],
    ] as [string, string, unknown?][]) {
      expect((await api(app, method, path, other.key, body)).status).toBe(404);
    }
    expect((await api(app, "GET", "/v1/collections/crm-syncs", other.key)).body.data).toEqual([]);
    expect((await api(app, "GET", `/v1/collections/crm-syncs/${syncId}/runs/not-a-run`, org.key)).status).toBe(404);
    expect((await api(app, "GET", "/v1/collections/crm-syncs")).status).toBe(401);

    const audit = await db
      .select({ action: auditLogs.action, details: auditLogs.details })
      .from(auditLogs)
      .where(and(eq(auditLogs.organizationId, org.organization.id), eq(auditLogs.targetId, syncId)));
    const actions = audit.map((a) => a.action);
    expect(actions).toContain("crm_sync.created");
    expect(actions).toContain("crm_sync.updated");
    expect(actions).toContain("crm_sync.run_requested");
    expect(actions.filter((a) => a === "crm_sync.synced").length).toBe(runs.length);
    expect(JSON.stringify(audit)).not.toContain("crm-secret-key");

    expect((await api(app, "DELETE", `/v1/collections/crm-syncs/${syncId}`, org.key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/collections/crm-syncs/${syncId}`, org.key)).status).toBe(404);
    // The debtors it brought stay in the campaign.
    expect((await targetsOf(campaignId)).length).toBe(2);
  });
});
