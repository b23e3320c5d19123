import { and, asc, eq, gte, inArray, like, lt, type SQL } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { auditLogs, users } from "@/db/schema";
import { clientIp } from "@/lib/client-ip";
import { zonedWallTimeToDate } from "@/lib/i18n";
import { AUDIT_PAGE_SIZE, type AuditFilter } from "./audit.schema";
import { isUuid } from "@/lib/ids";
import { keysetPage } from "@/lib/pager";

export type { AuditActor } from "@/lib/caller";
import { auditActor, type Actor, type AuditActor } from "@/lib/caller";
export type AuditInput = {
  organizationId: string | null;
  actor: AuditActor;
  /** Dotted verb: "auth.sign_in", "api_key.created", "api_key.revoked", "member.role_changed", "device.revoked"… */
  action: string;
  target?: { type: string; id: string };
  request?: Request;
  details?: Record<string, unknown>;
};

/** Appends one audit row; pass the `tx` of the action so both commit together. */
export async function recordAudit(input: AuditInput, tx: DbOrTx = db): Promise<void> {
  await tx.insert(auditLogs).values({
    organizationId: input.organizationId,
    actorType: input.actor.type,
    actorId: input.actor.id ?? null,
    action: input.action,
    targetType: input.target?.type ?? null,
    targetId: input.target?.id ?? null,
    ip: clientIp(input.request),
    userAgent: input.request?.headers.get("user-agent")?.slice(0, 500) ?? null,
    details: input.details ?? {},
  });
}

/**
 * One audit row for a change to one of the organization's objects, made by `caller` (its actor, and the
 * request the row reads its ip and user agent from); `tx` is the change's own transaction.
 */
export async function auditChange(
  tx: DbOrTx,
  organizationId: string,
  caller: Actor,
  action: string,
  target: { type: string; id: string },
  details?: Record<string, unknown>,
): Promise<void> {
  await recordAudit({ organizationId, actor: auditActor(caller), request: caller.request, action, target, details }, tx);
}

/**
 * Runs a change in the caller's transaction, or in a new one: the change and its audit row commit
 * together, so a failed change leaves no row claiming it happened.
 */
export function inTransaction<T>(tx: DbOrTx | undefined, change: (tx: DbOrTx) => Promise<T>): Promise<T> {
  return tx ? change(tx) : db.transaction(change);
}

export type AuditEntry = typeof auditLogs.$inferSelect & { actorLabel: string | null };

/**
 * One page of the organization's audit log, newest first, filtered, keyset-paged on (at, id).
 */
export async function listAuditLogs(
  organizationId: string,
  filter: AuditFilter,
  limit = AUDIT_PAGE_SIZE,
): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const conditions: SQL[] = [eq(auditLogs.organizationId, organizationId)];
  if (filter.action) {
    if (filter.action.endsWith("*")) {
      const prefix = filter.action.slice(0, -1).replaceAll("_", "\\_");
      conditions.push(like(auditLogs.action, `${prefix}%`));
    } else {
      conditions.push(eq(auditLogs.action, filter.action));
    }
  }
  if (filter.actor) {
    if (filter.actor.startsWith("type:")) {
      conditions.push(eq(auditLogs.actorType, filter.actor.slice(5) as AuditActor["type"]));
    } else {
      conditions.push(and(eq(auditLogs.actorType, "user"), eq(auditLogs.actorId, filter.actor))!);
    }
  }
  // Dates are whole days on the reader's clock (their or their organization's zone); `to` is inclusive.
  if (filter.from) conditions.push(gte(auditLogs.at, zonedWallTimeToDate(`${filter.from}T00:00`)));
  if (filter.to) conditions.push(lt(auditLogs.at, zonedWallTimeToDate(`${nextDay(filter.to)}T00:00`)));
  const { data: page, nextCursor } = await keysetPage(
    { sortBy: auditLogs.at, id: auditLogs.id },
    { limit, cursor: filter.cursor },
    (q) =>
      db
        .select({ entry: auditLogs, sortKey: q.sortKey })
        .from(auditLogs)
        .where(and(...conditions, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.entry,
    (r) => r.entry.id,
  );
  const userIds = [...new Set(page.filter((r) => r.actorType === "user" && r.actorId && isUuid(r.actorId)).map((r) => r.actorId!))];
  const labels = new Map<string, string>();
  if (userIds.length) {
    for (const u of await db.select({ id: users.id, email: users.email, name: users.name }).from(users).where(inArray(users.id, userIds))) {
      labels.set(u.id, u.name ? `${u.name} <${u.email}>` : u.email);
    }
  }
  return {
    entries: page.map((r) => ({ ...r, actorLabel: r.actorId ? (labels.get(r.actorId) ?? null) : null })),
    nextCursor,
  };
}

/** The calendar day after `YYYY-MM-DD`. */
const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** Distinct actions recorded for the organization (filter suggestions). */
export async function listAuditActions(organizationId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ action: auditLogs.action })
    .from(auditLogs)
    .where(eq(auditLogs.organizationId, organizationId))
    .orderBy(asc(auditLogs.action))
    .limit(200);
  return rows.map((r) => r.action);
}
