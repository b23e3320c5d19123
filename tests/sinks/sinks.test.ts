/**
 * Event sinks against the real brokers this machine runs (.ci/run starts them): NATS with JetStream
 * on 127.0.0.1:4222 and RabbitMQ on 127.0.0.1:5672 (guest/guest). Outages go through a TCP forwarder
 * the test closes and reopens (tests/sinks/proxy.ts), so the brokers keep running for everyone else.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { AckPolicy, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect as natsConnect, type NatsConnection } from "@nats-io/transport-node";
import amqp from "amqplib";
import { and, eq, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { webhookDeliveries, webhooks } from "@/db/schema";
import { eventPayload, recordEvent, type EventType } from "@/features/events/event.service";
import { attemptsOf as loggedAttempts } from "@/features/webhooks/delivery.log";
import { AUTO_DISABLE_AFTER_MS, deliveryClock } from "@/features/webhooks/delivery.queue";
import { drainDueDeliveries, runDeliveriesOnce } from "@/features/webhooks/delivery.send";
import { closeSinkConnections, defaultNatsStream, sinkSettings } from "@/features/webhooks/sink.transport";
import { decryptSecret } from "@/lib/crypto";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { brokerProxy } from "./proxy";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let nc: NatsConnection;
const cleanups: (() => Promise<unknown>)[] = [];
const settings = { ...sinkSettings };

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  // Failures (refused connections) show at once; keep the waits short on a busy machine anyway.
  sinkSettings.connectTimeoutMs = 3_000;
  org = await setupOrg(app);
  nc = await natsConnect({ servers: "127.0.0.1:4222" });
});
afterEach(async () => {
  await db.update(webhooks).set({ active: false });
  deliveryClock.reset();
  await closeSinkConnections();
});
afterAll(async () => {
  Object.assign(sinkSettings, settings);
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await nc.close();
});

const record = (type: EventType, data: Record<string, unknown> = {}) => recordEvent({ organizationId: org.organization.id, type, data });

async function createSink(body: Record<string, unknown>) {
  const res = await api(app, "POST", "/v1/webhooks", org.key, body);
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string; url: string; kind: string };
}

const deliveriesOf = (webhookId: string) => db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));

/** The delivery's attempts as its log shows them, oldest first. */
async function attemptsOf(deliveryId: string) {
  const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
  return (await loggedAttempts(delivery!)).reverse();
}

/** Moves the delivery clock to the next scheduled attempt of the endpoint's failed deliveries. */
async function skipToNextAttempt(webhookId: string) {
  const [row] = await db
    .select({ next: sql<Date>`min(${webhookDeliveries.nextAttemptAt})` })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.status, "failed")));
  const gap = new Date(row!.next).getTime() - deliveryClock.now().getTime();
  if (gap > 0) deliveryClock.advance(gap + 1000);
}

/** A JetStream durable consumer of the organization's stream: the client a NATS user would run. */
async function natsConsumer(stream: string, durable: string) {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit }).catch(() => {});
  cleanups.push(() => jsm.consumers.delete(stream, durable));
  return {
    /** Connects as a fresh client (a consumer process started again) and takes up to `max` messages, acking each. */
    async take(max: number): Promise<JsMsg[]> {
      const client = await natsConnect({ servers: "127.0.0.1:4222" });
      try {
        const consumer = await jetstream(client).consumers.get(stream, durable);
        const got: JsMsg[] = [];
        while (got.length < max) {
          const m = await consumer.next({ expires: 1_000 });
          if (!m) break;
          m.ack();
          got.push(m);
        }
        await client.flush();
        return got;
      } finally {
        await client.close();
      }
    },
  };
}

const natsHeaders = (m: JsMsg) => Object.fromEntries([...(m.headers?.keys() ?? [])].map((k) => [k.toLowerCase(), m.headers!.get(k)]));

describe("NATS JetStream sinks", () => {
  test("every event is published on livchat.<org>.<type> with Nats-Msg-Id = event id, the webhook body and signature, after the PubAck; a restarted durable consumer misses nothing; replay is deduplicated", async () => {
    const sink = await createSink({ kind: "nats", url: "nats://127.0.0.1:4222", name: "bus" });
    expect(sink.kind).toBe("nats");
    const stream = defaultNatsStream(org.organization.id);
    cleanups.push(async () => (await jetstreamManager(nc)).streams.delete(stream));

    const first = [await record("message.received", { n: 1 }), await record("instance.connected", { n: 2 })];
    expect(await drainDueDeliveries()).toEqual(["succeeded", "succeeded"]);
    const consumer = await natsConsumer(stream, "app");
    const got = await consumer.take(2);
    expect(got.map((m) => m.subject)).toEqual([`livchat.${org.organization.id}.message.received`, `livchat.${org.organization.id}.instance.connected`]);
    for (const [i, m] of got.entries()) {
      const headers = natsHeaders(m);
      expect(headers["nats-msg-id"]).toBe(first[i]!.id);
      expect(JSON.parse(m.string())).toEqual(JSON.parse(JSON.stringify(eventPayload(first[i]!))));
      // The same Standard Webhooks signature as a webhook delivery, checked with the official library.
      expect(new Webhook(sink.secret).verify(m.string(), headers)).toMatchObject({ id: first[i]!.id });
    }

    // The consumer is gone while more events happen; started again under its durable name it gets exactly those.
    const later = [];
    for (let n = 3; n <= 5; n++) later.push(await record("message.sent", { n }));
    await drainDueDeliveries();
    const resumed = await consumer.take(10);
    expect(resumed.map((m) => natsHeaders(m)["nats-msg-id"])).toEqual(later.map((e) => e.id));

    // The delivery log: succeeded, with the subject and the broker's acknowledgement.
    const [delivery] = (await deliveriesOf(sink.id)).filter((d) => d.eventId === first[0]!.id);
    expect(delivery!.status).toBe("succeeded");
    expect(delivery!.lastResponseExcerpt).toMatch(new RegExp(`^PubAck stream=${stream} seq=\\d+$`));
    const [attempt] = await attemptsOf(delivery!.id);
    expect(attempt!.requestHeaders["nats-subject"]).toBe(`livchat.${org.organization.id}.message.received`);
    expect(attempt!.requestBody).toBe(JSON.stringify(eventPayload(first[0]!)));
    // The admin's attempt page shows where it went and the acknowledgement; the API's log the same.
    const detail = await org.client.get(`/webhooks/${sink.id}/deliveries/${delivery!.id}`);
    expect(detail.status).toBe(200);
    const html = await detail.text();
    expect(html).toContain(`livchat.${org.organization.id}.message.received`);
    expect(html).toContain("PubAck");
    const logged = await api(app, "GET", `/v1/deliveries/${delivery!.id}`, org.key);
    expect(logged.status).toBe(200);
    expect(JSON.stringify(logged.body)).toContain("PubAck");

    // Replay (the delivery log's retry): published again, and JetStream drops the copy by its Nats-Msg-Id.
    const retried = await api(app, "POST", `/v1/deliveries/${delivery!.id}/retry`, org.key);
    expect(retried.status).toBe(202);
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    const attempts = await attemptsOf(delivery!.id);
    expect(attempts.length).toBe(2);
    expect(attempts[1]!.responseExcerpt).toContain("duplicate");
    expect(await consumer.take(10)).toEqual([]);
  });

  test("a broker outage: attempts fail and follow the retry schedule, then the events are delivered once it returns", async () => {
    const proxy = await brokerProxy(4222);
    cleanups.push(async () => proxy.down());
    // Another organization: the first test's stream already captures this one's subjects.
    org = await setupOrg(app);
    const stream = `LIVCHAT-OUTAGE-${Date.now()}`;
    cleanups.push(async () => (await jetstreamManager(nc)).streams.delete(stream));
    const sink = await createSink({ kind: "nats", url: `nats://127.0.0.1:${proxy.port}`, stream });
    proxy.down();

    const e = await record("message.received", { outage: true });
    expect(await runDeliveriesOnce()).toMatchObject({ outcomes: ["failed"] });
    let [delivery] = await deliveriesOf(sink.id);
    expect(delivery!.attempts).toBe(1);
    expect(delivery!.lastError).toStartWith("Publish failed: ");
    // The schedule's second step: 5 s later (plus at most 10 % jitter).
    const wait = delivery!.nextAttemptAt!.getTime() - Date.now();
    expect(wait).toBeGreaterThan(3_000);
    expect(wait).toBeLessThan(7_000);

    await skipToNextAttempt(sink.id);
    expect(await runDeliveriesOnce()).toMatchObject({ outcomes: ["failed"] });
    proxy.up();
    await skipToNextAttempt(sink.id);
    const outcome = await runDeliveriesOnce();
    [delivery] = await deliveriesOf(sink.id);
    expect(outcome, delivery!.lastError ?? "").toMatchObject({ outcomes: ["succeeded"] });
    expect(delivery!.status).toBe("succeeded");
    expect(delivery!.attempts).toBe(3);

    const got = await (await natsConsumer(stream, "outage")).take(5);
    expect(got.map((m) => natsHeaders(m)["nats-msg-id"])).toEqual([e.id]);
  });

  test("changed settings replace the cached connection: after the URL moves, the old route going down does not matter", async () => {
    org = await setupOrg(app);
    const proxy = await brokerProxy(4222);
    cleanups.push(async () => proxy.down());
    const stream = `LIVCHAT-MOVE-${Date.now()}`;
    cleanups.push(async () => (await jetstreamManager(nc)).streams.delete(stream));
    const sink = await createSink({ kind: "nats", url: `nats://127.0.0.1:${proxy.port}`, stream });
    await record("message.received", { n: 1 });
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    const moved = await api(app, "PATCH", `/v1/webhooks/${sink.id}`, org.key, { url: "nats://127.0.0.1:4222" });
    expect(moved.status).toBe(200);
    proxy.down();
    await record("message.received", { n: 2 });
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    expect((await (await natsConsumer(stream, "move")).take(5)).length).toBe(2);
  });

  test("a sink that keeps failing for 5 days is disabled like a webhook endpoint (webhook.disabled, pending deliveries cancelled)", async () => {
    const proxy = await brokerProxy(4222);
    proxy.down();
    const sink = await createSink({ kind: "nats", url: `nats://127.0.0.1:${proxy.port}` });
    await record("message.received", { n: 1 });
    expect(await runDeliveriesOnce()).toMatchObject({ outcomes: ["failed"] });
    deliveryClock.advance(AUTO_DISABLE_AFTER_MS + 3_600_000);
    await record("message.received", { n: 2 });
    await skipToNextAttempt(sink.id);
    await runDeliveriesOnce();
    const [row] = await db.select().from(webhooks).where(eq(webhooks.id, sink.id));
    expect(row!.active).toBe(false);
    expect(row!.disabledReason).toContain("Failing continuously since");
    const statuses = (await deliveriesOf(sink.id)).map((d) => d.status);
    expect(statuses.every((s) => s === "cancelled")).toBe(true);
    const shown = await api(app, "GET", `/v1/webhooks/${sink.id}`, org.key);
    expect(shown.body.active).toBe(false);
  });
});

describe("RabbitMQ sinks", () => {
  async function rabbitQueue(exchange: string, queue: string, bindingKey = "#") {
    const conn = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
    const ch = await conn.createChannel();
    await ch.assertExchange(exchange, "topic", { durable: true });
    await ch.assertQueue(queue, { durable: true });
    await ch.bindQueue(queue, exchange, bindingKey);
    await conn.close();
    cleanups.push(async () => {
      const c = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
      const x = await c.createChannel();
      await x.deleteQueue(queue);
      await x.deleteExchange(exchange);
      await c.close();
    });
    return {
      /** A consumer process: connects, takes up to `max` messages (acking them), and goes away. */
      async take(max: number) {
        const c = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
        try {
          const x = await c.createChannel();
          const got: amqp.GetMessage[] = [];
          while (got.length < max) {
            const m = await x.get(queue, { noAck: false });
            if (!m) break;
            x.ack(m);
            got.push(m);
          }
          await x.close();
          return got;
        } finally {
          await c.close();
        }
      },
    };
  }

  test("events go to the topic exchange with routing key = type, persistent, signed, after the publisher confirm; a restarted consumer misses nothing; replay republishes", async () => {
    const exchange = `livchat-test-${Date.now()}`;
    const queue = await rabbitQueue(exchange, `${exchange}-all`);
    const onlyMessages = await rabbitQueue(exchange, `${exchange}-messages`, "message.*");
    const sink = await createSink({ kind: "rabbitmq", url: "amqp://guest:guest@127.0.0.1:5672", exchange });
    expect(sink.url).toBe("amqp://guest:••••@127.0.0.1:5672");

    const first = [await record("message.received", { n: 1 }), await record("contact.created", { n: 2 })];
    expect(await drainDueDeliveries()).toEqual(["succeeded", "succeeded"]);
    const got = await queue.take(1);
    expect(got.length).toBe(1);
    const [m] = got;
    expect(m!.fields.routingKey).toBe("message.received");
    expect(m!.fields.exchange).toBe(exchange);
    expect(m!.properties.deliveryMode).toBe(2);
    expect(m!.properties.messageId).toBe(first[0]!.id);
    expect(m!.properties.contentType).toBe("application/json");
    expect(JSON.parse(m!.content.toString())).toEqual(JSON.parse(JSON.stringify(eventPayload(first[0]!))));
    const headers = Object.fromEntries(Object.entries(m!.properties.headers ?? {}).map(([k, v]) => [k, String(v)]));
    expect(new Webhook(sink.secret).verify(m!.content.toString(), headers)).toMatchObject({ id: first[0]!.id });
    expect((await onlyMessages.take(10)).map((x) => x.fields.routingKey)).toEqual(["message.received"]);

    // The consumer went away after one message; events keep coming; the durable queue holds them all for its restart.
    const later = [await record("message.sent", { n: 3 }), await record("message.read", { n: 4 })];
    await drainDueDeliveries();
    const resumed = await queue.take(10);
    expect(resumed.map((x) => x.properties.messageId)).toEqual([first[1]!.id, ...later.map((e) => e.id)]);

    const [delivery] = (await deliveriesOf(sink.id)).filter((d) => d.eventId === first[0]!.id);
    expect(delivery!.lastResponseExcerpt).toBe(`Confirmed by exchange ${exchange}`);
    const retried = await api(app, "POST", `/v1/deliveries/${delivery!.id}/retry`, org.key);
    expect(retried.status).toBe(202);
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    expect((await queue.take(10)).map((x) => x.properties.messageId)).toEqual([first[0]!.id]);
  });

  test("an outage of the broker: failed attempts on the schedule, delivered after it returns; a connection cut mid-way reconnects", async () => {
    const proxy = await brokerProxy(5672);
    cleanups.push(async () => proxy.down());
    const exchange = `livchat-outage-${Date.now()}`;
    const queue = await rabbitQueue(exchange, `${exchange}-q`);
    const sink = await createSink({ kind: "rabbitmq", url: `amqp://guest:guest@127.0.0.1:${proxy.port}`, exchange });

    const a = await record("message.received", { n: 1 });
    expect(await drainDueDeliveries()).toEqual(["succeeded"]);
    // The broker goes away under an open (cached) connection.
    proxy.down();
    const b = await record("message.received", { n: 2 });
    expect(await runDeliveriesOnce()).toMatchObject({ outcomes: ["failed"] });
    await skipToNextAttempt(sink.id);
    expect(await runDeliveriesOnce()).toMatchObject({ outcomes: ["failed"] });
    proxy.up();
    await skipToNextAttempt(sink.id);
    expect(await runDeliveriesOnce()).toMatchObject({ outcomes: ["succeeded"] });
    const [delivery] = (await deliveriesOf(sink.id)).filter((d) => d.eventId === b.id);
    expect(delivery!.attempts).toBe(3);
    expect((await queue.take(10)).map((x) => x.properties.messageId)).toEqual([a.id, b.id]);
  });
});

describe("sink failures in the log", () => {
  test("wrong broker credentials and a broker address refused at send time are failed attempts with the reason", async () => {
    org = await setupOrg(app);
    const wrong = await createSink({ kind: "rabbitmq", url: "amqp://guest:not-the-password@127.0.0.1:5672", exchange: `livchat-auth-${Date.now()}` });
    await record("message.received", { n: 1 });
    expect(await runDeliveriesOnce()).toMatchObject({ outcomes: ["failed"] });
    const [denied] = await deliveriesOf(wrong.id);
    expect(denied!.lastError).toStartWith("Publish failed: ");
    expect(denied!.lastError).toMatch(/ACCESS_REFUSED|403/);
    expect(denied!.lastError).not.toContain("not-the-password");
    await db.update(webhooks).set({ active: false });

    // Saved while private brokers were allowed; the guard checks the address again before connecting.
    const sink = await createSink({ kind: "nats", url: "nats://127.0.0.1:4222" });
    config.allowPrivateWebhookTargets = false;
    try {
      await record("message.received", { n: 2 });
      expect(await runDeliveriesOnce()).toMatchObject({ outcomes: ["failed"] });
    } finally {
      config.allowPrivateWebhookTargets = true;
    }
    const [refused] = await deliveriesOf(sink.id);
    expect(refused!.lastError).toStartWith("Refused: ");
  });
});

describe("sink settings", () => {
  test("broker passwords are stored encrypted and masked in the API and pages; sending the mask back keeps them", async () => {
    const sink = await createSink({ kind: "nats", url: "nats://alice:s3cret-pw@127.0.0.1:4222", stream: "ORDERS_1" });
    expect(sink.url).toBe("nats://alice:••••@127.0.0.1:4222");
    const [row] = await db.select().from(webhooks).where(eq(webhooks.id, sink.id));
    expect(row!.url).not.toContain("s3cret");
    expect(row!.configEnc).not.toContain("s3cret");
    expect(JSON.parse(decryptSecret(row!.configEnc!)).url).toBe("nats://alice:s3cret-pw@127.0.0.1:4222");

    const shown = await api(app, "GET", `/v1/webhooks/${sink.id}`, org.key);
    expect(shown.body).toMatchObject({ kind: "nats", url: "nats://alice:••••@127.0.0.1:4222", stream: "ORDERS_1", exchange: null });
    expect(JSON.stringify((await api(app, "GET", "/v1/webhooks", org.key)).body)).not.toContain("s3cret");
    const page = await (await org.client.get(`/webhooks/${sink.id}`)).text();
    expect(page).toContain("nats://alice:••••@127.0.0.1:4222");
    expect(page).not.toContain("s3cret");
    const edit = await (await org.client.get(`/webhooks/${sink.id}/edit`)).text();
    expect(edit).not.toContain("s3cret");

    // The masked URL sent back (another port) keeps the password; a token URL masks the token.
    const moved = await api(app, "PATCH", `/v1/webhooks/${sink.id}`, org.key, { url: "nats://alice:••••@127.0.0.1:4223", stream: "ORDERS_2" });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ url: "nats://alice:••••@127.0.0.1:4223", stream: "ORDERS_2" });
    const [after] = await db.select().from(webhooks).where(eq(webhooks.id, sink.id));
    expect(JSON.parse(decryptSecret(after!.configEnc!)).url).toBe("nats://alice:s3cret-pw@127.0.0.1:4223");
    const token = await createSink({ kind: "nats", url: "nats://t0ken-value@127.0.0.1:4222" });
    expect(token.url).toBe("nats://••••@127.0.0.1:4222");
  });

  test("a URL of the wrong form for its kind, a field of another kind, an unknown kind or a private broker are 422 in the reader's language", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: "nats", url: "https://example.com/hook" }, "url"],
      [{ kind: "rabbitmq", url: "nats://127.0.0.1:4222" }, "url"],
      [{ kind: "nats", url: "nats://127.0.0.1:4222", exchange: "x" }, "exchange"],
      [{ kind: "rabbitmq", url: "amqp://127.0.0.1", stream: "S" }, "stream"],
      [{ kind: "rabbitmq", url: "amqp://127.0.0.1", exchange: "amq.topic" }, "exchange"],
      [{ kind: "nats", url: "nats://127.0.0.1:4222", stream: "a.b" }, "stream"],
      [{ kind: "nats", url: "nats://127.0.0.1:4222", headers: { "X-A": "1" } }, "headers"],
      [{ kind: "kafka", url: "kafka://127.0.0.1" }, "kind"],
      [{ url: "amqp://127.0.0.1" }, "url"],
    ];
    for (const [body, field] of cases) {
      const res = await api(app, "POST", "/v1/webhooks", org.key, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(JSON.stringify(res.body.error), JSON.stringify(body)).toContain(field);
    }
    const pt = await api(app, "POST", "/v1/webhooks", org.key, { kind: "nats", url: "https://example.com" }, { "accept-language": "pt-BR" });
    expect(JSON.stringify(pt.body)).toContain("Informe a URL do servidor NATS");

    config.allowPrivateWebhookTargets = false;
    try {
      const refused = await api(app, "POST", "/v1/webhooks", org.key, { kind: "rabbitmq", url: "amqp://guest:guest@127.0.0.1:5672" });
      expect(refused.status).toBe(422);
      expect(JSON.stringify(refused.body)).toContain("url");
    } finally {
      config.allowPrivateWebhookTargets = true;
    }
  });

  test("the admin form creates and edits sinks: kind, broker URL masked, exchange; 422 in the reader's language", async () => {
    const bad = await org.client.postForm("/webhooks", { kind: "rabbitmq", url: "https://example.com/x", exchange: "" });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Enter the RabbitMQ URL");
    const badPt = await org.client.postForm(
      "/webhooks",
      { kind: "nats", url: "nats://127.0.0.1:4222", exchange: "ex" },
      { headers: { "accept-language": "pt-BR" } },
    );
    expect(badPt.status).toBe(422);

    const created = await org.client.postForm("/webhooks", { kind: "rabbitmq", url: "amqp://guest:guest@127.0.0.1:5672/", exchange: "orders", name: "Rabbit" });
    expect(created.status).toBe(303);
    const id = created.headers.get("location")!.split("/").pop()!;
    const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
    expect(row).toMatchObject({ kind: "rabbitmq", url: "amqp://guest:••••@127.0.0.1:5672/", sinkOptions: { exchange: "orders" } });
    await org.client.get(`/webhooks/${id}`); // the one-time secret page
    const show = await (await org.client.get(`/webhooks/${id}`)).text();
    expect(show).toContain("RabbitMQ");
    expect(show).toContain("amqp://guest:••••@127.0.0.1:5672/");
    expect(show).toContain("orders");

    // Saving the edit form as shown keeps the password; clearing the exchange goes back to the default.
    const edit = await (await org.client.get(`/webhooks/${id}/edit`)).text();
    expect(edit).toContain('value="amqp://guest:••••@127.0.0.1:5672/"');
    expect(edit).not.toContain('name="stream"');
    const saved = await org.client.postForm(`/webhooks/${id}`, { url: "amqp://guest:••••@127.0.0.1:5672/", exchange: "", name: "Rabbit 2" });
    expect(saved.status).toBe(303);
    const [after] = await db.select().from(webhooks).where(eq(webhooks.id, id));
    expect(after!.name).toBe("Rabbit 2");
    expect(after!.sinkOptions).toEqual({});
    expect(JSON.parse(decryptSecret(after!.configEnc!)).url).toBe("amqp://guest:guest@127.0.0.1:5672/");
  });

  test("another organization's sink reads as 404", async () => {
    const sink = await createSink({ kind: "nats", url: "nats://127.0.0.1:4222" });
    const other = await setupOrg(app);
    expect((await api(app, "GET", `/v1/webhooks/${sink.id}`, other.key)).status).toBe(404);
    expect((await api(app, "PATCH", `/v1/webhooks/${sink.id}`, other.key, { stream: "X" })).status).toBe(404);
  });
});
