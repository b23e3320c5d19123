import { and, eq, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { instances } from "@/db/schema";
import { log } from "@/lib/logger";

// Its own module, without the provider registry: the sandbox provider reaches this through the
// inbound service, and importing instance.service from there closed an import cycle.
const ACTIVITY_RESOLUTION_MS = 15_000;
const activityWrittenAt = new Map<string, number>();

/**
 * Moves the instance's `lastActivityAt` (a message received or sent) at most every 15 s per process,
 * after the message committed and outside its transaction: inside, every message of a busy instance
 * queued on this one row lock until the writer's commit (the bench showed the convoy), and the row
 * would be locked after contacts and messages, against the lock order (src/db/lock-order.ts).
 * Best effort: a failure is logged, never the message's.
 */
export async function touchInstanceActivity(instanceId: string): Promise<void> {
  const now = Date.now();
  if (now - (activityWrittenAt.get(instanceId) ?? 0) < ACTIVITY_RESOLUTION_MS) return;
  activityWrittenAt.set(instanceId, now);
  try {
    await withDeadlockRetry("instance activity", () =>
      db
        .update(instances)
        .set({ lastActivityAt: new Date(now) })
        .where(and(eq(instances.id, instanceId), sql`(${instances.lastActivityAt} is null or ${instances.lastActivityAt} < now() - interval '15 seconds')`)),
    );
  } catch (err) {
    log.warn("instance activity not recorded", { instanceId, err });
  }
}
