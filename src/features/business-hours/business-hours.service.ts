import { and, asc, eq, isNull } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { orgCached } from "@/db/org-cache";
import { businessHours, departments, organizations, outOfHoursReplies } from "@/db/schema";
import { roleAtLeast } from "@/auth/roles";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { log } from "@/lib/logger";
import { organizationOf } from "@/lib/tenant";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { recordActivity } from "@/features/conversations/activity";
import type { InboundMessageContext } from "@/features/inbound/inbound.service";
import { onInboundMessage } from "@/features/inbound/inbound.service";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { systemCaller } from "@/lib/caller";
import type { BusinessHoursInputRaw } from "./business-hours.schema";
import { businessHoursSchema } from "./business-hours.schema";
import { businessMsBetween, closedSince, isOpenAt, nextOpening, type Schedule } from "./schedule";

export { businessMsBetween, closedSince, isOpenAt, nextOpening, type Schedule };

export type BusinessHoursRow = typeof businessHours.$inferSelect;
/** A schedule row with the department it belongs to (null: the organization's default). */
export type BusinessHoursEntry = BusinessHoursRow & { departmentName: string | null };

export function businessHoursJson(r: BusinessHoursRow, timeZone: string) {
  return {
    id: r.id,
    departmentId: r.departmentId,
    enabled: r.enabled,
    timeZone,
    intervals: r.intervals,
    holidays: r.holidays,
    outOfHoursMessage: r.outOfHoursMessage,
    updatedAt: r.updatedAt,
  };
}

const notFound = () => new AppError("not_found", tText("business-hours:errors.notFound"));

/** Supervisors and above set business hours; a `/v1` key's scope was checked by its route. */
function assertManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && roleAtLeast(caller.role, "supervisor"))) throw forbidden(tText("business-hours:errors.forbidden"));
}

export async function organizationTimeZone(organizationId: string, tx: DbOrTx = db): Promise<string> {
  const [row] = await tx.select({ timeZone: organizations.timeZone }).from(organizations).where(eq(organizations.id, organizationId)).limit(1);
  return row?.timeZone ?? "America/Sao_Paulo";
}

/** A department of the caller's organization, or 404 (another organization's id included). */
async function departmentOf(caller: Caller, departmentId: string, tx: DbOrTx): Promise<{ id: string; name: string }> {
  if (!isUuid(departmentId)) throw notFound();
  const [row] = await tx
    .select({ id: departments.id, name: departments.name })
    .from(departments)
    .where(and(eq(departments.id, departmentId), eq(departments.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return row;
}

function scopeOf(organizationId: string, departmentId: string | null) {
  return and(
    eq(businessHours.organizationId, organizationId),
    departmentId ? eq(businessHours.departmentId, departmentId) : isNull(businessHours.departmentId),
  );
}

/** Every schedule of the organization, the default first, then departments by name. */
export async function listBusinessHours(caller: Caller, tx: DbOrTx = db): Promise<BusinessHoursEntry[]> {
  const rows = await tx
    .select({ row: businessHours, departmentName: departments.name })
    .from(businessHours)
    .leftJoin(departments, eq(departments.id, businessHours.departmentId))
    .where(eq(businessHours.organizationId, organizationOf(caller)))
    .orderBy(asc(departments.name));
  return rows.map((r) => ({ ...r.row, departmentName: r.departmentName })).sort((a, b) => (a.departmentId === null ? -1 : b.departmentId === null ? 1 : 0));
}

/**
 * The schedule set for a department (or the default with null); null when none is set. A department's
 * id of another organization is a 404.
 */
export async function getBusinessHours(caller: Caller, departmentId: string | null, tx: DbOrTx = db): Promise<BusinessHoursRow | null> {
  if (departmentId) await departmentOf(caller, departmentId, tx);
  const [row] = await tx
    .select()
    .from(businessHours)
    .where(scopeOf(organizationOf(caller), departmentId))
    .limit(1);
  return row ?? null;
}

/** Creates or replaces the default's (null) or a department's schedule. */
export async function setBusinessHours(caller: Caller, departmentId: string | null, raw: BusinessHoursInputRaw, tx?: DbOrTx): Promise<BusinessHoursRow> {
  assertManager(caller);
  const input = businessHoursSchema.parse(raw);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    if (departmentId) await departmentOf(caller, departmentId, tx);
    const values = { enabled: input.enabled, intervals: input.intervals, holidays: input.holidays, outOfHoursMessage: input.outOfHoursMessage };
    const [current] = await tx.select({ id: businessHours.id }).from(businessHours).where(scopeOf(organizationId, departmentId)).for("update").limit(1);
    const [row] = current
      ? await tx.update(businessHours).set(values).where(eq(businessHours.id, current.id)).returning()
      : await tx
          .insert(businessHours)
          .values({ organizationId, departmentId, ...values })
          .onConflictDoNothing()
          .returning();
    // A concurrent first save won the insert: ours replaces it.
    const saved = row ?? (await tx.update(businessHours).set(values).where(scopeOf(organizationId, departmentId)).returning())[0]!;
    await auditChange(
      tx,
      organizationId,
      caller,
      "business_hours.updated",
      { type: departmentId ? "department" : "organization", id: departmentId ?? organizationId },
      { enabled: saved.enabled, intervals: saved.intervals.length, holidays: saved.holidays.length },
    );
    return saved;
  });
}

/** Removes a department's own schedule (it follows the default again) or the default (always open). */
export async function deleteBusinessHours(caller: Caller, departmentId: string | null, tx?: DbOrTx): Promise<void> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  await inTransaction(tx, async (tx) => {
    if (departmentId) await departmentOf(caller, departmentId, tx);
    const deleted = await tx.delete(businessHours).where(scopeOf(organizationId, departmentId)).returning({ id: businessHours.id });
    if (deleted.length === 0) throw notFound();
    await auditChange(tx, organizationId, caller, "business_hours.deleted", {
      type: departmentId ? "department" : "organization",
      id: departmentId ?? organizationId,
    });
  });
}

/** The row that applies to a conversation of `departmentId`: the department's own, else the organization's default. */
type HoursRow = { row: BusinessHoursRow; timeZone: string };

function hoursRows(organizationId: string, tx: DbOrTx): Promise<HoursRow[]> {
  return tx
    .select({ row: businessHours, timeZone: organizations.timeZone })
    .from(businessHours)
    .innerJoin(organizations, eq(organizations.id, businessHours.organizationId))
    .where(eq(businessHours.organizationId, organizationId));
}

/** The department's own schedule, else the organization's default. */
function pickApplicable(rows: readonly HoursRow[], departmentId: string | null): HoursRow | undefined {
  return (departmentId ? rows.find((r) => r.row.departmentId === departmentId) : undefined) ?? rows.find((r) => r.row.departmentId === null);
}

async function applicableRow(organizationId: string, departmentId: string | null, tx: DbOrTx) {
  return pickApplicable(await hoursRows(organizationId, tx), departmentId);
}

/** The schedules as every inbound message reads them (the zone is the organization's): cached per organization. */
const cachedHoursRows = orgCached({
  tables: ["business_hours", "organizations"],
  load: (organizationId) => hoursRows(organizationId, db),
});

const scheduleOf = (r: { row: BusinessHoursRow; timeZone: string }): Schedule => ({
  timeZone: r.timeZone,
  enabled: r.row.enabled,
  intervals: r.row.intervals,
  holidays: r.row.holidays,
});

/**
 * The schedule that applies to a conversation of `departmentId` (its own, else the organization's
 * default), in the organization's zone; null when neither exists (always open).
 */
export async function scheduleFor(organizationId: string, departmentId: string | null, tx: DbOrTx = db): Promise<Schedule | null> {
  const applicable = await applicableRow(organizationId, departmentId, tx);
  return applicable ? scheduleOf(applicable) : null;
}

/**
 * SLA time of a conversation between two instants: open time only, by the schedule of its department
 * (or the default); the plain elapsed time when no business hours apply.
 */
export async function slaElapsedMs(organizationId: string, departmentId: string | null, from: Date, to: Date, tx: DbOrTx = db): Promise<number> {
  const schedule = await scheduleFor(organizationId, departmentId, tx);
  return schedule ? businessMsBetween(schedule, from, to) : Math.max(0, to.getTime() - from.getTime());
}

/**
 * An inbound message outside business hours: the conversation gets the out-of-hours message once per
 * closed period (the insert into out_of_hours_replies is the claim, so two messages at once send one
 * reply), through the normal outbound path, and an activity line records it. Returns whether it sent.
 */
export async function answerOutOfHours(ctx: Pick<InboundMessageContext, "conversation" | "contact">, at = new Date()): Promise<boolean> {
  const { conversation } = ctx;
  const organizationId = conversation.organizationId;
  if (!organizationId || ctx.contact.kind === "group" || conversation.status === "resolved") return false;
  const applicable = pickApplicable(await cachedHoursRows(organizationId), conversation.departmentId);
  const text = applicable?.row.outOfHoursMessage;
  if (!applicable || !text) return false;
  const schedule = scheduleOf(applicable);
  const since = closedSince(schedule, at);
  if (!since) return false;
  const caller = systemCaller("business-hours", organizationId);
  const [claim] = await db
    .insert(outOfHoursReplies)
    .values({ conversationId: conversation.id, closedSince: since, organizationId })
    .onConflictDoNothing()
    .returning();
  if (!claim) return false;
  try {
    await queueOutboundMessage(caller, { instanceId: conversation.instanceId, contactId: ctx.contact.id, type: "text", text }, { sentBy: "bot" });
  } catch (err) {
    // Not sent (instance disconnected, contact opted out…): the period's next message may try again.
    await db.delete(outOfHoursReplies).where(and(eq(outOfHoursReplies.conversationId, conversation.id), eq(outOfHoursReplies.closedSince, since)));
    throw err;
  }
  const opens = nextOpening(schedule, at);
  await recordActivity(db, organizationId, conversation.id, caller, "out_of_hours", {
    closedSince: since.toISOString(),
    opensAt: opens?.toISOString() ?? null,
  });
  return true;
}

async function outOfHoursHook(ctx: InboundMessageContext): Promise<void> {
  try {
    await answerOutOfHours(ctx);
  } catch (err) {
    log.warn("out-of-hours reply failed", { conversationId: ctx.conversation.id, err });
  }
}

/** Subscribes the out-of-hours reply to new inbound messages (src/routes.ts calls this once). */
export function wireBusinessHours(): void {
  if (!onInboundMessage.includes(outOfHoursHook)) onInboundMessage.push(outOfHoursHook);
}

/** The organization's departments (id, name) the schedules page lists. */
export async function listDepartmentsForHours(caller: Caller, tx: DbOrTx = db): Promise<{ id: string; name: string }[]> {
  return tx
    .select({ id: departments.id, name: departments.name })
    .from(departments)
    .where(eq(departments.organizationId, organizationOf(caller)))
    .orderBy(asc(departments.name));
}
