// Two organizations with one of everything. Organization A calls every route that takes an id with
// organization B's ids (API with A's key, pages with A's owner session): each answers 404, B's data is
// untouched afterwards, A's lists never show B's rows, and B's ids inside A's bodies are refused.
import { beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { SESSION_COOKIE } from "@/auth/session";
import { config } from "@/config";
import { seedOrganization, type Seeded } from "./seed";
import { fill, isApi, isHook, kindOf, paramNames, problems, realParams, routesOf, send, type Body, type Route, type Who } from "./sweep";

const app = createApp();
const routes = routesOf(app);
let A: Seeded;
let B: Seeded;
let sessionA: string;
const PHONE = "+5511912345678";

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  A = await seedOrganization(app, "Alpha");
  B = await seedOrganization(app, "Beta");
  sessionA = A.client.cookies.get(SESSION_COOKIE)!;
});

const NON_ID = ["stepKey", "versionNumber", "invitationToken", "pairToken", "provider", "action", "toggle", "static"];
const idParamsOf = (r: Route) => paramNames(r.path).filter((n) => !NON_ID.includes(String(kindOf(r.path, n))));

/**
 * Routes outside the session/key model: provider webhooks (signed by the provider), links that are
 * their own credential, and the install-wide platform pages (platform admins see every organization).
 */
const SKIP = (r: Route) =>
  isHook(r.path) || r.path.startsWith("/sandbox/pair") || r.path.startsWith("/invitations/") || r.path.startsWith("/login/") || r.path.startsWith("/platform/");

/** A body each route would accept for its own ids, so the answer is about the id and not the body. */
function validBody(r: Route): Body {
  const key = `${r.method} ${r.path.replace(/\/$/, "")}`;
  const json: Record<string, unknown> = {
    "PATCH /v1/workflows/:id": { name: "Renamed" },
    "POST /v1/workflows/:id/threads": {},
    "POST /v1/threads/:id/messages": { text: "hi" },
    "PATCH /v1/templates/:id": { body: "Changed {{name}}" },
    "POST /v1/templates/:id/preview": { variables: {} },
    "POST /v1/sandbox/instances/:id/scan": {},
    "POST /v1/sandbox/instances/:id/inbound": { from: PHONE, text: "hi" },
    "PATCH /v1/instances/:id": { name: "Renamed" },
    "POST /v1/instances/:id/pairing-code": { phone: PHONE },
    "PATCH /v1/webhooks/:id": { name: "Renamed" },
    "POST /v1/webhooks/:id/recover": { since: new Date(Date.now() - 3_600_000).toISOString() },
    "PATCH /v1/contacts/:id": { name: "Renamed" },
    "POST /v1/conversations/:id/assign": { userId: null },
    "POST /v1/conversations/:id/handoff": {},
    "PUT /v1/flows/:id": { name: "Renamed" },
    "POST /v1/flows/:id/steps": { key: "extra", type: "send_text", text: "hi" },
    "PUT /v1/flows/:id/steps/:key": { key: "start", type: "send_text", text: "changed" },
    "PUT /v1/instances/:id/proxy": { url: "http://proxy.example.com:3128" },
    "POST /v1/messages/:id/forward": { to: PHONE },
    "PATCH /v1/messages/:id": { text: "changed" },
    "POST /v1/contacts/:id/merge": { contactId: A?.ids.contact ?? "" },
    "POST /v1/contacts/:id/whatsapp-block": { blocked: true },
    "POST /v1/instances/:id/groups": { subject: "Equipe", participants: [PHONE] },
    "PATCH /v1/instances/:id/groups/:group": { subject: "Equipe" },
    "POST /v1/instances/:id/groups/:group/participants": { action: "add", participants: [PHONE] },
    "POST /v1/conversations/:id/presence": { state: "typing" },
    "PATCH /v1/canned-replies/:id": { title: "Changed" },
    "PATCH /v1/contact-fields/:id": { label: "Renamed" },
    "POST /v1/contact-imports/:id/start": { mapping: { "0": "phone" } },
    "PATCH /v1/segments/:id": { name: "Renamed" },
    "POST /v1/contacts/:id/consent": { kind: "opt_in" },
    "PATCH /v1/labels/:id": { name: "Renamed" },
    "POST /v1/conversations/:id/labels": { labelId: A?.ids.label ?? "" },
    "PATCH /v1/complaints/:id": { status: "in_progress" },
    "POST /v1/complaints/:id/notes": { body: "sweep" },
    "PATCH /v1/sales/plans/:id": { priceCents: 100 },
    "PATCH /v1/sales/leads/:id": { status: "contacted" },
    "PATCH /v1/collections/promises/:id": { status: "fulfilled" },
    "PATCH /v1/collections/targets/:id": { amountCents: 500 },
    "PATCH /v1/collections/crm-syncs/:id": { name: "Renamed" },
    "PUT /v1/departments/:id/sla-targets": { firstResponseMinutes: 5, resolutionMinutes: null },
    "PATCH /v1/satisfaction/feedback/:id": { handlingStatus: "in_progress" },
    "PUT /v1/satisfaction/surveys/:id": { enabled: false, template: "De 0 a 10?" },
    "PUT /v1/gamification/participants/:id": { participates: false },
    "PATCH /v1/knowledge/collections/:id": { name: "Renamed" },
    "POST /v1/knowledge/collections/:id/documents": { url: "http://127.0.0.1:9/faq.html" },
    "PUT /v1/departments/:id/business-hours": { intervals: [] },
    "PATCH /v1/departments/:id": { name: "Renamed" },
    "PUT /v1/instances/:id/greeting-menu": { enabled: false, options: [] },
    "POST /v1/conversations/:id/transfer": { departmentId: null, reason: "sweep" },
    "PUT /v1/departments/:id/assignment": { autoAssign: false, defaultCapacity: 5 },
    "PUT /v1/members/:id/capacity": { capacity: 3 },
    "PATCH /v1/agent-chats/:id": { pinned: true },
    "POST /v1/agent-chats/:id/messages": { text: "hi" },
    "PUT /v1/conversations/:id/reply-mode": { mode: "draft" },
    "POST /v1/suggestions/:id/send": { text: "Olá!" },
    "POST /v1/suggestions/:id/discard": { note: "no" },
    "POST /v1/prompt-suggestions/:id/reject": { note: "no" },
    "PUT /v1/hybrid/departments/:id": { draftReplies: true },
    "PUT /v1/triggers/:id": { name: "t", match: "contains", pattern: "x", action: "reply_template", templateKey: "welcome" },
    "PUT /v1/workflows/:id/prompt/draft": { instructions: "Be brief." },
    "POST /v1/workflows/:id/prompt/publish": { instructions: "Be brief.", changelog: "sweep" },
  };
  const form: Record<string, Record<string, string>> = {
    "POST /workflows/:id": { name: "Renamed", provider: "flow", flowId: A?.ids.flow ?? "" },
    "POST /workflows/:id/chat": { text: "hi" },
    "POST /workflows/:id/instructions/draft": { instructions: "Be brief." },
    "POST /workflows/:id/instructions/publish": { instructions: "Be brief.", changelog: "sweep" },
    "POST /workflows/:id/bindings": { instanceId: A?.ids.instance ?? "" },
    "POST /templates/:id": { key: "welcome", body: "Changed" },
    "POST /templates/:id/preview": { body: "Hi" },
    "POST /instances/:id/rename": { name: "Renamed" },
    "POST /instances/:id/pairing-code": { phone: PHONE },
    "POST /instances/:id/test-message": { to: PHONE, text: "hi" },
    "POST /instances/:id/simulate-inbound": { from: PHONE, text: "hi" },
    "POST /webhooks/:id": { url: "http://127.0.0.1:9/hook", name: "Renamed" },
    "POST /webhooks/:id/recover": { since: new Date(Date.now() - 3_600_000).toISOString().slice(0, 16) },
    "POST /members/:id/role": { role: "supervisor" },
    "POST /contacts/:id": { name: "Renamed", tags: "" },
    "POST /inbox/:id/reply": { text: "hi" },
    "POST /inbox/:id/assign": { userId: "" },
    "POST /inbox/:id/status": { status: "resolved" },
    "POST /inbox/:id/handoff": { to: "human" },
    "POST /inbox/:id/labels": { labelId: A?.ids.label ?? "", change: "add" },
    "POST /labels/:id": { name: "Renamed", color: "#000000" },
    "POST /complaints/:id": { status: "in_progress", type: "other", severity: "medium" },
    "POST /complaints/:id/notes": { body: "sweep" },
    "POST /sales/plans/:id": { name: "Renamed", priceCents: "100" },
    "POST /sales/leads/:id": { title: "Renamed", status: "contacted" },
    "POST /sales/leads/:id/status": { status: "contacted" },
    "POST /collections/promises/:id": { status: "fulfilled" },
    "POST /triggers/:id": { name: "t", match: "contains", pattern: "x", action: "reply_template", templateKey: "welcome" },
    "POST /flows/:id/settings": { name: "Renamed" },
    "POST /flows/:id/steps": { key: "extra", type: "send_text", text: "hi" },
    "POST /flows/:id/steps/:key": { key: "start", type: "send_text", text: "changed" },
    "POST /flows/:id/try": { text: "hi" },
    "POST /agent-chats/:id/messages": { text: "hi" },
    "POST /alerts/targets/:id": { firstResponseMinutes: "5" },
    "POST /satisfaction/tasks/:id": { handlingStatus: "in_progress" },
    "POST /satisfaction/surveys/:id": { enabled: "on", template: "De 0 a 10?" },
    "POST /monitor/conversations/:id/verify": { verified: "true" },
    "POST /departments/:id/business-hours": { day1: "08:00-12:00" },
    "POST /departments/:id": { name: "Renamed" },
    "POST /departments/menus/:id": { greeting: "Olá" },
    "POST /inbox/:id/transfer": { departmentId: "none", reason: "sweep" },
    "POST /departments/:id/assignment": { defaultCapacity: "5" },
    "POST /members/:id/capacity": { capacity: "3" },
    "POST /agent-chats/:id/rename": { title: "Renamed" },
    "POST /inbox/:id/reply-mode": { mode: "draft" },
    "POST /inbox/:id/suggestion/:sid/send": { text: "Olá!" },
    "POST /inbox/:id/suggestion/:sid/discard": { note: "no" },
    "POST /learning/suggestions/:id/reject": { note: "no" },
    "POST /learning/departments/:id": { draftReplies: "on" },
    "POST /knowledge/collections/:id": { name: "Renamed" },
    "POST /knowledge/collections/:id/documents": { url: "http://127.0.0.1:9/faq.html" },
  };
  if (r.method === "GET") return { type: "none" };
  if (isApi(r.path)) return { type: "json", raw: JSON.stringify(json[key] ?? {}) };
  return { type: "form", data: form[key] ?? {} };
}

function who(r: Route): Who {
  return isApi(r.path) ? { kind: "key", key: A.key } : { kind: "member", session: sessionA };
}

/** Every id organization B owns, to look for in A's responses. */
const idsOfB = () => Object.values(B.ids);

describe("organization A with organization B's ids: always 404", () => {
  for (const route of routes.filter((r) => idParamsOf(r).length > 0 && !SKIP(r))) {
    test(`${route.method} ${route.path}`, async () => {
      const found: string[] = [];
      const params = realParams(route, B);
      const url = fill(route.path, params);
      const res = await send(app, route.method, url, who(route), validBody(route));
      for (const p of problems(route.path, url, res)) found.push(p);
      if (res.status !== 404) found.push(`expected 404 for B's ids, got ${res.status} ${res.headers.get("location") ?? ""} ${res.text.slice(0, 200)}`);
      // The 404 must not echo B's data (names, phones) either.
      for (const secret of ["Beta contact", "Beta hook", "Beta bot", "Beta flow", "Beta device", "Beta phone"]) {
        if (res.text.includes(secret)) found.push(`response shows B's "${secret}"`);
      }
      // Mixed: A's own parent with B's child (e.g. A's webhook, B's delivery) is 404 too.
      const ids = idParamsOf(route);
      if (ids.length > 1) {
        const mixed = { ...realParams(route, A), [ids[ids.length - 1]!]: params[ids[ids.length - 1]!]! };
        const mixedUrl = fill(route.path, mixed);
        const m = await send(app, route.method, mixedUrl, who(route), validBody(route));
        if (m.status !== 404) found.push(`A's parent with B's ${ids[ids.length - 1]} → expected 404, got ${m.status}`);
      }
      expect(found).toEqual([]);
    });
  }
});

describe("organization A's lists and filters never show organization B's rows", () => {
  const lists = () =>
    routes.filter(
      (r) =>
        r.method === "GET" && paramNames(r.path).length === 0 && !SKIP(r) && !/^\/(static|docs|openapi|metrics|health|ready|login|signup|try)/.test(r.path),
    );
  test("every list page and /v1 list, plain and filtered by B's ids", async () => {
    const found: string[] = [];
    for (const route of lists()) {
      for (const q of [
        "",
        `?instanceId=${B.ids.instance}&contactId=${B.ids.contact}&webhookId=${B.ids.webhook}&workflowId=${B.ids.workflow}`,
        `?conversation=${B.ids.conversation}&event=${B.ids.event}`,
      ]) {
        const url = route.path + q;
        const res = await send(app, "GET", url, who(route));
        for (const p of problems(route.path, url, res)) found.push(`${url} → ${p}`);
        // Filter values may be echoed back into the filter form; any other B id is a leak.
        const echoed = new Set([...q.matchAll(/=([0-9a-f-]{36})/g)].map((m) => m[1]!));
        for (const id of idsOfB()) if (!echoed.has(id) && res.text.includes(id)) found.push(`${url} shows B's id ${id}`);
        for (const name of ["Beta contact", "Beta hook", "Beta bot", "Beta flow", "Beta device", "Beta phone"])
          if (res.text.includes(name)) found.push(`${url} shows "${name}"`);
      }
    }
    expect(found).toEqual([]);
  }, 60_000);
});

describe("B's ids inside A's request bodies are refused", () => {
  test("API", async () => {
    const cases: [string, string, unknown][] = [
      ["POST", "/v1/messages", { instanceId: B.ids.instance, to: PHONE, type: "text", text: "hi" }],
      ["POST", "/v1/webhooks", { url: "http://127.0.0.1:9/hook", instanceIds: [B.ids.instance] }],
      ["PATCH", `/v1/webhooks/${A.ids.webhook}`, { instanceIds: [B.ids.instance] }],
      ["POST", "/v1/workflows", { name: "x", provider: "flow", config: { flowId: B.ids.flow } }],
      ["POST", `/v1/workflows/${A.ids.workflow}/threads`, { contactId: B.ids.contact }],
      ["POST", `/v1/conversations/${A.ids.conversation}/assign`, { userId: B.user.id }],
      ["POST", "/v1/contacts/check", { phones: [PHONE], instanceId: B.ids.instance }],
    ];
    const found: string[] = [];
    for (const [method, path, body] of cases) {
      const res = await send(app, method, path, { kind: "key", key: A.key }, { type: "json", raw: JSON.stringify(body) });
      for (const p of problems(path, path, res)) found.push(`${method} ${path} → ${p}`);
      if (![404, 422].includes(res.status)) found.push(`${method} ${path} with B's ids → expected 404/422, got ${res.status} ${res.text.slice(0, 160)}`);
    }
    for (const q of [`instanceId=${B.ids.instance}`, `type=message.received&instanceId=${B.ids.instance}`]) {
      for (const path of [
        `/v1/events?${q}`,
        `/v1/usage?${q}`,
        `/v1/conversations?instanceId=${B.ids.instance}`,
        `/v1/conversations?contactId=${B.ids.contact}`,
      ]) {
        const res = await send(app, "GET", path, { kind: "key", key: A.key });
        for (const id of idsOfB()) if (id !== B.ids.instance && id !== B.ids.contact && res.text.includes(id)) found.push(`${path} shows B's id ${id}`);
        if (res.status >= 500) found.push(`${path} → ${res.status}`);
      }
    }
    expect(found).toEqual([]);
  });

  test("pages", async () => {
    const cases: [string, Record<string, string | string[]>][] = [
      ["/api-keys", { name: "x", scopes: ["*"], instanceId: B.ids.instance }],
      ["/triggers", { name: "t", match: "any", action: "start_flow", flowId: B.ids.flow }],
      ["/triggers", { name: "t", match: "any", action: "hand_to_workflow", workflowId: B.ids.workflow }],
      [`/workflows/${A.ids.workflow}/bindings`, { instanceId: B.ids.instance }],
      [`/inbox/${A.ids.conversation}/assign`, { userId: B.user.id }],
      ["/organizations/switch", { organizationId: B.organization.id }],
    ];
    const found: string[] = [];
    for (const [path, data] of cases) {
      const res = await send(app, "POST", path, { kind: "member", session: sessionA }, { type: "form", data });
      for (const p of problems(path, path, res)) found.push(`${path} → ${p}`);
      if (res.status < 400) found.push(`${path} with B's ids → expected a refusal, got ${res.status} ${res.headers.get("location") ?? ""}`);
    }
    // Still in A: the dashboard names A's organization, not B's.
    const home = await send(app, "GET", "/", { kind: "member", session: sessionA });
    expect(home.text).toContain("Alpha");
    expect(found).toEqual([]);
  });
});

describe("after all of that, organization B's data is exactly as it was", () => {
  test("every B resource still reads back unchanged with B's key", async () => {
    const get = async (path: string) => {
      const res = await send(app, "GET", path, { kind: "key", key: B.key });
      expect(res.status, path).toBe(200);
      return res.json;
    };
    expect((await get(`/v1/instances/${B.ids.instance}`)).name).toBe("Beta phone");
    expect((await get(`/v1/instances/${B.ids.instance}`)).status).toBe("connected");
    const hook = await get(`/v1/webhooks/${B.ids.webhook}`);
    expect(hook.name).toBe("Beta hook");
    expect(hook.active).toBe(true);
    const contact = await get(`/v1/contacts/${B.ids.contact}`);
    expect(contact.name).toBe("Beta contact");
    expect(contact.blocked).toBe(false);
    expect((await get(`/v1/templates/${B.ids.template}`)).body).toBe("Hi {{name}}");
    expect((await get(`/v1/workflows/${B.ids.workflow}`)).name).toBe("Beta bot");
    expect((await get(`/v1/devices/${B.ids.device}`)).name).toBe("Beta device");
    expect((await get(`/v1/conversations/${B.ids.conversation}`)).status).not.toBe("resolved");
    expect((await get(`/v1/threads/${B.ids.thread}`)).status).toBe("active");
    await get(`/v1/messages/${B.ids.message}`);
    await get(`/v1/events/${B.ids.event}`);
    await get(`/v1/deliveries/${B.ids.delivery}`);

    // Things only pages show: B's owner still sees B's trigger, flow, members, invitation and keys.
    const owner = B.client.cookies.get(SESSION_COOKIE)!;
    const page = async (path: string) => {
      const res = await send(app, "GET", path, { kind: "member", session: owner });
      expect(res.status, path).toBe(200);
      return res.text;
    };
    expect(await page(`/triggers/${B.ids.trigger}`)).toContain("zzz-never");
    expect(await page(`/flows/${B.ids.flow}`)).toContain("Beta flow");
    const members = await page("/members");
    expect(members).toContain("agent");
    expect(members).toContain("invitee");
    const keys = await page("/api-keys");
    expect(keys).toContain("sweep");
    expect(keys).not.toContain("Revoked");
  });
});
