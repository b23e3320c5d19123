import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { and, eq } from "drizzle-orm";
import postgres from "postgres";
import { createApp } from "@/app";
import { config } from "@/config";
import { closeDatabase, db } from "@/db/client";
import { contacts, instances, messages } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { createOwner } from "../helpers/factories";
import { startAppProcess } from "../helpers/processes";
import { waitFor } from "../helpers/wait";

// Issue 14 item 5: a contact writing while we write to them must never cost a message. Inbound
// WuzAPI webhooks and API sends for ONE contact hit two real app processes at the same moment;
// before the lock order was fixed, sends held the instance row FOR UPDATE while inbound batches held
// the contact and waited on that row, and Postgres killed one side as a deadlock (a 500, a lost message).

const HMAC_KEY = "inbound-vs-send-hmac-key-0123456789abcdef";
const ROUNDS = 200;
const PHONE = "+5511987650001";

let second: Awaited<ReturnType<typeof startAppProcess>> | undefined;
let here: ReturnType<ReturnType<typeof createApp>["listen"]> | undefined;
let instanceId = "";
let secret = "";

beforeAll(async () => {
  config.wuzapi = { ...config.wuzapi, hmacKey: HMAC_KEY };
  second = await startAppProcess({ WUZAPI_HMAC_KEY: HMAC_KEY });
  here = createApp().listen({ port: 0, hostname: "127.0.0.1" });
  const { organization } = await createOwner();
  const [instance] = await db
    .insert(instances)
    .values({ organizationId: organization.id, name: "Busy number", provider: "wuzapi", status: "connected", providerInstanceId: "wuz-busy" })
    .returning();
  instanceId = instance!.id;
  ({ secret } = await createApiKey({ organizationId: organization.id, name: "load", scopes: ["*"], requestsPerMinute: 100_000, maxMessagesPerDay: 100_000 }));
}, 30_000);

afterAll(async () => {
  await second?.stop();
  await here?.stop(true);
});

function inbound(base: string, i: number) {
  const raw = JSON.stringify({
    type: "Message",
    userID: "wuz-busy",
    instanceName: "livchat",
    event: {
      Info: {
        Chat: `${PHONE.slice(1)}@s.whatsapp.net`,
        Sender: `${PHONE.slice(1)}@s.whatsapp.net`,
        IsFromMe: false,
        IsGroup: false,
        ID: `IN-${i}`,
        Type: "text",
        PushName: "Ana",
        Timestamp: new Date().toISOString(),
      },
      Message: { conversation: `inbound ${i}` },
    },
  });
  return fetch(`${base}/hooks/wuzapi`, {
    method: "POST",
    body: raw,
    headers: { "content-type": "application/json", "x-hmac-signature": createHmac("sha256", HMAC_KEY).update(raw).digest("hex") },
  });
}

function send(base: string, i: number) {
  return fetch(`${base}/v1/messages`, {
    method: "POST",
    body: JSON.stringify({ to: PHONE, type: "text", text: `outbound ${i}`, instanceId }),
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
  });
}

test("200 inbound webhooks interleaved with 200 sends to the same contact across two processes: none lost, no 5xx", async () => {
  const a = `http://127.0.0.1:${here!.server!.port}`;
  const b = second!.url;
  // Each round sends one of each to opposite processes, so both kinds meet in both processes and across them.
  const requests: Promise<{ kind: "inbound" | "send"; status: number; body: string }>[] = [];
  const track = (kind: "inbound" | "send", res: Promise<Response>) => requests.push(res.then(async (r) => ({ kind, status: r.status, body: await r.text() })));
  for (let i = 0; i < ROUNDS; i++) {
    track("inbound", inbound(i % 2 ? a : b, i));
    track("send", send(i % 2 ? b : a, i));
    // Paced by answers rather than a clock: every 20 rounds, wait until one of them is answered.
    if (i % 20 === 19) await Promise.race(requests.slice(-40));
  }
  const results = await Promise.all(requests);
  const failed = results.filter((r) => (r.kind === "inbound" ? r.status !== 200 : r.status !== 202));
  expect(failed.slice(0, 3)).toEqual([]);
  expect(results.filter((r) => r.status >= 500).length).toBe(0);

  const [contact] = await db.select().from(contacts).where(eq(contacts.phone, PHONE));
  const stored = await db
    .select({ direction: messages.direction })
    .from(messages)
    .where(and(eq(messages.instanceId, instanceId), eq(messages.contactId, contact!.id)));
  expect(stored.filter((m) => m.direction === "inbound").length).toBe(ROUNDS);
  expect(stored.filter((m) => m.direction === "outbound").length).toBe(ROUNDS);

  // The lock order itself held (the retry is only the safety net): Postgres saw no deadlock at all.
  // A backend flushes its statistics when it exits, so close every connection to this database and
  // read them once the backends are gone.
  await second?.stop();
  second = undefined;
  await here?.stop(true);
  here = undefined;
  await closeDatabase();
  const observer = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  try {
    await waitFor(
      async () => {
        const [row] = await observer<
          { n: number }[]
        >`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
        return row!.n === 0;
      },
      { timeoutMs: 10_000, what: "the test's other connections to exit" },
    );
    const [stats] = await observer<{ deadlocks: number }[]>`select deadlocks::int from pg_stat_database where datname = current_database()`;
    expect(stats!.deadlocks).toBe(0);
  } finally {
    await observer.end({ timeout: 2 });
  }
}, 120_000);
