import type { ConversationRow } from "@/features/conversations/conversation.service";
import { Badge, EmptyState, Time } from "../components/ui";

export type InboxFilters = { status: "open" | "pending" | "resolved" | "all"; mine: boolean };

export function inboxQuery(filters: InboxFilters, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  params.set("status", filters.status);
  if (filters.mine) params.set("mine", "1");
  for (const [k, v] of Object.entries(extra)) if (v) params.set(k, v);
  return `?${params.toString()}`;
}

const STATUS_TABS: { value: InboxFilters["status"]; label: string }[] = [
  { value: "open", label: "Open" },
  { value: "pending", label: "Pending" },
  { value: "resolved", label: "Resolved" },
  { value: "all", label: "All" },
];

/** Status tabs and the "mine" switch; plain links so they work without JavaScript. */
export function InboxFilterBar({ filters }: { filters: InboxFilters }) {
  return (
    <nav class="inbox-filters" aria-label="Conversation filters">
      {STATUS_TABS.map((t) => (
        <a href={`/inbox${inboxQuery({ ...filters, status: t.value })}`} class={filters.status === t.value ? "tab active" : "tab"} aria-current={filters.status === t.value ? "true" : undefined}>
          <span safe>{t.label}</span>
        </a>
      ))}
      <a href={`/inbox${inboxQuery({ ...filters, mine: !filters.mine })}`} class={filters.mine ? "tab active" : "tab"} aria-pressed={filters.mine ? "true" : "false"}>
        Mine
      </a>
    </nav>
  );
}

function ConversationItem({ row, filters, active }: { row: ConversationRow; filters: InboxFilters; active: boolean }) {
  const c = row.conversation;
  const name = row.contact.name || row.contact.phone;
  return (
    <li class={active ? "conv-item active" : "conv-item"} id={`conv-${c.id}`}>
      <a href={`/inbox/${c.id}${inboxQuery(filters)}`} aria-current={active ? "page" : undefined}>
        <span class="conv-top">
          <strong class="conv-name" safe>
            {name}
          </strong>
          <span class="conv-time small muted">
            <Time at={c.lastMessageAt} />
          </span>
        </span>
        <span class="conv-bottom">
          <span class="conv-preview small muted" safe>
            {c.lastMessagePreview ?? ""}
          </span>
          {c.unreadCount > 0 ? (
            <span class="unread" title="Unread messages" safe>
              {String(c.unreadCount)}
            </span>
          ) : (
            ""
          )}
        </span>
        <span class="conv-tags small">
          {c.status !== "open" ? <Badge tone={c.status === "resolved" ? "muted" : "warn"}>{c.status}</Badge> : ""}
          {c.handledBy === "human" ? <Badge tone="warn">human</Badge> : ""}
          {row.contact.blocked ? <Badge tone="bad">blocked</Badge> : ""}
          {row.assignee ? <span class="muted" safe>{`→ ${row.assignee.name || row.assignee.email}`}</span> : ""}
          <span class="muted" safe>{row.instance.name}</span>
        </span>
      </a>
    </li>
  );
}

/**
 * The conversation list; refreshed in place (`inbox:refresh`) when the live stream reports activity.
 * `openId` marks the open conversation (and makes the refresh keep its unread count at zero).
 */
export function ConversationList(props: { rows: ConversationRow[]; filters: InboxFilters; nextCursor: string | null; openId?: string; cursor?: string }) {
  const { rows, filters, nextCursor, openId } = props;
  const refreshUrl = `/inbox/list${inboxQuery(filters, { open: openId, cursor: props.cursor })}`;
  return (
    <div id="conversation-list" hx-get={refreshUrl} hx-trigger="inbox:refresh" hx-swap="outerHTML">
      {rows.length === 0 ? (
        <EmptyState>{filters.status === "open" && !filters.mine ? "No open conversations. New messages appear here live." : "No conversations match this filter."}</EmptyState>
      ) : (
        <ul class="conv-list">
          {rows.map((row) => (
            <ConversationItem row={row} filters={filters} active={row.conversation.id === openId} />
          ))}
        </ul>
      )}
      {nextCursor ? (
        <p class="pager">
          <a href={`/inbox${inboxQuery(filters, { cursor: nextCursor })}`}>Older conversations →</a>
        </p>
      ) : (
        ""
      )}
    </div>
  );
}
