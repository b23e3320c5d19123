import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { campaigns, consentSettings } from "@/db/schema";
import { dispatchDue } from "@/features/campaigns/campaign.dispatch";
import type { TestClient } from "../helpers/client";
import { createMember, portugueseOrg, setupOrg, signIn } from "../helpers/factories";
import { app, phonesCsv, sendingNumber } from "./helpers";

/** The create form as a browser posts it (multipart: the audience CSV is a file). */
function campaignForm(client: TestClient, fields: Record<string, string | string[]>, csv?: string) {
  const form = new FormData();
  form.append("_csrf", client.csrfToken());
  for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) form.append(k, item);
  if (csv !== undefined) form.append("audience.csv", new File([csv], "publico.csv", { type: "text/csv" }));
  return form;
}

const filled = (instanceId: string) => ({
  name: "Promo de dezembro",
  "audience.source": "csv",
  "message.body": "Oi {{nome}}, temos o {{plano}} pra você",
  "message.variants": "Olá {{nome}}! {{plano}} em oferta\n",
  "message.rotation": "sequential",
  instanceIds: [instanceId],
  startsAt: "2026-12-07T09:00",
  endsAt: "2026-12-20T18:00",
  "activeHours.weekdays": ["1", "2", "3", "4", "5"],
  "activeHours.start": "09:00",
  "activeHours.end": "18:00",
  "pacing.perMinute": "4",
  "pacing.jitterPercent": "30",
  "pacing.dailyCap": "200",
  "pacing.warmupDays": "14",
  "pacing.warmupStartPerDay": "20",
  maxAttempts: "2",
  attemptSpacingMinutes: "45",
  stopOnReply: "on",
});

async function post(client: TestClient, path: string, form: FormData, htmx = false) {
  return client.request(path, { method: "POST", body: form, htmx });
}

test("logged out: every campaign page redirects to sign-in", async () => {
  const anonymous = new (await import("../helpers/client")).TestClient(app);
  for (const path of ["/campaigns", "/campaigns/new", "/campaigns/consent", "/campaigns/00000000-0000-4000-8000-000000000000"]) {
    const res = await anonymous.get(path);
    expect([302, 303]).toContain(res.status);
    expect(res.headers.get("location")).toContain("/login");
  }
});

test("create from the form (CSV file, times in the org's zone), detail with preview and risk, htmx fragments, start, edit refused once started, CSV export", async () => {
  const org = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 3, new Date());
  const created = await post(org.client, "/campaigns", campaignForm(org.client, filled(number.id), phonesCsv(3, 500)));
  expect(created.status).toBe(303);
  const id = created.headers.get("location")!.split("/").pop()!;
  const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
  // 09:00 in São Paulo (UTC−3) is 12:00 UTC.
  expect(row!.startsAt!.toISOString()).toBe("2026-12-07T12:00:00.000Z");
  expect(row).toMatchObject({
    status: "draft",
    maxAttempts: 2,
    attemptSpacingMinutes: 45,
    stopOnReply: true,
    pacing: { perMinute: 4, jitterPercent: 30, dailyCap: 200, warmupDays: 14, warmupStartPerDay: 20 },
    activeHours: { weekdays: [1, 2, 3, 4, 5], start: "09:00", end: "18:00" },
    message: { variants: ["Olá {{nome}}! {{plano}} em oferta"] },
  });

  const page = await (await org.client.get(`/campaigns/${id}`)).text();
  expect(page).toContain("Promo de dezembro");
  expect(page).toContain("Oi Pessoa 500, temos o Plano 0 pra você");
  expect(page).toContain("Olá Pessoa 501! Plano 1 em oferta");
  expect(page).toContain('data-risk="young_number"');
  expect(page).toContain(`data-campaign-stream="/campaigns/${id}/stream"`);
  expect(page).toContain('data-action="start"');

  const list = await org.client.get("/campaigns?status=draft", { htmx: true });
  const listHtml = await list.text();
  expect(listHtml).not.toContain("<html");
  expect(listHtml).toContain(`data-campaign="${id}"`);
  expect(await (await org.client.get("/campaigns?status=running", { htmx: true })).text()).not.toContain(`data-campaign="${id}"`);
  expect((await org.client.get("/campaigns?status=nope")).status).toBe(422);
  expect(await (await org.client.get("/campaigns")).text()).toContain('href="/campaigns"');

  const fragment = await (await org.client.get(`/campaigns/${id}/targets?state=pending`, { htmx: true })).text();
  expect(fragment).not.toContain("<html");
  expect(fragment.match(/data-target=/g)).toHaveLength(3);
  expect(await (await org.client.get(`/campaigns/${id}/targets?state=sent`, { htmx: true })).text()).not.toContain("data-target=");
  const progress = await (await org.client.get(`/campaigns/${id}/progress`, { htmx: true })).text();
  expect(progress).toContain('data-state="pending"><dt>Pending</dt><dd data-count="3"');

  const started = await org.client.postForm(`/campaigns/${id}/start`, {});
  expect(started.status).toBe(303);
  expect((await db.select().from(campaigns).where(eq(campaigns.id, id)))[0]!.status).toBe("running");
  expect((await org.client.postForm(`/campaigns/${id}/start`, {})).status).toBe(409);
  const edit = await post(org.client, `/campaigns/${id}`, campaignForm(org.client, { ...filled(number.id), keepAudience: "on" }));
  expect(edit.status).toBe(422);
  expect(await edit.text()).toContain("cannot do that");

  const csv = await (await org.client.get(`/campaigns/${id}/export.csv`)).text();
  expect(csv.split("\n")[0]).toBe("Phone,Name,State,Reason,Error,Attempts,Variant,Sent at,Delivered at,Read at,Replied at,Opted out at");
  expect(csv).toContain("+5511970000500,Pessoa 500,Pending");
});

test("edit a draft: new values kept, the audience kept or replaced", async () => {
  const org = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  const created = await post(org.client, "/campaigns", campaignForm(org.client, filled(number.id), phonesCsv(2, 600)));
  const id = created.headers.get("location")!.split("/").pop()!;
  const form = await (await org.client.get(`/campaigns/${id}/edit`)).text();
  expect(form).toContain('value="Promo de dezembro"');
  expect(form).toContain('value="2026-12-07T09:00"');
  const kept = await post(org.client, `/campaigns/${id}`, campaignForm(org.client, { ...filled(number.id), name: "Promo nova", keepAudience: "on" }));
  expect(kept.status).toBe(303);
  const detail = await (await org.client.get(`/campaigns/${id}`)).text();
  expect(detail).toContain("Promo nova");
  expect(detail.match(/data-target=/g)).toHaveLength(2);
  const replaced = await post(org.client, `/campaigns/${id}`, campaignForm(org.client, filled(number.id), phonesCsv(4, 700)));
  expect(replaced.status).toBe(303);
  expect((await (await org.client.get(`/campaigns/${id}`)).text()).match(/data-target=/g)).toHaveLength(4);
});

test("bad input re-renders the form with 422 and the fields' errors in pt-BR", async () => {
  const org = await portugueseOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  const empty = await post(
    org.client,
    "/campaigns",
    campaignForm(org.client, { "audience.source": "csv", "activeHours.start": "09:00", "activeHours.end": "08:00" }),
    true,
  );
  expect(empty.status).toBe(422);
  const html = await empty.text();
  for (const message of [
    "Dê um nome à campanha",
    "Envie um CSV com os telefones",
    "Escreva a mensagem",
    "Escolha ao menos um número de envio",
    "Escolha ao menos um dia da semana",
    "O fim deve ser depois do início",
  ])
    expect(html).toContain(message);
  expect(html).toContain('id="f-instanceIds-error"');

  // Errors only the service finds (the CSV's content) land on the same field.
  const badPhones = await post(org.client, "/campaigns", campaignForm(org.client, filled(number.id), "telefone,nome\n123,Ana\n"));
  expect(badPhones.status).toBe(422);
  expect(await badPhones.text()).toMatch(/id="f-audience.csv-error">[^<]*2/);
  const pace = await post(org.client, "/campaigns", campaignForm(org.client, { ...filled(number.id), "pacing.perMinute": "500" }, phonesCsv(1, 800)));
  expect(pace.status).toBe(422);
  expect(await pace.text()).toContain("Entre 1 e 60 mensagens por minuto");
  expect(await db.select().from(campaigns).where(eq(campaigns.organizationId, org.organization.id))).toEqual([]);
});

test("another organization's campaign is 404 on every page; agents are refused", async () => {
  const mine = await setupOrg(app);
  const number = await sendingNumber(mine.organization.id, 30, new Date());
  const created = await post(mine.client, "/campaigns", campaignForm(mine.client, filled(number.id), phonesCsv(1, 900)));
  const id = created.headers.get("location")!.split("/").pop()!;
  const other = await setupOrg(app);
  for (const path of [
    `/campaigns/${id}`,
    `/campaigns/${id}/targets`,
    `/campaigns/${id}/progress`,
    `/campaigns/${id}/edit`,
    `/campaigns/${id}/export.csv`,
    `/campaigns/${id}/stream`,
  ])
    expect((await other.client.get(path)).status).toBe(404);
  for (const action of ["start", "pause", "resume", "cancel"]) expect((await other.client.postForm(`/campaigns/${id}/${action}`, {})).status).toBe(404);
  expect((await post(other.client, `/campaigns/${id}`, campaignForm(other.client, filled(number.id)))).status).toBe(404);
  expect((await other.client.get("/campaigns/not-a-uuid")).status).toBe(404);
  expect((await db.select().from(campaigns).where(eq(campaigns.id, id)))[0]!.status).toBe("draft");

  const agent = await createMember(mine.organization.id, "agent");
  const agentClient = await signIn(app, agent.id, mine.organization.id);
  expect((await agentClient.get("/campaigns")).status).toBe(403);
  expect((await agentClient.get(`/campaigns/${id}`)).status).toBe(403);
  expect(await (await mine.client.get("/")).text()).toContain('href="/campaigns"');
  expect(await (await agentClient.get("/")).text()).not.toContain('href="/campaigns"');
});

test("the live card and the report follow the targets; consent settings page saves keywords and confirmations", async () => {
  const org = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  const always = {
    ...filled(number.id),
    startsAt: "",
    endsAt: "",
    "activeHours.weekdays": ["0", "1", "2", "3", "4", "5", "6"],
    "activeHours.start": "00:00",
    "activeHours.end": "23:59",
  };
  const created = await post(org.client, "/campaigns", campaignForm(org.client, always, phonesCsv(2, 950)));
  const id = created.headers.get("location")!.split("/").pop()!;
  await org.client.postForm(`/campaigns/${id}/start`, {});
  await dispatchDue();
  const card = await (await org.client.get(`/campaigns/${id}/progress`)).text();
  expect(card).toContain('data-state="sending"><dt>Sending</dt><dd data-count="1"');
  expect(card).toContain('data-action="pause"');

  const saved = await org.client.postForm("/campaigns/consent", {
    optOutKeywords: "cancelar\nremover",
    optInKeywords: "",
    optOutReply: "Tudo certo, removido.",
    optInReply: "",
  });
  expect(saved.status).toBe(303);
  const [settings] = await db.select().from(consentSettings).where(eq(consentSettings.organizationId, org.organization.id));
  expect(settings).toMatchObject({ optOutKeywords: ["cancelar", "remover"], optOutReply: "Tudo certo, removido.", optInReply: null });
  const page = await (await org.client.get("/campaigns/consent")).text();
  expect(page).toContain("Tudo certo, removido.");
  const bad = await org.client.postForm("/campaigns/consent", { optOutKeywords: "x".repeat(61), optOutReply: "" });
  expect(bad.status).toBe(422);
  expect(await bad.text()).toContain('id="f-optOutKeywords-error"');
});

test("the per-target table pages with the app's pager (50 a page), the next page as an htmx fragment; a forged cursor is a 422", async () => {
  const org = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  const created = await post(org.client, "/campaigns", campaignForm(org.client, filled(number.id), phonesCsv(60, 1000)));
  const id = created.headers.get("location")!.split("/").pop()!;
  const first = await (await org.client.get(`/campaigns/${id}`)).text();
  expect(first.match(/data-target=/g)).toHaveLength(50);
  expect(first).toContain("Pessoa 1049");
  expect(first).not.toContain("Pessoa 1050");
  const next = first.match(/hx-get="(\/campaigns\/[^"]+\/targets\?cursor=[^"]+)"/)![1]!.replaceAll("&amp;", "&");
  const second = await (await org.client.get(next, { htmx: true })).text();
  expect(second).not.toContain("<html");
  expect(second.match(/data-target=/g)).toHaveLength(10);
  expect(second).toContain("Pessoa 1050");
  expect(second).toContain("Pessoa 1059");
  expect(second).not.toContain("/targets?cursor=");
  expect((await org.client.get(`/campaigns/${id}/targets?cursor=bm90LWEtY3Vyc29y`, { htmx: true })).status).toBe(422);
});
