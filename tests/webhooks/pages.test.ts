import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { webhookDeliveries, webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { drainDueDeliveries } from "@/features/webhooks/delivery.send";
import { decryptSecret } from "@/lib/crypto";
import { localDateTimeInZone } from "@/lib/i18n";
import { TestClient } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { startSubscriber } from "./subscriber";

const app = createApp();
let a: Awaited<ReturnType<typeof setupOrg>>;
let b: Awaited<ReturnType<typeof setupOrg>>;
let fail = true;
const sub = startSubscriber(() => (fail ? new Response("<h1>oops</h1>", { status: 500 }) : new Response("ok")));

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  a = await setupOrg(app, { orgName: "Pages A" });
  b = await setupOrg(app, { orgName: "Pages B" });
});
afterAll(() => sub.stop());

/** Creates an endpoint through the form (post → redirect → get) and returns its id and the secret shown once. */
async function createViaForm(client: TestClient, data: Record<string, string | string[]>) {
  const res = await client.postForm("/webhooks", data);
  expect(res.status).toBe(303);
  const id = res.headers.get("location")!.match(/^\/webhooks\/([0-9a-f-]{36})$/)![1]!;
  const page = await client.get(`/webhooks/${id}`);
  expect(page.headers.get("cache-control")).toBe("no-store");
  const html = await page.text();
  const secret = html.match(/whsec_[A-Za-z0-9+/=]+/)![0];
  return { id, secret, html };
}

describe("webhook admin pages", () => {
  test("logged out visitors are sent to sign in; agents and supervisors are refused", async () => {
    const anon = new TestClient(app);
    for (const path of ["/webhooks", "/webhooks/new", "/webhooks/00000000-0000-0000-0000-000000000000"]) {
      const res = await anon.get(path);
      expect([path, res.status]).toEqual([path, 303]);
      expect(res.headers.get("location")).toStartWith("/login");
    }
    const { id } = await createViaForm(a.client, { url: sub.url, name: "Anon target" });
    await recordEvent({ organizationId: a.organization.id, type: "message.received", data: {} });
    await drainDueDeliveries();
    const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id));
    for (const path of [`/webhooks/${id}`, `/webhooks/${id}/edit`, `/webhooks/${id}/deliveries/${delivery!.id}`]) {
      const res = await anon.get(path);
      expect([path, res.status]).toEqual([path, 303]);
      expect(res.headers.get("location")).toStartWith("/login");
    }
    const posts = [
      "/webhooks",
      `/webhooks/${id}`,
      `/webhooks/${id}/test`,
      `/webhooks/${id}/rotate`,
      `/webhooks/${id}/disable`,
      `/webhooks/${id}/enable`,
      `/webhooks/${id}/recover`,
      `/webhooks/${id}/deliveries/${delivery!.id}/retry`,
      `/webhooks/${id}/delete`,
    ];
    for (const path of posts) {
      const res = await anon.postForm(path, { url: sub.url, since: "2020-01-01T00:00" });
      expect([path, res.status]).toEqual([path, 303]);
      expect(res.headers.get("location")).toStartWith("/login");
    }
    const [untouched] = await db.select().from(webhooks).where(eq(webhooks.id, id));
    expect(untouched).toMatchObject({ name: "Anon target", active: true, previousSecretEnc: null });
    await db.update(webhooks).set({ active: false }).where(eq(webhooks.id, id));

    for (const role of ["agent", "supervisor"] as const) {
      const member = await createMember(a.organization.id, role);
      const client = await signIn(app, member.id, a.organization.id);
      expect((await client.get("/webhooks")).status).toBe(403);
      expect((await client.postForm("/webhooks", { url: sub.url })).status).toBe(403);
    }
  });

  test("create form: 422 with field errors, then the secret once; list shows status and 24 h success rate", async () => {
    const form = await a.client.get("/webhooks/new");
    expect(form.status).toBe(200);
    const formHtml = await form.text();
    expect(formHtml).toContain('name="eventTypes" value="message.received"');

    const bad = await a.client.postForm("/webhooks", {
      url: "ftp://nope",
      name: "x",
      headers: "Connection: close\nno colon here",
      eventTypes: ["message.sent"],
    });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain("Only http and https URLs are allowed");
    expect(badHtml).toContain("cannot be set");
    expect(badHtml).toContain("Line 2");
    expect(badHtml).toContain('value="ftp://nope"');
    expect(badHtml).toMatch(/value="message.sent" checked/);

    const { id, secret } = await createViaForm(a.client, {
      url: sub.url,
      name: "<script>alert(1)</script>",
      eventTypes: ["message.received", "message.sent"],
      headers: "X-Token: abc",
    });
    sub.secrets.push(secret);
    const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
    expect(row).toMatchObject({ eventTypes: ["message.received", "message.sent"], instanceIds: null });
    expect(decryptSecret(row!.headersEnc["X-Token"]!)).toBe("abc");

    await recordEvent({ organizationId: a.organization.id, type: "message.received", data: {} });
    fail = false;
    await drainDueDeliveries();
    const list = await a.client.get("/webhooks");
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain("100 %");
    expect(html).not.toContain("whsec_");
    expect(sub.verified().length).toBe(1);
  });

  test("endpoint page: delivery log filters, attempt detail with request and response, retry and recover", async () => {
    fail = true;
    const { id, secret } = await createViaForm(a.client, { url: sub.url, name: "Log test", eventTypes: ["contact.created", "conversation.created"] });
    sub.secrets.push(secret);
    await recordEvent({ organizationId: a.organization.id, type: "contact.created", data: { name: "Ana" } });
    await recordEvent({ organizationId: a.organization.id, type: "conversation.created", data: {} });
    await drainDueDeliveries();

    const show = await a.client.get(`/webhooks/${id}`);
    expect(show.status).toBe(200);
    const html = await show.text();
    expect(html).toContain("contact.created");
    expect(html).toContain("conversation.created");
    expect(html).toContain("HTTP 500");
    const filtered = await (await a.client.get(`/webhooks/${id}?eventType=contact.created&status=failed`)).text();
    expect(filtered).toContain("<code>contact.created</code>");
    expect(filtered).not.toContain("<code>conversation.created</code>");
    const none = await (await a.client.get(`/webhooks/${id}?status=succeeded`)).text();
    expect(none).toContain("No deliveries match");

    const [delivery] = await db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.webhookId, id), eq(webhookDeliveries.eventType, "contact.created")));
    const detail = await a.client.get(`/webhooks/${id}/deliveries/${delivery!.id}`);
    expect(detail.status).toBe(200);
    const detailHtml = await detail.text();
    expect(detailHtml).toContain("webhook-signature: v1,");
    expect(detailHtml).toContain("&quot;name&quot;: &quot;Ana&quot;"); // pretty-printed body, escaped
    expect(detailHtml).toContain("&lt;h1&gt;oops&lt;/h1&gt;"); // response excerpt, escaped
    expect(detailHtml).toContain("Attempt 1");

    fail = false;
    const retry = await a.client.postForm(`/webhooks/${id}/deliveries/${delivery!.id}/retry`, {});
    expect(retry.status).toBe(303);
    await drainDueDeliveries();
    const [retried] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, delivery!.id));
    expect(retried!.status).toBe("succeeded");
    const flashPage = await (await a.client.get(retry.headers.get("location")!)).text();
    expect(flashPage).toContain("Retry queued");
    expect(flashPage).toContain("Attempt 2");

    const badRecover = await a.client.postForm(`/webhooks/${id}/recover`, { since: "" });
    expect(badRecover.status).toBe(422);
    expect(await badRecover.text()).toContain('id="recover-form"');
    // The form reads the time on the reader's clock (the organization's zone for a member without one).
    const since = localDateTimeInZone(new Date(Date.now() - 3_600_000), a.organization.timeZone);
    const recover = await a.client.postForm(`/webhooks/${id}/recover`, { since });
    expect(recover.status).toBe(303);
    expect(await (await a.client.get(`/webhooks/${id}`)).text()).toContain("1 delivery re-queued");
    await drainDueDeliveries();
    const rows = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id));
    expect(rows.every((r) => r.status === "succeeded")).toBe(true);
  });

  test("edit, test ping, rotate (new secret shown once), disable, enable, delete", async () => {
    const { id } = await createViaForm(a.client, { url: sub.url, name: "Actions" });
    const edit = await a.client.get(`/webhooks/${id}/edit`);
    expect(await edit.text()).toContain('value="Actions"');
    const badEdit = await a.client.postForm(`/webhooks/${id}`, { url: "", name: "Renamed" });
    expect(badEdit.status).toBe(422);
    const saved = await a.client.postForm(`/webhooks/${id}`, { url: sub.url, name: "Renamed", eventTypes: ["webhook.test"], headers: "" });
    expect(saved.status).toBe(303);
    const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
    expect(row).toMatchObject({ name: "Renamed", eventTypes: ["webhook.test"], headers: {} });

    const ping = await a.client.postForm(`/webhooks/${id}/test`, {});
    expect(ping.status).toBe(303);
    const queued = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id));
    expect(queued.map((d) => d.eventType)).toEqual(["webhook.test"]);

    const rotate = await a.client.postForm(`/webhooks/${id}/rotate`, {});
    expect(rotate.status).toBe(303);
    expect(rotate.headers.get("location")).toBe(`/webhooks/${id}`);
    const reveal = await a.client.get(`/webhooks/${id}`);
    expect(reveal.headers.get("cache-control")).toBe("no-store");
    const rotated = await reveal.text();
    expect(rotated).toMatch(/whsec_[A-Za-z0-9+/=]{44}/);
    expect(rotated).toContain("previous secret keeps signing");
    expect(await (await a.client.get(`/webhooks/${id}`)).text()).toContain("still signs until");

    expect((await a.client.postForm(`/webhooks/${id}/disable`, {})).status).toBe(303);
    expect((await db.select().from(webhooks).where(eq(webhooks.id, id)))[0]!.active).toBe(false);
    expect((await a.client.postForm(`/webhooks/${id}/enable`, {})).status).toBe(303);
    expect((await db.select().from(webhooks).where(eq(webhooks.id, id)))[0]!.active).toBe(true);
    const del = await a.client.postForm(`/webhooks/${id}/delete`, {});
    expect(del.status).toBe(303);
    expect(del.headers.get("location")).toBe("/webhooks");
    expect((await a.client.get(`/webhooks/${id}`)).status).toBe(404);
  });

  test("another organization's endpoint and deliveries are 404 on every page and action", async () => {
    const { id } = await createViaForm(a.client, { url: sub.url, name: "Private to A" });
    await recordEvent({ organizationId: a.organization.id, type: "message.read", data: {} });
    await drainDueDeliveries();
    const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id));
    const gets = [`/webhooks/${id}`, `/webhooks/${id}/edit`, `/webhooks/${id}/deliveries/${delivery!.id}`, "/webhooks/not-a-uuid"];
    for (const path of gets) expect([path, (await b.client.get(path)).status]).toEqual([path, 404]);
    const posts: [string, Record<string, string>][] = [
      [`/webhooks/${id}`, { url: sub.url, name: "hijack" }],
      [`/webhooks/${id}/test`, {}],
      [`/webhooks/${id}/rotate`, {}],
      [`/webhooks/${id}/disable`, {}],
      [`/webhooks/${id}/enable`, {}],
      [`/webhooks/${id}/recover`, { since: "2020-01-01T00:00" }],
      [`/webhooks/${id}/deliveries/${delivery!.id}/retry`, {}],
      [`/webhooks/${id}/delete`, {}],
    ];
    for (const [path, data] of posts) expect([path, (await b.client.postForm(path, data)).status]).toEqual([path, 404]);
    // A's delivery is not reachable through B's own endpoint either.
    const own = await createViaForm(b.client, { url: sub.url });
    expect((await b.client.get(`/webhooks/${own.id}/deliveries/${delivery!.id}`)).status).toBe(404);
    const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
    expect(row).toMatchObject({ name: "Private to A", active: true, previousSecretEnc: null });
    expect(await (await b.client.get("/webhooks")).text()).not.toContain("Private to A");
  });
});

describe("delivery log refresh", () => {
  test("the newest page polls a fragment of its rows; other organizations get 404", async () => {
    fail = true;
    const { id } = await createViaForm(a.client, { url: sub.url, name: "Polling", eventTypes: ["instance.qr"] });
    const page = await (await a.client.get(`/webhooks/${id}?status=failed`)).text();
    expect(page).toContain(`hx-get="/webhooks/${id}/log?status=failed"`);
    // The log lists attempted deliveries: this one failed and waits for its retry.
    await recordEvent({ organizationId: a.organization.id, type: "instance.qr", data: {} });
    await drainDueDeliveries();
    const fragment = await a.client.get(`/webhooks/${id}/log?status=failed`, { htmx: true });
    expect(fragment.status).toBe(200);
    const html = await fragment.text();
    expect(html).toStartWith('<div id="delivery-rows"');
    expect(html).toContain("instance.qr");
    expect(html).not.toContain("<html");
    expect((await b.client.get(`/webhooks/${id}/log`, { htmx: true })).status).toBe(404);
    expect((await new TestClient(app).get(`/webhooks/${id}/log`)).status).toBe(303);
  });
});
