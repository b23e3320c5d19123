import { and, count, desc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { apiKeys, events, instances, memberships, usageDaily, webhookDeliveries, webhooks } from "@/db/schema";
import { cursorBacklogSql } from "@/features/webhooks/delivery.cursor";

export type DashboardStats = {
  instances: { total: number; connected: number };
  today: { day: string; messagesSent: number; messagesReceived: number; apiCalls: number };
  deliveries: { succeeded: number; failing: number; pending: number; successRate: number | null };
  recentEvents: { id: string; type: string; at: Date; instanceId: string | null; instanceName: string | null }[];
  members: number;
  activeApiKeys: number;
  activeWebhooks: number;
};

/** UTC day, matching how usage counters are keyed (usage.service). */
export const utcDay = (at = new Date()) => at.toISOString().slice(0, 10);

/** Everything the dashboard shows for one organization, read in parallel. */
export async function getDashboardStats(organizationId: string, now = new Date()): Promise<DashboardStats> {
  const day = utcDay(now);
  const since = new Date(now.getTime() - 24 * 60 * 60 * 1000);
  const [instanceRow, usageRows, deliveryRow, backlogRow, recent, memberRow, keyRow, webhookRow] = await Promise.all([
    db
      .select({ total: count(), connected: sql<number>`count(*) filter (where ${instances.status} = 'connected')`.mapWith(Number) })
      .from(instances)
      .where(eq(instances.organizationId, organizationId)),
    db
      .select({ metric: usageDaily.metric, total: sql<number>`coalesce(sum(${usageDaily.count}), 0)`.mapWith(Number) })
      .from(usageDaily)
      .where(and(eq(usageDaily.organizationId, organizationId), eq(usageDaily.day, day)))
      .groupBy(usageDaily.metric),
    // Through the organization's webhooks so the (webhook_id, created_at) index serves the time range.
    db
      .select({
        succeeded: sql<number>`count(*) filter (where ${webhookDeliveries.status} = 'succeeded')`.mapWith(Number),
        failing: sql<number>`count(*) filter (where ${webhookDeliveries.status} in ('failed', 'exhausted'))`.mapWith(Number),
        pending: sql<number>`count(*) filter (where ${webhookDeliveries.status} = 'pending')`.mapWith(Number),
      })
      .from(webhookDeliveries)
      .where(
        and(
          inArray(webhookDeliveries.webhookId, db.select({ id: webhooks.id }).from(webhooks).where(eq(webhooks.organizationId, organizationId))),
          eq(webhookDeliveries.organizationId, organizationId),
          gt(webhookDeliveries.createdAt, since),
        ),
      ),
    // Events an endpoint's cursor has not reached are pending deliveries without a row yet (delivery.cursor.ts).
    db
      .select({ n: sql<number>`coalesce(sum(${cursorBacklogSql(sql`${webhooks}`, sql`${since.toISOString()}::timestamptz`)}), 0)`.mapWith(Number) })
      .from(webhooks)
      .where(eq(webhooks.organizationId, organizationId)),
    db
      .select({ id: events.id, type: events.type, at: events.at, instanceId: events.instanceId, instanceName: instances.name })
      .from(events)
      .leftJoin(instances, and(eq(instances.id, events.instanceId), eq(instances.organizationId, organizationId)))
      .where(eq(events.organizationId, organizationId))
      .orderBy(desc(events.at), desc(events.id))
      .limit(10),
    db.select({ n: count() }).from(memberships).where(eq(memberships.organizationId, organizationId)),
    db
      .select({ n: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.organizationId, organizationId), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)))),
    db
      .select({ n: count() })
      .from(webhooks)
      .where(and(eq(webhooks.organizationId, organizationId), eq(webhooks.active, true), isNull(webhooks.disabledAt))),
  ]);
  const usage = new Map(usageRows.map((r) => [r.metric, r.total]));
  const row = deliveryRow[0] ?? { succeeded: 0, failing: 0, pending: 0 };
  const d = { ...row, pending: row.pending + (backlogRow[0]?.n ?? 0) };
  const finished = d.succeeded + d.failing;
  return {
    instances: { total: Number(instanceRow[0]?.total ?? 0), connected: Number(instanceRow[0]?.connected ?? 0) },
    today: {
      day,
      messagesSent: usage.get("messages_sent") ?? 0,
      messagesReceived: usage.get("messages_received") ?? 0,
      apiCalls: usage.get("api_calls") ?? 0,
    },
    deliveries: { ...d, successRate: finished === 0 ? null : d.succeeded / finished },
    recentEvents: recent,
    members: Number(memberRow[0]?.n ?? 0),
    activeApiKeys: Number(keyRow[0]?.n ?? 0),
    activeWebhooks: Number(webhookRow[0]?.n ?? 0),
  };
}
