import { CONVERSATION_LIMITS } from "@/features/conversations/conversation.schema";
import type { ConversationRow, Message } from "@/features/conversations/conversation.service";
import type { FieldError } from "@/lib/errors";
import { t, tText } from "@/lib/i18n";
import { Badge, fieldError } from "../components/ui";
import { MessageBubble, reactionTargetOf } from "./_message";
import { ReplyAttachment } from "./_media";
import { ActivityItem, timeline } from "./_activity";
import { TransferSlot } from "../departments/_transfer";
import type { ActivityLine } from "@/features/conversations/activity";
import { SentimentBadge } from "../suggestions/_sentiment";
import { SuggestionSlot } from "../suggestions/_draft";
import { inboxQuery, type InboxFilters } from "./_list";

export type Member = { id: string; name: string | null; email: string };

/**
 * Header with the conversation's state and its actions (assign, resolve, hand-off, status). Every
 * action answers with this fragment; it refreshes itself when the live stream reports a change.
 */
export function ConversationHeader({ row, members, meId, filters }: { row: ConversationRow; members: Member[]; meId: string; filters: InboxFilters }) {
  const c = row.conversation;
  const base = `/inbox/${c.id}`;
  const post = (path: string) => ({
    method: "post",
    action: `${base}/${path}`,
    "hx-post": `${base}/${path}`,
    "hx-target": "#conv-header",
    "hx-swap": "outerHTML",
  });
  return (
    <header
      id="conv-header"
      class="conv-header"
      data-conversation-id={c.id}
      hx-get={`${base}/header${inboxQuery(filters)}`}
      hx-trigger="inbox:refresh"
      hx-swap="outerHTML"
    >
      <div class="conv-title">
        <a href={`/inbox${inboxQuery(filters)}`} class="back-link" aria-label={tText("inbox:conversation.back")}>
          ←
        </a>
        <div>
          <h1 class="conv-name" safe>
            {row.contact.name || row.contact.phone}
          </h1>
          <p class="small muted">
            <a href={`/contacts/${row.contact.id}`} safe>
              {row.contact.phone ?? tText(row.contact.kind === "group" ? "inbox:list.group" : "contacts:noName")}
            </a>
            <span safe>{` · ${row.instance.name}`}</span>
            {row.instance.status !== "connected" ? <Badge tone="bad">{t(`inbox:conversation.instanceState.${row.instance.status}`)}</Badge> : ""}
            {row.instance.provider === "cloud" ? <span hx-get={`${base}/window`} hx-trigger="load, every 60s" hx-swap="innerHTML" /> : ""}
          </p>
        </div>
      </div>
      <div class="conv-state row small">
        <Badge tone={c.status === "open" ? "ok" : c.status === "pending" ? "warn" : "muted"}>{t(`inbox:status.${c.status}`)}</Badge>
        <Badge tone={c.handledBy === "human" ? "warn" : "muted"}>
          {t(c.handledBy === "human" ? "inbox:conversation.handledByHuman" : "inbox:conversation.handledByBot")}
        </Badge>
        <SentimentBadge conversation={c} />
        {row.assignee ? (
          <span>{t("inbox:conversation.assignedTo", { name: row.assignee.name || row.assignee.email })}</span>
        ) : (
          <span class="muted">{t("inbox:conversation.unassigned")}</span>
        )}
        {row.department ? <span class="muted truncate" safe>{`· ${row.department.name}`}</span> : ""}
      </div>
      <div class="conv-actions row">
        {row.assignee?.id !== meId ? (
          <form {...post("assign")}>
            <input type="hidden" name="userId" value={meId} />
            <button type="submit" class="secondary small-button">
              {t("inbox:conversation.assignToMe")}
            </button>
          </form>
        ) : (
          ""
        )}
        <form {...post("assign")} class="row assign-form">
          <label for="assign-user" class="sr-only">
            {t("inbox:conversation.assignTo")}
          </label>
          <select id="assign-user" name="userId">
            <option value="">{t("inbox:conversation.unassigned")}</option>
            {members.map((m) => (
              <option value={m.id} selected={m.id === c.assignedUserId} safe>
                {m.name || m.email}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary small-button">
            {t("inbox:conversation.assign")}
          </button>
        </form>
        <TransferSlot conversationId={c.id} />
        {c.handledBy === "bot" ? (
          <form {...post("handoff")}>
            <input type="hidden" name="to" value="human" />
            <button type="submit" class="secondary small-button" title={tText("inbox:conversation.handoffHint")}>
              {t("inbox:conversation.handoff")}
            </button>
          </form>
        ) : (
          <form {...post("handoff")}>
            <input type="hidden" name="to" value="bot" />
            <button type="submit" class="secondary small-button">
              {t("inbox:conversation.backToBot")}
            </button>
          </form>
        )}
        {c.status !== "pending" && c.status !== "resolved" ? (
          <form {...post("status")}>
            <input type="hidden" name="status" value="pending" />
            <button type="submit" class="secondary small-button">
              {t("inbox:conversation.markPending")}
            </button>
          </form>
        ) : (
          ""
        )}
        {c.status === "resolved" ? (
          <form {...post("status")}>
            <input type="hidden" name="status" value="open" />
            <button type="submit" class="secondary small-button">
              {t("inbox:conversation.reopen")}
            </button>
          </form>
        ) : (
          <form {...post("resolve")}>
            <button type="submit" class="small-button">
              {t("inbox:conversation.resolve")}
            </button>
          </form>
        )}
      </div>
    </header>
  );
}

/**
 * Messages oldest → newest. `olderCursor` renders a "load older" control that replaces itself with
 * the previous page. The live script appends or replaces bubbles by id.
 */
export function MessageList({
  conversationId,
  messages,
  olderCursor,
  activities = [],
}: {
  conversationId: string;
  messages: Message[];
  olderCursor: string | null;
  /** Activity lines (assignments, transfers, resolutions…) shown between the messages. */
  activities?: ActivityLine[];
}) {
  return (
    <div
      id="messages"
      class="messages"
      data-conversation-id={conversationId}
      hx-get={`/inbox/${conversationId}/messages`}
      hx-trigger="inbox:refresh, inbox:sent from:body"
      hx-swap="outerHTML"
      aria-live="polite"
    >
      <OlderMessages conversationId={conversationId} cursor={olderCursor} />
      {messages.length === 0 ? <p class="empty">{t("inbox:messages.empty")}</p> : ""}
      <MessageItems messages={messages} activities={activities} complete={olderCursor === null} />
    </div>
  );
}

/** One page of bubbles (the latest, or an older one loaded above): reactions on a target of the page show on it. */
export function MessageItems({ messages, activities = [], complete = false }: { messages: Message[]; activities?: ActivityLine[]; complete?: boolean }) {
  return (
    <>
      {timeline(messages, activities, complete).map((entry) => {
        if ("activity" in entry) return <ActivityItem activity={entry.activity} />;
        const m = entry.message;
        return m.type === "reaction" && shownOnTarget(m, messages) ? "" : <MessageBubble message={m} quoted={quotedIn(m, messages)} />;
      })}
    </>
  );
}

/** The quoted message (or the poll a vote answers) when it is on this page (its bubble shows a preview of it). */
function quotedIn(message: Message, messages: Message[]): Message | undefined {
  if (message.replyToMessageId) return messages.find((m) => m.id === message.replyToMessageId);
  // A poll vote names its poll by provider id: shown as the message it answers when that poll is on the page.
  const pollId = message.type === "poll" ? message.context?.poll?.pollId : undefined;
  return pollId ? messages.find((m) => m.type === "poll" && m.providerMessageId === pollId) : undefined;
}

/** A reaction whose target is on this page is shown on the target's bubble instead of as a bubble of its own. */
function shownOnTarget(reaction: Message, messages: Message[]): boolean {
  const target = reactionTargetOf(reaction);
  return target !== null && messages.some((m) => m.providerMessageId === target);
}

export function OlderMessages({ conversationId, cursor }: { conversationId: string; cursor: string | null }) {
  if (!cursor) return "";
  const url = `/inbox/${conversationId}/older?cursor=${encodeURIComponent(cursor)}`;
  return (
    <div class="older">
      <a href={url} hx-get={url} hx-target="closest .older" hx-swap="outerHTML">
        {t("inbox:messages.older")}
      </a>
    </div>
  );
}

/** The reply box: "Send" goes to WhatsApp through the instance, "Add private note" stays internal. */
export function ReplyForm({ row, values, errors }: { row: ConversationRow; values?: { body?: string }; errors?: FieldError[] }) {
  const c = row.conversation;
  const error = fieldError(errors, "body");
  const cannotSend = row.contact.blocked ? "inbox:reply.blocked" : row.contact.optedOut ? "inbox:reply.optedOut" : null;
  return (
    <form
      id="reply-form"
      class="reply-form"
      method="post"
      action={`/inbox/${c.id}/reply`}
      hx-post={`/inbox/${c.id}/reply`}
      hx-target="#reply-form"
      hx-swap="outerHTML"
      enctype="multipart/form-data"
      hx-encoding="multipart/form-data"
    >
      <label for="reply-body" class="sr-only">
        {t("inbox:reply.label")}
      </label>
      <textarea
        id="reply-body"
        name="body"
        rows="3"
        maxlength={CONVERSATION_LIMITS.replyMax}
        placeholder={tText("inbox:reply.placeholder")}
        aria-invalid={error ? "true" : undefined}
        data-canned-suggest={`/inbox/${c.id}/canned-replies`}
        aria-controls="canned-suggestions"
        safe
      >
        {values?.body ?? ""}
      </textarea>
      {/* `/shortcut` suggestions (static/canned-replies.js fills it from the canned replies feature). */}
      <div id="canned-suggestions" class="canned-box" hidden />
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
      {cannotSend ? <small class="hint">{t(cannotSend)}</small> : ""}
      <ReplyAttachment />
      <div class="row reply-actions">
        <button type="submit" name="kind" value="reply" disabled={!!cannotSend}>
          {t("inbox:reply.send")}
        </button>
        <button type="submit" name="kind" value="note" class="secondary">
          {t("inbox:reply.note")}
        </button>
      </div>
    </form>
  );
}

/** The whole right-hand pane for one conversation. */
export function ConversationPane(props: {
  row: ConversationRow;
  messages: Message[];
  olderCursor: string | null;
  activities?: ActivityLine[];
  members: Member[];
  meId: string;
  filters: InboxFilters;
  reply?: { values?: { body?: string }; errors?: FieldError[] };
}) {
  return (
    <section class="conversation" aria-label={tText("inbox:conversation.label")}>
      <ConversationHeader row={props.row} members={props.members} meId={props.meId} filters={props.filters} />
      <MessageList conversationId={props.row.conversation.id} messages={props.messages} olderCursor={props.olderCursor} activities={props.activities} />
      <SuggestionSlot conversationId={props.row.conversation.id} />
      <ReplyForm row={props.row} values={props.reply?.values} errors={props.reply?.errors} />
    </section>
  );
}
