import { eq, sql, type SQL } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { organizationRetention } from "@/db/schema";
import { can } from "@/auth/roles";
import { auditChange } from "@/features/audit/audit.service";
import { roleOf, type Caller } from "@/lib/caller";
import { forbidden } from "@/lib/errors";
import { log } from "@/lib/logger";
import { organizationOf } from "@/lib/tenant";
import { addDays, DAYS_AHEAD, DEFAULT_RETENTION_DAYS, databaseToday, ensurePartition, EXPIRING_TABLES } from "./retention.partitions";
import type { RetentionInput, RetentionSettings } from "./retention.schema";

export const DEFAULT_RETENTION: RetentionSettings = { eventsDays: DEFAULT_RETENTION_DAYS, deliveriesDays: DEFAULT_RETENTION_DAYS, messagesDays: null };

/**
 * The `expires_on` of a row written now for `organizationId` (a uuid, or a SQL column reference inside a
 * statement that inserts many rows): today (UTC) + the organization's retention of `kind`, the default
 * without a row in organization_retention or without an organization. Rows written to events and
 * webhook_deliveries get their expires_on from this; an attempt takes its delivery's expires_on, so a delivery
 * and its attempts are dropped together. One primary-key probe per row, inside the insert.
 */
export function retentionExpiresOn(organizationId: SQL | string | null, kind: "events" | "deliveries"): SQL {
  const column = kind === "events" ? sql`retention_row.events_days` : sql`retention_row.deliveries_days`;
  const org = organizationId === null ? sql`null::uuid` : typeof organizationId === "string" ? sql`${organizationId}::uuid` : organizationId;
  return sql`((now() at time zone 'utc')::date + coalesce((select ${column} from organization_retention retention_row where retention_row.organization_id = ${org}), ${sql.raw(String(DEFAULT_RETENTION_DAYS))}))`;
}

/** The organization's retention settings (the defaults when it never changed them). */
export async function getRetention(organizationId: string, tx: DbOrTx = db): Promise<RetentionSettings> {
  const [row] = await tx.select().from(organizationRetention).where(eq(organizationRetention.organizationId, organizationId)).limit(1);
  return row ? { eventsDays: row.eventsDays, deliveriesDays: row.deliveriesDays, messagesDays: row.messagesDays } : { ...DEFAULT_RETENTION };
}

/**
 * Changes the organization's retention (admin+, or a full-access key): only the fields given, audited as
 * `organization.retention_changed` with `{ field: { from, to } }` when something changed. A new length
 * applies to rows written from now on: rows already written keep the expiry they got (a shorter
 * retention does not shorten them, a longer one does not extend them), because moving rows between
 * partitions would rewrite the whole log. The partitions the new length needs are created at once, so
 * the next rows go straight to them.
 */
export async function setRetention(caller: Caller, input: RetentionInput): Promise<RetentionSettings> {
  if (caller.type === "user" && !can.manageOrganization(roleOf(caller))) throw forbidden();
  const organizationId = organizationOf(caller);
  const result = await db.transaction(async (tx) => {
    // Serialises concurrent changes of one organization (the audit row's "from" must be what was replaced).
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('organization_retention'), hashtext(${organizationId}))`);
    const before = await getRetention(organizationId, tx);
    const after: RetentionSettings = {
      eventsDays: input.eventsDays ?? before.eventsDays,
      deliveriesDays: input.deliveriesDays ?? before.deliveriesDays,
      messagesDays: input.messagesDays === undefined ? before.messagesDays : input.messagesDays,
    };
    const changes: Record<string, { from: number | null; to: number | null }> = {};
    for (const key of ["eventsDays", "deliveriesDays", "messagesDays"] as const) {
      if (before[key] !== after[key]) changes[key] = { from: before[key], to: after[key] };
    }
    if (Object.keys(changes).length === 0) return { settings: before, changed: false };
    await tx
      .insert(organizationRetention)
      .values({ organizationId, ...after })
      .onConflictDoUpdate({ target: organizationRetention.organizationId, set: { ...after, updatedAt: new Date() } });
    await auditChange(tx, organizationId, caller, "organization.retention_changed", { type: "organization", id: organizationId }, changes);
    return { settings: after, changed: true };
  });
  if (result.changed) await ensurePartitionsFor([result.settings.eventsDays, result.settings.deliveriesDays]);
  return result.settings;
}

/** Partitions for rows written today with these retentions (and the next days); a failure is left to the maintenance worker. */
async function ensurePartitionsFor(retentions: number[]): Promise<void> {
  try {
    const today = await databaseToday();
    for (const table of EXPIRING_TABLES) {
      for (const r of new Set(retentions)) for (let k = 0; k <= DAYS_AHEAD; k++) await ensurePartition(table, addDays(today, r + k));
    }
  } catch (err) {
    log.warn("retention: partitions for a new retention not created yet (the maintenance worker retries; rows go to the default partition meanwhile)", {
      err,
    });
  }
}
