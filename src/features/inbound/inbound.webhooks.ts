import { createHmac, timingSafeEqual } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { config } from "@/config";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { log } from "@/lib/logger";
import type { InboundEvent, Instance } from "@/providers/provider";
import { ingestInbound } from "./inbound.service";
import { isUuid } from "@/lib/ids";


/** Timing-safe comparison of a presented hex HMAC-SHA256 with the one computed over `raw`. */
function hmacMatches(raw: string, key: string, presentedHex: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(presentedHex)) return false;
  const expected = createHmac("sha256", key).update(raw, "utf8").digest();
  return timingSafeEqual(expected, Buffer.from(presentedHex, "hex"));
}

/** WuzAPI: `x-hmac-signature` = hex HMAC-SHA256 of the raw body with WUZAPI_HMAC_KEY. No key configured → refuse. */
export function verifyWuzapiSignature(raw: string, header: string | null): boolean {
  const key = config.wuzapi.hmacKey;
  if (!key || !header) return false;
  return hmacMatches(raw, key, header.trim());
}

/** Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. */
export function verifyCloudSignature(raw: string, header: string | null, appSecret: string): boolean {
  if (!header || !appSecret) return false;
  const value = header.trim();
  if (!value.startsWith("sha256=")) return false;
  return hmacMatches(raw, appSecret, value.slice(7));
}

// Every provider webhook starts with one of these lookups: built once as prepared queries, so a
// request pays neither drizzle's query building nor a parse.
const wuzapiInstanceByUser = db
  .select()
  .from(instances)
  .where(and(eq(instances.provider, "wuzapi"), eq(instances.providerInstanceId, sql.placeholder("userID"))))
  .limit(1)
  .prepare("wuzapi_instance_by_user");
const cloudInstanceById = db
  .select()
  .from(instances)
  .where(and(eq(instances.id, sql.placeholder("instanceId")), eq(instances.provider, "cloud")))
  .limit(1)
  .prepare("cloud_instance_by_id");

export async function findWuzapiInstance(userID: string): Promise<Instance | undefined> {
  const [row] = await wuzapiInstanceByUser.execute({ userID });
  return row;
}

export async function findCloudInstance(instanceId: string): Promise<Instance | undefined> {
  if (!isUuid(instanceId)) return undefined;
  const [row] = await cloudInstanceById.execute({ instanceId });
  return row;
}

/** Retries for receipts that beat the outbound worker's commit of the provider id (ms between tries). */
export const receiptRetryDelays = [250, 500, 1000, 2000];

async function retryReceipt(instance: Instance, event: Extract<InboundEvent, { kind: "receipt" }>) {
  for (const delay of receiptRetryDelays) {
    await Bun.sleep(delay);
    const result = await ingestInbound(instance, event);
    if (result.kind === "receipt" && result.found) return;
  }
  log.debug("receipt for an unknown message dropped", { instanceId: instance.id, providerMessageId: event.providerMessageId });
}

/** Runs a webhook's events in order; returns counts for the response body. */
export async function ingestWebhookEvents(instance: Instance, events: InboundEvent[]) {
  let stored = 0;
  let duplicates = 0;
  let receipts = 0;
  let current = instance;
  for (const event of events) {
    const result = await ingestInbound(current, event);
    if (result.kind === "message") {
      if (result.stored) stored++;
      else if (result.duplicate) duplicates++;
    } else if (result.kind === "receipt") {
      if (result.updated) receipts++;
      else if (!result.found) void retryReceipt(current, event as Extract<InboundEvent, { kind: "receipt" }>).catch(() => {});
    } else if (result.instance) {
      current = result.instance;
    }
  }
  return { events: events.length, stored, duplicates, receipts };
}
