import { expect, test } from "bun:test";
import { dispatchDue } from "@/features/campaigns/campaign.dispatch";
import { createCampaign } from "@/features/campaigns/campaign.service";
import { changeConsent, updateConsentSettings } from "@/features/consent/consent.service";
import { api } from "../helpers/client";
import { createMember, memberCaller, setupOrg } from "../helpers/factories";
import { app, baseCampaign, phonesCsv, sendingNumber } from "./helpers";

test("/v1/campaigns: create, start, progress, preview, risk, report and CSV export; bad input is 422 naming the field", async () => {
  const org = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  const bad = await api(app, "POST", "/v1/campaigns", org.key, { ...baseCampaign([number.id], phonesCsv(2)), pacing: { perMinute: 0, dailyCap: 10 } });
  expect(bad.status).toBe(422);
  expect(JSON.stringify(bad.body.error.details)).toContain("pacing.perMinute");
  const badCsv = await api(app, "POST", "/v1/campaigns", org.key, baseCampaign([number.id], "nome\nAna\n"));
  expect(badCsv.status).toBe(422);
  expect(badCsv.body.error.details[0].path).toBe("audience.csv");

  const created = await api(app, "POST", "/v1/campaigns", org.key, baseCampaign([number.id], phonesCsv(3, 40)));
  expect(created.status).toBe(201);
  expect(created.body.status).toBe("draft");
  const id = created.body.id;
  expect((await api(app, "POST", `/v1/campaigns/${id}/start`, org.key)).body.status).toBe("running");
  expect((await api(app, "POST", `/v1/campaigns/${id}/start`, org.key)).status).toBe(409);
  expect((await api(app, "GET", `/v1/campaigns/${id}/progress`, org.key)).body).toMatchObject({ total: 3, states: { pending: 3 } });
  expect((await api(app, "GET", `/v1/campaigns/${id}/preview?limit=2`, org.key)).body.data.map((p: { body: string }) => p.body)).toEqual([
    "Oi Pessoa 40, A Plano 0",
    "Olá Pessoa 41, B Plano 1",
  ]);
  expect((await api(app, "GET", `/v1/campaigns/${id}/risk`, org.key)).body.audience).toBe(3);
  expect((await api(app, "GET", `/v1/campaigns/${id}/report`, org.key)).body.data).toHaveLength(3);
  const csv = await app.handle(
    new Request(`http://localhost/v1/campaigns/${id}/export`, { headers: { authorization: `Bearer ${org.key}`, "accept-language": "en" } }),
  );
  expect(csv.headers.get("content-type")).toContain("text/csv");
  expect((await csv.text()).split("\n")[0]).toBe("Phone,Name,State,Reason,Error,Attempts,Variant,Sent at,Delivered at,Read at,Replied at,Opted out at");
  expect((await api(app, "GET", "/v1/campaigns", org.key)).body.data.map((c: { id: string }) => c.id)).toEqual([id]);
});

test("roles: agents neither create campaigns nor change consent settings; a member's opt-in is recorded as manual, a key's as api", async () => {
  const org = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  const agent = await createMember(org.organization.id, "agent");
  const agentCaller = memberCaller(agent.id, org.organization.id, "agent");
  await expect(createCampaign(agentCaller, baseCampaign([number.id], phonesCsv(1, 60)))).rejects.toMatchObject({ code: "forbidden" });
  const supervisor = memberCaller((await createMember(org.organization.id, "supervisor")).id, org.organization.id, "supervisor");
  const campaign = await createCampaign(supervisor, baseCampaign([number.id], phonesCsv(1, 61)));
  expect(campaign.status).toBe("draft");
  const contactId = (await api(app, "GET", `/v1/campaigns/${campaign.id}/report`, org.key)).body.data[0].targetId;
  expect(contactId).toBeTruthy();

  const contact = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511988887777" });
  const viaKey = await api(app, "POST", `/v1/contacts/${contact.body.id}/consent`, org.key, { kind: "opt_out" });
  expect(viaKey.status).toBe(201);
  expect(viaKey.body).toMatchObject({ kind: "opt_out", source: "api" });
  const manual = await changeConsent(supervisor, contact.body.id, { kind: "opt_in", note: "pediu no balcão" });
  expect(manual).toMatchObject({ kind: "opt_in", source: "manual" });
  expect((await api(app, "GET", `/v1/contacts/${contact.body.id}`, org.key)).body.optedOut).toBe(false);
  expect((await api(app, "GET", `/v1/contacts/${contact.body.id}/consent`, org.key)).body.data.map((r: { kind: string }) => r.kind)).toEqual([
    "opt_in",
    "opt_out",
  ]);
  expect((await api(app, "POST", `/v1/contacts/${contact.body.id}/consent`, org.key, { kind: "maybe" })).status).toBe(422);

  await expect(updateConsentSettings(agentCaller, { optOutKeywords: ["x"] })).rejects.toMatchObject({ code: "forbidden" });
  const settings = await api(app, "PUT", "/v1/consent/settings", org.key, { optOutKeywords: ["cancelar envio"], optInKeywords: [] });
  expect(settings.body.effectiveOptOut).toEqual(["SAIR", "PARAR", "STOP", "cancelar envio"]);
});

test("live progress: the SSE stream sends a progress frame when a target is sent", async () => {
  const org = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  const always = { weekdays: [0, 1, 2, 3, 4, 5, 6], start: "00:00", end: "23:59" };
  const created = await api(app, "POST", "/v1/campaigns", org.key, { ...baseCampaign([number.id], phonesCsv(2, 80)), activeHours: always });
  await api(app, "POST", `/v1/campaigns/${created.body.id}/start`, org.key);
  const abort = new AbortController();
  const res = await app.handle(
    new Request(`http://localhost/v1/campaigns/${created.body.id}/progress/stream`, { headers: { authorization: `Bearer ${org.key}` }, signal: abort.signal }),
  );
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const reader = res.body!.getReader();
  const next = async () => {
    const chunk: unknown = (await reader.read()).value;
    return typeof chunk === "string" ? chunk : chunk ? new TextDecoder().decode(chunk as Uint8Array) : "";
  };
  let text = "";
  while (!text.includes("event: ready")) text += await next();
  await dispatchDue();
  while (!/event: progress\ndata: .*"sending":1/.test(text)) text += await next();
  const frame = text.match(/event: progress\ndata: (.*"sending":1.*)/)![1]!;
  expect(JSON.parse(frame)).toMatchObject({ total: 2, states: { sending: 1, pending: 1 } });
  abort.abort();
});
