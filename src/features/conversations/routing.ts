import { and, eq, inArray, isNotNull, isNull, lte, ne, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { conversations, departmentMembers, departments, memberships, messages } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { systemCaller, type Caller } from "@/lib/caller";
import { validationFailed } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { callerTenant } from "@/lib/tenant";
import { recordActivity } from "./activity";
import { conversationRowById, getConversation, publishInbox, type ConversationRow } from "./conversation.service";

/**
 * Department routing of conversations (issue 19 item 1): transfers between departments and agents, the
 * greeting menu's routing and its waiting state, and auto-close. The departments feature (above this one)
 * decides; the conversation rows are written here, their owner.
 */

/** `departmentId` and/or `userId` (null: nobody / no department); the reason is required and shown on the activity line. */
export type TransferInput = { departmentId?: string | null; userId?: string | null; reason: string };

/**
 * Called after a conversation got a department without an agent (a transfer to a queue, the greeting menu),
 * once committed: auto-assignment subscribes here (src/routes.ts). A failing listener is logged.
 */
export const onConversationQueued: ((organizationId: string, conversationId: string, departmentId: string) => Promise<void>)[] = [];

async function notifyQueued(organizationId: string, conversationId: string, departmentId: string): Promise<void> {
  for (const listener of [...onConversationQueued]) {
    try {
      await listener(organizationId, conversationId, departmentId);
    } catch (err) {
      log.error("conversation queued listener failed", { conversationId, err });
    }
  }
}

async function activeDepartment(tx: DbOrTx, organizationId: string, id: string) {
  const [row] = await tx
    .select({ id: departments.id, name: departments.name })
    .from(departments)
    .where(and(eq(departments.organizationId, organizationId), eq(departments.id, id), eq(departments.active, true)))
    .limit(1);
  return row;
}

/**
 * Transfers a conversation to another department and/or agent with a reason. A department without an agent
 * puts it in that queue unassigned; an agent must belong to the target department (supervisors and admins
 * may take any). Handing it to an agent also hands it to a human (automation stops). Records the
 * `transferred` activity line (audit included) and emits `conversation.transferred`.
 */
export async function transferConversation(caller: Caller, id: string, input: TransferInput): Promise<ConversationRow> {
  const tenant = callerTenant(caller);
  const organizationId = tenant.organizationId;
  if (input.departmentId === undefined && input.userId === undefined) {
    throw validationFailed([{ path: "departmentId", message: tText("departments:errors.transferNothing") }]);
  }
  const result = await db.transaction(async (tx) => {
    const before = await getConversation(caller, id, tx);
    if (!organizationId) throw validationFailed([{ path: "departmentId", message: tText("departments:errors.unknownDepartment") }]);
    const target = input.departmentId ? await activeDepartment(tx, organizationId, input.departmentId) : null;
    if (input.departmentId && !target) throw validationFailed([{ path: "departmentId", message: tText("departments:errors.unknownDepartment") }]);
    const departmentId = input.departmentId === undefined ? before.conversation.departmentId : (target?.id ?? null);
    if (input.userId) {
      const [member] = await tx
        .select({
          role: memberships.role,
          inDepartment: departmentId
            ? sql<boolean>`exists (select 1 from ${departmentMembers} dm
            where dm.department_id = ${departmentId}::uuid and dm.user_id = ${memberships.userId})`
            : sql<boolean>`true`,
        })
        .from(memberships)
        .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, input.userId)))
        .limit(1);
      if (!member) throw validationFailed([{ path: "userId", message: tText("members:errors.notMember") }]);
      if (member.role === "agent" && !member.inDepartment) {
        throw validationFailed([{ path: "userId", message: tText("departments:errors.notInDepartment") }]);
      }
    }
    const assignedUserId = input.userId !== undefined ? input.userId : input.departmentId !== undefined ? null : before.conversation.assignedUserId;
    await tx
      .update(conversations)
      .set({
        departmentId,
        assignedUserId,
        // A person now has it; a waiting greeting menu is moot either way.
        ...(input.userId ? { handledBy: "human" as const } : {}),
        menuSentAt: null,
        menuAttempts: 0,
        updatedAt: new Date(),
      })
      .where(eq(conversations.id, before.conversation.id));
    const after = await conversationRowById(before.conversation.id, tx);
    const details = {
      fromDepartmentId: before.department?.id ?? null,
      fromDepartmentName: before.department?.name ?? null,
      toDepartmentId: after.department?.id ?? null,
      toDepartmentName: after.department?.name ?? null,
      fromUserId: before.assignee?.id ?? null,
      fromUserName: before.assignee ? (before.assignee.name ?? before.assignee.email) : null,
      toUserId: after.assignee?.id ?? null,
      toUserName: after.assignee ? (after.assignee.name ?? after.assignee.email) : null,
      reason: input.reason,
    };
    await recordActivity(tx, organizationId, after.conversation.id, caller, "transferred", details);
    await recordEvent(
      {
        organizationId,
        instanceId: after.conversation.instanceId,
        apiKeyId: caller.type === "api_key" ? caller.id : null,
        type: "conversation.transferred",
        data: {
          conversation: { id: after.conversation.id, contactId: after.conversation.contactId, instanceId: after.conversation.instanceId },
          ...details,
          by: { type: caller.type, id: caller.id },
        },
      },
      tx,
    );
    await publishInbox(tenant, after.conversation.id, tx);
    return after;
  });
  if (organizationId && result.conversation.departmentId && !result.conversation.assignedUserId) {
    await notifyQueued(organizationId, result.conversation.id, result.conversation.departmentId);
  }
  return result;
}

const menuCaller = (organizationId: string) => systemCaller("greeting-menu", organizationId);

/**
 * The greeting menu is (re)sent: marks it waiting, with `attempts` invalid answers so far, only if nobody else
 * did meanwhile — two messages arriving together send one menu. `expected`: the attempts the caller read
 * (null: not sent yet). Automation stays silent while it waits.
 */
export async function claimMenuTurn(conversationId: string, expected: number | null, attempts: number): Promise<boolean> {
  const claimed = await db
    .update(conversations)
    .set({ menuSentAt: new Date(), menuAttempts: attempts })
    .where(
      and(
        eq(conversations.id, conversationId),
        expected === null ? isNull(conversations.menuSentAt) : and(isNotNull(conversations.menuSentAt), eq(conversations.menuAttempts, expected)),
      ),
    )
    .returning({ id: conversations.id });
  return claimed.length > 0;
}

/**
 * The contact chose a department in the greeting menu (or ran out of tries and `fallback` routes it): the
 * conversation joins that queue, the menu stops waiting, the `routed` line and `conversation.routed` are
 * recorded. `departmentId` null (no fallback department): it goes to a human, unrouted.
 */
export async function routeFromMenu(
  organizationId: string,
  conversationId: string,
  departmentId: string | null,
  details: { answer?: string; fallback?: boolean },
): Promise<void> {
  const caller = menuCaller(organizationId);
  await db.transaction(async (tx) => {
    const target = departmentId ? await activeDepartment(tx, organizationId, departmentId) : null;
    const [updated] = await tx
      .update(conversations)
      .set({ departmentId: target?.id ?? null, menuSentAt: null, menuAttempts: 0, ...(target ? {} : { handledBy: "human" as const }) })
      .where(and(eq(conversations.id, conversationId), eq(conversations.organizationId, organizationId)))
      .returning();
    if (!updated) return;
    const line = { toDepartmentId: target?.id ?? null, toDepartmentName: target?.name ?? null, ...details };
    await recordActivity(tx, organizationId, conversationId, caller, "routed", line);
    if (!target) await recordActivity(tx, organizationId, conversationId, caller, "handed_off", { from: updated.handledBy, to: "human", reason: "menu" });
    await recordEvent(
      {
        organizationId,
        instanceId: updated.instanceId,
        type: "conversation.routed",
        data: { conversation: { id: updated.id, contactId: updated.contactId, instanceId: updated.instanceId }, ...line },
      },
      tx,
    );
    await publishInbox({ organizationId }, conversationId, tx);
  });
  if (departmentId) await notifyQueued(organizationId, conversationId, departmentId);
}

/**
 * Automation failed in a conversation (a workflow or flow error): the `bot_failed` activity line, so the
 * agent who picks it up sees why the bot stopped.
 */
export async function recordBotFailure(organizationId: string, conversationId: string, reason: string): Promise<void> {
  await db.transaction((tx) =>
    recordActivity(tx, organizationId, conversationId, systemCaller("automation", organizationId), "bot_failed", { reason: reason.slice(0, 500) }),
  );
}

/** An open (or pending) conversation of these departments whose last message is ours and older than its department's idle time. */
export type IdleConversation = { id: string; organizationId: string; departmentId: string; lastOutboundAt: Date };

/**
 * Conversations auto-close may resolve at `now`: open or pending, in a department with `auto_close_minutes`,
 * whose latest message (private notes and reactions aside) is outbound and at least that old — the contact
 * has not answered since. `lastMessageAt` prefilters on the conversations index; the latest message is one
 * backward step of the (conversation, created_at) index.
 */
export async function idleConversations(now: Date, limit: number, tx: DbOrTx = db): Promise<IdleConversation[]> {
  const latest = tx
    .select({ direction: messages.direction, createdAt: messages.createdAt })
    .from(messages)
    .where(and(eq(messages.conversationId, conversations.id), eq(messages.isPrivateNote, false), ne(messages.type, "reaction")))
    .orderBy(sql`${messages.createdAt} desc`, sql`${messages.id} desc`)
    .limit(1)
    .as("latest");
  const rows = await tx
    .select({ id: conversations.id, organizationId: conversations.organizationId, departmentId: conversations.departmentId, lastOutboundAt: latest.createdAt })
    .from(conversations)
    .innerJoin(departments, eq(departments.id, conversations.departmentId))
    .innerJoinLateral(latest, sql`true`)
    .where(
      and(
        inArray(conversations.status, ["open", "pending"]),
        sql`${departments.autoCloseMinutes} is not null`,
        lte(conversations.lastMessageAt, sql`${now.toISOString()}::timestamptz - make_interval(mins => ${departments.autoCloseMinutes})`),
        eq(latest.direction, "outbound"),
        lte(latest.createdAt, sql`${now.toISOString()}::timestamptz - make_interval(mins => ${departments.autoCloseMinutes})`),
      ),
    )
    .limit(limit);
  return rows.map((r) => ({ ...r, organizationId: r.organizationId!, departmentId: r.departmentId! }));
}

/**
 * Resolves one idle conversation as auto-closed, if it still is idle at `now` (checked again under the row
 * lock: a contact who answered meanwhile, or someone who resolved or moved it, wins). Records the reason
 * (resolution reason `auto_close`, the `auto_closed` line, audit, `conversation.resolved`). Answers whether
 * it closed it: only then may the caller send the closing message, so it goes once.
 */
export async function autoCloseConversation(organizationId: string, conversationId: string, now: Date): Promise<boolean> {
  const caller = systemCaller("auto-close", organizationId);
  return db.transaction(async (tx) => {
    const [locked] = await tx
      .select({ id: conversations.id, status: conversations.status, departmentId: conversations.departmentId })
      .from(conversations)
      .where(and(eq(conversations.id, conversationId), eq(conversations.organizationId, organizationId)))
      .for("update");
    if (!locked || locked.status === "resolved" || !locked.departmentId) return false;
    if (!(await stillIdle(tx, conversationId, now))) return false;
    const [department] = await tx
      .select({ name: departments.name, minutes: departments.autoCloseMinutes })
      .from(departments)
      .where(eq(departments.id, locked.departmentId));
    const before = await conversationRowById(conversationId, tx);
    await tx
      .update(conversations)
      .set({
        status: "resolved",
        resolvedAt: now,
        autoClosedAt: now,
        resolutionReason: "auto_close",
        handledBy: "bot",
        unreadCount: 0,
        menuSentAt: null,
        menuAttempts: 0,
      })
      .where(eq(conversations.id, conversationId));
    const details = {
      reason: "auto_close",
      idleMinutes: department?.minutes ?? null,
      departmentId: locked.departmentId,
      departmentName: department?.name ?? null,
    };
    await recordActivity(tx, organizationId, conversationId, caller, "auto_closed", details);
    await recordEvent(
      {
        organizationId,
        instanceId: before.conversation.instanceId,
        type: "conversation.resolved",
        data: {
          conversation: { id: conversationId, contactId: before.conversation.contactId, instanceId: before.conversation.instanceId },
          resolvedAt: now,
          assignedUserId: before.conversation.assignedUserId,
          departmentId: locked.departmentId,
          reason: "auto_close",
          by: { type: caller.type, id: caller.id },
        },
      },
      tx,
    );
    await publishInbox({ organizationId }, conversationId, tx);
    return true;
  });
}

/** Under the row lock: the latest message is still ours and still older than the department's idle time. */
async function stillIdle(tx: DbOrTx, conversationId: string, now: Date): Promise<boolean> {
  const [row] = await tx
    .select({ direction: messages.direction, createdAt: messages.createdAt, minutes: departments.autoCloseMinutes })
    .from(conversations)
    .innerJoin(departments, eq(departments.id, conversations.departmentId))
    .innerJoin(messages, eq(messages.conversationId, conversations.id))
    .where(and(eq(conversations.id, conversationId), eq(messages.isPrivateNote, false), ne(messages.type, "reaction")))
    .orderBy(sql`${messages.createdAt} desc`, sql`${messages.id} desc`)
    .limit(1);
  if (!row || row.minutes === null || row.direction !== "outbound") return false;
  return row.createdAt.getTime() <= now.getTime() - row.minutes * 60_000;
}
