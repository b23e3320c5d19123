import { and, eq, isNull, type SQL } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { instances, type Instance } from "@/db/schema";
import type { Caller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import type { PgColumn } from "drizzle-orm/pg-core";

/**
 * Who owns the rows a request may see: an organization, or — for try-before-sign-up — an unclaimed
 * visitor device (organization still null). Every service query filters by one of these.
 */
export type Tenant = { organizationId: string; deviceId?: string | null } | { organizationId: null; deviceId: string };

export function tenantOf(key: { organizationId: string | null; deviceId: string | null }): Tenant {
  if (key.organizationId) return { organizationId: key.organizationId, deviceId: key.deviceId };
  if (!key.deviceId) throw new Error("an unclaimed credential must belong to a device");
  return { organizationId: null, deviceId: key.deviceId };
}

/**
 * The WHERE clause restricting a table to the tenant: `organization_id = $org`, or for an unclaimed
 * device `organization_id is null and <deviceColumn> = $device`.
 */
export function tenantFilter(tenant: Tenant, organizationColumn: PgColumn, deviceColumn: PgColumn): SQL {
  if (tenant.organizationId) return eq(organizationColumn, tenant.organizationId);
  return and(isNull(organizationColumn), eq(deviceColumn, tenant.deviceId))!;
}

/**
 * The organization a `/v1` key acts for. Keys of an unclaimed visitor device (try before sign-up)
 * have none and are refused from organization-only features with a 403 that says how to get one.
 */
export function organizationOf(key: { organizationId?: string | null }): string {
  if (!key.organizationId) throw new AppError("forbidden", tText("common:errors.needsOrganization"));
  return key.organizationId;
}

/** Which instances a caller reaches: the tenant's, and only the bound one for a key bound to an instance. */
export type InstanceAccess = { tenant: Tenant; instanceId?: string | null };

/** The tenant a caller acts for: its organization, else its unclaimed visitor device. */
export function callerTenant(caller: Pick<Caller, "organizationId" | "deviceId">): Tenant {
  return tenantOf({ organizationId: caller.organizationId ?? null, deviceId: caller.deviceId ?? null });
}

/** The instances a caller reaches: its tenant's, only its own for a key bound to one. */
export function instanceAccess(caller: Pick<Caller, "organizationId" | "deviceId" | "boundInstanceId">): InstanceAccess {
  return { tenant: callerTenant(caller), instanceId: caller.boundInstanceId ?? null };
}

/**
 * The one "instance of this tenant or 404": every instance id a caller sends is resolved here. Another
 * tenant's id, a malformed id and, for a bound key, any other instance are all the same 404, so ids of
 * other organizations cannot be probed. `lock` takes the row lock the caller's lock order asks for.
 */
export async function instanceOfTenant(access: InstanceAccess, id: string, opts: { tx?: DbOrTx; lock?: "key share" } = {}): Promise<Instance> {
  const notFound = () => new AppError("not_found", tText("instances:errors.notFound"));
  if (!isUuid(id) || (access.instanceId && access.instanceId !== id)) throw notFound();
  const query = (opts.tx ?? db)
    .select()
    .from(instances)
    .where(and(eq(instances.id, id), tenantFilter(access.tenant, instances.organizationId, instances.createdByDeviceId)))
    .limit(1);
  const [row] = opts.lock ? await query.for(opts.lock) : await query;
  if (!row) throw notFound();
  return row;
}
