/**
 * A NATS and a RabbitMQ consumer receive every event across a LivChat restart: the delivery worker
 * runs in a separate process that is killed with SIGKILL mid-stream, events keep being recorded while
 * no worker runs, and a new process picks up the rest (the killed one's leased deliveries once their
 * lease runs out). Real brokers on 127.0.0.1:4222 and :5672.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect as natsConnect, type NatsConnection } from "@nats-io/transport-node";
import amqp from "amqplib";
import { and, eq, inArray } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { webhookDeliveries } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { defaultNatsStream } from "@/features/webhooks/sink.transport";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { waitFor } from "../helpers/wait";

const ROOT = resolve(import.meta.dir, "../..");
const FIXTURE = resolve(import.meta.dir, "../webhooks/fixtures/delivery-process.ts");
const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let nc: NatsConnection;
const children: Bun.Subprocess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

async function spawnWorker(env: Record<string, string> = {}) {
  const child = Bun.spawn(["bun", FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_TARGETS: "true", LOG_LEVEL: "error", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  children.push(child);
  const reader = child.stdout.getReader();
  let out = "";
  (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
  })();
  await waitFor(() => out.includes("ready"), { timeoutMs: 15_000, what: "worker process ready" });
  return child;
}

beforeAll(async () => {
  config.allowPrivateWebhookTargets = true;
  org = await setupOrg(app);
  nc = await natsConnect({ servers: "127.0.0.1:4222" });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await nc.close();
});

describe("sinks across a LivChat restart", () => {
  test("a process killed with SIGKILL mid-stream loses nothing: NATS and RabbitMQ consumers get every event", async () => {
    const exchange = `livchat-restart-${Date.now()}`;
    const queue = `${exchange}-q`;
    const setup = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
    const ch = await setup.createChannel();
    await ch.assertExchange(exchange, "topic", { durable: true });
    await ch.assertQueue(queue, { durable: true });
    await ch.bindQueue(queue, exchange, "#");
    await setup.close();
    cleanups.push(async () => {
      const c = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
      const x = await c.createChannel();
      await x.deleteQueue(queue);
      await x.deleteExchange(exchange);
      await c.close();
    });
    const stream = defaultNatsStream(org.organization.id);
    cleanups.push(async () => (await jetstreamManager(nc)).streams.delete(stream));

    const nats = await api(app, "POST", "/v1/webhooks", org.key, { kind: "nats", url: "nats://127.0.0.1:4222" });
    const rabbit = await api(app, "POST", "/v1/webhooks", org.key, { kind: "rabbitmq", url: "amqp://guest:guest@127.0.0.1:5672", exchange });
    expect([nats.status, rabbit.status]).toEqual([201, 201]);

    const ids: string[] = [];
    const recordMany = async (n: number) => {
      for (let i = 0; i < n; i++) ids.push((await recordEvent({ organizationId: org.organization.id, type: "message.received", data: { i: ids.length } })).id);
    };
    const succeeded = async () =>
      (await db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(eq(webhookDeliveries.status, "succeeded"))).length;

    const victim = await spawnWorker({ WEBHOOK_LEASE_SECONDS: "2" });
    await recordMany(40);
    await waitFor(async () => (await succeeded()) >= 4, { timeoutMs: 20_000, what: "a few deliveries before the kill" });
    victim.kill("SIGKILL");
    await victim.exited;
    // While LivChat is down, events keep being recorded (the API's transactions queue their deliveries).
    await recordMany(20);

    await spawnWorker({ WEBHOOK_LEASE_SECONDS: "2" });
    await waitFor(
      async () => {
        const rows = await db
          .select({ status: webhookDeliveries.status })
          .from(webhookDeliveries)
          .where(and(inArray(webhookDeliveries.eventId, ids)));
        return rows.length === ids.length * 2 && rows.every((r) => r.status === "succeeded");
      },
      { timeoutMs: 30_000, what: "every delivery to both sinks succeeded" },
    );

    // The NATS consumer (durable): every event, once (JetStream drops resends by Nats-Msg-Id).
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(stream, { durable_name: "restart", ack_policy: AckPolicy.Explicit });
    const consumer = await jetstream(nc).consumers.get(stream, "restart");
    const fromNats: string[] = [];
    for (;;) {
      const m = await consumer.next({ expires: 1_000 });
      if (!m) break;
      m.ack();
      fromNats.push(m.headers!.get("Nats-Msg-Id"));
    }
    expect(fromNats.length).toBe(ids.length);
    expect(new Set(fromNats)).toEqual(new Set(ids));

    // The RabbitMQ consumer (durable queue): every event at least once.
    const c = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
    const x = await c.createChannel();
    const fromRabbit: string[] = [];
    for (;;) {
      const m = await x.get(queue, { noAck: true });
      if (!m) break;
      fromRabbit.push(m.properties.messageId as string);
    }
    await c.close();
    expect(new Set(fromRabbit)).toEqual(new Set(ids));
  }, 90_000);
});
