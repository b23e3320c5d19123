import { and, asc, eq, sql } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { contacts, outageNotifications, outagePacing, outages, type Outage, type OutageNotification } from "@/db/schema";
import { ageInDays, dailyCapFor, gapMs, localTime } from "@/features/campaigns/campaign.pacing";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { systemCaller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/logger";
import { orgTextOf, renderOutageMessage } from "./outage.service";

/**
 * The outage notice sender, the campaign sender's mechanism (campaign.dispatch.ts) on its own slots:
 * a pass walks the due pacing slots (one per outage and sending number), each taken with a row lock
 * (FOR UPDATE) so two processes never use one slot at once; in the same transaction the slot's next
 * time moves by the campaign rule `gapMs` (rate with jitter that only lengthens the gap), the message
 * is queued on the outbound queue and the notification row goes from pending to sending. A crash
 * commits all of it or none of it: nothing is sent twice, nothing is lost.
 *
 * Notices are service messages about the contact's own service, so they are not held to the
 * campaign's active hours: an outage at 22:00 is announced at 22:00. The rate and the daily cap hold.
 */

export type OutageDispatchOptions = { now?: Date; random?: () => number; sync?: boolean };

type Slot = { outage: Outage; instanceId: string; instanceCreatedAt: Date; day: string; sentOnDay: number; timeZone: string; language: string };

async function takeSlot(tx: DbOrTx, now: Date, seen: string[]): Promise<Slot | null> {
  const seenKeys = seen.length
    ? sql`and (p.outage_id::text || ':' || p.instance_id::text) not in (${sql.join(
        seen.map((s) => sql`${s}`),
        sql`, `,
      )})`
    : sql``;
  const [row] = rowsOf<{
    outage_id: string;
    instance_id: string;
    day: string;
    sent_on_day: number;
    instance_created_at: Date;
    time_zone: string;
    language: string;
  }>(
    await tx.execute(sql`
      select p.outage_id, p.instance_id, p.day, p.sent_on_day, i.created_at as instance_created_at, o.time_zone, o.language
      from outage_pacing p
      join outages x on x.id = p.outage_id
      join instances i on i.id = p.instance_id
      join organizations o on o.id = x.organization_id
      where x.status in ('active', 'resolved') and p.next_at <= ${now.toISOString()}::timestamptz ${seenKeys}
        -- Only slots with something left to send: a finished outage costs no pass, and its slot keeps its time and day count.
        and exists (
          select 1 from outage_notifications n
          where n.outage_id = p.outage_id and n.state = 'pending'
            and n.kind = case when x.status = 'active' then 'notice' else 'resolution' end)
      order by p.next_at
      limit 1
      for update of p`),
  );
  if (!row) return null;
  const [outage] = await tx.select().from(outages).where(eq(outages.id, row.outage_id));
  if (!outage) return null;
  return {
    outage,
    instanceId: row.instance_id,
    instanceCreatedAt: new Date(row.instance_created_at),
    day: row.day,
    sentOnDay: row.sent_on_day,
    timeZone: row.time_zone || "America/Sao_Paulo",
    language: row.language || "pt-BR",
  };
}

/** While active the slot sends notices; once resolved, resolution messages. */
const kindFor = (outage: Outage) => (outage.status === "active" ? "notice" : "resolution");

async function nextNotification(tx: DbOrTx, outage: Outage): Promise<OutageNotification | undefined> {
  const [row] = await tx
    .select()
    .from(outageNotifications)
    .where(and(eq(outageNotifications.outageId, outage.id), eq(outageNotifications.kind, kindFor(outage)), eq(outageNotifications.state, "pending")))
    .orderBy(asc(outageNotifications.createdAt), asc(outageNotifications.id))
    .limit(1)
    .for("update");
  return row;
}

const settle = (tx: DbOrTx, id: string, patch: Partial<typeof outageNotifications.$inferInsert>, now: Date) =>
  tx
    .update(outageNotifications)
    .set({ ...patch, updatedAt: now })
    .where(eq(outageNotifications.id, id));

/**
 * Queues one notification's message in `tx` from `instanceId` and moves the row to sending. Returns
 * false when the number cannot send now (the row keeps its turn); a refusal for this contact fails the row.
 */
export async function sendNotification(
  tx: DbOrTx,
  outage: Outage,
  row: OutageNotification,
  contact: { id: string; name: string | null },
  instanceId: string,
  org: { language: string; timeZone: string },
  now: Date,
  via: "broadcast" | "inbound" = "broadcast",
): Promise<boolean> {
  const body = renderOutageMessage(row.kind === "notice" ? outage.noticeMessage : outage.resolutionMessage, outage, contact, org);
  try {
    const { message } = await queueOutboundMessage(
      systemCaller(`outage:${outage.id}`, outage.organizationId),
      { type: "text", instanceId, contactId: contact.id, text: body },
      { sentBy: "bot", tx },
    );
    await settle(
      tx,
      row.id,
      { state: "sending", via, messageId: message.id, instanceId, body, sentAt: now, skipReason: null, error: null, deliveredAt: null, readAt: null },
      now,
    );
    return true;
  } catch (err) {
    if (err instanceof AppError && (err.code === "conflict" || err.code === "rate_limited" || err.code === "quota_exceeded")) {
      log.info("outage notice cannot be sent from this number now", { outageId: outage.id, instanceId, error: err.message });
      return false;
    }
    if (!(err instanceof AppError)) throw err;
    await settle(tx, row.id, { state: "failed", error: err.message.slice(0, 1000) }, now);
    return true;
  }
}

async function sendOnSlot(tx: DbOrTx, slot: Slot, now: Date, random: () => number): Promise<boolean> {
  const { outage } = slot;
  const day = localTime(now, slot.timeZone).day;
  const sentToday = slot.day === day ? slot.sentOnDay : 0;
  if (sentToday >= dailyCapFor(outage.pacing, ageInDays(slot.instanceCreatedAt, now))) return false;
  for (;;) {
    const row = await nextNotification(tx, outage);
    if (!row) return false;
    const [contact] = await tx.select().from(contacts).where(eq(contacts.id, row.contactId));
    // Consent (src/features/consent): opted-out and blocked contacts get no broadcast; the log says why.
    if (!contact || contact.optedOut) {
      await settle(tx, row.id, { state: "skipped", skipReason: "opted_out" }, now);
      continue;
    }
    if (contact.blocked) {
      await settle(tx, row.id, { state: "skipped", skipReason: "blocked" }, now);
      continue;
    }
    const sent = await sendNotification(tx, outage, row, contact, slot.instanceId, { language: slot.language, timeZone: slot.timeZone }, now);
    if (!sent) return false;
    const [after] = await tx.select({ state: outageNotifications.state }).from(outageNotifications).where(eq(outageNotifications.id, row.id));
    if (after?.state === "failed") continue;
    await tx
      .update(outagePacing)
      .set({ nextAt: new Date(now.getTime() + gapMs(outage.pacing, random())), day, sentOnDay: sentToday + 1 })
      .where(and(eq(outagePacing.outageId, outage.id), eq(outagePacing.instanceId, slot.instanceId)));
    return true;
  }
}

/** One pass over every due slot; returns how many messages it queued. */
export async function dispatchOutages(opts: OutageDispatchOptions = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const random = opts.random ?? Math.random;
  const seen: string[] = [];
  let sent = 0;
  for (;;) {
    const outcome = await db.transaction(async (tx) => {
      const slot = await takeSlot(tx, now, seen);
      if (!slot) return null;
      seen.push(`${slot.outage.id}:${slot.instanceId}`);
      return sendOnSlot(tx, slot, now, random);
    });
    if (outcome === null) break;
    if (outcome) sent++;
  }
  if (opts.sync !== false) await syncNotificationStates();
  return sent;
}

/** Notification states follow their messages: queued → sending, then sent / delivered / read from receipts, or failed. */
export async function syncNotificationStates(): Promise<number> {
  const changed = rowsOf<{ id: string }>(
    await db.execute(sql`
      update outage_notifications n set
        state = case when m.status = 'queued' then 'sending' else m.status end,
        error = case when m.status = 'failed' then m.error else n.error end,
        delivered_at = coalesce(n.delivered_at, m.delivered_at),
        read_at = coalesce(n.read_at, m.read_at),
        updated_at = now()
      from messages m
      where m.id = n.message_id
        and n.state in ('sending', 'sent', 'delivered')
        and m.status in ('queued', 'sent', 'delivered', 'read', 'failed')
        and (n.state is distinct from (case when m.status = 'queued' then 'sending' else m.status end)
          or n.delivered_at is distinct from coalesce(n.delivered_at, m.delivered_at)
          or n.read_at is distinct from coalesce(n.read_at, m.read_at))
      returning n.id`),
  );
  return changed.length;
}

export { orgTextOf };
