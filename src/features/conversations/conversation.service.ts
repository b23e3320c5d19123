import { and, asc as asc_, desc, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { db, rowsOf, type DbOrTx, type Tx } from "@/db/client";
import { rowReader } from "@/db/rows";
import { contactWrites } from "./contact-writes";
import { runResolvedHooks } from "./resolution-hooks";
import { recordActivity } from "./activity";
import { notifyLeftUnassigned } from "./auto-assign";
import { visibleTo } from "./visibility";
import { contacts, conversationLabels, conversations, departments, instances, labels, memberships, messages, users } from "@/db/schema";
import { assertMember } from "@/features/members/member.service";
import { recordAudit } from "@/features/audit/audit.service";
import { recordEvent, recordEvents, type NewEvent } from "@/features/events/event.service";
import { AppError, validationFailed } from "@/lib/errors";
import { tText, zonedWallTimeToDate } from "@/lib/i18n";
import { publishLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { callerTenant, type Tenant } from "@/lib/tenant";
import type { Instance } from "@/db/schema";
import { keysetPage, type Page } from "@/lib/pager";
import { auditActor, type Caller } from "@/lib/caller";
import { isUuid } from "@/lib/ids";
import type { AssignInput, ConversationListQuery, MessageListQuery } from "./conversation.schema";

export type Contact = typeof contacts.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;

/** Contacts belong to the organization, or to the visitor device while its instance is unclaimed. */
const ownerOf = (instance: Instance) => ({ organizationId: instance.organizationId, deviceId: instance.organizationId ? null : instance.createdByDeviceId });
/** Rows that hand-written SQL returned, read as the schema's objects (shared with message-store). */
export const readContact = rowReader(contacts);
export const readConversation = rowReader(conversations);
type Created = { created: boolean };

/**
 * Finds or creates the contact (by E.164 phone, per organization — or per visitor device while the
 * instance is unclaimed) and its conversation on this instance. Emits `contact.created` and
 * `conversation.created` for new rows. Call inside the transaction that stores the message. Both are
 * upserts, so each returns its row whether new or not, even one a concurrent writer commits meanwhile
 * (an insert-or-ignore followed by a read could miss it). Inbound messages take the batch statement
 * in message-store instead.
 */
export async function ensureContactAndConversation(
  tx: Tx,
  instance: Instance,
  phone: string,
  name?: string | null,
): Promise<{ contact: Contact; conversation: Conversation; contactCreated: boolean; conversationCreated: boolean }> {
  const { contact, created: contactCreated } = await contactWrites.byPhone(ownerOf(instance), phone, name ?? null, tx);
  // lastMessageAt starts at creation so keyset paging never meets a null.
  const [conversationRow] = rowsOf<Record<string, unknown> & Created>(
    await tx.execute(sql`
      insert into conversations (organization_id, instance_id, contact_id, last_message_at)
      values (${instance.organizationId}::uuid, ${instance.id}::uuid, ${contact.id}::uuid, now())
      on conflict (instance_id, contact_id) do update set updated_at = conversations.updated_at
      returning *, (xmax = 0) as created`),
  );
  if (!conversationRow) throw new Error("conversation upsert returned no row");
  const conversation = readConversation(conversationRow);

  const events: NewEvent[] = [];
  const base = { organizationId: instance.organizationId, instanceId: instance.id };
  if (contactCreated) events.push({ ...base, type: "contact.created", data: { contact: { id: contact.id, phone: contact.phone, name: contact.name } } });
  if (conversationRow.created) {
    events.push({ ...base, type: "conversation.created", data: { conversation: { id: conversation.id, contactId: contact.id, instanceId: instance.id } } });
  }
  await recordEvents(events, tx);
  return { contact, conversation, contactCreated, conversationCreated: conversationRow.created };
}

/**
 * The conversation on this instance with a contact the instance's owner already has (a group, a person
 * known only by a LID or business-scoped id: sends by `contactId`), created if needed with its
 * `conversation.created` event. Another owner's contact, or an unknown id, reads as 404.
 */
export async function ensureConversationWith(tx: Tx, instance: Instance, contactId: string): Promise<{ contact: Contact; conversation: Conversation }> {
  const owner = ownerOf(instance);
  const [contact] = await tx
    .select()
    .from(contacts)
    .where(
      and(
        eq(contacts.id, contactId),
        owner.organizationId ? eq(contacts.organizationId, owner.organizationId) : and(isNull(contacts.organizationId), eq(contacts.deviceId, owner.deviceId!)),
      ),
    )
    .limit(1);
  if (!contact) throw new AppError("not_found", tText("contacts:errors.notFound"));
  const [conversationRow] = rowsOf<Record<string, unknown> & Created>(
    await tx.execute(sql`
      insert into conversations (organization_id, instance_id, contact_id, last_message_at)
      values (${instance.organizationId}::uuid, ${instance.id}::uuid, ${contact.id}::uuid, now())
      on conflict (instance_id, contact_id) do update set updated_at = conversations.updated_at
      returning *, (xmax = 0) as created`),
  );
  const conversation = readConversation(conversationRow!);
  if (conversationRow!.created) {
    await recordEvents(
      [
        {
          organizationId: instance.organizationId,
          instanceId: instance.id,
          type: "conversation.created",
          data: { conversation: { id: conversation.id, contactId: contact.id, instanceId: instance.id } },
        },
      ],
      tx,
    );
  }
  return { contact, conversation };
}

/**
 * What an upsert does to a contact it already knows: backfills a missing name and moves its last
 * interaction forward when the new row brings one at least a minute later. Shared with the inbound batch
 * statement (message-store). The minute is why a chat's every message does not rewrite the contact's
 * index entries: last_interaction_at is indexed (contacts by last interaction), so changing it makes the
 * update a non-HOT one touching all five of the table's indexes; left equal, Postgres updates the row in
 * place on its page (issue 21 measured the inbound statement's index writes per message).
 */
export const CONTACT_INTERACTION_RESOLUTION = "1 minute";
export const knownContactUpdate = sql`
  name = coalesce(contacts.name, excluded.name),
  last_interaction_at = case
    when excluded.last_interaction_at is null then contacts.last_interaction_at
    when contacts.last_interaction_at is not null
      and excluded.last_interaction_at < contacts.last_interaction_at + ${sql.raw(`interval '${CONTACT_INTERACTION_RESOLUTION}'`)}
      then contacts.last_interaction_at
    else excluded.last_interaction_at end,
  updated_at = case when excluded.last_interaction_at is not null or (contacts.name is null and excluded.name is not null)
    then now() else contacts.updated_at end`;

// ───────────────────────── Inbox and /v1/conversations ─────────────────────────

export type Message = typeof messages.$inferSelect;
/**
 * Conversations have no device column: an unclaimed tenant owns the conversations of the instances
 * its device created (both still without an organization). A key bound to one instance
 * (`boundInstanceId`) sees only that instance's conversations.
 */
export function conversationScope(tenant: Tenant, boundInstanceId?: string | null): SQL {
  const owned = tenant.organizationId
    ? eq(conversations.organizationId, tenant.organizationId)
    : and(
        isNull(conversations.organizationId),
        inArray(
          conversations.instanceId,
          db
            .select({ id: instances.id })
            .from(instances)
            .where(and(isNull(instances.organizationId), eq(instances.createdByDeviceId, tenant.deviceId!))),
        ),
      )!;
  return boundInstanceId ? and(owned, eq(conversations.instanceId, boundInstanceId))! : owned;
}

const listColumns = {
  conversation: conversations,
  contact: {
    id: contacts.id,
    kind: contacts.kind,
    phone: contacts.phone,
    name: contacts.name,
    blocked: contacts.blocked,
    optedOut: contacts.optedOut,
    tags: contacts.tags,
  },
  instance: { id: instances.id, name: instances.name, status: instances.status, provider: instances.provider },
  assignee: { id: users.id, name: users.name, email: users.email },
  labels: sql<ConversationLabel[]>`coalesce((
    select json_agg(json_build_object('id', l.id, 'name', l.name, 'color', l.color) order by l.name)
    from ${conversationLabels} cl join ${labels} l on l.id = cl.label_id
    where cl.conversation_id = ${conversations.id}), '[]'::json)`,
  department: sql<ConversationDepartment | null>`(select json_build_object('id', d.id, 'name', d.name, 'color', d.color)
    from ${departments} d where d.id = ${conversations.departmentId})`,
  sortKey: sql<string>`${conversations.lastMessageAt}::text`,
};

/** A label on a conversation as lists and the API show it. */
export type ConversationLabel = { id: string; name: string; color: string };
/** The department (queue) a conversation is routed to, as lists and the API show it. */
export type ConversationDepartment = { id: string; name: string; color: string };

export type ConversationRow = {
  conversation: Conversation;
  /** `phone` is null for a group (kind `group`) and for a person known only by a LID or business-scoped id. */
  contact: { id: string; kind: Contact["kind"]; phone: string | null; name: string | null; blocked: boolean; optedOut: boolean; tags: string[] };
  instance: { id: string; name: string; status: Instance["status"]; provider: Instance["provider"] };
  assignee: { id: string; name: string | null; email: string } | null;
  labels: ConversationLabel[];
  department: ConversationDepartment | null;
};

/** The public JSON shape of a conversation with its contact summary. */
export function conversationJson(row: ConversationRow) {
  const c = row.conversation;
  return {
    id: c.id,
    instanceId: c.instanceId,
    contact: { id: row.contact.id, kind: row.contact.kind, phone: row.contact.phone, name: row.contact.name },
    status: c.status,
    handledBy: c.handledBy,
    assignedUserId: c.assignedUserId,
    /** The department's name (kept for integrations that read it), and its id. */
    department: row.department?.name ?? null,
    departmentId: c.departmentId,
    resolutionReason: c.resolutionReason,
    workflowId: c.workflowId,
    /** Hybrid mode (`draft`: the AI drafts for an agent) and the latest sentiment classification (HITL). */
    aiReplyMode: c.aiReplyMode,
    sentiment: c.sentiment,
    urgency: c.urgency,
    sentimentReason: c.sentimentReason,
    sentimentAt: c.sentimentAt,
    lastMessageAt: c.lastMessageAt,
    lastMessagePreview: c.lastMessagePreview,
    unreadCount: c.unreadCount,
    labels: row.labels,
    resolvedAt: c.resolvedAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** The public JSON shape of a message; in a group, `sender` is the participant who wrote it. */
export function messageJson(m: Message & { senderName?: string | null; agentName?: string | null }) {
  return {
    id: m.id,
    conversationId: m.conversationId,
    instanceId: m.instanceId,
    contactId: m.contactId,
    sender: m.senderContactId ? { contactId: m.senderContactId, name: m.senderName ?? null } : null,
    direction: m.direction,
    type: m.type,
    body: m.body,
    media: m.media,
    status: m.status,
    error: m.error,
    sentBy: m.sentBy,
    userId: m.userId,
    agent: m.userId ? { id: m.userId, name: m.agentName ?? null } : null,
    isPrivateNote: m.isPrivateNote,
    providerMessageId: m.providerMessageId,
    createdAt: m.createdAt,
    sentAt: m.sentAt,
    deliveredAt: m.deliveredAt,
    readAt: m.readAt,
    failedAt: m.failedAt,
  };
}

/**
 * Conversations ordered by last message (newest first, keyset cursor). Matches the
 * `(organization_id, last_message_at desc)` index; `lastMessageAt` is set from creation on.
 * Blocked contacts' conversations are left out unless asked for (`blocked`): their messages are
 * kept, but nobody should have to answer them.
 */
export async function listConversations(caller: Caller, query: ConversationListQuery, tx: DbOrTx = db): Promise<Page<ConversationRow>> {
  const where: SQL[] = [conversationScope(callerTenant(caller), caller.boundInstanceId)];
  const visible = visibleTo(caller);
  if (visible) where.push(visible);
  if (query.status && query.status !== "all") where.push(eq(conversations.status, query.status));
  if (query.instanceId) where.push(eq(conversations.instanceId, query.instanceId));
  if (query.contactId) where.push(eq(conversations.contactId, query.contactId));
  if (query.handledBy) where.push(eq(conversations.handledBy, query.handledBy));
  if (query.blocked !== "any") where.push(eq(contacts.blocked, query.blocked === "true"));
  if (query.assigned === "none") where.push(isNull(conversations.assignedUserId));
  else if (query.assigned && query.assigned !== "any") where.push(eq(conversations.assignedUserId, query.assigned));
  if (query.departmentId === "none") where.push(isNull(conversations.departmentId));
  else if (query.departmentId) where.push(eq(conversations.departmentId, query.departmentId));
  if (query.labelId) {
    where.push(sql`exists (select 1 from ${conversationLabels} cl where cl.conversation_id = ${conversations.id} and cl.label_id = ${query.labelId}::uuid)`);
  }
  if (query.unread === "true") where.push(sql`${conversations.unreadCount} > 0`);
  else if (query.unread === "false") where.push(eq(conversations.unreadCount, 0));
  // Whole days on the organization's wall clock (the request's zone).
  if (query.from) where.push(sql`${conversations.lastMessageAt} >= ${zonedWallTimeToDate(`${query.from}T00:00`).toISOString()}::timestamptz`);
  if (query.to) where.push(sql`${conversations.lastMessageAt} < ${zonedWallTimeToDate(`${nextDay(query.to)}T00:00`).toISOString()}::timestamptz`);
  return keysetPage(
    { sortBy: conversations.lastMessageAt, id: conversations.id },
    query,
    (q) =>
      tx
        .select(listColumns)
        .from(conversations)
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .innerJoin(instances, eq(instances.id, conversations.instanceId))
        .leftJoin(users, eq(users.id, conversations.assignedUserId))
        .where(and(...where, q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    ({ sortKey: _, ...r }) => r as ConversationRow,
    (r) => r.conversation.id,
  );
}

/** The calendar day after `YYYY-MM-DD`. */
function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The 404 for a conversation that is not this tenant's, in the reader's language. */
const conversationNotFound = () => new AppError("not_found", tText("inbox:errors.notFound"));

/** One conversation with contact, instance and assignee, or 404 (another tenant's id included). */
export async function getConversation(caller: Caller, id: string, tx: DbOrTx = db): Promise<ConversationRow> {
  if (!isUuid(id)) throw conversationNotFound();
  const [row] = await tx
    .select(listColumns)
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .innerJoin(instances, eq(instances.id, conversations.instanceId))
    .leftJoin(users, eq(users.id, conversations.assignedUserId))
    .where(and(conversationScope(callerTenant(caller), caller.boundInstanceId), eq(conversations.id, id), visibleTo(caller)))
    .limit(1);
  if (!row) throw conversationNotFound();
  const { sortKey: _, ...rest } = row;
  return rest as ConversationRow;
}

/** A conversation row by id, without tenant or visibility checks: for a service that already checked them in this transaction. */
export async function conversationRowById(id: string, tx: DbOrTx = db): Promise<ConversationRow> {
  const [row] = await tx
    .select(listColumns)
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .innerJoin(instances, eq(instances.id, conversations.instanceId))
    .leftJoin(users, eq(users.id, conversations.assignedUserId))
    .where(eq(conversations.id, id))
    .limit(1);
  if (!row) throw conversationNotFound();
  const { sortKey: _, ...rest } = row;
  return rest as ConversationRow;
}

/** The organization's active department with this name (any case), or 422 naming `department`. */
async function activeDepartmentNamed(tx: DbOrTx, organizationId: string | null, name: string): Promise<{ id: string; name: string }> {
  const [found] = organizationId
    ? await tx
        .select({ id: departments.id, name: departments.name })
        .from(departments)
        .where(and(eq(departments.organizationId, organizationId), sql`lower(${departments.name}) = lower(${name.trim()})`, eq(departments.active, true)))
        .limit(1)
    : [];
  if (!found) throw validationFailed([{ path: "department", message: tText("departments:errors.unknownDepartment") }]);
  return found;
}

/** The activity lines of an assignment: who it went to (or that nobody has it now), and a department change. */
async function recordAssignmentActivity(tx: DbOrTx, caller: Caller, before: ConversationRow, after: ConversationRow): Promise<void> {
  const organizationId = after.conversation.organizationId;
  if (!organizationId) return;
  const id = after.conversation.id;
  if (before.conversation.assignedUserId !== after.conversation.assignedUserId) {
    await recordActivity(
      tx,
      organizationId,
      id,
      caller,
      after.assignee ? "assigned" : "unassigned",
      after.assignee
        ? { toUserId: after.assignee.id, toUserName: after.assignee.name ?? after.assignee.email, fromUserId: before.conversation.assignedUserId }
        : { fromUserId: before.conversation.assignedUserId, fromUserName: before.assignee?.name ?? before.assignee?.email ?? null },
    );
  }
  if (before.conversation.departmentId !== after.conversation.departmentId) {
    await recordActivity(tx, organizationId, id, caller, "department_changed", {
      fromDepartmentId: before.department?.id ?? null,
      fromDepartmentName: before.department?.name ?? null,
      toDepartmentId: after.department?.id ?? null,
      toDepartmentName: after.department?.name ?? null,
    });
  }
}

/** Messages of a conversation, newest first by default, keyset-paginated on `(created_at, id)`. */
export async function listConversationMessages(caller: Caller, conversationId: string, query: MessageListQuery, tx: DbOrTx = db): Promise<Page<ThreadMessage>> {
  const { conversation } = await getConversation(caller, conversationId, tx);
  return keysetPage(
    { sortBy: messages.createdAt, id: messages.id, order: query.order === "asc" ? "asc" : "desc" },
    query,
    (q) =>
      tx
        .select({ message: messages, senderName, agentName, sortKey: q.sortKey })
        .from(messages)
        .leftJoin(sender, eq(sender.id, messages.senderContactId))
        .leftJoin(agent, eq(agent.id, messages.userId))
        .where(and(eq(messages.conversationId, conversation.id), q.after))
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => ({ ...r.message, senderName: r.senderName, agentName: r.agentName }),
    (r) => r.message.id,
  );
}

/** A message with, in a group conversation, the name (or phone) of the participant who wrote it. */
export type ThreadMessage = Message & { senderName: string | null; agentName: string | null };
const sender = alias(contacts, "sender");
const senderName = sql<string | null>`coalesce(${sender.name}, ${sender.phone})`;
/** The member who wrote an outbound message or note (messages.userId): their name, else their email. */
const agent = alias(users, "agent");
const agentName = sql<string | null>`coalesce(${agent.name}, ${agent.email})`;

/**
 * The latest messages exchanged with a contact over every instance, newest first: the contact page
 * shows them, including what a blocked contact sent while the inbox left it out.
 */
export async function listContactMessages(tenant: Tenant, contactId: string, limit: number, tx: DbOrTx = db): Promise<Message[]> {
  if (!isUuid(contactId)) return [];
  // The latest few of each conversation through its (conversation, created_at) index, then the latest
  // of those: messages have no contact index, and a contact has few conversations.
  const recent = tx
    .select()
    .from(messages)
    .where(eq(messages.conversationId, conversations.id))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(limit)
    .as("recent");
  const rows = await tx
    .select()
    .from(conversations)
    .innerJoinLateral(recent, sql`true`)
    .where(and(conversationScope(tenant), eq(conversations.contactId, contactId)))
    .orderBy(desc(recent.createdAt), desc(recent.id))
    .limit(limit);
  return rows.map((r) => r.recent);
}

/** One message of the tenant (for live fragments), or null. */
export async function findConversationMessage(tenant: Tenant, messageId: string, tx: DbOrTx = db): Promise<ThreadMessage | null> {
  if (!isUuid(messageId)) return null;
  const [row] = await tx
    .select({ message: messages, senderName, agentName })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .leftJoin(sender, eq(sender.id, messages.senderContactId))
    .leftJoin(agent, eq(agent.id, messages.userId))
    .where(and(conversationScope(tenant), eq(messages.id, messageId)))
    .limit(1);
  return row ? { ...row.message, senderName: row.senderName, agentName: row.agentName } : null;
}

/** Members of the organization who can be assigned conversations. */
export async function listAssignableMembers(organizationId: string, tx: DbOrTx = db) {
  return tx
    .select({ id: users.id, name: users.name, email: users.email, role: memberships.role, departments: memberships.departments })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, organizationId))
    .orderBy(asc_(users.name), asc_(users.email));
}

/**
 * Assigns (or with `userId: null` unassigns) the conversation and/or sets its department; the user
 * must be a member of the organization (422 otherwise). Emits `conversation.assigned`.
 */
export async function assignConversation(caller: Caller, id: string, input: AssignInput): Promise<ConversationRow> {
  const tenant = callerTenant(caller);
  const assigned = await db.transaction(async (tx) => {
    const row = await getConversation(caller, id, tx);
    const { conversation } = row;
    const patch: Partial<typeof conversations.$inferInsert> = {};
    if (input.userId !== undefined) {
      await assertMember(tenant.organizationId, input.userId, tx, "userId");
      patch.assignedUserId = input.userId;
    }
    // Departments are named (the AI hand-off tool and older integrations send a name); null unroutes.
    const toDepartment = input.department ? await activeDepartmentNamed(tx, tenant.organizationId, input.department) : null;
    if (input.department !== undefined) patch.departmentId = toDepartment?.id ?? null;
    if (Object.keys(patch).length === 0) {
      throw validationFailed([{ path: "userId", message: tText("inbox:errors.assignNothing") }]);
    }
    await tx.update(conversations).set(patch).where(eq(conversations.id, conversation.id));
    // Read without the caller's visibility: an agent handing a conversation to another queue no longer sees it.
    const updated = await conversationRowById(conversation.id, tx);
    await recordAssignmentActivity(tx, caller, row, updated);
    await recordEvent(
      {
        organizationId: tenant.organizationId,
        instanceId: conversation.instanceId,
        apiKeyId: caller.type === "api_key" ? caller.id : null,
        type: "conversation.assigned",
        data: {
          conversation: { id: conversation.id, contactId: conversation.contactId, instanceId: conversation.instanceId },
          assignedUserId: updated.conversation.assignedUserId,
          previousAssignedUserId: conversation.assignedUserId,
          department: updated.department?.name ?? null,
          departmentId: updated.conversation.departmentId,
          by: { type: caller.type, id: caller.id },
        },
      },
      tx,
    );
    await publishInbox(tenant, conversation.id, tx);
    return updated;
  });
  // Unassigned in a department (an agent let it go, a hand-off to a queue): auto-assignment may take it.
  await notifyLeftUnassigned(tenant.organizationId, assigned.conversation);
  return assigned;
}

/**
 * Resolves: status `resolved`, `resolvedAt`, and the conversation goes back to the bot (a hand-off
 * lasts until resolution); `reason`, when given, is kept and shown on the activity line. Emits
 * `conversation.resolved`. Resolving twice is a no-op.
 */
export async function resolveConversation(caller: Caller, id: string, reason?: string | null): Promise<ConversationRow> {
  const tenant = callerTenant(caller);
  const resolved = await db.transaction(async (tx) => {
    const { conversation } = await getConversation(caller, id, tx);
    if (conversation.status === "resolved") return getConversation(caller, id, tx);
    await tx
      .update(conversations)
      // A greeting menu still waiting is dropped: the next conversation starts afresh.
      .set({
        status: "resolved",
        resolvedAt: sql`now()`,
        handledBy: "bot",
        unreadCount: 0,
        resolutionReason: reason ?? null,
        menuSentAt: null,
        menuAttempts: 0,
      })
      .where(eq(conversations.id, conversation.id));
    const updated = await getConversation(caller, id, tx);
    await recordEvent(
      {
        organizationId: tenant.organizationId,
        instanceId: conversation.instanceId,
        apiKeyId: caller.type === "api_key" ? caller.id : null,
        type: "conversation.resolved",
        data: {
          conversation: { id: conversation.id, contactId: conversation.contactId, instanceId: conversation.instanceId },
          resolvedAt: updated.conversation.resolvedAt,
          assignedUserId: conversation.assignedUserId,
          departmentId: conversation.departmentId,
          reason: reason ?? null,
          by: { type: caller.type, id: caller.id },
        },
      },
      tx,
    );
    if (tenant.organizationId) await recordActivity(tx, tenant.organizationId, conversation.id, caller, "resolved", reason ? { reason } : {});
    await publishInbox(tenant, conversation.id, tx);
    return updated;
  });
  await runResolvedHooks({ caller, row: resolved, reason: reason ?? null });
  return resolved;
}

/**
 * Hand-off: `human` stops every automation (triggers, flows, workflows, follow-ups) on this
 * conversation until it is resolved or handed back to `bot`. Handing to a human also reopens a
 * resolved conversation, since someone is now expected to answer it.
 */
export async function handoffConversation(caller: Caller, id: string, to: "human" | "bot", reason?: string | null): Promise<ConversationRow> {
  const tenant = callerTenant(caller);
  return db.transaction(async (tx) => {
    const { conversation } = await getConversation(caller, id, tx);
    const patch: Partial<typeof conversations.$inferInsert> = { handledBy: to };
    if (to === "human" && conversation.status === "resolved") Object.assign(patch, { status: "open", resolvedAt: null });
    await tx.update(conversations).set(patch).where(eq(conversations.id, conversation.id));
    if (tenant.organizationId) {
      await recordActivity(tx, tenant.organizationId, conversation.id, caller, to === "human" ? "handed_off" : "returned_to_bot", {
        from: conversation.handledBy,
        to,
        ...(reason ? { reason } : {}),
      });
    }
    await publishInbox(tenant, conversation.id, tx);
    return getConversation(caller, id, tx);
  });
}

/** Automation hands the conversation to a workflow: it answers the conversation's next messages. */
export async function bindConversationToWorkflow(organizationId: string, conversationId: string, workflowId: string): Promise<void> {
  await db
    .update(conversations)
    .set({ workflowId })
    .where(and(eq(conversations.id, conversationId), eq(conversations.organizationId, organizationId)));
}

/**
 * A workflow stops answering the organization's conversations it holds — on the given instances, or
 * on all of them (null). Returns the conversations released.
 */
export async function releaseConversationsFromWorkflow(
  organizationId: string,
  workflowId: string,
  instanceIds: string[] | null,
  tx: DbOrTx = db,
): Promise<string[]> {
  const released = await tx
    .update(conversations)
    .set({ workflowId: null })
    .where(
      and(
        eq(conversations.organizationId, organizationId),
        eq(conversations.workflowId, workflowId),
        instanceIds === null ? undefined : inArray(conversations.instanceId, instanceIds),
      ),
    )
    .returning({ id: conversations.id });
  return released.map((c) => c.id);
}

/** Admin status switch (open / pending / resolved); resolving goes through `resolveConversation`. */
export async function setConversationStatus(caller: Caller, id: string, status: Conversation["status"]): Promise<ConversationRow> {
  if (status === "resolved") return resolveConversation(caller, id);
  const tenant = callerTenant(caller);
  return db.transaction(async (tx) => {
    const { conversation } = await getConversation(caller, id, tx);
    await tx.update(conversations).set({ status, resolvedAt: null }).where(eq(conversations.id, conversation.id));
    if (status === "open" && conversation.status === "resolved" && tenant.organizationId) {
      await recordActivity(tx, tenant.organizationId, conversation.id, caller, "reopened", { from: conversation.status });
    } else {
      await auditConversation(tenant, caller, `conversation.${status === "open" ? "reopened" : "pending"}`, conversation.id, { from: conversation.status }, tx);
    }
    await publishInbox(tenant, conversation.id, tx);
    return getConversation(caller, id, tx);
  });
}

/** Opening a conversation in the inbox clears its unread counter. */
export async function markConversationRead(tenant: Tenant, id: string, tx: DbOrTx = db): Promise<void> {
  if (!isUuid(id)) return;
  await tx
    .update(conversations)
    .set({ unreadCount: 0 })
    .where(and(conversationScope(tenant), eq(conversations.id, id), sql`${conversations.unreadCount} <> 0`));
}

/** Tells open inbox pages (every process) that a conversation changed. */
export async function publishInbox(tenant: Tenant, conversationId: string, tx?: DbOrTx, messageId?: string): Promise<void> {
  if (!tenant.organizationId) return;
  await publishLive(liveTopics.orgInbox(tenant.organizationId), messageId ? { conversationId, messageId } : { conversationId }, tx);
}

async function auditConversation(tenant: Tenant, actor: Caller, action: string, conversationId: string, details: Record<string, unknown>, tx: DbOrTx) {
  if (!tenant.organizationId) return;
  await recordAudit(
    {
      organizationId: tenant.organizationId,
      actor: auditActor(actor),
      action,
      target: { type: "conversation", id: conversationId },
      request: actor.request,
      details,
    },
    tx,
  );
}

/** Sign-up claims the conversations of a visitor's (just claimed) instances for the new organization. */
export async function claimInstanceConversations(instanceIds: string[], organizationId: string, tx: DbOrTx): Promise<void> {
  if (instanceIds.length === 0) return;
  await tx
    .update(conversations)
    .set({ organizationId })
    .where(and(inArray(conversations.instanceId, instanceIds), isNull(conversations.organizationId)));
}

/**
 * Two contacts found to be one person (identity.service): the conversations of `fromContactId` on
 * instances where `toContactId` already has one, as (from, to) pairs to fold. Locks both contacts'
 * conversations in (instance, contact) order first, as src/db/lock-order.ts wants.
 */
export async function conversationsToFold(fromContactId: string, toContactId: string, tx: DbOrTx): Promise<{ from: string; to: string }[]> {
  const rows = await tx
    .select({ id: conversations.id, instanceId: conversations.instanceId, contactId: conversations.contactId })
    .from(conversations)
    .where(inArray(conversations.contactId, [fromContactId, toContactId]))
    .orderBy(conversations.instanceId, conversations.contactId)
    .for("no key update");
  const kept = new Map(rows.filter((r) => r.contactId === toContactId).map((r) => [r.instanceId, r.id]));
  return rows.flatMap((r) => (r.contactId === fromContactId && kept.has(r.instanceId) ? [{ from: r.id, to: kept.get(r.instanceId)! }] : []));
}

/**
 * Folds a conversation whose messages already moved into `toId` (same instance, same person): unread
 * counts add up, the later last message wins, an open conversation stays open; then `fromId` goes.
 */
export async function foldConversation(fromId: string, toId: string, tx: DbOrTx): Promise<void> {
  await tx.execute(sql`
    update conversations t set
      unread_count = t.unread_count + f.unread_count,
      last_message_preview = case when f.last_message_at > t.last_message_at then f.last_message_preview else t.last_message_preview end,
      last_message_at = greatest(t.last_message_at, f.last_message_at),
      status = case when t.status = 'resolved' and f.status <> 'resolved' then f.status else t.status end,
      resolved_at = case when t.status = 'resolved' and f.status <> 'resolved' then null else t.resolved_at end,
      referral = coalesce(t.referral, f.referral),
      updated_at = now()
    from conversations f
    where t.id = ${toId}::uuid and f.id = ${fromId}::uuid`);
  await tx.delete(conversations).where(eq(conversations.id, fromId));
}

/** A visitor contact merged into the organization's contact: its conversations follow. */
export async function moveContactConversations(fromContactId: string, toContactId: string, tx: DbOrTx): Promise<void> {
  await tx.update(conversations).set({ contactId: toContactId }).where(eq(conversations.contactId, fromContactId));
}

/**
 * An outbound message was queued: the conversation's last message (preview) and the contact's last
 * interaction move, inside the send's transaction — conversation first, the lock order of src/db/lock-order.ts.
 */
export async function noteOutboundMessage(conversationId: string, contactId: string, preview: string, now: Date, tx: DbOrTx): Promise<void> {
  await tx.update(conversations).set({ lastMessageAt: now, lastMessagePreview: preview, updatedAt: now }).where(eq(conversations.id, conversationId));
  await contactWrites.interacted(contactId, now, tx);
}

/** Inbound messages were marked read (receipt sent): nothing of the conversation is unread any more. */
export async function clearUnread(conversationId: string, now: Date, tx: DbOrTx): Promise<void> {
  await tx.update(conversations).set({ unreadCount: 0, updatedAt: now }).where(eq(conversations.id, conversationId));
}
