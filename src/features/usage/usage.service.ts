import { sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { usageDaily, type USAGE_METRICS } from "@/db/schema";

export type UsageMetric = (typeof USAGE_METRICS)[number];
const NONE = "00000000-0000-0000-0000-000000000000";

/** Atomic upsert-increment of today's (UTC) counter. Unclaimed tenants (no organization) are not metered. */
export async function incrementUsage(
  input: { organizationId: string | null; instanceId?: string | null; apiKeyId?: string | null; metric: UsageMetric; by?: number; at?: Date },
  tx: DbOrTx = db,
): Promise<void> {
  if (!input.organizationId) return;
  const day = (input.at ?? new Date()).toISOString().slice(0, 10);
  const by = input.by ?? 1;
  await tx
    .insert(usageDaily)
    .values({
      organizationId: input.organizationId,
      instanceId: input.instanceId ?? NONE,
      apiKeyId: input.apiKeyId ?? NONE,
      day,
      metric: input.metric,
      count: by,
    })
    .onConflictDoUpdate({
      target: [usageDaily.organizationId, usageDaily.instanceId, usageDaily.apiKeyId, usageDaily.day, usageDaily.metric],
      set: { count: sql`${usageDaily.count} + ${by}` },
    });
}
