/** Webhook delivery, the organization's log: list, read, retry and recover deliveries. */
import { and, desc, eq, getTableColumns, inArray, sql, type SQL } from "drizzle-orm";
import { db, notify, type DbOrTx } from "@/db/client";
import { webhookAttempts, webhookDeliveries, webhooks } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { keysetPage, type Page } from "@/lib/pager";
import { leaseFree } from "@/workers/jobs";
import { clockSql, DELIVERY_RETRIES_CHANNEL, deliveryQueue } from "./delivery.queue";
import type { WebhookRow } from "./delivery.send";

// ---------------------------------------------------------------------------------------------
// Delivery log, retry, recover (organization-scoped)
// ---------------------------------------------------------------------------------------------

export type Delivery = typeof webhookDeliveries.$inferSelect;
/** The table as a row reference for jobs.leaseFree (a retry never takes a delivery a worker holds). */
const DELIVERIES = sql`${sql.identifier("webhook_deliveries")}`;
export type Attempt = typeof webhookAttempts.$inferSelect;

/** A delivery as the log lists it: without its first attempt (request body included), read with the delivery alone. */
export type ListedDelivery = Omit<Delivery, "firstAttempt">;
const { firstAttempt: _firstAttempt, ...listedColumns } = getTableColumns(webhookDeliveries);

export function publicDelivery(d: ListedDelivery) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === "pending" || d.status === "failed" ? d.nextAttemptAt : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastDurationMs: d.lastDurationMs,
    lastResponseExcerpt: d.lastResponseExcerpt,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function publicAttempt(a: Attempt) {
  return {
    id: a.id,
    attempt: a.attempt,
    at: a.at,
    statusCode: a.statusCode,
    error: a.error,
    durationMs: a.durationMs,
    requestHeaders: a.requestHeaders,
    requestBody: a.requestBody,
    responseExcerpt: a.responseExcerpt,
  };
}

/** Newest first, keyset-paged on (created_at, id). */
export async function listDeliveriesForWebhook(
  organizationId: string,
  webhookId: string,
  query: { status?: Delivery["status"]; eventType?: string; limit: number; cursor?: string },
  tx: DbOrTx = db,
): Promise<Page<ListedDelivery>> {
  const conditions: SQL[] = [eq(webhookDeliveries.organizationId, organizationId), eq(webhookDeliveries.webhookId, webhookId)];
  if (query.status) conditions.push(eq(webhookDeliveries.status, query.status));
  if (query.eventType) conditions.push(eq(webhookDeliveries.eventType, query.eventType));
  return keysetPage(
    { sortBy: webhookDeliveries.createdAt, id: webhookDeliveries.id },
    query,
    (q) =>
      tx
        .select({ delivery: listedColumns, sortKey: q.sortKey })
        .from(webhookDeliveries)
        .where(and(...conditions, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.delivery,
    (r) => r.delivery.id,
  );
}

/** A delivery of the organization with its attempts (newest first), or 404. */
export async function getDelivery(organizationId: string, deliveryId: string, tx: DbOrTx = db): Promise<{ delivery: Delivery; attempts: Attempt[] }> {
  if (!isUuid(deliveryId)) throw new AppError("not_found", tText("webhooks:errors.deliveryNotFound"));
  const [delivery] = await tx
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.organizationId, organizationId)));
  if (!delivery) throw new AppError("not_found", tText("webhooks:errors.deliveryNotFound"));
  return { delivery, attempts: await attemptsOf(delivery, tx) };
}

/** A delivery's attempts, newest first: its `webhook_attempts` rows and the first attempt its row carries, if any. */
export async function attemptsOf(delivery: Delivery, tx: DbOrTx = db): Promise<Attempt[]> {
  const rows = await tx
    .select()
    .from(webhookAttempts)
    .where(eq(webhookAttempts.deliveryId, delivery.id))
    .orderBy(desc(webhookAttempts.attempt), desc(webhookAttempts.at));
  const first = delivery.firstAttempt;
  if (!first) return rows;
  const inline: Attempt = {
    id: first.id,
    deliveryId: delivery.id,
    attempt: 1,
    at: new Date(first.at),
    statusCode: first.statusCode,
    error: first.error,
    durationMs: first.durationMs,
    requestHeaders: first.requestHeaders,
    requestBody: first.requestBody,
    responseExcerpt: first.responseExcerpt,
    expiresOn: delivery.expiresOn,
  };
  return [...rows, inline];
}

async function activeWebhookOf(tx: DbOrTx, organizationId: string, webhookId: string): Promise<WebhookRow> {
  const [hook] = await tx
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.id, webhookId), eq(webhooks.organizationId, organizationId)));
  if (!hook) throw new AppError("not_found", tText("webhooks:errors.notFound"));
  if (!hook.active) throw new AppError("conflict", tText("webhooks:errors.disabledRetry"));
  return hook;
}

/**
 * Manual retry: one more attempt right away, whatever the delivery's state (a redelivery of a
 * succeeded one keeps the same webhook-id, so idempotent subscribers ignore it). If it fails, the
 * delivery continues on the schedule where it was, or ends exhausted. With `webhookId` (the page's
 * URL), a delivery of another endpoint is not found.
 */
export async function retryDelivery(organizationId: string, deliveryId: string, webhookId?: string): Promise<Delivery> {
  const updated = await db.transaction(async (tx) => {
    const { delivery } = await getDelivery(organizationId, deliveryId, tx);
    if (webhookId !== undefined && delivery.webhookId !== webhookId) throw new AppError("not_found", tText("webhooks:errors.deliveryNotFound"));
    await activeWebhookOf(tx, organizationId, delivery.webhookId);
    const [row] = await tx
      .update(webhookDeliveries)
      .set({ status: "pending", nextAttemptAt: sql`${clockSql()}`, leaseUntil: null })
      .where(and(eq(webhookDeliveries.id, deliveryId), leaseFree(deliveryQueue, DELIVERIES, clockSql())))
      .returning();
    if (!row) throw new AppError("conflict", tText("webhooks:errors.attemptInProgress"));
    await notify(DELIVERY_RETRIES_CHANNEL, "", tx);
    return row;
  });
  return updated;
}

/**
 * "Recover everything failed since T": every failed, exhausted or cancelled delivery of the endpoint
 * created at or after `since` is due again now (one more attempt each, as for a manual retry).
 */
export async function recoverDeliveries(organizationId: string, webhookId: string, since: Date): Promise<number> {
  return db.transaction(async (tx) => {
    await activeWebhookOf(tx, organizationId, webhookId);
    const rows = await tx
      .update(webhookDeliveries)
      .set({ status: "pending", nextAttemptAt: sql`${clockSql()}`, leaseUntil: null })
      .where(
        and(
          eq(webhookDeliveries.organizationId, organizationId),
          eq(webhookDeliveries.webhookId, webhookId),
          inArray(webhookDeliveries.status, ["failed", "exhausted", "cancelled"]),
          sql`${webhookDeliveries.createdAt} >= ${since.toISOString()}`,
          leaseFree(deliveryQueue, DELIVERIES, clockSql()),
        ),
      )
      .returning({ id: webhookDeliveries.id });
    if (rows.length > 0) await notify(DELIVERY_RETRIES_CHANNEL, "", tx);
    return rows.length;
  });
}
