import { and, desc, eq, inArray, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { alerts, conversations, supervisorActions, users, type AlertSeverity, type AlertType, type SupervisorActionKind } from "@/db/schema";
import { can } from "@/auth/roles";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { keysetPage, type Page } from "@/lib/pager";
import { organizationOf } from "@/lib/tenant";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { recordEvent } from "@/features/events/event.service";
import { ALERT_LIMITS, type AlertListQuery } from "./alert.schema";

export type Alert = typeof alerts.$inferSelect;

export type RaiseAlertInput = {
  type: AlertType;
  severity?: AlertSeverity;
  conversationId?: string | null;
  /** Defaults to the conversation's department and assignee when a conversation is given. */
  departmentId?: string | null;
  agentUserId?: string | null;
  /** Shown on the board as is (already in the organization's language). */
  message: string;
  details?: Record<string, unknown>;
  /** One alert per key: raising again with the same key returns null (an SLA breach alerts once). */
  dedupeKey?: string | null;
};

export function alertJson(a: Alert) {
  return {
    id: a.id,
    type: a.type,
    severity: a.severity,
    conversationId: a.conversationId,
    departmentId: a.departmentId,
    agentUserId: a.agentUserId,
    message: a.message,
    details: a.details,
    resolved: a.resolvedAt !== null,
    resolvedAt: a.resolvedAt,
    resolvedBy: a.resolvedBy,
    createdAt: a.createdAt,
  };
}

const notFound = () => new AppError("not_found", tText("alerts:errors.notFound"));

/** Supervisors and above watch and act on alerts; a `/v1` key's scope was checked by its route. */
export function assertSupervisor(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.superviseConversations(caller.role))) throw forbidden(tText("alerts:errors.forbidden"));
}

async function conversationContext(tx: DbOrTx, organizationId: string, conversationId: string) {
  const [row] = await tx
    .select({ departmentId: conversations.departmentId, assignedUserId: conversations.assignedUserId })
    .from(conversations)
    .where(and(eq(conversations.id, conversationId), eq(conversations.organizationId, organizationId)))
    .limit(1);
  return row;
}

/**
 * Raises an alert in the caller's transaction: the row, the `alert.created` event (webhooks, live event
 * log, the monitor's live board) commit together. With a `dedupeKey` already used, nothing is written and
 * null is returned. Used by the SLA worker, keyword matching on inbound messages and urgent sentiment.
 */
export async function raiseAlert(tx: DbOrTx, organizationId: string, input: RaiseAlertInput): Promise<Alert | null> {
  let departmentId = input.departmentId ?? null;
  let agentUserId = input.agentUserId ?? null;
  if (input.conversationId && (input.departmentId === undefined || input.agentUserId === undefined)) {
    const context = await conversationContext(tx, organizationId, input.conversationId);
    if (!context) throw notFound();
    if (input.departmentId === undefined) departmentId = context.departmentId;
    if (input.agentUserId === undefined) agentUserId = context.assignedUserId;
  }
  const [row] = await tx
    .insert(alerts)
    .values({
      organizationId,
      type: input.type,
      severity: input.severity ?? "medium",
      conversationId: input.conversationId ?? null,
      departmentId,
      agentUserId,
      message: input.message.slice(0, ALERT_LIMITS.message),
      details: input.details ?? {},
      dedupeKey: input.dedupeKey ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) return null;
  await recordEvent({ organizationId, type: "alert.created", data: { alert: alertEventData(row) } }, tx);
  return row;
}

function alertEventData(a: Alert) {
  const { details: _details, ...rest } = alertJson(a);
  return rest;
}

export async function getAlert(caller: Caller, id: string, tx: DbOrTx = db): Promise<Alert> {
  assertSupervisor(caller);
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select()
    .from(alerts)
    .where(and(eq(alerts.id, id), eq(alerts.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  return row;
}

/**
 * A supervisor resolves an alert: `resolvedAt/By`, a `supervisor_actions` row, audit and the
 * `alert.resolved` event. Resolving a resolved alert changes nothing and returns it.
 */
export async function resolveAlert(caller: Caller, id: string, opts: { notes?: string | null } = {}, tx?: DbOrTx): Promise<Alert> {
  assertSupervisor(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    const current = await getAlert(caller, id, tx);
    if (current.resolvedAt) return current;
    const [row] = await tx
      .update(alerts)
      .set({ resolvedAt: sql`now()`, resolvedBy: caller.type === "user" ? caller.id : null })
      .where(and(eq(alerts.id, id), eq(alerts.organizationId, organizationId), isNull(alerts.resolvedAt)))
      .returning();
    if (!row) return getAlert(caller, id, tx);
    await recordSupervisorAction(tx, organizationId, caller, {
      action: "resolve_alert",
      conversationId: row.conversationId,
      alertId: row.id,
      notes: opts.notes ?? null,
    });
    await auditChange(tx, organizationId, caller, "alert.resolved", { type: "alert", id: row.id }, { type: row.type, conversationId: row.conversationId });
    await recordEvent({ organizationId, type: "alert.resolved", data: { alert: alertEventData(row), by: { type: caller.type, id: caller.id } } }, tx);
    return row;
  });
}

/** Resolves by LivChat itself (e.g. the conversation was answered or closed): no supervisor action, still an event. */
export async function resolveAlertsOfConversation(tx: DbOrTx, organizationId: string, conversationId: string, types: AlertType[]): Promise<number> {
  const rows = await tx
    .update(alerts)
    .set({ resolvedAt: sql`now()` })
    .where(and(eq(alerts.organizationId, organizationId), eq(alerts.conversationId, conversationId), isNull(alerts.resolvedAt), inArray(alerts.type, types)))
    .returning();
  for (const row of rows) {
    await recordEvent({ organizationId, type: "alert.resolved", data: { alert: alertEventData(row), by: { type: "system", id: "livchat" } } }, tx);
  }
  return rows.length;
}

/** One row of `supervisor_actions` (the monitor's own log); audit is the caller's to record with its own action name. */
export async function recordSupervisorAction(
  tx: DbOrTx,
  organizationId: string,
  caller: Caller,
  input: { action: SupervisorActionKind; conversationId?: string | null; alertId?: string | null; notes?: string | null },
): Promise<void> {
  await tx.insert(supervisorActions).values({
    organizationId,
    action: input.action,
    conversationId: input.conversationId ?? null,
    alertId: input.alertId ?? null,
    notes: input.notes?.slice(0, ALERT_LIMITS.notes) ?? null,
    createdBy: caller.type === "user" ? caller.id : null,
  });
}

/** The organization's alerts, newest first; `status` open/resolved/all. */
export async function listAlerts(caller: Caller, query: AlertListQuery, tx: DbOrTx = db): Promise<Page<Alert>> {
  assertSupervisor(caller);
  const where: SQL[] = [eq(alerts.organizationId, organizationOf(caller))];
  if (query.status === "open") where.push(isNull(alerts.resolvedAt));
  if (query.status === "resolved") where.push(isNotNull(alerts.resolvedAt));
  if (query.type) where.push(eq(alerts.type, query.type));
  if (query.conversationId) where.push(eq(alerts.conversationId, query.conversationId));
  return keysetPage(
    { sortBy: alerts.createdAt, id: alerts.id },
    { limit: query.limit ?? ALERT_LIMITS.pageSize, cursor: query.cursor },
    (q) =>
      tx
        .select({ alert: alerts, sortKey: q.sortKey })
        .from(alerts)
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.alert,
    (r) => r.alert.id,
  );
}

export type SupervisorActionRow = typeof supervisorActions.$inferSelect & { actorName: string | null };

/** The latest supervisor actions of the organization (or of one conversation). */
export async function listSupervisorActions(
  caller: Caller,
  opts: { conversationId?: string; limit?: number } = {},
  tx: DbOrTx = db,
): Promise<SupervisorActionRow[]> {
  assertSupervisor(caller);
  const where: SQL[] = [eq(supervisorActions.organizationId, organizationOf(caller))];
  if (opts.conversationId) where.push(eq(supervisorActions.conversationId, opts.conversationId));
  const rows = await tx
    .select({ action: supervisorActions, actorName: sql<string | null>`coalesce(${users.name}, ${users.email})` })
    .from(supervisorActions)
    .leftJoin(users, eq(users.id, supervisorActions.createdBy))
    .where(and(...where))
    .orderBy(desc(supervisorActions.createdAt), desc(supervisorActions.id))
    .limit(opts.limit ?? ALERT_LIMITS.pageSize);
  return rows.map((r) => ({ ...r.action, actorName: r.actorName }));
}
