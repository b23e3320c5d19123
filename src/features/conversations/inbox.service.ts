import { and, asc, desc, eq, ne, sql, type SQL } from "drizzle-orm";
import { db, rowsOf, type DbOrTx } from "@/db/client";
import { contacts, conversations, departments, instances, labels, satisfactionFeedback, users } from "@/db/schema";
import type { Caller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { port } from "@/lib/port";
import { callerTenant, organizationOf } from "@/lib/tenant";
import { CONVERSATION_LIMITS, type BulkAction, type MessageSearchQuery } from "./conversation.schema";
import { assignConversation, conversationScope, resolveConversation, type ConversationRow } from "./conversation.service";
import { visibleTo } from "./visibility";

/** The caller's conversations: the tenant's (a bound key: its instance) that the caller may see (an agent: their departments). */
function visibleScope(caller: Caller): SQL {
  return and(conversationScope(callerTenant(caller), caller.boundInstanceId), visibleTo(caller))!;
}

// ───────────────────────── Full-text search ─────────────────────────

/**
 * Marks around the matched words in a snippet. Control characters a message body does not carry in
 * practice; the view splits on them and escapes every piece, so a body that does contain one only loses
 * its highlighting, never its escaping.
 */
export const SNIPPET_START = "\u0002";
export const SNIPPET_STOP = "\u0003";

export type MessageSearchHit = {
  messageId: string;
  conversationId: string;
  createdAt: Date;
  direction: "inbound" | "outbound";
  isPrivateNote: boolean;
  /** ts_headline's fragment with SNIPPET_START/SNIPPET_STOP around each match: raw text, escape it to show it. */
  snippet: string;
  contact: { id: string; name: string | null; phone: string | null };
  instanceName: string;
  status: ConversationRow["conversation"]["status"];
};

/**
 * The search statement: the `to_tsvector('portuguese', coalesce(body, ''))` expression is exactly the one
 * of the GIN index of migration 0032 (messages_body_fts_idx), so Postgres finds the candidate messages in
 * the index and only sorts those; the snippet (ts_headline) is computed after the sort and limit, for the
 * returned rows only. Exported so a test can EXPLAIN the very statement the inbox runs.
 */
export function messageSearchSql(caller: Caller, query: MessageSearchQuery): SQL {
  const scope = visibleScope(caller);
  const options = `StartSel=${SNIPPET_START}, StopSel=${SNIPPET_STOP}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "`;
  return sql`
    select m.id as message_id, m.conversation_id, m.created_at, m.direction, m.is_private_note,
      ts_headline('portuguese', coalesce(m.body, ''), q.query, ${options}) as snippet,
      ${contacts.id} as contact_id, ${contacts.name} as contact_name, ${contacts.phone} as contact_phone,
      ${instances.name} as instance_name, ${conversations.status} as status
    from messages m
    cross join websearch_to_tsquery('portuguese', ${query.q}) as q(query)
    join ${conversations} on ${conversations.id} = m.conversation_id
    join ${contacts} on ${contacts.id} = ${conversations.contactId}
    join ${instances} on ${instances.id} = ${conversations.instanceId}
    where to_tsvector('portuguese', coalesce(m.body, '')) @@ q.query
      and m.deleted_at is null
      and ${scope}
    order by m.created_at desc, m.id desc
    limit ${query.limit}`;
}

/** Messages of the caller's visible conversations matching `q` (Portuguese stemming), newest first, with a snippet each. */
export async function searchMessages(caller: Caller, query: MessageSearchQuery, tx: DbOrTx = db): Promise<MessageSearchHit[]> {
  const rows = rowsOf<Record<string, unknown>>(await tx.execute(messageSearchSql(caller, query)));
  return rows.map((r) => ({
    messageId: String(r.message_id),
    conversationId: String(r.conversation_id),
    createdAt: new Date(r.created_at as string),
    direction: r.direction as MessageSearchHit["direction"],
    isPrivateNote: Boolean(r.is_private_note),
    snippet: String(r.snippet ?? ""),
    contact: { id: String(r.contact_id), name: (r.contact_name as string | null) ?? null, phone: (r.contact_phone as string | null) ?? null },
    instanceName: String(r.instance_name),
    status: r.status as MessageSearchHit["status"],
  }));
}

// ───────────────────────── Unread count (navigation, tab title) ─────────────────────────

/** Counting stops here: the navigation shows "99+". */
export const UNREAD_COUNT_CAP = 100;

/** Open or pending conversations the caller sees with unread messages, counted up to UNREAD_COUNT_CAP. */
export async function unreadConversationCount(caller: Caller, tx: DbOrTx = db): Promise<number> {
  const scope = visibleScope(caller);
  const [row] = rowsOf<{ n: number }>(
    await tx.execute(sql`
      select count(*)::int as n from (
        select 1 from ${conversations}
        where ${scope} and ${conversations.unreadCount} > 0 and ${conversations.status} <> 'resolved'
        limit ${UNREAD_COUNT_CAP}
      ) unread`),
  );
  return row?.n ?? 0;
}

// ───────────────────────── Filter options ─────────────────────────

export type FilterOptions = {
  departments: { id: string; name: string; color: string }[];
  labels: { id: string; name: string; color: string }[];
  instances: { id: string; name: string }[];
};

/** What the inbox's filter bar offers: the organization's departments, labels and instances, by name. */
export async function inboxFilterOptions(caller: Caller, tx: DbOrTx = db): Promise<FilterOptions> {
  const organizationId = organizationOf(caller);
  const [deps, labs, insts] = await Promise.all([
    tx
      .select({ id: departments.id, name: departments.name, color: departments.color })
      .from(departments)
      .where(eq(departments.organizationId, organizationId))
      .orderBy(asc(departments.name)),
    tx
      .select({ id: labels.id, name: labels.name, color: labels.color })
      .from(labels)
      .where(eq(labels.organizationId, organizationId))
      .orderBy(asc(labels.name)),
    tx
      .select({ id: instances.id, name: instances.name })
      .from(instances)
      .where(and(eq(instances.organizationId, organizationId), caller.boundInstanceId ? eq(instances.id, caller.boundInstanceId) : undefined))
      .orderBy(asc(instances.name)),
  ]);
  return { departments: deps, labels: labs, instances: insts };
}

// ───────────────────────── Contact side panel ─────────────────────────

export type ContactPanel = {
  contact: { id: string; name: string | null; phone: string | null; tags: string[]; metadata: Record<string, unknown>; createdAt: Date };
  /** The contact's other conversations the caller sees (other instances, or earlier resolutions), newest first. */
  previous: {
    id: string;
    status: ConversationRow["conversation"]["status"];
    instanceName: string;
    lastMessageAt: Date | null;
    resolvedAt: Date | null;
    resolutionReason: string | null;
  }[];
  /** NPS answers of the contact (satisfaction surveys), newest first. */
  nps: { score: number; category: string | null; comment: string | null; answeredAt: Date | null; agentName: string | null }[];
};

/** The contact of an open conversation with its fields, tags, other conversations and NPS answers. */
export async function contactPanel(caller: Caller, row: ConversationRow, tx: DbOrTx = db): Promise<ContactPanel> {
  const organizationId = organizationOf(caller);
  const scope = visibleScope(caller);
  const [contactRows, previous, nps] = await Promise.all([
    tx
      .select({ id: contacts.id, name: contacts.name, phone: contacts.phone, tags: contacts.tags, metadata: contacts.metadata, createdAt: contacts.createdAt })
      .from(contacts)
      .where(and(eq(contacts.id, row.contact.id), eq(contacts.organizationId, organizationId)))
      .limit(1),
    tx
      .select({
        id: conversations.id,
        status: conversations.status,
        instanceName: instances.name,
        lastMessageAt: conversations.lastMessageAt,
        resolvedAt: conversations.resolvedAt,
        resolutionReason: conversations.resolutionReason,
      })
      .from(conversations)
      .innerJoin(instances, eq(instances.id, conversations.instanceId))
      .where(and(scope, eq(conversations.contactId, row.contact.id), ne(conversations.id, row.conversation.id)))
      .orderBy(desc(conversations.lastMessageAt))
      .limit(10),
    tx
      .select({
        score: sql<number>`${satisfactionFeedback.npsScore}`,
        category: satisfactionFeedback.category,
        comment: satisfactionFeedback.comment,
        answeredAt: satisfactionFeedback.answeredAt,
        agentName: sql<string | null>`coalesce(${users.name}, ${users.email})`,
      })
      .from(satisfactionFeedback)
      .leftJoin(users, eq(users.id, satisfactionFeedback.agentUserId))
      .where(
        and(
          eq(satisfactionFeedback.organizationId, organizationId),
          eq(satisfactionFeedback.contactId, row.contact.id),
          sql`${satisfactionFeedback.npsScore} is not null`,
        ),
      )
      .orderBy(desc(satisfactionFeedback.answeredAt))
      .limit(10),
  ]);
  const contact = contactRows[0];
  if (!contact) throw new AppError("not_found", tText("inbox:errors.notFound"));
  return { contact, previous, nps };
}

// ───────────────────────── Bulk actions ─────────────────────────

/**
 * Labels a conversation (or takes a label off): the labels feature, above conversations, plugs its
 * service in here (src/routes.ts) so bulk actions apply the same checks as the single action.
 */
export const changeConversationLabel = port<(caller: Caller, conversationId: string, labelId: string, change: "add" | "remove") => Promise<unknown>>(
  "conversations: add or remove a conversation label",
);

export type BulkResult = { done: string[]; failed: { id: string; code: string; message: string }[] };

/**
 * Applies one action to each selected conversation through the single action's service function, so each
 * is checked on its own (visibility by organization and department, membership of the assignee, the
 * label's organization): one refused conversation does not stop the others and is reported with its code.
 */
export async function bulkConversations(caller: Caller, action: BulkAction): Promise<BulkResult> {
  const result: BulkResult = { done: [], failed: [] };
  const ids = [...new Set(action.ids)].slice(0, CONVERSATION_LIMITS.bulkMax);
  for (const id of ids) {
    try {
      if (action.action === "assign") await assignConversation(caller, id, { userId: action.userId });
      else if (action.action === "resolve") await resolveConversation(caller, id);
      else await changeConversationLabel(caller, id, action.labelId, action.action === "add_label" ? "add" : "remove");
      result.done.push(id);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      result.failed.push({ id, code: err.code, message: err.message });
    }
  }
  return result;
}

/** A snippet as HTML: every piece escaped, the matches wrapped in `<mark>` (for the API; the inbox view renders the pieces itself). */
export function snippetHtml(snippet: string): string {
  return snippetPieces(snippet)
    .map((p) => (p.match ? `<mark>${Bun.escapeHTML(p.text)}</mark>` : Bun.escapeHTML(p.text)))
    .join("");
}

/** A snippet cut at its match marks: `match` pieces are the words found. */
export function snippetPieces(snippet: string): { text: string; match: boolean }[] {
  const pieces: { text: string; match: boolean }[] = [];
  for (const part of snippet.split(SNIPPET_START)) {
    const [match, rest] = part.includes(SNIPPET_STOP) ? (part.split(SNIPPET_STOP, 2) as [string, string]) : [null, part];
    if (match !== null) pieces.push({ text: match, match: true });
    if (rest) pieces.push({ text: rest, match: false });
  }
  return pieces;
}
