import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { tenantFilter, type Tenant } from "@/lib/tenant";
import type { Instance } from "@/providers/provider";
import { findInstanceByPairToken, sandboxInbound, sandboxPair } from "@/providers/sandbox";
import type { SandboxInboundBody } from "./sandbox.schema";
import { isUuid } from "@/lib/ids";


/**
 * An instance of the tenant (404 for anyone else's, and for keys bound to another instance). Sandbox
 * actions on a non-sandbox instance are refused later with a 409 that says so.
 */
export async function findTenantInstance(tenant: Tenant, id: string, boundInstanceId?: string | null): Promise<Instance> {
  if (!isUuid(id) || (boundInstanceId && boundInstanceId !== id)) throw new AppError("not_found", tText("instances:errors.notFound"));
  const [row] = await db
    .select()
    .from(instances)
    .where(and(eq(instances.id, id), tenantFilter(tenant, instances.organizationId, instances.createdByDeviceId)))
    .limit(1);
  if (!row) throw new AppError("not_found", tText("instances:errors.notFound"));
  return row;
}

/** Simulates the phone scanning the QR (or entering the pairing code) of a tenant's sandbox instance. */
export async function scanSandboxInstance(tenant: Tenant, id: string, input: { code?: string } | undefined, boundInstanceId?: string | null) {
  const instance = await findTenantInstance(tenant, id, boundInstanceId);
  return sandboxPair(instance, { code: input?.code });
}

/** Simulates a contact writing to a tenant's sandbox instance. */
export async function simulateSandboxInbound(tenant: Tenant, id: string, input: SandboxInboundBody, boundInstanceId?: string | null) {
  const instance = await findTenantInstance(tenant, id, boundInstanceId);
  const text = input.text?.trim() ? input.text : undefined;
  return sandboxInbound(instance, { from: input.from, name: input.name || undefined, text, media: input.media });
}

/** The pairing page's instance (the link itself is the credential, like a QR on a screen). */
export async function pairingLinkInstance(token: string): Promise<Instance> {
  return findInstanceByPairToken(token);
}

export async function pairByLink(token: string): Promise<Instance> {
  return sandboxPair(await findInstanceByPairToken(token));
}
