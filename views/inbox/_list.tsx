import type { ConversationRow } from "@/features/conversations/conversation.service";
import { t, tText } from "@/lib/i18n";
import { Badge, EmptyState, Time } from "../components/ui";
import { previewText } from "./_message";
import { SentimentBadge } from "../suggestions/_sentiment";

export type InboxFilters = { status: "open" | "pending" | "resolved" | "all"; mine: boolean };

export function inboxQuery(filters: InboxFilters, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  params.set("status", filters.status);
  if (filters.mine) params.set("mine", "1");
  for (const [k, v] of Object.entries(extra)) if (v) params.set(k, v);
  return `?${params.toString()}`;
}

const STATUS_TABS: InboxFilters["status"][] = ["open", "pending", "resolved", "all"];

/** Status tabs and the "mine" switch; plain links so they work without JavaScript. */
export function InboxFilterBar({ filters }: { filters: InboxFilters }) {
  return (
    <nav class="inbox-filters" aria-label={tText("inbox:list.filters")}>
      {STATUS_TABS.map((status) => (
        <a
          href={`/inbox${inboxQuery({ ...filters, status })}`}
          class={filters.status === status ? "tab active" : "tab"}
          aria-current={filters.status === status ? "true" : undefined}
        >
          <span>{t(`inbox:list.tabs.${status}`)}</span>
        </a>
      ))}
      <a
        href={`/inbox${inboxQuery({ ...filters, mine: !filters.mine })}`}
        class={filters.mine ? "tab active" : "tab"}
        aria-current={filters.mine ? "true" : undefined}
      >
        {t("inbox:list.mine")}
      </a>
    </nav>
  );
}

function ConversationItem({ row, filters, active }: { row: ConversationRow; filters: InboxFilters; active: boolean }) {
  const c = row.conversation;
  const group = row.contact.kind === "group";
  const name = row.contact.name || row.contact.phone || tText(group ? "inbox:list.unnamedGroup" : "contacts:noName");
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
            {previewText(c.lastMessagePreview)}
          </span>
          {c.unreadCount > 0 ? (
            <span class="unread" title={tText("inbox:list.unread")} safe>
              {String(c.unreadCount)}
            </span>
          ) : (
            ""
          )}
        </span>
        <span class="conv-tags small">
          {c.status !== "open" ? <Badge tone={c.status === "resolved" ? "muted" : "warn"}>{t(`inbox:status.${c.status}`)}</Badge> : ""}
          {c.handledBy === "human" ? <Badge tone="warn">{t("inbox:list.human")}</Badge> : ""}
          <SentimentBadge conversation={c} />
          {group ? <Badge tone="muted">{t("inbox:list.group")}</Badge> : ""}
          {row.contact.blocked ? <Badge tone="bad">{t("inbox:list.blocked")}</Badge> : ""}
          {row.assignee ? <span class="muted" safe>{`→ ${row.assignee.name || row.assignee.email}`}</span> : ""}
          <span class="muted" safe>
            {row.instance.name}
          </span>
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
        <EmptyState>{t(filters.status === "open" && !filters.mine ? "inbox:list.emptyOpen" : "inbox:list.emptyFilter")}</EmptyState>
      ) : (
        <ul class="conv-list">
          {rows.map((row) => (
            <ConversationItem row={row} filters={filters} active={row.conversation.id === openId} />
          ))}
        </ul>
      )}
      {nextCursor ? (
        <p class="pager">
          <a href={`/inbox${inboxQuery(filters, { cursor: nextCursor })}`}>{t("inbox:list.older")}</a>
        </p>
      ) : (
        ""
      )}
    </div>
  );
}
