/**
 * Event sinks, the send step: publish one event to a NATS JetStream server or a RabbitMQ broker and
 * wait for the broker's acknowledgement (JetStream PubAck, AMQP publisher confirm). Everything else —
 * the queue, retry schedule, delivery log, replay, auto-disable — is the webhook delivery mechanism's:
 * a sink is an endpoint of another `kind` (delivery.send.ts dispatches here).
 *
 * Connections are cached per sink (one per process) and replaced when its configuration changes,
 * closed after a minute unused, on a failed publish (the next attempt reconnects) and when the
 * workers stop. The broker host is tenant-chosen: it is resolved and checked by the outbound guard
 * (private addresses refused unless ALLOW_PRIVATE_WEBHOOK_TARGETS) and the connection is made to the
 * checked address, so DNS cannot swap it in between.
 */
import { createHash } from "node:crypto";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { connect as natsConnect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import amqp from "amqplib";
import { decryptSecret, encryptSecret } from "@/lib/crypto";
import { log } from "@/lib/logger";
import { resolveTarget } from "@/lib/outbound";
import { SINK_DEFAULTS, type SinkKind } from "./webhook.schema";

/** What one publish sends: the webhook body and its Standard Webhooks signature headers. */
export type SinkMessage = {
  organizationId: string;
  eventId: string;
  eventType: string;
  body: string;
  headers: Record<string, string>;
};

/** The sink fields a publish needs (read by the delivery claim). */
export type SinkEndpoint = {
  id: string;
  kind: SinkKind;
  configEnc: string | null;
  sinkOptions: { exchange?: string; stream?: string } | null;
};

/** What the attempt log keeps of a publish: where it went (as pseudo-headers) and the broker's acknowledgement. */
export type PublishReceipt = { destination: Record<string, string>; ack: string };

/** Connection and acknowledgement timeouts; tests shorten them. */
export const sinkSettings = { connectTimeoutMs: 5_000, ackTimeoutMs: 10_000, idleCloseMs: 60_000 };

type SinkConnection = {
  publish(msg: SinkMessage): Promise<PublishReceipt>;
  isClosed(): boolean;
  close(): Promise<void>;
};

/** The NATS subject of an event: `livchat.<organization id>.<event type>` (types are dotted: `message.received`). */
export const natsSubject = (organizationId: string, eventType: string) => `livchat.${organizationId}.${eventType}`;
/** The JetStream stream created for an organization when its sink names none. */
export const defaultNatsStream = (organizationId: string) => `LIVCHAT-${organizationId}`;

/** A sink's full broker URL (credentials included) as stored in `configEnc`: encrypted JSON `{url}`. */
export const sealSinkUrl = (url: string) => encryptSecret(JSON.stringify({ url }));
/** The full broker URL sealed by sealSinkUrl. */
export const openSinkUrl = (configEnc: string) => new URL((JSON.parse(decryptSecret(configEnc)) as { url: string }).url);

function sinkUrl(endpoint: SinkEndpoint): URL {
  if (!endpoint.configEnc) throw new Error("the sink has no connection settings");
  return openSinkUrl(endpoint.configEnc);
}

/** The broker's port: the URL's own, or its protocol's default (AMQPS 5671, AMQP 5672, NATS 4222). */
const sinkPort = (url: URL) => (url.port ? Number(url.port) : url.protocol === "amqps:" ? 5671 : url.protocol === "amqp:" ? 5672 : 4222);

/** A broker as the address the outbound guard checks: its host and port (the guard reads them from an http URL). */
export const sinkGuardUrl = (url: URL) => `http://${url.hostname}:${sinkPort(url)}/`;

/** The broker's address after the outbound guard's checks (the first of the checked addresses). */
async function checkedAddress(url: URL): Promise<{ host: string; port: number }> {
  const port = sinkPort(url);
  const target = await resolveTarget(sinkGuardUrl(url));
  const { address, family } = target.addresses[0]!;
  return { host: family === 6 ? `[${address}]` : address, port };
}

class SinkTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SinkTimeout(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function openNats(endpoint: SinkEndpoint, organizationId: string): Promise<SinkConnection> {
  const url = sinkUrl(endpoint);
  const { host, port } = await checkedAddress(url);
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  const tls = url.protocol === "tls:";
  const nc: NatsConnection = await natsConnect({
    // TLS verifies the certificate against the name, so a TLS connection dials the (checked) name: an
    // address swapped in by DNS would have to hold a valid certificate for it. Plain ones dial the checked address.
    servers: tls ? `${url.hostname}:${port}` : `${host}:${port}`,
    // `nats://token@host` is token auth; `nats://user:pass@host` user and password.
    ...(user && pass ? { user, pass } : user ? { token: user } : {}),
    ...(tls ? { tls: {} } : {}),
    timeout: sinkSettings.connectTimeoutMs,
    // No silent reconnects: a lost connection fails the attempt, the schedule retries and reconnects.
    reconnect: false,
    name: `livchat-sink-${endpoint.id}`,
  });
  const js: JetStreamClient = jetstream(nc, { timeout: sinkSettings.ackTimeoutMs });
  const stream = endpoint.sinkOptions?.stream || defaultNatsStream(organizationId);
  try {
    const jsm = await jetstreamManager(nc, { timeout: sinkSettings.ackTimeoutMs });
    await jsm.streams.info(stream).catch(async (err: unknown) => {
      if (!/not found/i.test(String(err))) throw err;
      await jsm.streams.add({ name: stream, subjects: [`livchat.${organizationId}.>`] }).catch((addErr: unknown) => {
        // Another stream already captures these subjects (the tenant's own, or the one a previous setting named):
        // publishing lands there, and the PubAck in the delivery log names it.
        if (!/overlap/i.test(String(addErr))) throw addErr;
      });
    });
  } catch (err) {
    await nc.close().catch(() => {});
    throw err;
  }
  return {
    async publish(msg) {
      const subject = natsSubject(msg.organizationId, msg.eventType);
      const h = natsHeaders();
      for (const [name, value] of Object.entries(msg.headers)) h.set(name, value);
      // msgID is sent as Nats-Msg-Id: JetStream drops a second copy within its duplicate window.
      const ack = await js.publish(subject, msg.body, { msgID: msg.eventId, headers: h, timeout: sinkSettings.ackTimeoutMs });
      return {
        destination: { "nats-subject": subject, "nats-msg-id": msg.eventId },
        ack: `PubAck stream=${ack.stream} seq=${ack.seq}${ack.duplicate ? " duplicate" : ""}`,
      };
    },
    isClosed: () => nc.isClosed(),
    close: () => nc.close(),
  };
}

async function openRabbit(endpoint: SinkEndpoint): Promise<SinkConnection> {
  const url = sinkUrl(endpoint);
  const { host, port } = await checkedAddress(url);
  const vhost = decodeURIComponent(url.pathname.replace(/^\//, "")) || "/";
  const conn = await amqp.connect(
    {
      protocol: url.protocol === "amqps:" ? "amqps" : "amqp",
      hostname: host.replace(/^\[|\]$/g, ""),
      port,
      username: decodeURIComponent(url.username) || "guest",
      password: decodeURIComponent(url.password) || "guest",
      vhost,
      heartbeat: 30,
    },
    // TLS checks the certificate against the name the tenant gave, not the pinned address.
    { timeout: sinkSettings.connectTimeoutMs, servername: url.hostname },
  );
  let closed = false;
  conn.on("close", () => (closed = true));
  conn.on("error", (err) => log.warn("rabbitmq sink connection error", { sinkId: endpoint.id, err }));
  try {
    const channel = await conn.createConfirmChannel();
    channel.on("error", (err) => log.warn("rabbitmq sink channel error", { sinkId: endpoint.id, err }));
    channel.on("close", () => {
      closed = true;
      conn.close().catch(() => {});
    });
    const exchange = endpoint.sinkOptions?.exchange || SINK_DEFAULTS.exchange;
    await channel.assertExchange(exchange, "topic", { durable: true });
    return {
      async publish(msg) {
        await new Promise<void>((resolve, reject) => {
          channel.publish(
            exchange,
            msg.eventType,
            Buffer.from(msg.body),
            {
              persistent: true,
              contentType: "application/json",
              messageId: msg.eventId,
              type: msg.eventType,
              timestamp: Math.floor(Date.now() / 1000),
              headers: msg.headers,
            },
            (err) => (err ? reject(err instanceof Error ? err : new Error("the broker refused the message (nack)")) : resolve()),
          );
        });
        return { destination: { "amqp-exchange": exchange, "amqp-routing-key": msg.eventType }, ack: `Confirmed by exchange ${exchange}` };
      },
      isClosed: () => closed,
      close: async () => {
        closed = true;
        await conn.close().catch(() => {});
      },
    };
  } catch (err) {
    await conn.close().catch(() => {});
    throw err;
  }
}

type Cached = { fingerprint: string; lastUsed: number; connection: Promise<SinkConnection>; open?: SinkConnection };
const connections = new Map<string, Cached>();
let sweeper: ReturnType<typeof setInterval> | undefined;

const fingerprintOf = (endpoint: SinkEndpoint) =>
  createHash("sha256")
    .update(`${endpoint.kind}\n${endpoint.configEnc}\n${JSON.stringify(endpoint.sinkOptions ?? {})}`)
    .digest("hex");

function drop(id: string, cached: Cached) {
  if (connections.get(id) === cached) connections.delete(id);
  cached.connection.then((c) => c.close()).catch(() => {});
}

/** The sink's cached connection, opened (or replaced, when its settings changed) as needed. */
function connectionFor(endpoint: SinkEndpoint, organizationId: string): Cached {
  const fingerprint = fingerprintOf(endpoint);
  const existing = connections.get(endpoint.id);
  // A connection the broker closed since (restart, network) is replaced now rather than failing an attempt first.
  if (existing && existing.fingerprint === fingerprint && !existing.open?.isClosed()) {
    existing.lastUsed = Date.now();
    return existing;
  }
  if (existing) drop(endpoint.id, existing);
  const opened = endpoint.kind === "nats" ? openNats(endpoint, organizationId) : openRabbit(endpoint);
  const cached: Cached = {
    fingerprint,
    lastUsed: Date.now(),
    connection: withTimeout(opened, sinkSettings.connectTimeoutMs + sinkSettings.ackTimeoutMs, "connecting"),
  };
  // A failed connect is not cached: the next attempt tries again.
  cached.connection.then(
    (open) => (cached.open = open),
    () => drop(endpoint.id, cached),
  );
  connections.set(endpoint.id, cached);
  sweeper ??= setInterval(sweepIdle, Math.min(sinkSettings.idleCloseMs, 30_000));
  sweeper.unref?.();
  return cached;
}

function sweepIdle() {
  const now = Date.now();
  for (const [id, cached] of connections) if (now - cached.lastUsed > sinkSettings.idleCloseMs) drop(id, cached);
  if (connections.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * Publishes one event to the sink and resolves once the broker acknowledged it; throws otherwise
 * (connection refused or lost, no stream for the subject, a nack, a timeout), which the caller
 * records as a failed attempt. A failed publish closes the connection so the retry starts afresh.
 */
export async function publishToSink(endpoint: SinkEndpoint, msg: SinkMessage, signal: AbortSignal): Promise<PublishReceipt> {
  const cached = connectionFor(endpoint, msg.organizationId);
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});
  try {
    const connection = await Promise.race([cached.connection, aborted]);
    if (connection.isClosed()) throw new Error("the connection to the broker was closed");
    return await Promise.race([withTimeout(connection.publish(msg), sinkSettings.ackTimeoutMs, "waiting for the broker's acknowledgement"), aborted]);
  } catch (err) {
    // A connection that failed, closed or stopped answering is replaced on the next attempt; one that
    // refused this message (no stream for the subject, a nack) stays for the deliveries sharing it.
    const connection = await cached.connection.catch(() => null);
    const timedOut = err instanceof SinkTimeout || (err instanceof Error && /timeout/i.test(err.name));
    if (!connection || connection.isClosed() || timedOut) drop(endpoint.id, cached);
    throw err;
  }
}

/** Closes one sink's connection in this process (its settings changed, or it was deleted or disabled). */
export async function closeSinkConnection(id: string): Promise<void> {
  const cached = connections.get(id);
  if (cached) drop(id, cached);
}

/** Closes every sink connection (the delivery worker stopped). */
export async function closeSinkConnections(): Promise<void> {
  const all = [...connections.entries()];
  connections.clear();
  await Promise.all(all.map(([, c]) => c.connection.then((conn) => conn.close()).catch(() => {})));
}
