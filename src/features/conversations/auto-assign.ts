import { and, eq, isNull, ne } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { conversations, departments, users } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import type { Actor } from "@/lib/caller";
import { log } from "@/lib/logger";
import { recordActivity } from "./activity";

/**
 * Auto-assignment gives one waiting conversation to an agent: only while it is still open and
 * unassigned (a person who assigned it in the meantime wins), recorded like a manual assignment
 * (`conversation.assigned` event, activity line with its audit row, live update). The choice of agent
 * (round-robin, capacity, availability) belongs to the availability feature, above this one.
 */
export async function assignWaitingConversation(
  tx: DbOrTx,
  organizationId: string,
  conversationId: string,
  userId: string,
  actor: Actor,
  details: Record<string, unknown> = {},
): Promise<boolean> {
  const [updated] = await tx
    .update(conversations)
    .set({ assignedUserId: userId })
    .where(
      and(
        eq(conversations.id, conversationId),
        eq(conversations.organizationId, organizationId),
        isNull(conversations.assignedUserId),
        ne(conversations.status, "resolved"),
      ),
    )
    .returning();
  if (!updated) return false;
  const [department] = updated.departmentId
    ? await tx.select({ name: departments.name }).from(departments).where(eq(departments.id, updated.departmentId)).limit(1)
    : [];
  await recordEvent(
    {
      organizationId,
      instanceId: updated.instanceId,
      apiKeyId: null,
      type: "conversation.assigned",
      data: {
        conversation: { id: updated.id, contactId: updated.contactId, instanceId: updated.instanceId },
        assignedUserId: userId,
        previousAssignedUserId: null,
        department: department?.name ?? null,
        departmentId: updated.departmentId,
        automatic: true,
        by: { type: actor.type, id: actor.id },
      },
    },
    tx,
  );
  // recordActivity also tells open inbox pages (the assigned agent's among them) over SSE.
  // Names are copied at the time, as every activity line does (a later rename does not rewrite history).
  const [assignee] = await tx.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, userId)).limit(1);
  await recordActivity(tx, organizationId, conversationId, actor, "assigned", {
    toUserId: userId,
    toUserName: assignee ? (assignee.name ?? assignee.email) : null,
    toDepartmentName: department?.name ?? null,
    automatic: true,
    ...details,
  });
  return true;
}

/**
 * Called (after commit) when a manual assignment or a hand-off leaves a conversation unassigned in a
 * department: auto-assignment (availability, above this feature) subscribes in src/routes.ts.
 */
export const onLeftUnassigned: ((organizationId: string) => Promise<void>)[] = [];

export async function notifyLeftUnassigned(
  organizationId: string | null | undefined,
  conversation: { assignedUserId: string | null; departmentId: string | null },
) {
  if (!organizationId || conversation.assignedUserId || !conversation.departmentId) return;
  for (const listener of [...onLeftUnassigned]) {
    try {
      await listener(organizationId);
    } catch (err) {
      log.error("left-unassigned listener failed", { organizationId, err });
    }
  }
}
