import { and, eq, sql } from "drizzle-orm";
import { db, rowsOf } from "@/db/client";
import { orgCached } from "@/db/org-cache";
import { contacts, outageNotifications, type Outage } from "@/db/schema";
import type { InboundMessageContext } from "@/features/inbound/inbound.service";
import { log } from "@/lib/logger";
import { sendNotification } from "./outage.dispatch";
import { affectedContactsSql } from "./outage.match";
import { activeOutages, orgTextOf, regionsByIds } from "./outage.service";

/**
 * The outage notice comes first on inbound (registered at the head of `inboundClaims` in src/routes.ts,
 * before the survey's and the greeting menu's claims). For an inbound message from a contact in the
 * area of an active outage:
 *
 * - the contact's message is recorded as the response to the latest notification they were sent
 *   (first answer only), whatever the outage's state;
 * - if the contact has not been sent this outage's notice yet (its broadcast turn has not come, or
 *   they were not reachable by broadcast), the notice is queued now, from the number they wrote to,
 *   ahead of anything the menu or automation will send — once per contact and outage (the
 *   (outage, contact, kind) key, taken with a row lock);
 * - the claim never takes the message: it returns false, so the greeting menu, triggers, flows and the
 *   AI see it as usual and answer after the notice. A customer who writes "minha internet caiu" learns
 *   about the outage and can still reach a person or the bot (most want to, e.g. to ask for a credit).
 *
 * A contact who opted out of broadcasts still gets the notice here: they wrote to the business, and the
 * notice answers them (consent limits unsolicited messages). LivChat-blocked contacts get nothing.
 */
export async function outageNoticeClaim(ctx: InboundMessageContext): Promise<false> {
  const organizationId = ctx.instance.organizationId;
  if (!organizationId || ctx.message.direction !== "inbound" || ctx.message.isPrivateNote) return false;
  if (ctx.contact.kind === "group" || ctx.contact.organizationId !== organizationId) return false;
  // An organization with no outage and no notification waiting for an answer costs no query here.
  const state = await outageState(organizationId);
  if (state.answerable) await recordResponse(ctx);
  if (ctx.contact.blocked) return false;
  if (state.active.length === 0) return false;
  const org = await orgTextOf(organizationId, db);
  // Oldest first: notices go out in the order the outages were declared (a copy: the list is cached).
  for (const outage of [...state.active].reverse()) {
    try {
      await db.transaction(async (tx) => {
        const regions = await regionsByIds(organizationId, outage.affected.regionIds, tx);
        const [inArea] = await tx
          .select({ id: contacts.id })
          .from(contacts)
          .where(and(eq(contacts.id, ctx.contact.id), affectedContactsSql(outage.affected, regions)))
          .limit(1);
        if (!inArea) return;
        await tx
          .insert(outageNotifications)
          .values({
            organizationId,
            outageId: outage.id,
            contactId: ctx.contact.id,
            kind: "notice",
            via: "inbound",
            phone: ctx.contact.phone,
            name: ctx.contact.name,
          })
          .onConflictDoNothing();
        const [row] = await tx
          .select()
          .from(outageNotifications)
          .where(and(eq(outageNotifications.outageId, outage.id), eq(outageNotifications.contactId, ctx.contact.id), eq(outageNotifications.kind, "notice")))
          .for("update");
        // Sent already (or on its way): once per contact and outage.
        if (!row || row.sentAt) return;
        await sendNotification(tx, outage, row, ctx.contact, ctx.instance.id, org, new Date(), "inbound");
      });
    } catch (err) {
      log.error("outage notice on inbound failed", { outageId: outage.id, messageId: ctx.message.id, err });
    }
  }
  return false;
}

/**
 * What every inbound message of an organization asks of outages, cached per organization
 * (src/db/org-cache.ts; the triggers of drizzle/0065 evict it when an outage changes or a notification
 * is sent or answered): its active outages, and whether any notification sent is still unanswered.
 */
const outageState = orgCached({
  tables: ["outages", "outage_notifications"],
  load: async (organizationId): Promise<{ active: readonly Outage[]; answerable: boolean }> => {
    const active = await activeOutages(organizationId);
    // Through the organization's outages (indexed), stopping at the first notification waiting for an answer.
    const [row] = rowsOf<{ answerable: boolean }>(
      await db.execute(sql`
        select exists (
          select 1 from outages o join outage_notifications n on n.outage_id = o.id
          where o.organization_id = ${organizationId}::uuid and n.sent_at is not null and n.responded_at is null
        ) as answerable`),
    );
    return { active, answerable: row?.answerable ?? true };
  },
});

/** The contact's first message after a notification it was sent is its response (text, or the message type). */
async function recordResponse(ctx: InboundMessageContext): Promise<void> {
  const text = (ctx.message.body ?? ctx.message.context?.interactive?.title ?? `[${ctx.message.type}]`).slice(0, 1000);
  const at = ctx.message.createdAt.toISOString();
  // One statement on every inbound message: the latest notification sent before it, if not answered yet.
  await db.execute(sql`
    update outage_notifications set responded_at = ${at}::timestamptz, response_text = ${text}
    where id = (
      select id from outage_notifications
      where contact_id = ${ctx.contact.id} and sent_at is not null and sent_at < ${at}::timestamptz
      order by sent_at desc limit 1)
    and responded_at is null`);
}
