import type { AdminContext } from "@/auth/plugin";
import type { ConversationRow, Message } from "@/features/conversations/conversation.service";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import type { AiToolCall } from "@/features/conversations/inbox.ai";
import { Time } from "../components/ui";
import { ToolCall } from "../workflows/thread";
import { ConversationPane, type Member } from "./_conversation";
import type { ActivityLine } from "@/features/conversations/activity";
import { ConversationList, InboxFilterBar, SearchResults, type InboxFilters, type InboxOptions, type SearchHitView } from "./_list";
import { ContactPanelSlot } from "./_panel";
import { AiMemorySlot } from "../workflows/_prompt-memory";

type Props = {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  filters: InboxFilters;
  rows: ConversationRow[];
  nextCursor: string | null;
  cursor?: string;
  /** Members, departments, labels and instances for the filter bar and bulk actions. */
  options?: InboxOptions;
  /** Full-text search results, shown instead of the list while the filters carry `q`. */
  search?: SearchHitView[] | null;
  /** When the page's reads began (ms): its live stream catches up on what changed since. */
  renderedAt: number;
  open?: {
    row: ConversationRow;
    messages: Message[];
    olderCursor: string | null;
    /** Activity lines shown between the messages (views/inbox/_activity.tsx). */
    activities?: ActivityLine[];
    members: Member[];
    reply?: { values?: { body?: string }; errors?: FieldError[] };
    /** The AI's latest tool calls in this conversation (hand-off reasons, leads…), newest first. */
    aiTools?: AiToolCall[];
  };
};

/** What the AI did in the conversation, collapsed above it: each tool call with its arguments and result. */
function AiActions({ calls }: { calls: AiToolCall[] }) {
  if (calls.length === 0) return "";
  return (
    <details class="card ai-actions">
      <summary>{t("inbox:aiActions.title", { count: calls.length })}</summary>
      <ul>
        {calls.map((c) => (
          <li>
            <Time at={c.at} /> <ToolCall content={c.content} />
          </li>
        ))}
      </ul>
    </details>
  );
}

/**
 * Two panes on wide screens (list | conversation); on narrow screens one at a time — the list at
 * /inbox, the conversation (with a back link) at /inbox/:id. `static/inbox.js` keeps both live.
 */
export function InboxPage(props: Props) {
  const open = props.open;
  const title = open ? open.row.contact.name || open.row.contact.phone || tText("inbox:title") : tText("inbox:title");
  return (
    <AdminLayout title={title} admin={props.admin} csrfToken={props.csrfToken} active="inbox" flash={props.flash}>
      <link rel="stylesheet" href="/static/inbox.css" />
      <div id="inbox" class={open ? "inbox has-conversation" : "inbox"} data-stream={`/inbox/stream?since=${props.renderedAt}`}>
        <section class="inbox-list" aria-label={tText("inbox:list.label")}>
          <h1 class="inbox-title">{t("inbox:title")}</h1>
          <InboxFilterBar filters={props.filters} options={props.options} />
          {props.search ? (
            <SearchResults hits={props.search} filters={props.filters} />
          ) : (
            <ConversationList
              rows={props.rows}
              filters={props.filters}
              nextCursor={props.nextCursor}
              openId={open?.row.conversation.id}
              cursor={props.cursor}
            />
          )}
        </section>
        <div class="inbox-pane">
          {open ? <AiActions calls={open.aiTools ?? []} /> : ""}
          {open ? <AiMemorySlot conversationId={open.row.conversation.id} /> : ""}
          {open ? (
            <ConversationPane
              row={open.row}
              messages={open.messages}
              activities={open.activities}
              olderCursor={open.olderCursor}
              members={open.members}
              reply={open.reply}
              meId={props.admin.user.id}
              filters={props.filters}
            />
          ) : (
            <p class="empty inbox-placeholder">{t("inbox:placeholder")}</p>
          )}
          {open ? <ContactPanelSlot conversationId={open.row.conversation.id} /> : ""}
        </div>
      </div>
      <script src="/static/inbox.js" defer></script>
      <script src="/static/canned-replies.js" defer></script>
    </AdminLayout>
  );
}
