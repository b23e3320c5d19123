import type { ConversationRow } from "@/features/conversations/conversation.service";
import { CONVERSATION_LIMITS } from "@/features/conversations/conversation.schema";
import { t, tText } from "@/lib/i18n";
import { Badge, EmptyState, Time } from "../components/ui";
import { LabelChip, type LabelView } from "./_labels";
import { previewText } from "./_message";
import { SentimentBadge } from "../suggestions/_sentiment";

/**
 * The inbox's filters, all in the URL (a filtered inbox is a link to share): status tab, "mine",
 * assignee (`me`, `none` or a member id), department (`none` or an id), label, instance, unread only,
 * a date range of the last message, and `q` (full-text search over messages instead of the list).
 */
export type InboxFilters = {
  status: "open" | "pending" | "resolved" | "all";
  mine: boolean;
  assignee?: string;
  departmentId?: string;
  labelId?: string;
  instanceId?: string;
  unread?: boolean;
  from?: string;
  to?: string;
  q?: string;
};

/** The options the filter bar and the bulk actions offer. */
export type InboxOptions = {
  members: { id: string; name: string | null; email: string }[];
  departments: { id: string; name: string; color: string }[];
  labels: LabelView[];
  instances: { id: string; name: string }[];
};

export function inboxQuery(filters: InboxFilters, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  params.set("status", filters.status);
  if (filters.mine) params.set("mine", "1");
  for (const key of ["assignee", "departmentId", "labelId", "instanceId", "from", "to", "q"] as const) {
    const v = filters[key];
    if (v) params.set(key, v);
  }
  if (filters.unread) params.set("unread", "1");
  for (const [k, v] of Object.entries(extra)) if (v) params.set(k, v);
  return `?${params.toString()}`;
}

const STATUS_TABS: InboxFilters["status"][] = ["open", "pending", "resolved", "all"];
const memberLabel = (m: { name: string | null; email: string }) => m.name || m.email;

function Select(props: { name: string; label: string; value?: string; options: { value: string; label: string }[] }) {
  const id = `inbox-filter-${props.name}`;
  return (
    <span class="inbox-filter">
      <label for={id} class="sr-only" safe>
        {props.label}
      </label>
      <select id={id} name={props.name} title={props.label}>
        {props.options.map((o) => (
          <option value={o.value} selected={o.value === (props.value ?? "")} safe>
            {o.label}
          </option>
        ))}
      </select>
    </span>
  );
}

/**
 * Status tabs and "mine" as plain links (they work without JavaScript), then the other filters and the
 * search box as a GET form: htmx swaps only the list and pushes the URL, so the filtered inbox can be
 * shared and reloaded.
 */
export function InboxFilterBar({ filters, options }: { filters: InboxFilters; options?: InboxOptions }) {
  return (
    <>
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
      {options ? <FilterForm filters={filters} options={options} /> : ""}
      {options ? <BulkForm filters={filters} options={options} /> : ""}
    </>
  );
}

function FilterForm({ filters, options }: { filters: InboxFilters; options: InboxOptions }) {
  const any = tText("inbox:filters.any");
  return (
    <form
      id="inbox-filter-form"
      class="inbox-filter-form"
      method="get"
      action="/inbox"
      hx-get="/inbox"
      hx-select="#conversation-list"
      hx-target="#conversation-list"
      hx-swap="outerHTML"
      hx-push-url="true"
      hx-trigger="change, submit"
    >
      <input type="hidden" name="status" value={filters.status} />
      {filters.mine ? <input type="hidden" name="mine" value="1" /> : ""}
      <span class="inbox-search">
        <label for="inbox-q" class="sr-only">
          {t("inbox:search.label")}
        </label>
        <input
          id="inbox-q"
          type="search"
          name="q"
          value={filters.q}
          minlength={CONVERSATION_LIMITS.searchMin}
          maxlength={CONVERSATION_LIMITS.searchMax}
          placeholder={tText("inbox:search.placeholder")}
        />
      </span>
      <details
        class="inbox-more-filters"
        open={Boolean(filters.assignee || filters.departmentId || filters.labelId || filters.instanceId || filters.unread || filters.from || filters.to)}
      >
        <summary>{t("inbox:filters.more")}</summary>
        <div class="inbox-filter-grid">
          <Select
            name="assignee"
            label={tText("inbox:filters.assignee")}
            value={filters.assignee}
            options={[
              { value: "", label: `${tText("inbox:filters.assignee")}: ${any}` },
              { value: "me", label: tText("inbox:filters.me") },
              { value: "none", label: tText("inbox:filters.unassigned") },
              ...options.members.map((m) => ({ value: m.id, label: memberLabel(m) })),
            ]}
          />
          <Select
            name="departmentId"
            label={tText("inbox:filters.department")}
            value={filters.departmentId}
            options={[
              { value: "", label: `${tText("inbox:filters.department")}: ${any}` },
              { value: "none", label: tText("inbox:filters.noDepartment") },
              ...options.departments.map((d) => ({ value: d.id, label: d.name })),
            ]}
          />
          <Select
            name="labelId"
            label={tText("inbox:filters.label")}
            value={filters.labelId}
            options={[{ value: "", label: `${tText("inbox:filters.label")}: ${any}` }, ...options.labels.map((l) => ({ value: l.id, label: l.name }))]}
          />
          <Select
            name="instanceId"
            label={tText("inbox:filters.instance")}
            value={filters.instanceId}
            options={[{ value: "", label: `${tText("inbox:filters.instance")}: ${any}` }, ...options.instances.map((i) => ({ value: i.id, label: i.name }))]}
          />
          <span class="inbox-filter">
            <input id="inbox-filter-unread" type="checkbox" name="unread" value="1" checked={Boolean(filters.unread)} />
            <label for="inbox-filter-unread">{t("inbox:filters.unread")}</label>
          </span>
          <span class="inbox-filter">
            <label for="inbox-filter-from">{t("inbox:filters.from")}</label>
            <input id="inbox-filter-from" type="date" name="from" value={filters.from} />
          </span>
          <span class="inbox-filter">
            <label for="inbox-filter-to">{t("inbox:filters.to")}</label>
            <input id="inbox-filter-to" type="date" name="to" value={filters.to} />
          </span>
        </div>
      </details>
      <noscript>
        <button type="submit">{t("inbox:filters.apply")}</button>
      </noscript>
    </form>
  );
}

/**
 * Bulk actions on the conversations ticked in the list (their checkboxes belong to this form through
 * `form="bulk-form"`). The answer is the refreshed list with what was done and what was refused.
 */
function BulkForm({ filters, options }: { filters: InboxFilters; options: InboxOptions }) {
  const action = `/inbox/bulk${inboxQuery(filters)}`;
  return (
    <form
      id="bulk-form"
      class="bulk-form row"
      method="post"
      action={action}
      hx-post={action}
      hx-target="#conversation-list"
      hx-swap="outerHTML"
      aria-label={tText("inbox:bulk.label")}
    >
      <label for="bulk-action" class="sr-only">
        {t("inbox:bulk.label")}
      </label>
      <select id="bulk-action" name="action" required>
        <option value="">{t("inbox:bulk.choose")}</option>
        <option value="resolve">{t("inbox:bulk.resolve")}</option>
        <optgroup label={tText("inbox:bulk.assign")}>
          <option value="unassign">{t("inbox:filters.unassigned")}</option>
          {options.members.map((m) => (
            <option value={`assign:${m.id}`} safe>
              {memberLabel(m)}
            </option>
          ))}
        </optgroup>
        {options.labels.length > 0 ? (
          <optgroup label={tText("inbox:bulk.addLabel")}>
            {options.labels.map((l) => (
              <option value={`add_label:${l.id}`} safe>
                {`+ ${l.name}`}
              </option>
            ))}
          </optgroup>
        ) : (
          ""
        )}
        {options.labels.length > 0 ? (
          <optgroup label={tText("inbox:bulk.removeLabel")}>
            {options.labels.map((l) => (
              <option value={`remove_label:${l.id}`} safe>
                {`− ${l.name}`}
              </option>
            ))}
          </optgroup>
        ) : (
          ""
        )}
      </select>
      <button type="submit" class="secondary small-button">
        {t("inbox:bulk.apply")}
      </button>
    </form>
  );
}

function ConversationItem({ row, filters, active }: { row: ConversationRow; filters: InboxFilters; active: boolean }) {
  const c = row.conversation;
  const group = row.contact.kind === "group";
  const name = row.contact.name || row.contact.phone || tText(group ? "inbox:list.unnamedGroup" : "contacts:noName");
  return (
    <li class={active ? "conv-item active" : "conv-item"} id={`conv-${c.id}`}>
      <input type="checkbox" name="ids" value={c.id} form="bulk-form" class="conv-select" aria-label={tText("inbox:bulk.select", { name })} />
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
          {row.labels.map((l) => (
            <LabelChip label={l} />
          ))}
          {row.assignee ? <span class="muted truncate" safe>{`→ ${row.assignee.name || row.assignee.email}`}</span> : ""}
          <span class="muted truncate" safe>
            {row.instance.name}
          </span>
        </span>
      </a>
    </li>
  );
}

/** What a bulk action did, shown above the refreshed list. */
export type BulkOutcome = { done: number; failed: { id: string; message: string }[] };

function BulkOutcomeNote({ outcome }: { outcome: BulkOutcome }) {
  return (
    <div class={outcome.failed.length ? "flash flash-warning bulk-outcome" : "flash flash-success bulk-outcome"} role="status">
      <p>{t("inbox:bulk.done", { count: outcome.done })}</p>
      {outcome.failed.length ? (
        <p>
          {t("inbox:bulk.failed", { count: outcome.failed.length })}{" "}
          <span class="small" safe>
            {[...new Set(outcome.failed.map((f) => f.message))].join(" ")}
          </span>
        </p>
      ) : (
        ""
      )}
    </div>
  );
}

/**
 * The conversation list; refreshed in place (`inbox:refresh`) when the live stream reports activity.
 * `openId` marks the open conversation (and makes the refresh keep its unread count at zero).
 */
export function ConversationList(props: {
  rows: ConversationRow[];
  filters: InboxFilters;
  nextCursor: string | null;
  openId?: string;
  cursor?: string;
  bulk?: BulkOutcome;
}) {
  const { rows, filters, nextCursor, openId } = props;
  const refreshUrl = `/inbox/list${inboxQuery(filters, { open: openId, cursor: props.cursor })}`;
  const filtered =
    filters.mine || filters.assignee || filters.departmentId || filters.labelId || filters.instanceId || filters.unread || filters.from || filters.to;
  return (
    <div id="conversation-list" hx-get={refreshUrl} hx-trigger="inbox:refresh" hx-swap="outerHTML">
      {props.bulk ? <BulkOutcomeNote outcome={props.bulk} /> : ""}
      {rows.length === 0 ? (
        <EmptyState>{t(filters.status === "open" && !filtered ? "inbox:list.emptyOpen" : "inbox:list.emptyFilter")}</EmptyState>
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

/** A search hit as the view gets it: the snippet already cut into plain pieces and matches. */
export type SearchHitView = {
  messageId: string;
  conversationId: string;
  createdAt: Date;
  isPrivateNote: boolean;
  pieces: { text: string; match: boolean }[];
  contactName: string;
  instanceName: string;
};

/**
 * Full-text search results in place of the list: each message found with its conversation's contact and
 * a snippet whose matched words are marked (every piece escaped). Same id as the list, so the filter
 * form's swap and the live refresh work alike.
 */
export function SearchResults({ hits, filters }: { hits: SearchHitView[]; filters: InboxFilters }) {
  const refreshUrl = `/inbox/list${inboxQuery(filters)}`;
  return (
    <div id="conversation-list" class="search-results" hx-get={refreshUrl} hx-trigger="inbox:refresh" hx-swap="outerHTML">
      <p class="small muted" role="status">
        {t("inbox:search.count", { count: hits.length })}
      </p>
      {hits.length === 0 ? (
        <EmptyState>{t("inbox:search.empty")}</EmptyState>
      ) : (
        <ul class="conv-list">
          {hits.map((h) => (
            <li class="conv-item search-hit" id={`hit-${h.messageId}`}>
              <a href={`/inbox/${h.conversationId}${inboxQuery({ ...filters, q: undefined })}#msg-${h.messageId}`}>
                <span class="conv-top">
                  <strong class="conv-name" safe>
                    {h.contactName}
                  </strong>
                  <span class="conv-time small muted">
                    <Time at={h.createdAt} />
                  </span>
                </span>
                <span class="snippet small">
                  {h.isPrivateNote ? <Badge tone="muted">{t("inbox:message.privateNote")}</Badge> : ""}
                  {h.pieces.map((p) => (p.match ? <mark safe>{p.text}</mark> : <span safe>{p.text}</span>))}
                </span>
                <span class="conv-tags small">
                  <span class="muted truncate" safe>
                    {h.instanceName}
                  </span>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
