import { and, asc, eq, lte, notInArray, or, type SQL, sql } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { campaignPacing, campaigns, campaignSends, campaignTargets, contacts, type Campaign, type CampaignTarget, type SkipReason } from "@/db/schema";
import { systemCaller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { publishLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { log } from "@/lib/logger";
import { port } from "@/lib/port";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { fillTemplate } from "@/features/templates/template.render";
import { ageInDays, dailyCapFor, gapMs, localTime, sendingAllowed, variantIndexFor } from "./campaign.pacing";

/**
 * The campaign sender. Every process runs `dispatchDue` periodically; a pass walks the due pacing slots
 * (one per campaign and sending number). A slot is taken with a row lock (FOR UPDATE), so two processes
 * never use the same slot at once (the second waits, then finds the slot no longer due), and in the same transaction the slot's next time and day count move,
 * the target's message is queued on the outbound queue and the (target, attempt) idempotency row is
 * written: a crash commits all of it or none of it, so nothing is sent twice or lost. The rate therefore
 * holds across processes without Redis: the slot row is the token.
 */

/** `sync: false` leaves target states to a later `syncTargetStates` (tests stepping a clock through many passes). */
export type DispatchOptions = { now?: Date; random?: () => number; sync?: boolean };

/**
 * The message variables of targets that carry a debt (collections sits above campaigns, so it is a
 * port: src/routes.ts plugs collections' debtVariablesOf in). Targets without one are absent.
 */
export const debtVariablesOf = port<(targetIds: string[], tx?: DbOrTx) => Promise<Map<string, Record<string, string>>>>("campaigns: debt variables of targets");

type Slot = { campaign: Campaign; instanceId: string; instanceCreatedAt: Date; nextAt: Date; day: string; sentOnDay: number; timeZone: string };

/**
 * The variables a target's message is rendered with: the contact's name/phone, custom fields, then the
 * target's own (CSV columns), then a collection target's debt ({{valor}}, {{vencimento}}: debtVariables).
 */
export function variablesFor(
  contact: { name: string | null; phone: string | null; customFields?: unknown },
  target: Pick<CampaignTarget, "variables">,
  debt: Record<string, string> = {},
) {
  const custom = Object.fromEntries(Object.entries((contact.customFields as Record<string, unknown> | null) ?? {}).map(([k, v]) => [k, String(v ?? "")]));
  return {
    ...custom,
    nome: contact.name ?? "",
    name: contact.name ?? "",
    phone: contact.phone ?? "",
    telefone: contact.phone ?? "",
    ...target.variables,
    ...debt,
  };
}

export function renderFor(
  campaign: Pick<Campaign, "message">,
  contact: Parameters<typeof variablesFor>[0],
  target: Pick<CampaignTarget, "variables" | "position">,
  random = Math.random(),
  debt: Record<string, string> = {},
) {
  const texts = [campaign.message.body, ...campaign.message.variants.filter((v) => v.trim())];
  const variantIndex = variantIndexFor(campaign.message.rotation, texts.length, target.position, random);
  return { variantIndex, body: fillTemplate(texts[variantIndex]!, variablesFor(contact, target, debt)) };
}

async function takeSlot(tx: DbOrTx, now: Date, seen: string[]): Promise<Slot | null> {
  const seenKeys = seen.length
    ? sql`and (p.campaign_id::text || ':' || p.instance_id::text) not in (${sql.join(
        seen.map((s) => sql`${s}`),
        sql`, `,
      )})`
    : sql``;
  const [row] = rowsOf<{
    campaign_id: string;
    instance_id: string;
    next_at: Date;
    day: string;
    sent_on_day: number;
    instance_created_at: Date;
    time_zone: string;
  }>(
    await tx.execute(sql`
      select p.campaign_id, p.instance_id, p.next_at, p.day, p.sent_on_day, i.created_at as instance_created_at, o.time_zone
      from campaign_pacing p
      join campaigns c on c.id = p.campaign_id
      join instances i on i.id = p.instance_id
      join organizations o on o.id = c.organization_id
      where c.status = 'running' and p.next_at <= ${now.toISOString()}::timestamptz ${seenKeys}
      order by p.next_at
      limit 1
      for update of p`),
  );
  if (!row) return null;
  const [campaign] = await tx.select().from(campaigns).where(eq(campaigns.id, row.campaign_id));
  if (!campaign) return null;
  return {
    campaign,
    instanceId: row.instance_id,
    instanceCreatedAt: new Date(row.instance_created_at),
    nextAt: new Date(row.next_at),
    day: row.day,
    sentOnDay: row.sent_on_day,
    timeZone: row.time_zone || "America/Sao_Paulo",
  };
}

async function nextTarget(tx: DbOrTx, campaignId: string, now: Date): Promise<CampaignTarget | undefined> {
  const [target] = await tx
    .select()
    .from(campaignTargets)
    .where(
      and(
        eq(campaignTargets.campaignId, campaignId),
        or(eq(campaignTargets.state, "pending"), and(eq(campaignTargets.state, "scheduled"), lte(campaignTargets.nextAttemptAt, now))),
      ),
    )
    .orderBy(asc(campaignTargets.position))
    .limit(1)
    .for("update");
  return target;
}

async function settleTarget(tx: DbOrTx, target: CampaignTarget, patch: Partial<CampaignTarget>, now: Date): Promise<void> {
  await tx
    .update(campaignTargets)
    .set({ ...patch, updatedAt: now })
    .where(eq(campaignTargets.id, target.id));
  await publishLive(liveTopics.campaign(target.campaignId), { targetId: target.id, state: patch.state ?? target.state }, tx);
}

const skip = (reason: SkipReason) => ({ state: "skipped" as const, skipReason: reason, nextAttemptAt: null });

/**
 * Sends at most one message on a slot: the next due target that may still be sent (opted-out, blocked
 * and stopped-on-reply targets are settled on the way without using the slot). Returns whether it sent.
 */
async function sendOnSlot(tx: DbOrTx, slot: Slot, now: Date, random: () => number): Promise<boolean> {
  const { campaign } = slot;
  if (!sendingAllowed(campaign, now, slot.timeZone)) return false;
  const day = localTime(now, slot.timeZone).day;
  const sentToday = slot.day === day ? slot.sentOnDay : 0;
  if (sentToday >= dailyCapFor(campaign.pacing, ageInDays(slot.instanceCreatedAt, now))) return false;
  for (;;) {
    const target = await nextTarget(tx, campaign.id, now);
    if (!target) return false;
    const [contact] = await tx.select().from(contacts).where(eq(contacts.id, target.contactId));
    if (!contact || contact.optedOut) {
      await settleTarget(tx, target, skip("opted_out"), now);
      continue;
    }
    if (contact.blocked) {
      await settleTarget(tx, target, skip("blocked"), now);
      continue;
    }
    if (campaign.stopOnReply && target.sentAt && (await repliedSince(tx, campaign.organizationId, contact.id, target.sentAt))) {
      await settleTarget(tx, target, { state: "replied", repliedAt: now, nextAttemptAt: null }, now);
      continue;
    }
    const attempt = target.attempts + 1;
    const debt = (await debtVariablesOf([target.id], tx)).get(target.id);
    const rendered = renderFor(campaign, contact, target, random(), debt);
    const mediaUrl = campaign.message.mediaUrl;
    let messageId: string;
    try {
      const { message } = await queueOutboundMessage(
        systemCaller(`campaign:${campaign.id}`, campaign.organizationId),
        mediaUrl
          ? { type: "image", instanceId: slot.instanceId, contactId: contact.id, media: { url: mediaUrl, caption: rendered.body } }
          : { type: "text", instanceId: slot.instanceId, contactId: contact.id, text: rendered.body },
        { sentBy: "campaign", tx },
      );
      messageId = message.id;
    } catch (err) {
      // The number cannot send now (disconnected, over its quota): the slot waits, the target keeps its turn.
      if (err instanceof AppError && (err.code === "conflict" || err.code === "rate_limited" || err.code === "quota_exceeded")) {
        log.info("campaign slot cannot send now", { campaignId: campaign.id, instanceId: slot.instanceId, error: err.message });
        return false;
      }
      if (!(err instanceof AppError)) throw err;
      // Refused for this contact (no reachable phone, invalid media): failed with the reason, no retry.
      await settleTarget(tx, target, { state: "failed", attempts: attempt, error: err.message.slice(0, 1000), nextAttemptAt: null }, now);
      continue;
    }
    // The idempotency row: a second send of the same target and attempt violates its key and rolls all of this back.
    await tx.insert(campaignSends).values({ targetId: target.id, attempt, messageId, instanceId: slot.instanceId, sentAt: now });
    await settleTarget(
      tx,
      target,
      {
        state: "sending",
        attempts: attempt,
        messageId,
        instanceId: slot.instanceId,
        variantIndex: rendered.variantIndex,
        renderedBody: rendered.body,
        sentAt: now,
        nextAttemptAt: null,
        error: null,
      },
      now,
    );
    await tx
      .update(campaignPacing)
      .set({ nextAt: new Date(now.getTime() + gapMs(campaign.pacing, random())), day, sentOnDay: sentToday + 1 })
      .where(and(eq(campaignPacing.campaignId, campaign.id), eq(campaignPacing.instanceId, slot.instanceId)));
    return true;
  }
}

async function repliedSince(tx: DbOrTx, organizationId: string, contactId: string, since: Date): Promise<boolean> {
  const reply = firstReplyAt(sql`${organizationId}::uuid`, sql`${contactId}::uuid`, sql`${since.toISOString()}::timestamptz`);
  const [row] = rowsOf<{ at: unknown }>(await tx.execute(sql`select ${reply} as at`));
  return row?.at != null;
}

/**
 * When the contact first wrote after `since`, on any of the organization's numbers (null: not yet).
 * Through indexes only, as it runs for every waiting target on every pass: the contact's conversation
 * on each number, skipped unless it moved after `since`, then its first inbound message after it.
 * (messages has no contact index: matching messages on contact_id read the whole table.)
 */
function firstReplyAt(organizationId: SQL, contactId: SQL, since: SQL): SQL {
  return sql`(select min(reply.at) from instances i
    join conversations v on v.instance_id = i.id and v.contact_id = ${contactId} and v.last_message_at > ${since}
    cross join lateral (
      select m.created_at as at from messages m
      where m.conversation_id = v.id and m.created_at > ${since} and m.direction = 'inbound'
      order by m.created_at
      limit 1
    ) reply
    where i.organization_id = ${organizationId})`;
}

/** One pass over every due slot; returns how many messages it queued. */
export async function dispatchDue(opts: DispatchOptions = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const random = opts.random ?? Math.random;
  const seen: string[] = [];
  let sent = 0;
  for (;;) {
    const outcome = await db.transaction(async (tx) => {
      const slot = await takeSlot(tx, now, seen);
      if (!slot) return null;
      seen.push(`${slot.campaign.id}:${slot.instanceId}`);
      return sendOnSlot(tx, slot, now, random);
    });
    if (outcome === null) break;
    if (outcome) sent++;
  }
  if (opts.sync !== false) await syncTargetStates(now);
  return sent;
}

/**
 * Target states follow their messages: queued → sending, then sent / delivered / read from receipts; a
 * failed message is retried after the spacing while attempts remain, else the target failed. A message
 * from the contact after the send marks the target replied. Running campaigns with nothing left to do
 * complete.
 */
export async function syncTargetStates(now: Date = new Date()): Promise<void> {
  const changed = rowsOf<{ id: string; campaign_id: string; state: string }>(
    await db.execute(sql`
      update campaign_targets t set
        state = case
          when m.status = 'failed' and t.attempts < c.max_attempts then 'scheduled'
          when m.status = 'failed' then 'failed'
          when m.status = 'queued' then 'sending'
          else m.status end,
        next_attempt_at = case when m.status = 'failed' and t.attempts < c.max_attempts
          then ${now.toISOString()}::timestamptz + make_interval(mins => c.attempt_spacing_minutes) else null end,
        error = case when m.status = 'failed' then m.error else t.error end,
        delivered_at = coalesce(t.delivered_at, m.delivered_at),
        read_at = coalesce(t.read_at, m.read_at),
        updated_at = ${now.toISOString()}::timestamptz
      from messages m, campaigns c
      where m.id = t.message_id and c.id = t.campaign_id
        and t.state in ('sending', 'sent', 'delivered')
        and t.state is distinct from (case
          when m.status = 'failed' and t.attempts < c.max_attempts then 'scheduled'
          when m.status = 'failed' then 'failed'
          when m.status = 'queued' then 'sending'
          else m.status end)
        and m.status in ('queued', 'sent', 'delivered', 'read', 'failed')
      returning t.id, t.campaign_id, t.state`),
  );
  const replied = rowsOf<{ id: string; campaign_id: string; state: string }>(
    await db.execute(sql`
      update campaign_targets t set state = 'replied', replied_at = r.at, next_attempt_at = null, updated_at = ${now.toISOString()}::timestamptz
      from (
        select t2.id, ${firstReplyAt(sql`t2.organization_id`, sql`t2.contact_id`, sql`t2.sent_at`)} as at from campaign_targets t2
        where t2.state in ('sending', 'sent', 'delivered', 'read', 'scheduled') and t2.sent_at is not null
      ) r
      where r.id = t.id and r.at is not null
      returning t.id, t.campaign_id, t.state`),
  );
  for (const row of [...changed, ...replied]) await publishLive(liveTopics.campaign(row.campaign_id), { targetId: row.id, state: row.state });
  const finished = rowsOf<{ id: string }>(
    await db.execute(sql`
      update campaigns c set status = 'completed', finished_at = ${now.toISOString()}::timestamptz, updated_at = ${now.toISOString()}::timestamptz
      where c.status = 'running'
        and not exists (select 1 from campaign_targets t where t.campaign_id = c.id and t.state in ('pending', 'scheduled', 'sending'))
      returning c.id`),
  );
  for (const row of finished) await publishLive(liveTopics.campaign(row.id), { status: "completed" });
}

/** The slots of a campaign's numbers, due at once (starting or resuming). */
export async function openSlots(tx: DbOrTx, campaign: Pick<Campaign, "id" | "instanceIds">, now: Date): Promise<void> {
  if (campaign.instanceIds.length === 0) return;
  await tx
    .insert(campaignPacing)
    .values(campaign.instanceIds.map((instanceId) => ({ campaignId: campaign.id, instanceId, nextAt: now })))
    .onConflictDoNothing();
  await tx.delete(campaignPacing).where(and(eq(campaignPacing.campaignId, campaign.id), notInArray(campaignPacing.instanceId, campaign.instanceIds)));
}
