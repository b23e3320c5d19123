import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { type AdminContext, authPlugin } from "@/auth/plugin";
import { type FieldError, validationFailed } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { attemptForm, formFields, formText, optionalText, parseForm, unprocessable } from "@/lib/forms";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { sseResponse } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { AgentChatBody, AgentChatList, AgentChatsPage, StartChatForm, UnreadBadge, type StartChatValues } from "@views/agent-chats/index";
import { agentChatMessageSchema, startAgentChatSchema, updateAgentChatSchema } from "./agent-chat.schema";
import {
  agentChatJson,
  agentChatMessageJson,
  getAgentChat,
  listAgentChatMessages,
  listAgentChats,
  listAgents,
  markAgentChatRead,
  sendAgentChatMessage,
  startAgentChat,
  unreadAgentChatCount,
  updateAgentChat,
} from "./agent-chat.service";

const idParams = z.object({ id: z.string() });
const listQuery = z.object({ archived: z.string().optional(), open: z.string().optional() });

async function renderPage(admin: AdminContext, csrfToken: string, opts: { archived: boolean; openId?: string; flash?: ReturnType<typeof takeFlash> }) {
  const open = opts.openId ? await getAgentChat(admin, opts.openId) : undefined;
  // Opening a chat reads it.
  if (open) await markAgentChatRead(admin, open.id);
  const [chats, agents, messages] = await Promise.all([
    listAgentChats(admin, { archived: open ? open.archivedAt !== null : opts.archived }),
    listAgents(admin),
    open ? listAgentChatMessages(admin, open.id) : Promise.resolve([]),
  ]);
  return AgentChatsPage({
    admin,
    csrfToken,
    flash: opts.flash,
    chats: chats.map(agentChatJson).map((c) => (c.id === open?.id ? { ...c, unreadCount: 0 } : c)),
    archived: open ? open.archivedAt !== null : opts.archived,
    agents,
    start: { values: {} },
    open: open ? { chat: agentChatJson({ ...open, unreadCount: 0 }), messages: messages.map(agentChatMessageJson) } : undefined,
  });
}

async function renderBody(admin: AdminContext, id: string, extra: { errors?: FieldError[]; text?: string } = {}) {
  const chat = await getAgentChat(admin, id);
  const messages = await listAgentChatMessages(admin, chat.id);
  return AgentChatBody({ chat: agentChatJson(chat), messages: messages.map(agentChatMessageJson), ...extra });
}

/** Admin pages of a member's direct chats with AI agents (every member; each sees only their own). */
export const agentChatsPages = new Elysia({ name: "agent-chats-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .use(authPlugin)
  .get(
    "/agent-chats",
    ({ admin, csrfToken, cookie, query }) => renderPage(admin, csrfToken, { archived: query.archived === "true", flash: takeFlash(cookie) }),
    { member: "agent", query: listQuery },
  )
  .post(
    "/agent-chats",
    async ({ admin, body, request, set, cookie }) => {
      const b = formFields(body);
      const values: StartChatValues = { workflowId: formText(b.workflowId), title: formText(b.title), text: formText(b.text) };
      const rerender = async (errors: FieldError[]) => unprocessable(set, async () => StartChatForm({ agents: await listAgents(admin), values, errors }));
      const parsed = parseForm(startAgentChatSchema, { workflowId: values.workflowId, title: optionalText(b.title), text: optionalText(b.text) });
      if (!parsed.ok) return rerender(parsed.errors);
      const started = await attemptForm(() => startAgentChat(admin, parsed.value));
      if (!started.ok) return rerender(started.errors);
      setFlash(cookie, "success", tText("agent-chats:flash.started"));
      return hxRedirect(request, `/agent-chats/${started.value.chat.id}`);
    },
    { member: "agent" },
  )
  .get(
    "/agent-chats/list",
    async ({ admin, query }) => {
      const chats = (await listAgentChats(admin, { archived: query.archived === "true" })).map(agentChatJson);
      // The open chat is being read right now: its answers are not unread.
      if (query.open && chats.some((c) => c.id === query.open && c.unreadCount > 0)) await markAgentChatRead(admin, query.open);
      return AgentChatList({
        chats: chats.map((c) => (c.id === query.open ? { ...c, unreadCount: 0 } : c)),
        openId: query.open,
        archived: query.archived === "true",
      });
    },
    { member: "agent", query: listQuery, detail: { hide: true } },
  )
  .get("/agent-chats/unread", async ({ admin }) => UnreadBadge({ count: await unreadAgentChatCount(admin) }), { member: "agent", detail: { hide: true } })
  .get(
    "/agent-chats/stream",
    ({ admin, request }) =>
      // The member's own topic: another member's answers never reach this stream.
      sseResponse(request, liveTopics.userAgentChats(admin.user.id), (data) => {
        if (typeof data.chatId !== "string") return null;
        if (data.kind === "delta")
          return { event: "delta", data: JSON.stringify({ chatId: data.chatId, text: typeof data.text === "string" ? data.text : "" }) };
        return { event: "done", data: JSON.stringify({ chatId: data.chatId }) };
      }),
    { member: "agent", detail: { hide: true } },
  )
  .get(
    "/agent-chats/:id",
    ({ admin, csrfToken, cookie, params }) => renderPage(admin, csrfToken, { archived: false, openId: params.id, flash: takeFlash(cookie) }),
    { member: "agent", params: idParams },
  )
  .get(
    "/agent-chats/:id/body",
    async ({ admin, params }) => {
      await markAgentChatRead(admin, params.id);
      return renderBody(admin, params.id);
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  )
  .post(
    "/agent-chats/:id/messages",
    async ({ admin, params, body, set }) => {
      const text = formText(formFields(body).text);
      const parsed = parseForm(agentChatMessageSchema, { text });
      if (!parsed.ok) return unprocessable(set, () => renderBody(admin, params.id, { errors: parsed.errors, text }));
      const sent = await attemptForm(() => sendAgentChatMessage(admin, params.id, parsed.value.text), { codes: ["conflict"], path: "text" });
      if (!sent.ok) return unprocessable(set, () => renderBody(admin, params.id, { errors: sent.errors, text }));
      return renderBody(admin, params.id);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/agent-chats/:id/pin",
    async ({ admin, params, request, cookie }) => {
      const chat = await getAgentChat(admin, params.id);
      await updateAgentChat(admin, chat.id, { pinned: !chat.pinned });
      setFlash(cookie, "success", tText(chat.pinned ? "agent-chats:flash.unpinned" : "agent-chats:flash.pinned"));
      return hxRedirect(request, `/agent-chats/${chat.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/agent-chats/:id/archive",
    async ({ admin, params, request, cookie }) => {
      const chat = await getAgentChat(admin, params.id);
      await updateAgentChat(admin, chat.id, { archived: chat.archivedAt === null });
      setFlash(cookie, "success", tText(chat.archivedAt === null ? "agent-chats:flash.archived" : "agent-chats:flash.unarchived"));
      return hxRedirect(request, chat.archivedAt === null ? "/agent-chats" : `/agent-chats/${chat.id}`);
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/agent-chats/:id/rename",
    async ({ admin, params, body, request, cookie }) => {
      const parsed = parseForm(updateAgentChatSchema, { title: optionalText(formFields(body).title) ?? null });
      if (!parsed.ok) throw validationFailed(parsed.errors);
      await updateAgentChat(admin, params.id, parsed.value);
      setFlash(cookie, "success", tText("agent-chats:flash.renamed"));
      return hxRedirect(request, `/agent-chats/${params.id}`);
    },
    { member: "agent", params: idParams },
  );
