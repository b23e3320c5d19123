import { and, eq, isNull, or, sql, type SQL } from "drizzle-orm";
import { db } from "@/db/client";
import { conversations, departmentMembers } from "@/db/schema";
import type { Caller } from "@/lib/caller";

/**
 * Which of the organization's conversations a caller may see (inbox list, conversation page, /v1 list and
 * get: another's reads as 404). Owners, admins and supervisors see all; so do API keys and LivChat itself
 * (an integration acts for the organization). An agent sees the conversations assigned to them, those of
 * the departments they belong to, and unrouted ones (no department yet: waiting in the greeting menu, or an
 * organization without departments), which someone has to pick up. Undefined: no restriction.
 */
export function visibleTo(caller: Pick<Caller, "type" | "id" | "role" | "organizationId">): SQL | undefined {
  if (caller.type !== "user" || caller.role !== "agent" || !caller.organizationId) return undefined;
  return or(
    eq(conversations.assignedUserId, caller.id),
    isNull(conversations.departmentId),
    sql`${conversations.departmentId} in (select ${departmentMembers.departmentId} from ${departmentMembers}
      where ${departmentMembers.userId} = ${caller.id}::uuid and ${departmentMembers.organizationId} = ${caller.organizationId}::uuid)`,
  );
}

/** Whether the caller may see this conversation of their organization (no query when they see all): live streams filter with it. */
export async function canSeeConversation(caller: Pick<Caller, "type" | "id" | "role" | "organizationId">, conversationId: string): Promise<boolean> {
  const visible = visibleTo(caller);
  if (!visible) return true;
  const [row] = await db
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.id, conversationId), eq(conversations.organizationId, caller.organizationId!), visible))
    .limit(1);
  return !!row;
}
