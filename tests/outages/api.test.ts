// /v1/outages and /v1/outage-regions: CRUD, resolve, cancel, the paged log, metrics, 422 fields in the
// reader's language, 404 for another organization's ids, 401 logged out; the admin pages; audit rows.
import { beforeAll, describe, expect, test } from "bun:test";
import { and, asc, eq, like } from "drizzle-orm";
import { db } from "@/db/client";
import { auditLogs } from "@/db/schema";
import { dispatchOutages } from "@/features/outages/outage.dispatch";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { app, person, sendingNumber } from "./helpers";

let a: Awaited<ReturnType<typeof setupOrg>>;
let b: Awaited<ReturnType<typeof setupOrg>>;
let numberA: { id: string };

beforeAll(async () => {
  a = await setupOrg(app, { orgName: "Outages API A" });
  b = await setupOrg(app, { orgName: "Outages API B" });
  numberA = await sendingNumber(a.organization.id);
  for (let i = 0; i < 3; i++) await person(a.organization.id, { city: "Nova Friburgo", name: `Cliente ${i}` });
  await person(b.organization.id, { city: "Nova Friburgo" });
});

const body = (overrides: Record<string, unknown> = {}) => ({
  title: "Fibra rompida",
  severity: "critical",
  affected: { custom: [{ city: "nova friburgo" }] },
  instanceIds: [numberA.id],
  pacing: { perMinute: 60, jitterPercent: 0 },
  ...overrides,
});

describe("/v1/outages", () => {
  test("declare → get → patch → notifications log (paged) → metrics → resolve → delete, each audited", async () => {
    const created = await api(app, "POST", "/v1/outages", a.key, body({ estimatedResolutionAt: "2026-12-24T21:00:00Z" }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: "Fibra rompida", severity: "critical", status: "active", instanceIds: [numberA.id] });
    expect(created.body.affected).toEqual({ regionIds: [], custom: [{ city: "nova friburgo", neighborhoods: [] }] });
    // The default notice in the organization's language, with its variables.
    expect(created.body.noticeMessage).toContain("{{previsao}}");
    const id = created.body.id;
    expect((await api(app, "GET", `/v1/outages/${id}`, a.key)).body.id).toBe(id);
    const list = await api(app, "GET", "/v1/outages?status=active", a.key);
    expect(list.body.data.map((o: { id: string }) => o.id)).toContain(id);

    const patched = await api(app, "PATCH", `/v1/outages/${id}`, a.key, { severity: "high", description: "Equipe no local" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ severity: "high", description: "Equipe no local" });

    for (let s = 0; s < 3; s++) await dispatchOutages({ now: new Date(Date.now() + s * 1_000), random: () => 0 });
    const page1 = await api(app, "GET", `/v1/outages/${id}/notifications?limit=2`, a.key);
    expect(page1.status).toBe(200);
    expect(page1.body.data.length).toBe(2);
    expect(page1.body.nextCursor).toBeString();
    const page2 = await api(app, "GET", `/v1/outages/${id}/notifications?limit=2&cursor=${page1.body.nextCursor}`, a.key);
    expect(page2.body.data.length).toBe(1);
    expect(page2.body.nextCursor).toBeNull();
    const all = [...page1.body.data, ...page2.body.data];
    expect(
      all.every((n: { kind: string; state: string; body: string }) => n.kind === "notice" && n.state === "sending" && n.body.includes("Fibra rompida")),
    ).toBe(true);
    const metrics = await api(app, "GET", `/v1/outages/${id}/metrics`, a.key);
    expect(metrics.body.notice).toMatchObject({ total: 3, notified: 3, pending: 0, delivered: 0, read: 0, responded: 0 });

    expect((await api(app, "DELETE", `/v1/outages/${id}`, a.key)).status).toBe(409);
    const resolved = await api(app, "POST", `/v1/outages/${id}/resolve`, a.key, {});
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe("resolved");
    expect((await api(app, "POST", `/v1/outages/${id}/resolve`, a.key, {})).status).toBe(409);
    expect((await api(app, "POST", `/v1/outages/${id}/cancel`, a.key)).status).toBe(409);
    expect((await api(app, "GET", `/v1/outages/${id}/notifications?kind=resolution`, a.key)).body.data.length).toBe(3);
    expect((await api(app, "DELETE", `/v1/outages/${id}`, a.key)).status).toBe(204);
    expect((await api(app, "GET", `/v1/outages/${id}`, a.key)).status).toBe(404);

    const actions = (
      await db
        .select({ action: auditLogs.action, targetId: auditLogs.targetId })
        .from(auditLogs)
        .where(and(eq(auditLogs.organizationId, a.organization.id), like(auditLogs.action, "outage.%")))
        .orderBy(asc(auditLogs.at), asc(auditLogs.id))
    ).map((r) => r.action);
    expect(actions).toEqual(["outage.declared", "outage.updated", "outage.resolved", "outage.deleted"]);

    // Integrations hear of it: declared and resolved are events (read with contacts:read), in that order.
    const events = await api(app, "GET", "/v1/events?type=outage.declared,outage.resolved", a.key);
    expect(events.status).toBe(200);
    const outageEvents = (
      events.body.data as { type: string; data: { outage: { id: string; status: string }; contacts?: number; resolutionMessages?: number } }[]
    ).filter((e) => e.data.outage.id === id);
    expect(outageEvents.map((e) => [e.type, e.data.outage.status]).sort()).toEqual([
      ["outage.declared", "active"],
      ["outage.resolved", "resolved"],
    ]);
    expect(outageEvents.find((e) => e.type === "outage.declared")!.data.contacts).toBe(3);
    expect(outageEvents.find((e) => e.type === "outage.resolved")!.data.resolutionMessages).toBe(3);
  });

  test("bad input is a 422 naming the field, in the reader's language", async () => {
    const missing = await api(
      app,
      "POST",
      "/v1/outages",
      a.key,
      body({ title: "", severity: "apocalyptic", affected: { regionIds: [], custom: [] }, instanceIds: [] }),
    );
    expect(missing.status).toBe(422);
    const paths = missing.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["title", "severity", "instanceIds"]));
    const pt = await api(app, "POST", "/v1/outages", a.key, body({ pacing: { perMinute: 500 } }), { "accept-language": "pt-BR" });
    expect(pt.status).toBe(422);
    expect(pt.body.error.details).toEqual([{ path: "pacing.perMinute", message: "De 1 a 60 mensagens por minuto." }]);
    const region = await api(app, "POST", "/v1/outage-regions", a.key, { name: "Vazia", cities: [], states: ["Rio"] });
    expect(region.status).toBe(422);
    expect(region.body.error.details.map((d: { path: string }) => d.path)).toContain("states.0");
    const noAreas = await api(app, "POST", "/v1/outages", a.key, body({ affected: {} }));
    expect(noAreas.status).toBe(422);
    expect(noAreas.body.error.details[0].path).toBe("affected.regionIds");
    const date = await api(app, "POST", "/v1/outages", a.key, body({ estimatedResolutionAt: "amanhã" }));
    expect(date.status).toBe(422);
    expect(date.body.error.details[0].path).toBe("estimatedResolutionAt");
  });

  test("another organization's outage and region are 404 on every route; logged out is 401", async () => {
    const theirs = await api(app, "POST", "/v1/outages", b.key, { ...body(), instanceIds: [(await sendingNumber(b.organization.id)).id] });
    expect(theirs.status).toBe(201);
    const region = await api(app, "POST", "/v1/outage-regions", b.key, { name: "Serra", cities: "Teresópolis\nPetrópolis", cepPrefixes: "259" });
    expect(region.status).toBe(201);
    expect(region.body).toMatchObject({ cities: ["Teresópolis", "Petrópolis"], cepPrefixes: ["259"] });
    const id = theirs.body.id;
    for (const [method, path, payload] of [
      ["GET", `/v1/outages/${id}`],
      ["PATCH", `/v1/outages/${id}`, { title: "x" }],
      ["POST", `/v1/outages/${id}/resolve`, {}],
      ["POST", `/v1/outages/${id}/cancel`],
      ["DELETE", `/v1/outages/${id}`],
      ["GET", `/v1/outages/${id}/notifications`],
      ["GET", `/v1/outages/${id}/metrics`],
      ["GET", `/v1/outage-regions/${region.body.id}`],
      ["PATCH", `/v1/outage-regions/${region.body.id}`, { name: "x" }],
      ["DELETE", `/v1/outage-regions/${region.body.id}`],
      ["GET", "/v1/outages/not-a-uuid"],
    ] as const) {
      expect({ method, path, status: (await api(app, method, path, a.key, payload)).status }).toEqual({ method, path, status: 404 });
    }
    expect((await api(app, "GET", "/v1/outages")).status).toBe(401);
    expect((await api(app, "POST", "/v1/outages", undefined, body())).status).toBe(401);
    // A region of my own cannot be used by them either.
    const usedByOther = await api(app, "POST", "/v1/outages", a.key, body({ affected: { regionIds: [region.body.id] } }));
    expect(usedByOther.status).toBe(422);
  });

  test("regions: create, rename (duplicate name 422), delete", async () => {
    const r = await api(app, "POST", "/v1/outage-regions", a.key, { name: "Centro-Sul", states: ["rj"] });
    expect(r.status).toBe(201);
    expect(r.body.states).toEqual(["RJ"]);
    await api(app, "POST", "/v1/outage-regions", a.key, { name: "Norte", cities: ["Campos"] });
    const dup = await api(app, "PATCH", `/v1/outage-regions/${r.body.id}`, a.key, { name: "Norte" });
    expect(dup.status).toBe(422);
    expect(dup.body.error.details[0].path).toBe("name");
    const renamed = await api(app, "PATCH", `/v1/outage-regions/${r.body.id}`, a.key, { name: "Sul" });
    expect(renamed.body).toMatchObject({ name: "Sul", states: ["RJ"] });
    expect((await api(app, "GET", "/v1/outage-regions", a.key)).body.data.map((x: { name: string }) => x.name)).toEqual(
      expect.arrayContaining(["Sul", "Norte"]),
    );
    expect((await api(app, "DELETE", `/v1/outage-regions/${r.body.id}`, a.key)).status).toBe(204);
  });
});

describe("admin pages", () => {
  test("list, declare form (422 re-render, then redirect), detail with counts and log, resolve; agents read but cannot declare", async () => {
    const client = a.client;
    const index = await client.get("/outages");
    expect(index.status).toBe(200);
    const regionPost = await client.postForm("/outages/regions", { name: "Região Serrana", cities: "Nova Friburgo", states: "", cepPrefixes: "" });
    expect(regionPost.status).toBe(303);
    const form = await client.get("/outages/new");
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain("Região Serrana");

    const bad = await client.postForm("/outages", { title: "", severity: "high", areas: "", instanceIds: numberA.id }, { htmx: true });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('id="outage-form"');
    expect(badHtml).toContain("has-error");

    const ok = await client.postForm("/outages", {
      title: "Manutenção <b>emergencial</b>",
      severity: "medium",
      areas: "Nova Friburgo: Centro, Olaria",
      estimatedResolutionAt: "2026-12-24T18:00",
      instanceIds: numberA.id,
      perMinute: "10",
      dailyCap: "500",
    });
    expect(ok.status).toBe(303);
    const location = ok.headers.get("location")!;
    expect(location).toMatch(/^\/outages\/[0-9a-f-]{36}$/);
    const id = location.split("/").pop()!;
    const outage = await api(app, "GET", `/v1/outages/${id}`, a.key);
    expect(outage.body.affected.custom).toEqual([{ city: "Nova Friburgo", neighborhoods: ["Centro", "Olaria"] }]);
    // 18:00 on the wall clock of São Paulo is 21:00 UTC.
    expect(outage.body.estimatedResolutionAt).toBe("2026-12-24T21:00:00.000Z");
    expect(outage.body.pacing).toMatchObject({ perMinute: 10, dailyCap: 500 });

    const show = await client.get(location);
    expect(show.status).toBe(200);
    const showHtml = await show.text();
    expect(showHtml).toContain("Manutenção &lt;b&gt;emergencial&lt;/b&gt;");
    expect(showHtml).not.toContain("<h1>Manutenção <b>");
    expect(showHtml).toContain('id="outage-counts"');
    expect(showHtml).toContain('id="outage-log"');
    const counts = await client.get(`/outages/${id}/counts`, { htmx: true });
    expect(await counts.text()).toContain('data-metric="notified"');

    expect(showHtml).toContain('id="outage-edit"');
    const badEdit = await client.postForm(`/outages/${id}`, { title: "", severity: "low" }, { htmx: true });
    expect(badEdit.status).toBe(422);
    expect(await badEdit.text()).toContain('id="outage-edit"');
    const edited = await client.postForm(`/outages/${id}`, {
      title: "Manutenção emergencial",
      severity: "critical",
      estimatedResolutionAt: "2026-12-24T20:30",
      noticeMessage: "Falha em {{titulo}}, previsão {{previsao}}",
      resolutionMessage: "",
    });
    expect(edited.status).toBe(303);
    const after = (await api(app, "GET", `/v1/outages/${id}`, a.key)).body;
    expect(after).toMatchObject({ title: "Manutenção emergencial", severity: "critical", noticeMessage: "Falha em {{titulo}}, previsão {{previsao}}" });
    expect(after.estimatedResolutionAt).toBe("2026-12-24T23:30:00.000Z");
    expect(after.resolutionMessage).toContain("{{titulo}}");

    const resolved = await client.postForm(`/outages/${id}/resolve`, {});
    expect(resolved.status).toBe(303);
    expect((await api(app, "GET", `/v1/outages/${id}`, a.key)).body.status).toBe("resolved");

    // Another organization's outage page is a 404.
    const otherOutage = (await api(app, "GET", "/v1/outages", b.key)).body.data[0];
    expect((await client.get(`/outages/${otherOutage.id}`)).status).toBe(404);

    const agent = await createMember(a.organization.id, "agent");
    const agentClient = await signIn(app, agent.id, a.organization.id);
    expect((await agentClient.get("/outages")).status).toBe(200);
    expect((await agentClient.get(location)).status).toBe(200);
    expect((await agentClient.get("/outages/new")).status).toBe(403);
    expect((await agentClient.postForm(`/outages/${id}/cancel`, {})).status).toBe(403);
  });

  test("logged out: pages redirect to sign-in", async () => {
    const res = await app.handle(new Request("http://localhost/outages"));
    expect([302, 303]).toContain(res.status);
  });
});
