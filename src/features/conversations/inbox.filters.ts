import { z } from "zod";
import type { AdminContext } from "@/auth/plugin";
import type { Page } from "@/lib/pager";
import type { InboxFilters, InboxOptions, SearchHitView } from "@views/inbox/_list";
import { CONVERSATION_LIMITS, isoDay } from "./conversation.schema";
import { listAssignableMembers, listConversations, type ConversationRow } from "./conversation.service";
import { inboxFilterOptions, searchMessages, snippetPieces } from "./inbox.service";

/** Drops a value that does not parse (a hand-edited URL) instead of failing the page. */
const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const flag = z
  .string()
  .optional()
  .transform((v) => v === "1" || v === "true" || v === "on");

const filtersSchema = z.object({
  status: z.enum(["open", "pending", "resolved", "all"]).catch("open").default("open"),
  mine: flag,
  assignee: optional(z.union([z.uuid(), z.enum(["me", "none"])])),
  departmentId: optional(z.union([z.uuid(), z.literal("none")])),
  labelId: optional(z.uuid()),
  instanceId: optional(z.uuid()),
  unread: flag,
  from: optional(isoDay),
  to: optional(isoDay),
  q: optional(z.string().trim().min(CONVERSATION_LIMITS.searchMin).max(CONVERSATION_LIMITS.searchMax)),
  cursor: optional(z.string().max(200)),
  open: optional(z.string().max(64)),
});

export type InboxQuery = InboxFilters & { cursor?: string; open?: string };

/** The inbox's filters from the query string (the URL is the state: shareable, reloadable). */
export function filtersOf(query: Record<string, unknown>): InboxQuery {
  const parsed = filtersSchema.safeParse(query);
  return parsed.success ? parsed.data : { status: "open", mine: false };
}

/** The conversation list for these filters ("mine" and assignee `me` are the signed-in member). */
export function listInbox(admin: AdminContext, filters: InboxFilters, cursor?: string): Promise<Page<ConversationRow>> {
  const assignee = filters.mine || filters.assignee === "me" ? admin.user.id : filters.assignee;
  return listConversations(admin, {
    status: filters.status,
    assigned: assignee,
    departmentId: filters.departmentId,
    labelId: filters.labelId,
    instanceId: filters.instanceId,
    unread: filters.unread ? "true" : undefined,
    from: filters.from,
    to: filters.to,
    limit: CONVERSATION_LIMITS.pageDefault,
    cursor,
  });
}

/** Search results for `q` (null when the filters carry no search), as the view shows them. */
export async function searchInbox(admin: AdminContext, filters: InboxFilters): Promise<SearchHitView[] | null> {
  if (!filters.q) return null;
  // A page of the newest matches: each one costs a ts_headline (bench: 100 made the p95 miss 100 ms at 1 M messages).
  const hits = await searchMessages(admin, { q: filters.q, limit: CONVERSATION_LIMITS.pageDefault });
  return hits.map((h) => ({
    messageId: h.messageId,
    conversationId: h.conversationId,
    createdAt: h.createdAt,
    isPrivateNote: h.isPrivateNote,
    pieces: snippetPieces(h.snippet),
    contactName: h.contact.name || h.contact.phone || "—",
    instanceName: h.instanceName,
  }));
}

/** Members, departments, labels and instances for the filter bar and the bulk actions. */
export async function inboxOptions(admin: AdminContext): Promise<InboxOptions> {
  const [members, options] = await Promise.all([listAssignableMembers(admin.organization.id), inboxFilterOptions(admin)]);
  return { members, ...options };
}
