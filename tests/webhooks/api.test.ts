import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { devices, instances, webhookDeliveries, webhooks } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { recordEvent } from "@/features/events/event.service";
import { drainDueDeliveries, runDeliveriesOnce } from "@/features/webhooks/delivery.send";
import { decryptSecret } from "@/lib/crypto";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startSubscriber } from "./subscriber";

const app = createApp();
let a: Awaited<ReturnType<typeof setupOrg>>;
let b: Awaited<ReturnType<typeof setupOrg>>;
const sub = startSubscriber();

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  a = await setupOrg(app, { orgName: "Org A" });
  b = await setupOrg(app, { orgName: "Org B" });
});
afterAll(() => sub.stop());

async function create(key: string, body: Record<string, unknown> = {}) {
  const res = await api(app, "POST", "/v1/webhooks", key, { url: sub.url, ...body });
  expect(res.status).toBe(201);
  sub.secrets.push(res.body.secret);
  return res.body;
}

describe("/v1/webhooks CRUD", () => {
  test("create returns the secret once; it is stored encrypted and never returned again", async () => {
    const created = await create(a.key, {
      name: "CRM",
      eventTypes: ["message.received", "message.received", "message.sent"],
      headers: { "X-Api-Token": "t0k" },
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.secret.slice(6), "base64").length).toBeGreaterThanOrEqual(24);
    expect(created).toMatchObject({
      name: "CRM",
      url: sub.url,
      eventTypes: ["message.received", "message.sent"],
      instanceIds: null,
      active: true,
      headers: { "X-Api-Token": "••••" },
    });

    const [row] = await db.select().from(webhooks).where(eq(webhooks.id, created.id));
    expect(row!.secretEnc).not.toContain(created.secret.slice(6));
    expect(row!.secretEnc.startsWith("v1.")).toBe(true);
    expect(decryptSecret(row!.secretEnc)).toBe(created.secret);

    const shown = await api(app, "GET", `/v1/webhooks/${created.id}`, a.key);
    expect(shown.status).toBe(200);
    expect(shown.body.secret).toBeUndefined();
    expect(JSON.stringify(shown.body)).not.toContain("whsec_");
    const list = await api(app, "GET", "/v1/webhooks", a.key);
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(created.id);
    expect(JSON.stringify(list.body)).not.toContain("whsec_");
    expect(list.body.nextCursor).toBeNull();
  });

  test("validation: event types, URL scheme, reserved headers, unknown instances → 422 with field paths", async () => {
    const bad = async (body: Record<string, unknown>) => {
      const res = await api(app, "POST", "/v1/webhooks", a.key, { url: sub.url, ...body });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
      return (res.body.error.details as { path: string; message: string }[]).map((d) => d.path);
    };
    expect(await bad({ eventTypes: ["message.exploded"] })).toContain("eventTypes.0");
    expect(await bad({ eventTypes: [] })).toContain("eventTypes");
    expect(await bad({ url: "ftp://example.com/x" })).toContain("url");
    expect(await bad({ url: "not a url" })).toContain("url");
    expect(await bad({ url: "https://user:pass@example.com/" })).toContain("url");
    expect(await bad({ headers: { Connection: "close" } })).toContain("headers.Connection");
    expect(await bad({ headers: { "Transfer-Encoding": "chunked" } })).toContain("headers.Transfer-Encoding");
    expect(await bad({ headers: { "webhook-signature": "v1,forged" } })).toContain("headers.webhook-signature");
    expect(await bad({ headers: { "Bad Name": "x" } })).toContain("headers.Bad Name");
    expect(await bad({ headers: { "X-Ok": "line\r\nInjected: yes" } })).toContain("headers.X-Ok");
    expect(await bad({ instanceIds: ["not-a-uuid"] })).toContain("instanceIds.0");

    const [foreign] = await db.insert(instances).values({ organizationId: b.organization.id, name: "B phone" }).returning();
    expect(await bad({ instanceIds: [foreign!.id] })).toContain("instanceIds");
    const [own] = await db.insert(instances).values({ organizationId: a.organization.id, name: "A phone" }).returning();
    const ok = await create(a.key, { instanceIds: [own!.id] });
    expect(ok.instanceIds).toEqual([own!.id]);
  });

  test("update, disable (no new deliveries), enable (state cleared), delete", async () => {
    const hook = await create(a.key, { eventTypes: ["contact.created"] });
    const patched = await api(app, "PATCH", `/v1/webhooks/${hook.id}`, a.key, { name: "Renamed", eventTypes: null, headers: { "X-A": "1" } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: "Renamed", eventTypes: null, headers: { "X-A": "••••" } });
    const invalid = await api(app, "PATCH", `/v1/webhooks/${hook.id}`, a.key, { url: "gopher://x" });
    expect(invalid.status).toBe(422);

    const off = await api(app, "PATCH", `/v1/webhooks/${hook.id}`, a.key, { active: false });
    expect(off.body).toMatchObject({ active: false, disabledReason: "Disabled by a user" });
    await recordEvent({ organizationId: a.organization.id, type: "contact.created", data: {} });
    expect((await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id))).length).toBe(0);
    const test = await api(app, "POST", `/v1/webhooks/${hook.id}/test`, a.key);
    expect(test.status).toBe(409);

    await db.update(webhooks).set({ failingSince: new Date() }).where(eq(webhooks.id, hook.id));
    const on = await api(app, "PATCH", `/v1/webhooks/${hook.id}`, a.key, { active: true });
    expect(on.body).toMatchObject({ active: true, disabledAt: null, disabledReason: null, failingSince: null });

    const del = await api(app, "DELETE", `/v1/webhooks/${hook.id}`, a.key);
    expect(del.status).toBe(204);
    expect((await api(app, "GET", `/v1/webhooks/${hook.id}`, a.key)).status).toBe(404);
    await db.update(webhooks).set({ active: false }).where(eq(webhooks.organizationId, a.organization.id));
  });

  test("test ping goes to that endpoint only and verifies", async () => {
    const other = startSubscriber();
    try {
      const target = await create(a.key);
      const res2 = await api(app, "POST", "/v1/webhooks", a.key, { url: other.url });
      other.secrets.push(res2.body.secret);
      const before = sub.received.length;
      const ping = await api(app, "POST", `/v1/webhooks/${target.id}/test`, a.key);
      expect(ping.status).toBe(202);
      expect(ping.body.eventId).toBeDefined();
      await drainDueDeliveries();
      const got = sub.received.slice(before);
      expect(got.length).toBe(1);
      expect(got[0]!.id).toBe(ping.body.eventId);
      expect(got[0]!.verifiedWith.length).toBe(1);
      expect(got[0]!.payload).toMatchObject({ type: "webhook.test", organizationId: a.organization.id, data: { webhookId: target.id } });
      expect(other.received.length).toBe(0);
    } finally {
      other.stop();
      await db.update(webhooks).set({ active: false }).where(eq(webhooks.organizationId, a.organization.id));
    }
  });

  test("delivery log: filters, cursor pagination, attempt detail, manual retry and recover", async () => {
    let fail = true;
    const flaky = startSubscriber(() => (fail ? new Response("boom", { status: 500 }) : new Response("ok")));
    try {
      const res = await api(app, "POST", "/v1/webhooks", a.key, { url: flaky.url, eventTypes: ["message.sent", "message.read"] });
      const hook = res.body;
      flaky.secrets.push(hook.secret);
      const start = new Date(Date.now() - 1000);
      for (let i = 0; i < 3; i++) await recordEvent({ organizationId: a.organization.id, type: "message.sent", data: { i } });
      await recordEvent({ organizationId: a.organization.id, type: "message.read", data: {} });
      await drainDueDeliveries();

      const all = await api(app, "GET", `/v1/webhooks/${hook.id}/deliveries`, a.key);
      expect(all.status).toBe(200);
      expect(all.body.data.length).toBe(4);
      expect(all.body.data.every((d: { status: string }) => d.status === "failed")).toBe(true);
      const sent = await api(app, "GET", `/v1/webhooks/${hook.id}/deliveries?eventType=message.sent`, a.key);
      expect(sent.body.data.length).toBe(3);
      const none = await api(app, "GET", `/v1/webhooks/${hook.id}/deliveries?status=succeeded`, a.key);
      expect(none.body.data.length).toBe(0);
      expect((await api(app, "GET", `/v1/webhooks/${hook.id}/deliveries?status=weird`, a.key)).status).toBe(422);

      const page1 = await api(app, "GET", `/v1/webhooks/${hook.id}/deliveries?limit=3`, a.key);
      expect(page1.body.data.length).toBe(3);
      expect(page1.body.nextCursor).toBeString();
      const page2 = await api(app, "GET", `/v1/webhooks/${hook.id}/deliveries?limit=3&cursor=${page1.body.nextCursor}`, a.key);
      expect(page2.body.data.length).toBe(1);
      expect(page2.body.nextCursor).toBeNull();
      const ids = [...page1.body.data, ...page2.body.data].map((d: { id: string }) => d.id);
      expect(new Set(ids).size).toBe(4);

      const detail = await api(app, "GET", `/v1/deliveries/${ids[0]}`, a.key);
      expect(detail.status).toBe(200);
      expect(detail.body.attempts.length).toBe(1);
      expect(detail.body.attempts[0]).toMatchObject({ attempt: 1, statusCode: 500, responseExcerpt: "boom" });
      expect(detail.body.attempts[0].requestHeaders["webhook-id"]).toBe(detail.body.eventId);
      expect(JSON.parse(detail.body.attempts[0].requestBody).id).toBe(detail.body.eventId);

      fail = false;
      const retried = await api(app, "POST", `/v1/deliveries/${ids[0]}/retry`, a.key);
      expect(retried.status).toBe(202);
      expect(retried.body.status).toBe("pending");
      expect((await runDeliveriesOnce()).outcomes).toEqual(["succeeded"]);
      expect((await api(app, "GET", `/v1/deliveries/${ids[0]}`, a.key)).body.status).toBe("succeeded");

      // Recover only what was created since T: a date after everything re-queues nothing.
      const later = await api(app, "POST", `/v1/webhooks/${hook.id}/recover`, a.key, { since: new Date(Date.now() + 30_000).toISOString() });
      expect(later.status).toBe(202);
      expect(later.body.requeued).toBe(0);
      const badSince = await api(app, "POST", `/v1/webhooks/${hook.id}/recover`, a.key, { since: "yesterday-ish" });
      expect(badSince.status).toBe(422);
      const recovered = await api(app, "POST", `/v1/webhooks/${hook.id}/recover`, a.key, { since: start.toISOString() });
      expect(recovered.body.requeued).toBe(3);
      await drainDueDeliveries();
      const after = await api(app, "GET", `/v1/webhooks/${hook.id}/deliveries?status=succeeded`, a.key);
      expect(after.body.data.length).toBe(4);
      // Each event reached the subscriber with one stable id across its failed and successful tries.
      const byId = new Map<string, number>();
      for (const r of flaky.received) byId.set(r.id, (byId.get(r.id) ?? 0) + 1);
      expect([...byId.values()].every((n) => n === 2)).toBe(true);
      expect(flaky.verified().length).toBe(flaky.received.length);
    } finally {
      flaky.stop();
      await db.update(webhooks).set({ active: false }).where(eq(webhooks.organizationId, a.organization.id));
    }
  });
});

/** Every route that reads or changes one endpoint or one of its deliveries (DELETE last: it removes both). */
function routesOf(hookId: string, deliveryId: string): [string, string, unknown?][] {
  return [
    ["GET", `/v1/webhooks/${hookId}`],
    ["PATCH", `/v1/webhooks/${hookId}`, { name: "hijacked" }],
    ["POST", `/v1/webhooks/${hookId}/test`],
    ["POST", `/v1/webhooks/${hookId}/rotate-secret`],
    ["GET", `/v1/webhooks/${hookId}/deliveries`],
    ["POST", `/v1/webhooks/${hookId}/recover`, { since: new Date(0).toISOString() }],
    ["GET", `/v1/deliveries/${deliveryId}`],
    ["POST", `/v1/deliveries/${deliveryId}/retry`],
    ["DELETE", `/v1/webhooks/${hookId}`],
  ];
}

describe("/v1/webhooks access control", () => {
  test("logged out → 401, missing scope → 403, read-only scope cannot write, visitor keys are refused", async () => {
    const hook = await create(a.key);
    const [delivery] = await db
      .insert(webhookDeliveries)
      .values({
        organizationId: a.organization.id,
        webhookId: hook.id,
        eventId: (await recordEvent({ organizationId: null, type: "webhook.test", data: {} })).id,
        eventType: "webhook.test",
        status: "exhausted",
      })
      .returning();
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/webhooks"],
      ["POST", "/v1/webhooks", { url: sub.url }],
      ["GET", `/v1/webhooks/${hook.id}`],
      ["PATCH", `/v1/webhooks/${hook.id}`, { name: "x" }],
      ["DELETE", `/v1/webhooks/${hook.id}`],
      ["POST", `/v1/webhooks/${hook.id}/test`],
      ["POST", `/v1/webhooks/${hook.id}/rotate-secret`],
      ["GET", `/v1/webhooks/${hook.id}/deliveries`],
      ["POST", `/v1/webhooks/${hook.id}/recover`, { since: new Date().toISOString() }],
      ["GET", `/v1/deliveries/${delivery!.id}`],
      ["POST", `/v1/deliveries/${delivery!.id}/retry`],
    ];
    const { secret: noScope } = await createApiKey({ organizationId: a.organization.id, name: "messages only", scopes: ["messages:read"] });
    const { secret: readOnly } = await createApiKey({ organizationId: a.organization.id, name: "read", scopes: ["webhooks:read"] });
    const [device] = await db.insert(devices).values({ name: "visitor laptop" }).returning();
    const { secret: visitor } = await createApiKey({ organizationId: null, deviceId: device!.id, name: "visitor", scopes: ["*"] });
    for (const [method, path, body] of routes) {
      const v = await api(app, method, path, visitor, body);
      expect([method, path, v.status]).toEqual([method, path, 403]);
      const anon = await api(app, method, path, undefined, body);
      expect([method, path, anon.status]).toEqual([method, path, 401]);
      expect(anon.body.error.code).toBe("unauthorized");
      const scoped = await api(app, method, path, noScope, body);
      expect([method, path, scoped.status]).toEqual([method, path, 403]);
      if (method !== "GET") {
        const ro = await api(app, method, path, readOnly, body);
        expect([method, path, ro.status]).toEqual([method, path, 403]);
      }
    }
  });

  test("another organization's ids are 404 on every route, and nothing changes", async () => {
    const hook = await create(a.key);
    const event = await recordEvent({ organizationId: a.organization.id, type: "message.received", data: {} });
    await runDeliveriesOnce();
    const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id));
    expect(delivery!.eventId).toBe(event.id);
    const routes: [string, string, unknown?][] = [
      ...routesOf(hook.id, delivery!.id),
      ["GET", "/v1/webhooks/not-a-uuid"],
      ["GET", "/v1/deliveries/00000000-0000-0000-0000-000000000000"],
    ];
    for (const [method, path, body] of routes) {
      const res = await api(app, method, path, b.key, body);
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(res.body.error.code).toBe("not_found");
    }
    const [after] = await db.select().from(webhooks).where(eq(webhooks.id, hook.id));
    expect(after!.name).toBe("");
    expect(after!.previousSecretEnc).toBeNull();
    const list = await api(app, "GET", "/v1/webhooks", b.key);
    expect(list.body.data.map((w: { id: string }) => w.id)).not.toContain(hook.id);
  });

  test("a key bound to one instance manages only endpoints of exactly that instance; the rest read as 404", async () => {
    const [phone, other] = await db
      .insert(instances)
      .values([
        { organizationId: a.organization.id, name: "Bound phone" },
        { organizationId: a.organization.id, name: "Other phone" },
      ])
      .returning();
    const { secret: bound } = await createApiKey({ organizationId: a.organization.id, name: "bound", scopes: ["*"], instanceId: phone!.id });

    // Its endpoints subscribe to its instance, by default or when named; never to every instance or another one.
    const own = await create(bound, { name: "mine" });
    expect(own.instanceIds).toEqual([phone!.id]);
    expect((await create(bound, { instanceIds: [phone!.id] })).instanceIds).toEqual([phone!.id]);
    const widened = await api(app, "POST", "/v1/webhooks", bound, { url: sub.url, instanceIds: null });
    expect([widened.status, widened.body.error.code]).toEqual([403, "forbidden"]);
    const elsewhere = await api(app, "POST", "/v1/webhooks", bound, { url: sub.url, instanceIds: [phone!.id, other!.id] });
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([404, "not_found"]);
    expect((await api(app, "PATCH", `/v1/webhooks/${own.id}`, bound, { instanceIds: null })).status).toBe(403);
    expect((await api(app, "PATCH", `/v1/webhooks/${own.id}`, bound, { instanceIds: [other!.id] })).status).toBe(404);
    const renamed = await api(app, "PATCH", `/v1/webhooks/${own.id}`, bound, { name: "still mine", instanceIds: [phone!.id] });
    expect(renamed.body).toMatchObject({ name: "still mine", instanceIds: [phone!.id] });

    // The organization's endpoints of every instance, or of this one and another, are not its to see or change.
    const orgWide = await create(a.key, { name: "org-wide" });
    const shared = await create(a.key, { name: "shared", instanceIds: [phone!.id, other!.id] });
    const event = await recordEvent({ organizationId: a.organization.id, instanceId: phone!.id, type: "message.received", data: {} });
    await runDeliveriesOnce();
    const deliveries = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event.id));
    const deliveryOf = (hookId: string) => deliveries.find((d) => d.webhookId === hookId)!.id;
    for (const hook of [orgWide, shared]) {
      for (const [method, path, body] of routesOf(hook.id, deliveryOf(hook.id))) {
        const res = await api(app, method, path, bound, body);
        expect([method, path, res.status, res.body.error?.code]).toEqual([method, path, 404, "not_found"]);
      }
      const [after] = await db.select().from(webhooks).where(eq(webhooks.id, hook.id));
      expect([after!.name, after!.previousSecretEnc]).toEqual([hook.name, null]);
    }
    const listed = await api(app, "GET", "/v1/webhooks?limit=100", bound);
    expect(listed.body.data.map((w: { instanceIds: string[] }) => w.instanceIds)).toEqual(listed.body.data.map(() => [phone!.id]));
    expect(listed.body.data.map((w: { id: string }) => w.id)).toContain(own.id);

    // Its own endpoint's delivery log and deliveries are open to it; the organization's key still sees everything.
    const ownDeliveries = await api(app, "GET", `/v1/webhooks/${own.id}/deliveries`, bound);
    expect(ownDeliveries.body.data.map((d: { id: string }) => d.id)).toEqual([deliveryOf(own.id)]);
    expect((await api(app, "GET", `/v1/deliveries/${deliveryOf(own.id)}`, bound)).status).toBe(200);
    expect((await api(app, "GET", `/v1/webhooks/${shared.id}`, a.key)).status).toBe(200);
    expect((await api(app, "DELETE", `/v1/webhooks/${own.id}`, bound)).status).toBe(204);
  });
});
