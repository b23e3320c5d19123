import { sql } from "drizzle-orm";
import { db, rowsOf } from "@/db/client";

/** Messages deleted per statement, and statements per organization per run: a run stays short whatever the backlog. */
export const MESSAGE_SWEEP_BATCH = 500;
export const MESSAGE_SWEEP_BATCHES_PER_RUN = 20;

/**
 * Messages of organizations that chose a message retention (organization_retention.messages_days; the
 * default is to keep them), older than that many days, deleted in small batches.
 *
 * Messages are the one bounded table deleted by rows, not by partitions, on purpose: partitioning
 * `messages` would put the partition key into its primary key, which six tables reference (suggestions,
 * outages, transcriptions, campaign targets...), and into its unique indexes, and the unique
 * (instance_id, provider_message_id) is what makes an inbound message delivered twice store once — it
 * must hold across all time, which a per-partition index cannot. Most organizations keep messages, so
 * the deletes touch only those that opted in, walking each conversation's (conversation_id, created_at)
 * index from its oldest message.
 */
export async function sweepExpiredMessages(now: Date = new Date()): Promise<number> {
  const orgs = rowsOf<{ organization_id: string; days: number }>(
    await db.execute(sql`select organization_id, messages_days as days from organization_retention where messages_days is not null`),
  );
  let total = 0;
  for (const { organization_id: organizationId, days } of orgs) {
    const cutoff = new Date(now.getTime() - Number(days) * 86_400_000);
    for (let i = 0; i < MESSAGE_SWEEP_BATCHES_PER_RUN; i++) {
      const [row] = rowsOf<{ n: number }>(
        await db.execute(sql`
          with doomed as (
            select m.id from conversations c
            cross join lateral (
              select id from messages m
              where m.conversation_id = c.id and m.created_at < ${cutoff.toISOString()}::timestamptz
              order by m.created_at limit ${MESSAGE_SWEEP_BATCH}
            ) m
            where c.organization_id = ${organizationId}
            limit ${MESSAGE_SWEEP_BATCH}
          ),
          gone as (delete from messages where id in (select id from doomed) and organization_id = ${organizationId} returning 1)
          select count(*)::int as n from gone`),
      );
      const n = row?.n ?? 0;
      total += n;
      if (n < MESSAGE_SWEEP_BATCH) break;
    }
  }
  return total;
}
