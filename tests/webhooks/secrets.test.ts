// Issue 14 items 3 and 4: custom header values are secrets (encrypted at rest, masked everywhere they
// are shown, real only on the wire), and a delivery that cannot even be built still counts as an attempt.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { webhookAttempts, webhookDeliveries, webhooks } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { RESPONSE_EXCERPT_BYTES, AUTO_DISABLE_AFTER_MS, deliveryClock, MAX_ATTEMPTS } from "@/features/webhooks/delivery.queue";
import { runDeliveriesOnce } from "@/features/webhooks/delivery.send";
import { MASKED_HEADER_VALUE } from "@/features/webhooks/webhook.schema";
import { sealPlaintextWebhookHeaders } from "@/features/webhooks/webhook.service";
import { decryptSecret } from "@/lib/crypto";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startSubscriber } from "./subscriber";
import { attemptsOf } from "@/features/webhooks/delivery.log";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
const sub = startSubscriber();
const TOKEN = "Bearer s3cret-subscriber-token";
const TENANT = "tenant-credential-42";

async function endpoint(body: Record<string, unknown> = {}) {
  const res = await api(app, "POST", "/v1/webhooks", org.key, { url: sub.url, ...body });
  expect(res.status).toBe(201);
  sub.secrets.push(res.body.secret);
  return res.body as { id: string; secret: string; headers: Record<string, string> };
}

const rowOf = async (id: string) => (await db.select().from(webhooks).where(eq(webhooks.id, id)))[0]!;
const deliveriesOf = (webhookId: string) => db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));

/** Moves the delivery clock to the next scheduled attempt of the endpoint's failed deliveries. */
async function skipToNextAttempt(webhookId: string) {
  const [row] = await db
    .select({ next: sql<Date>`min(${webhookDeliveries.nextAttemptAt})` })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.status, "failed")));
  const gap = new Date(row!.next).getTime() - deliveryClock.now().getTime();
  if (gap > 0) deliveryClock.advance(gap + 1000);
}

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
});
afterEach(async () => {
  await db.update(webhooks).set({ active: false });
  deliveryClock.reset();
  sub.received.length = 0;
});
afterAll(() => sub.stop());

describe("custom header values", () => {
  test("are encrypted at rest, masked in the API, the pages and the attempt log; the subscriber receives the real values", async () => {
    const hook = await endpoint({ eventTypes: ["message.received"], headers: { Authorization: TOKEN, "X-Tenant": TENANT } });
    expect(hook.headers).toEqual({ Authorization: MASKED_HEADER_VALUE, "X-Tenant": MASKED_HEADER_VALUE });

    const row = await rowOf(hook.id);
    expect(JSON.stringify(row)).not.toContain("s3cret-subscriber-token");
    expect(JSON.stringify(row)).not.toContain(TENANT);
    expect(Object.keys(row.headersEnc).sort()).toEqual(["Authorization", "X-Tenant"]);
    expect(decryptSecret(row.headersEnc.Authorization!)).toBe(TOKEN);

    for (const path of [`/v1/webhooks/${hook.id}`, "/v1/webhooks"]) {
      const shown = await api(app, "GET", path, org.key);
      expect(shown.status).toBe(200);
      expect(JSON.stringify(shown.body)).toContain(`"Authorization":"${MASKED_HEADER_VALUE}"`);
      expect(JSON.stringify(shown.body)).not.toContain("s3cret");
    }

    await recordEvent({ organizationId: org.organization.id, type: "message.received", data: { text: "hi" } });
    expect((await runDeliveriesOnce()).outcomes).toEqual(["succeeded"]);
    expect(sub.received[0]!.headers.authorization).toBe(TOKEN);
    expect(sub.received[0]!.headers["x-tenant"]).toBe(TENANT);

    const [delivery] = await deliveriesOf(hook.id);
    const [attempt] = await attemptsOf(delivery!);
    expect(attempt!.requestHeaders.authorization).toBe(MASKED_HEADER_VALUE);
    expect(attempt!.requestHeaders["x-tenant"]).toBe(MASKED_HEADER_VALUE);
    expect(attempt!.requestHeaders["webhook-id"]).toBeString();
    expect(JSON.stringify(attempt)).not.toContain("s3cret");
    const detail = await api(app, "GET", `/v1/deliveries/${delivery!.id}`, org.key);
    expect(detail.body.attempts[0].requestHeaders.authorization).toBe(MASKED_HEADER_VALUE);

    for (const path of ["/webhooks", `/webhooks/${hook.id}`, `/webhooks/${hook.id}/edit`, `/webhooks/${hook.id}/deliveries/${delivery!.id}`]) {
      const res = await org.client.get(path);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).not.toContain("s3cret");
      expect(html).not.toContain(TENANT);
      if (path.endsWith("/edit")) expect(html).toContain(`Authorization: ${MASKED_HEADER_VALUE}`);
      if (path.includes("/deliveries/")) expect(html).toContain(`authorization: ${MASKED_HEADER_VALUE}`);
    }
  });

  test("a masked value sent back keeps the stored value (API and edit form); a new value replaces it; a masked value with nothing stored is 422", async () => {
    const hook = await endpoint({ headers: { Authorization: TOKEN } });

    const kept = await api(app, "PATCH", `/v1/webhooks/${hook.id}`, org.key, {
      name: "Renamed",
      headers: { authorization: MASKED_HEADER_VALUE, "X-New": "fresh" },
    });
    expect(kept.status).toBe(200);
    expect(kept.body.headers).toEqual({ authorization: MASKED_HEADER_VALUE, "X-New": MASKED_HEADER_VALUE });
    let row = await rowOf(hook.id);
    expect(decryptSecret(row.headersEnc.authorization!)).toBe(TOKEN);
    expect(decryptSecret(row.headersEnc["X-New"]!)).toBe("fresh");

    const unknown = await api(app, "PATCH", `/v1/webhooks/${hook.id}`, org.key, { headers: { "X-Other": MASKED_HEADER_VALUE } });
    expect(unknown.status).toBe(422);
    expect(JSON.stringify(unknown.body)).toContain("headers.X-Other");
    const created = await api(app, "POST", "/v1/webhooks", org.key, { url: sub.url, headers: { Authorization: MASKED_HEADER_VALUE } });
    expect(created.status).toBe(422);

    // The edit form shows the masked lines; saving them unchanged keeps the values.
    const form = await org.client.postForm(`/webhooks/${hook.id}`, {
      url: sub.url,
      name: "Form",
      headers: `authorization: ${MASKED_HEADER_VALUE}\nX-New: replaced`,
    });
    expect(form.status).toBeLessThan(400);
    row = await rowOf(hook.id);
    expect(row.name).toBe("Form");
    expect(decryptSecret(row.headersEnc.authorization!)).toBe(TOKEN);
    expect(decryptSecret(row.headersEnc["X-New"]!)).toBe("replaced");
  });

  test("plaintext values stored before encryption are sealed at boot, and the attempt log already recorded is masked", async () => {
    const hook = await endpoint({ eventTypes: ["contact.created"] });
    await db
      .update(webhooks)
      .set({ headers: { Authorization: TOKEN } })
      .where(eq(webhooks.id, hook.id));
    const event = await recordEvent({ organizationId: org.organization.id, type: "contact.created", data: {} });
    // A delivery logged by that older release (inserted as it was then).
    const [delivery] = await db
      .insert(webhookDeliveries)
      .values({ organizationId: org.organization.id, webhookId: hook.id, eventId: event.id, eventType: event.type, status: "succeeded", attempts: 1 })
      .returning();
    await db.insert(webhookAttempts).values({
      deliveryId: delivery!.id,
      attempt: 1,
      requestHeaders: { authorization: TOKEN, "webhook-id": "msg_1", "user-agent": "LivChat-Webhooks/1.0" },
      statusCode: 500,
    });

    expect(await sealPlaintextWebhookHeaders()).toBe(1);
    const row = await rowOf(hook.id);
    expect(row.headers).toEqual({});
    expect(decryptSecret(row.headersEnc.Authorization!)).toBe(TOKEN);
    const [attempt] = await db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, delivery!.id));
    expect(attempt!.requestHeaders).toEqual({ authorization: MASKED_HEADER_VALUE, "webhook-id": "msg_1", "user-agent": "LivChat-Webhooks/1.0" });
    expect(await sealPlaintextWebhookHeaders()).toBe(0);
  });
});

describe("deliveries are never re-leased forever", () => {
  test("an undecryptable secret is a failed attempt on the retry schedule, ends exhausted, and the endpoint is auto-disabled", async () => {
    const hook = await endpoint({ eventTypes: ["message.sent"] });
    // What a changed APP_SECRET leaves behind: a ciphertext no key we hold can open.
    const foreign = `v1.${Buffer.alloc(60, 7).toString("base64url")}`;
    await db.update(webhooks).set({ secretEnc: foreign }).where(eq(webhooks.id, hook.id));

    await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: {} });
    expect((await runDeliveriesOnce()).outcomes).toEqual(["failed"]);
    let [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, leaseUntil: null });
    expect(delivery!.lastError).toContain("cannot be decrypted");
    expect(delivery!.nextAttemptAt).not.toBeNull();
    expect((await rowOf(hook.id)).failingSince).not.toBeNull();

    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      await skipToNextAttempt(hook.id);
      await runDeliveriesOnce();
    }
    [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({ status: "exhausted", attempts: MAX_ATTEMPTS });
    const attempts = await attemptsOf(delivery!);
    expect(attempts.length).toBe(MAX_ATTEMPTS);
    expect(attempts.map((a) => a.attempt)).toEqual(Array.from({ length: MAX_ATTEMPTS }, (_, i) => MAX_ATTEMPTS - i));
    expect(attempts.every((a) => a.statusCode === null && a.error?.includes("cannot be decrypted"))).toBe(true);
    expect(sub.received.length).toBe(0);

    // Still failing once the streak is older than the auto-disable window: the endpoint is disabled.
    deliveryClock.advance(AUTO_DISABLE_AFTER_MS);
    await recordEvent({ organizationId: org.organization.id, type: "message.sent", data: { later: true } });
    await runDeliveriesOnce();
    const row = await rowOf(hook.id);
    expect(row.active).toBe(false);
    expect(row.disabledReason).toContain("Failing continuously");
  });

  test("a subscriber answering with a NUL byte in its body is recorded like any answer (Postgres text cannot hold NUL)", async () => {
    const nul = startSubscriber(() => new Response("bad\0body", { status: 500 }));
    try {
      const res = await api(app, "POST", "/v1/webhooks", org.key, { url: nul.url, eventTypes: ["conversation.created"] });
      expect(res.status).toBe(201);
      await recordEvent({ organizationId: org.organization.id, type: "conversation.created", data: {} });
      expect((await runDeliveriesOnce()).outcomes).toEqual(["failed"]);
      const [delivery] = await deliveriesOf(res.body.id);
      expect(delivery).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 500, lastResponseExcerpt: "bad\uFFFDbody" });
    } finally {
      nul.stop();
    }
  });

  test("a subscriber's answer is kept as its first 1 KiB, whether it declares its length, streams it, or compresses it", async () => {
    const big = "x".repeat(RESPONSE_EXCERPT_BYTES * 64);
    const answers: Record<string, () => Response> = {
      small: () => new Response("ok, got it", { status: 200 }),
      streamed: () =>
        new Response(
          new ReadableStream({
            start(c) {
              for (let i = 0; i < 64; i++) c.enqueue(new TextEncoder().encode(big.slice(0, RESPONSE_EXCERPT_BYTES)));
              c.close();
            },
          }),
          { status: 200 },
        ),
      // 1 KiB on the wire, 64 KiB inflated: the declared length must not be taken as the body's size.
      gzipped: () => new Response(Bun.gzipSync(big), { status: 200, headers: { "content-encoding": "gzip" } }),
    };
    for (const [name, answer] of Object.entries(answers)) {
      const sub = startSubscriber(answer);
      try {
        const res = await api(app, "POST", "/v1/webhooks", org.key, { url: sub.url, eventTypes: ["conversation.created"] });
        expect(res.status).toBe(201);
        await recordEvent({ organizationId: org.organization.id, type: "conversation.created", data: { name } });
        expect((await runDeliveriesOnce()).outcomes).toEqual(["succeeded"]);
        const [delivery] = await deliveriesOf(res.body.id);
        expect(delivery!.lastResponseExcerpt).toBe(name === "small" ? "ok, got it" : "x".repeat(RESPONSE_EXCERPT_BYTES));
        await api(app, "PATCH", `/v1/webhooks/${res.body.id}`, org.key, { active: false });
      } finally {
        sub.stop();
      }
    }
  });
});
