import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { contacts, events, instances, messages, organizations, templates, usageDaily } from "@/db/schema";
import { encryptCloudConfig } from "@/providers/cloud";
import { sandboxIdle, sandboxTiming } from "@/providers/sandbox";
import { encryptSecret } from "@/lib/crypto";
import { OUTBOUND_MAX_ATTEMPTS, runOutboundOnce } from "@/workers/outbound.worker";
import { startWorkers, stopWorkers } from "@/workers/registry";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { connectedSandbox } from "./helpers";
import { waitFor } from "../helpers/wait";

const app = createApp();
const TO = "+5511999990001";

/** Makes every queued message due now, as if the backoff had elapsed (tests do not wait for it). */
async function makeDue() {
  await db.execute(sql`update messages set next_attempt_at = now() where status = 'queued'`);
}

async function messageRow(id: string) {
  const [row] = await db.select().from(messages).where(eq(messages.id, id));
  return row!;
}

async function eventTypes(messageId: string) {
  const rows = await db.select().from(events).where(sql`${events.data}->'message'->>'id' = ${messageId}`);
  return rows.map((r) => r.type);
}

/**
 * A WuzAPI server speaking its documented send protocol (`POST /chat/send/*` with a `Token` header,
 * `{code, data:{Id}, success}`); each test scripts the statuses it answers.
 */
const wuz = {
  server: undefined as ReturnType<typeof Bun.serve> | undefined,
  script: [] as number[],
  fallback: 200,
  sends: [] as { path: string; token: string | null; body: Record<string, unknown> }[],
  nextId: 1,
};

beforeAll(() => {
  wuz.server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (!url.pathname.startsWith("/chat/send/")) return Response.json({ code: 404, error: "not found", success: false }, { status: 404 });
      const body = (await req.json()) as Record<string, unknown>;
      wuz.sends.push({ path: url.pathname, token: req.headers.get("token"), body });
      const status = wuz.script.shift() ?? wuz.fallback;
      if (status === 200) return Response.json({ code: 200, data: { Details: "Sent", Id: `WA${wuz.nextId++}`, Timestamp: Date.now() }, success: true });
      if (status === 400) return Response.json({ code: 400, error: "invalid phone number", success: false }, { status: 400 });
      return Response.json({ code: status, error: "whatsapp not ready", success: false }, { status });
    },
  });
  config.wuzapi.url = `http://127.0.0.1:${wuz.server.port}`;
  config.wuzapi.adminToken = "admin";
  sandboxTiming.sentMs = 0;
  sandboxTiming.deliveredMs = 5;
  sandboxTiming.readMs = 10;
});
afterAll(() => wuz.server?.stop(true));
beforeEach(() => {
  wuz.script = [];
  wuz.fallback = 200;
  wuz.sends = [];
});

/** An org with a connected WuzAPI instance (its WuzAPI user already provisioned), in `language`. */
async function wuzapiSetup(language: "en" | "pt-BR" = "en") {
  const org = await setupOrg(app);
  // Failure reasons are stored in the organization's language (pt-BR by default); most tests read English.
  await db.update(organizations).set({ language }).where(eq(organizations.id, org.organization.id));
  const [instance] = await db
    .insert(instances)
    .values({
      organizationId: org.organization.id,
      name: "Real",
      provider: "wuzapi",
      providerInstanceId: "u-1",
      providerTokenEnc: encryptSecret("user-token"),
      status: "connected",
    })
    .returning();
  const send = async (body: Record<string, unknown> = { type: "text", text: "Olá" }) => {
    const res = await api(app, "POST", "/v1/messages", org.key, { to: TO, instanceId: instance!.id, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id as string;
  };
  return { ...org, instance: instance!, send };
}

describe("outbound worker", () => {
  test("sandbox: sends, stores the provider id, emits message.sent, meters usage; receipts follow", async () => {
    const { key, organization } = await setupOrg(app);
    const instanceId = await connectedSandbox(app, key);
    const res = await api(app, "POST", "/v1/messages", key, { to: TO, type: "text", text: "Olá" });
    expect(await runOutboundOnce()).toBe(1);
    const row = await messageRow(res.body.id);
    expect(row).toMatchObject({ status: "sent", attempts: 1, error: null, leaseUntil: null });
    expect(row.providerMessageId).toStartWith("SB");
    expect(row.sentAt).toBeInstanceOf(Date);
    expect(await eventTypes(row.id)).toContain("message.sent");
    const [usage] = await db
      .select()
      .from(usageDaily)
      .where(and(eq(usageDaily.organizationId, organization.id), eq(usageDaily.instanceId, instanceId), eq(usageDaily.metric, "messages_sent")));
    expect(usage!.count).toBe(1);
    // Nothing left to do.
    expect(await runOutboundOnce()).toBe(0);
    await sandboxIdle();
    const after = await messageRow(res.body.id);
    expect(after.status).toBe("read");
    expect(await eventTypes(row.id)).toEqual(expect.arrayContaining(["message.sent", "message.delivered", "message.read"]));
    const got = await api(app, "GET", `/v1/messages/${res.body.id}`, key);
    expect(got.body).toMatchObject({ status: "read", providerMessageId: row.providerMessageId });
  });

  test("WuzAPI failing with 500 then succeeding: retried with backoff, then sent", async () => {
    const { send } = await wuzapiSetup();
    wuz.script = [500, 200];
    const id = await send();
    expect(await runOutboundOnce()).toBe(1);
    let row = await messageRow(id);
    expect(row.status).toBe("queued");
    expect(row.attempts).toBe(1);
    expect(row.error).toContain("HTTP 500");
    expect(row.leaseUntil).toBeNull();
    const wait = row.nextAttemptAt!.getTime() - Date.now();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(2_000);
    // Not due yet: the next pass leaves it alone.
    expect(await runOutboundOnce()).toBe(0);

    await makeDue();
    expect(await runOutboundOnce()).toBe(1);
    row = await messageRow(id);
    expect(row).toMatchObject({ status: "sent", attempts: 2, error: null, providerMessageId: "WA1" });
    expect(wuz.sends).toHaveLength(2);
    expect(wuz.sends[0]).toMatchObject({ path: "/chat/send/text", token: "user-token", body: { Phone: "5511999990001", Body: "Olá" } });
    expect(await eventTypes(id)).toEqual(["message.sent"]);
  });

  test("a non-retryable provider error fails at once with the reason stored and message.failed", async () => {
    const { send } = await wuzapiSetup();
    wuz.script = [400];
    const id = await send();
    await runOutboundOnce();
    const row = await messageRow(id);
    expect(row.status).toBe("failed");
    expect(row.attempts).toBe(1);
    expect(row.error).toContain("invalid phone number");
    expect(row.failedAt).toBeInstanceOf(Date);
    expect(await eventTypes(id)).toEqual(["message.failed"]);
    const [event] = await db
      .select()
      .from(events)
      .where(and(eq(events.type, "message.failed"), sql`${events.data}->'message'->>'id' = ${id}`));
    expect((event!.data.message as { error: string }).error).toContain("invalid phone number");
  });

  test("retries back off 2 s, 10 s, 60 s, 5 min and give up after 5 attempts", async () => {
    const { send } = await wuzapiSetup();
    wuz.fallback = 503;
    const id = await send();
    const waits: number[] = [];
    for (let attempt = 1; attempt <= OUTBOUND_MAX_ATTEMPTS; attempt++) {
      await makeDue();
      expect(await runOutboundOnce()).toBe(1);
      const row = await messageRow(id);
      if (row.status === "queued") waits.push(Math.round((row.nextAttemptAt!.getTime() - row.updatedAt.getTime()) / 1000));
    }
    expect(waits).toEqual([2, 10, 60, 300]);
    const row = await messageRow(id);
    expect(row.status).toBe("failed");
    expect(row.attempts).toBe(5);
    expect(row.error).toContain("gave up after 5 attempts");
    expect(wuz.sends).toHaveLength(5);
    await makeDue();
    expect(await runOutboundOnce()).toBe(0);
  });

  test("concurrent passes never claim the same message; a live lease is respected, an expired one is reclaimed", async () => {
    const { send } = await wuzapiSetup();
    const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => send({ type: "text", text: `m${n}` })));
    const claimed = await Promise.all([runOutboundOnce({ limit: 3 }), runOutboundOnce({ limit: 3 })]);
    expect(claimed[0]! + claimed[1]!).toBe(5);
    expect(wuz.sends).toHaveLength(5);
    expect(new Set(wuz.sends.map((s) => s.body.Body)).size).toBe(5);
    for (const id of ids) expect((await messageRow(id)).status).toBe("sent");

    const held = await send({ type: "text", text: "held" });
    await db.execute(sql`update messages set lease_until = now() + interval '1 minute' where id = ${held}`);
    expect(await runOutboundOnce()).toBe(0);
    // A process died holding it: once the lease runs out another pass sends it.
    await db.execute(sql`update messages set lease_until = now() - interval '1 second' where id = ${held}`);
    expect(await runOutboundOnce()).toBe(1);
    expect((await messageRow(held)).status).toBe("sent");
  });

  test("a contact blocked after queueing is not messaged", async () => {
    const { send } = await wuzapiSetup();
    const id = await send();
    const row = await messageRow(id);
    await db.update(contacts).set({ blocked: true }).where(eq(contacts.id, row.contactId));
    await runOutboundOnce();
    const after = await messageRow(id);
    expect(after.status).toBe("failed");
    expect(after.error).toContain("blocked");
    expect(wuz.sends).toHaveLength(0);
  });

  test("failure reasons are written in the organization's language, whoever reads them later", async () => {
    const { send, instance } = await wuzapiSetup("pt-BR");
    const blocked = await send();
    await db
      .update(contacts)
      .set({ blocked: true })
      .where(eq(contacts.id, (await messageRow(blocked)).contactId));
    await runOutboundOnce();
    expect((await messageRow(blocked)).error).toBe("O contato foi bloqueado antes de a mensagem ser enviada");

    await db
      .update(contacts)
      .set({ blocked: false })
      .where(eq(contacts.id, (await messageRow(blocked)).contactId));
    const retried = await send();
    await db.update(instances).set({ status: "disconnected" }).where(eq(instances.id, instance.id));
    for (let attempt = 1; attempt <= OUTBOUND_MAX_ATTEMPTS; attempt++) {
      await makeDue();
      await runOutboundOnce();
    }
    const row = await messageRow(retried);
    expect(row.status).toBe("failed");
    expect(row.error).toBe("A instância não está conectada (status: disconnected) (desistimos após 5 tentativas)");
    const [event] = await db
      .select()
      .from(events)
      .where(and(eq(events.type, "message.failed"), sql`${events.data}->'message'->>'id' = ${retried}`));
    expect((event!.data.message as { error: string }).error).toContain("desistimos após 5 tentativas");
  });

  test("an instance that went offline is retried; a logged-out one fails", async () => {
    const { send, instance } = await wuzapiSetup();
    const id = await send();
    await db.update(instances).set({ status: "disconnected" }).where(eq(instances.id, instance.id));
    await runOutboundOnce();
    expect(await messageRow(id)).toMatchObject({ status: "queued", attempts: 1 });
    await db.update(instances).set({ status: "logged_out" }).where(eq(instances.id, instance.id));
    await makeDue();
    await runOutboundOnce();
    const row = await messageRow(id);
    expect(row.status).toBe("failed");
    expect(row.error).toContain("logged out");
  });

  test("cloud: a template is sent as a Meta template message", async () => {
    const received: Record<string, unknown>[] = [];
    const meta = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        received.push({ path: new URL(req.url).pathname, auth: req.headers.get("authorization"), body: await req.json() });
        return Response.json({
          messaging_product: "whatsapp",
          contacts: [{ input: "5511999990001", wa_id: "5511999990001" }],
          messages: [{ id: "wamid.TEMPLATE1" }],
        });
      },
    });
    const savedBase = config.cloudApiBase;
    config.cloudApiBase = `http://127.0.0.1:${meta.port}`;
    try {
      const { organization, key } = await setupOrg(app);
      const [instance] = await db
        .insert(instances)
        .values({
          organizationId: organization.id,
          name: "Meta",
          provider: "cloud",
          status: "connected",
          providerConfig: encryptCloudConfig({ phoneNumberId: "777", accessToken: "EAAG", appSecret: "s", verifyToken: "v" }),
        })
        .returning();
      await db.insert(templates).values({ organizationId: organization.id, key: "order_ready", body: "Pedido {{order}} pronto", locale: "pt_BR" });
      const res = await api(app, "POST", "/v1/messages", key, {
        to: TO,
        instanceId: instance!.id,
        type: "template",
        template: { key: "order_ready", variables: { order: "42" } },
      });
      expect(res.status).toBe(202);
      await runOutboundOnce();
      expect((await messageRow(res.body.id)).providerMessageId).toBe("wamid.TEMPLATE1");
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({
        path: "/777/messages",
        auth: "Bearer EAAG",
        body: { type: "template", template: { name: "order_ready", language: { code: "pt_BR" } } },
      });
    } finally {
      config.cloudApiBase = savedBase;
      meta.stop(true);
    }
  });

  test("the running worker wakes on NOTIFY and sends; stop() releases what it holds", async () => {
    const { send } = await wuzapiSetup();
    await startWorkers();
    try {
      const id = await send({ type: "text", text: "live" });
      const row = await waitFor(
        async () => {
          const current = await messageRow(id);
          return current.status !== "queued" && current;
        },
        { what: "the worker to pick the message up" },
      );
      expect(row.status).toBe("sent");
    } finally {
      await stopWorkers();
    }
    const leftover = await db.$count(messages, sql`${messages.leaseUntil} is not null and ${messages.status} = 'queued'`);
    expect(leftover).toBe(0);
  });
});
