import type { AdminContext } from "@/auth/plugin";
import type { agentChatJson, agentChatMessageJson } from "@/features/agent-chats/agent-chat.service";
import { AGENT_CHAT_LIMITS } from "@/features/agent-chats/agent-chat.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, CsrfField, EmptyState, Field, SelectField, Time } from "../components/ui";
import { parseToolLine } from "../workflows/thread";

export type PublicAgentChat = ReturnType<typeof agentChatJson>;
export type PublicAgentChatMessage = ReturnType<typeof agentChatMessageJson>;
export type AgentOption = { id: string; name: string };
export type StartChatValues = { workflowId?: string; title?: string; text?: string };

const chatName = (c: PublicAgentChat) => c.title ?? c.agentName ?? "";

/** The persona's avatar (an https image the browser loads), else the initials of its name. */
function Avatar({ name, url }: { name: string; url: string | null }) {
  if (url) return <img class="agent-avatar" src={url} alt="" width="32" height="32" />;
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
  return (
    <span class="agent-avatar agent-initials" aria-hidden="true" safe>
      {initials}
    </span>
  );
}

/** The member's chats, pinned first (the server ordered them); the open one is marked. */
export function AgentChatList(props: { chats: PublicAgentChat[]; openId?: string; archived: boolean }) {
  return (
    <div
      id="agent-chat-list"
      hx-get={`/agent-chats/list${props.archived ? "?archived=true" : ""}${props.openId ? `${props.archived ? "&" : "?"}open=${props.openId}` : ""}`}
      hx-trigger="agent-chats:refresh"
      hx-swap="outerHTML"
    >
      {props.chats.length === 0 ? (
        <EmptyState>{t(props.archived ? "agent-chats:emptyArchived" : "agent-chats:empty")}</EmptyState>
      ) : (
        <ul class="agent-chat-list">
          {props.chats.map((c) => (
            <li class={c.id === props.openId ? "open" : undefined} data-chat-id={c.id}>
              <a href={`/agent-chats/${c.id}`} aria-current={c.id === props.openId ? "page" : undefined}>
                <Avatar name={c.agentName ?? ""} url={c.agentAvatarUrl} />
                <span class="agent-chat-text">
                  <span class="agent-chat-top">
                    <span class="agent-chat-name" safe>
                      {chatName(c)}
                    </span>
                    {c.pinned ? <Badge tone="muted">{t("agent-chats:pinned")}</Badge> : ""}
                    {c.unreadCount > 0 ? (
                      <span class="badge badge-ok unread" title={tText("agent-chats:unread", { count: c.unreadCount })} safe>
                        {String(c.unreadCount)}
                      </span>
                    ) : (
                      ""
                    )}
                  </span>
                  <span class="agent-chat-preview muted small" safe>
                    {c.lastMessage?.content ?? ""}
                  </span>
                  <span class="muted small">
                    <Time at={c.lastMessageAt ?? c.createdAt} />
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

/** One line of the chat: the member's message, the agent's answer, a tool it used, or why it could not answer. */
function Line({ m }: { m: PublicAgentChatMessage }) {
  if (m.role === "tool") {
    const call = parseToolLine(m.content);
    return (
      <div class="bubble bubble-tool" id={`line-${m.id}`}>
        {t("agent-chats:toolCalled")} <code safe>{call?.tool ?? "?"}</code>
      </div>
    );
  }
  if (m.role === "error") {
    return (
      <div class="bubble bubble-assistant bubble-error" id={`line-${m.id}`} safe>
        {tText("agent-chats:failed", { reason: m.content })}
      </div>
    );
  }
  return (
    <div class={`bubble bubble-${m.role}`} id={`line-${m.id}`} data-role={m.role} safe>
      {m.content}
    </div>
  );
}

/** The chat's lines and, while the agent is answering, its answer so far (filled by static/agent-chats.js). */
export function AgentChatLog(props: { chat: PublicAgentChat; messages: PublicAgentChatMessage[] }) {
  return (
    <div
      id="agent-chat-log"
      class="chat-log agent-chat-log"
      data-chat-id={props.chat.id}
      data-answering={props.chat.answering ? "true" : "false"}
      aria-live="polite"
    >
      {props.messages.length === 0 ? <p class="muted">{t("agent-chats:noMessages")}</p> : ""}
      {props.messages.map((m) => (
        <Line m={m} />
      ))}
      {props.chat.answering ? (
        <div class="bubble bubble-assistant streaming" id="agent-chat-pending">
          <span class="muted">{t("agent-chats:answering")}</span>
        </div>
      ) : (
        ""
      )}
    </div>
  );
}

/** The chat's send box: re-rendered with the log after each message (the answer then streams in). */
export function AgentChatComposer(props: { chat: PublicAgentChat; errors?: FieldError[]; text?: string; csrfToken?: string }) {
  if (props.chat.archived) return <p class="muted">{t("agent-chats:errors.archived")}</p>;
  return (
    <form
      id="agent-chat-form"
      class="row"
      method="post"
      action={`/agent-chats/${props.chat.id}/messages`}
      hx-post={`/agent-chats/${props.chat.id}/messages`}
      hx-target="#agent-chat-body"
      hx-swap="outerHTML"
    >
      {props.csrfToken ? <CsrfField token={props.csrfToken} /> : ""}
      <Field
        label={tText("agent-chats:form.message")}
        name="text"
        value={props.text}
        errors={props.errors}
        required
        maxlength={AGENT_CHAT_LIMITS.text}
        autocomplete="off"
      />
      <button type="submit">{t("agent-chats:form.send")}</button>
    </form>
  );
}

/** Log + composer, swapped together after a message is sent. */
export function AgentChatBody(props: { chat: PublicAgentChat; messages: PublicAgentChatMessage[]; errors?: FieldError[]; text?: string; csrfToken?: string }) {
  return (
    <div id="agent-chat-body">
      <AgentChatLog chat={props.chat} messages={props.messages} />
      <AgentChatComposer chat={props.chat} errors={props.errors} text={props.text} csrfToken={props.csrfToken} />
    </div>
  );
}

export function StartChatForm(props: { agents: AgentOption[]; values: StartChatValues; errors?: FieldError[]; csrfToken?: string }) {
  if (props.agents.length === 0) return <EmptyState>{t("agent-chats:noAgents")}</EmptyState>;
  return (
    <form id="agent-chat-start" class="card" method="post" action="/agent-chats" hx-post="/agent-chats" hx-target="#agent-chat-start" hx-swap="outerHTML">
      {props.csrfToken ? <CsrfField token={props.csrfToken} /> : ""}
      <SelectField
        label={tText("agent-chats:form.agent")}
        name="workflowId"
        value={props.values.workflowId ?? props.agents[0]?.id}
        errors={props.errors}
        options={props.agents.map((a) => ({ value: a.id, label: a.name }))}
      />
      <Field label={tText("agent-chats:form.title")} name="title" value={props.values.title} errors={props.errors} maxlength={AGENT_CHAT_LIMITS.title} />
      <Field label={tText("agent-chats:form.text")} name="text" value={props.values.text} errors={props.errors} maxlength={AGENT_CHAT_LIMITS.text} />
      <button type="submit">{t("agent-chats:form.start")}</button>
    </form>
  );
}

/** The open chat's header: its name, its agent, and what the member can do with it. */
function ChatHeader(props: { chat: PublicAgentChat; csrfToken: string }) {
  const c = props.chat;
  const action = (path: string, label: string) => (
    <form method="post" action={`/agent-chats/${c.id}/${path}`}>
      <CsrfField token={props.csrfToken} />
      <button type="submit" class="secondary" safe>
        {label}
      </button>
    </form>
  );
  return (
    <header class="agent-chat-header">
      <div class="agent-chat-title">
        <Avatar name={c.agentName ?? ""} url={c.agentAvatarUrl} />
        <div>
          <h2 safe>{chatName(c)}</h2>
          <p class="muted small" safe>
            {tText("agent-chats:chatWith", { agent: c.agentRole ? `${c.agentName} · ${c.agentRole}` : (c.agentName ?? "") })}
          </p>
        </div>
      </div>
      <div class="row">
        {action("pin", tText(c.pinned ? "agent-chats:actions.unpin" : "agent-chats:actions.pin"))}
        {action("archive", tText(c.archived ? "agent-chats:actions.unarchive" : "agent-chats:actions.archive"))}
        <details>
          <summary>{t("agent-chats:form.rename")}</summary>
          <form method="post" action={`/agent-chats/${c.id}/rename`} class="row">
            <CsrfField token={props.csrfToken} />
            <Field
              label={tText("agent-chats:form.title")}
              name="title"
              value={c.title ?? ""}
              maxlength={AGENT_CHAT_LIMITS.title}
              hint={tText("agent-chats:form.renameHint")}
            />
            <button type="submit">{t("agent-chats:form.rename")}</button>
          </form>
        </details>
      </div>
    </header>
  );
}

/** /agent-chats and /agent-chats/:id: the member's chats beside the open one (or the start form). */
export function AgentChatsPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  chats: PublicAgentChat[];
  archived: boolean;
  agents: AgentOption[];
  start: { values: StartChatValues; errors?: FieldError[] };
  open?: { chat: PublicAgentChat; messages: PublicAgentChatMessage[] };
}) {
  return (
    <AdminLayout title={tText("agent-chats:title")} admin={props.admin} csrfToken={props.csrfToken} active="agent-chats" flash={props.flash}>
      <link rel="stylesheet" href="/static/agent-chats.css" />
      <h1>{t("agent-chats:title")}</h1>
      <p class="muted">{t("agent-chats:intro")}</p>
      <div id="agent-chats" class="agent-chats" data-stream="/agent-chats/stream" data-live-error={tText("agent-chats:liveError")}>
        <aside class="agent-chats-side">
          <p class="small">
            <a href={props.archived ? "/agent-chats" : "/agent-chats?archived=true"}>
              {t(props.archived ? "agent-chats:openLink" : "agent-chats:archivedLink")}
            </a>
          </p>
          <AgentChatList chats={props.chats} openId={props.open?.chat.id} archived={props.archived} />
          <StartChatForm agents={props.agents} values={props.start.values} errors={props.start.errors} csrfToken={props.csrfToken} />
          <p class="muted small">{t("agent-chats:toolsNote")}</p>
        </aside>
        <section class="agent-chat-main">
          {props.open ? (
            <>
              <ChatHeader chat={props.open.chat} csrfToken={props.csrfToken} />
              <AgentChatBody chat={props.open.chat} messages={props.open.messages} csrfToken={props.csrfToken} />
            </>
          ) : (
            <EmptyState>{t("agent-chats:pick")}</EmptyState>
          )}
        </section>
      </div>
      <script src="/static/agent-chats.js" defer></script>
    </AdminLayout>
  );
}

/** The navigation's unread badge (fetched by the admin shell). */
export function UnreadBadge({ count }: { count: number }) {
  return count > 0 ? (
    <span class="badge badge-ok nav-count" title={tText("agent-chats:unread", { count })} safe>
      {String(count)}
    </span>
  ) : (
    ""
  );
}
