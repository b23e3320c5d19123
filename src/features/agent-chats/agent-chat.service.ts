import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, ne, sql } from "drizzle-orm";
import { db, notifyMany, rowsOf, type DbOrTx } from "@/db/client";
import { apiKeys, dmConversations, dmMessages, memberships, organizations, users, workflows } from "@/db/schema";
import { EngineError, ENGINE_TIMEOUT_MS, type ChatTurn, type EngineReply } from "@/features/workflows/engines/engine";
import { personaSchema } from "@/features/prompts/prompt.schema";
import { engineFor } from "@/features/workflows/workflow.service";
import type { Caller } from "@/lib/caller";
import { AppError, forbidden } from "@/lib/errors";
import { tText, withLocale } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { publishLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { log } from "@/lib/logger";
import { organizationOf } from "@/lib/tenant";
import { claimDue, type JobKind, type JobQueue, releaseLeases, runJobsOnce } from "@/workers/jobs";
import { AGENT_CHAT_LIMITS, type StartAgentChatInput, type UpdateAgentChatInput } from "./agent-chat.schema";

/*
 * A team member's direct chats with AI agents (issue 18 item 6, seed 003 `dm_conversations`). Private to
 * the member: every query filters by the organization AND the member, so another member of the same
 * organization (an owner too) gets 404, as does another organization. Apart from customer threads: no
 * contact, no conversation, nothing in the inbox, nothing sent over WhatsApp, no events or webhooks.
 * The agent answers through the same engine as customers' turns (engineFor: AI SDK, persona, prompt
 * version, token limit and metering), with only the tools that act on no customer (DIRECT_CHAT_TOOLS in
 * workflow.service.ts). Answers are jobs (src/workers/jobs.ts): a message makes the chat's answer due;
 * the worker streams the answer to the member's live topic and stores it.
 */

export type AgentChat = typeof dmConversations.$inferSelect;
export type AgentChatMessage = typeof dmMessages.$inferSelect;
/** Who the member talks to: the workflow's persona (prompts feature) when it has one, else the workflow's name. */
export type AgentFace = { name: string; role: string | null; avatarUrl: string | null };
export type AgentChatSummary = AgentChat & {
  agent: AgentFace;
  lastMessage: { role: AgentChatMessage["role"]; content: string } | null;
  answering: boolean;
};

function faceOf(w: { name: string; config: Record<string, unknown> }): AgentFace {
  const persona = personaSchema.safeParse(w.config.persona ?? {});
  const p = persona.success ? persona.data : {};
  return { name: p.name ?? w.name, role: p.role ?? null, avatarUrl: p.avatarUrl ?? null };
}

/** Wakes the agent-chat worker: an answer became due. */
export const AGENT_CHAT_DUE_CHANNEL = "livchat_agent_chat_due";
/** Earlier lines of the chat the model sees with each new message. */
const HISTORY_LINES = 40;
/** The new message and the history before it. */
const TURN_LINES = HISTORY_LINES + 1;
/** How long a worker holds a chat it claimed (more than an answer may take). */
const CLAIM_MS = ENGINE_TIMEOUT_MS + 30_000;
/** Streamed text is published at most this often (each publish is one NOTIFY). */
const DELTA_EVERY_MS = 250;
/** What one live update carries of the answer so far (NOTIFY payloads stay under 8 KB). */
const DELTA_CHARS = 3000;

const notFound = () => new AppError("not_found", tText("agent-chats:errors.notFound"));

type Self = { organizationId: string; userId: string };

/**
 * The member whose chats a caller reaches: the signed-in member, or for a `/v1` key the member who created
 * it while they still belong to the organization (a direct chat belongs to a person; a key of nobody's,
 * or of someone who left, reaches no chat: 403).
 */
async function selfOf(caller: Caller, tx: DbOrTx = db): Promise<Self> {
  const organizationId = organizationOf(caller);
  if (caller.type === "user") return { organizationId, userId: caller.id };
  if (caller.type === "api_key") {
    const [row] = await tx
      .select({ userId: memberships.userId })
      .from(apiKeys)
      .innerJoin(memberships, and(eq(memberships.userId, apiKeys.createdByUserId), eq(memberships.organizationId, organizationId)))
      .where(eq(apiKeys.id, caller.id))
      .limit(1);
    if (row) return { organizationId, userId: row.userId };
  }
  throw forbidden(tText("agent-chats:errors.noMember"));
}

const mine = (self: Self) => and(eq(dmConversations.organizationId, self.organizationId), eq(dmConversations.userId, self.userId));

export function agentChatJson(c: AgentChat | AgentChatSummary) {
  const summary = "agent" in c ? c : null;
  return {
    id: c.id,
    workflowId: c.workflowId,
    title: c.title,
    agentName: summary?.agent.name ?? null,
    agentRole: summary?.agent.role ?? null,
    agentAvatarUrl: summary?.agent.avatarUrl ?? null,
    pinned: c.pinned,
    archived: c.archivedAt !== null,
    archivedAt: c.archivedAt,
    messageCount: c.messageCount,
    unreadCount: c.unreadCount,
    /** An answer is on its way (the agent is writing). */
    answering: c.answerDueAt !== null,
    lastMessageAt: c.lastMessageAt,
    lastReadAt: c.lastReadAt,
    lastMessage: summary?.lastMessage ?? null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function agentChatMessageJson(m: AgentChatMessage) {
  return { id: m.id, role: m.role, content: m.content, tokens: m.tokens, at: m.at };
}

/** The organization's agents a member may chat with: its active AI workflows (AST and flows have no chat of this kind). */
export async function listAgents(caller: Caller): Promise<({ id: string; description: string | null } & AgentFace)[]> {
  const { organizationId } = await selfOf(caller);
  const rows = await db
    .select({ id: workflows.id, name: workflows.name, description: workflows.description, config: workflows.config })
    .from(workflows)
    .where(and(eq(workflows.organizationId, organizationId), eq(workflows.provider, "openai"), eq(workflows.isActive, true)))
    .orderBy(asc(workflows.name));
  return rows.map((w) => ({ id: w.id, description: w.description, ...faceOf(w) }));
}

async function agentOf(organizationId: string, workflowId: string, tx: DbOrTx = db) {
  const [w] = isUuid(workflowId)
    ? await tx
        .select()
        .from(workflows)
        .where(and(eq(workflows.id, workflowId), eq(workflows.organizationId, organizationId)))
        .limit(1)
    : [];
  return w;
}

/** The caller's chats, pinned first, then the latest conversation first; archived ones only when asked. */
export async function listAgentChats(caller: Caller, opts: { archived?: boolean } = {}): Promise<AgentChatSummary[]> {
  const self = await selfOf(caller);
  const last = db
    .select({ role: dmMessages.role, content: dmMessages.content })
    .from(dmMessages)
    .where(and(eq(dmMessages.conversationId, dmConversations.id), ne(dmMessages.role, "tool")))
    .orderBy(desc(dmMessages.at), desc(dmMessages.id))
    .limit(1)
    .as("last");
  const rows = await db
    .select({ chat: dmConversations, agentName: workflows.name, agentConfig: workflows.config, lastRole: last.role, lastContent: last.content })
    .from(dmConversations)
    .innerJoin(workflows, eq(workflows.id, dmConversations.workflowId))
    .leftJoinLateral(last, sql`true`)
    .where(and(mine(self), opts.archived ? isNotNull(dmConversations.archivedAt) : isNull(dmConversations.archivedAt)))
    .orderBy(desc(dmConversations.pinned), sql`coalesce(${dmConversations.lastMessageAt}, ${dmConversations.createdAt}) desc`, desc(dmConversations.id))
    .limit(200);
  return rows.map((r) => ({
    ...r.chat,
    agent: faceOf({ name: r.agentName, config: r.agentConfig }),
    lastMessage: r.lastRole && r.lastContent !== null ? { role: r.lastRole, content: r.lastContent.slice(0, 200) } : null,
    answering: r.chat.answerDueAt !== null,
  }));
}

/** One of the caller's chats, with its agent's name; anyone else's id (same organization or not) is 404. */
export async function getAgentChat(caller: Caller, id: string, tx: DbOrTx = db): Promise<AgentChatSummary> {
  const self = await selfOf(caller, tx);
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select({ chat: dmConversations, agentName: workflows.name, agentConfig: workflows.config })
    .from(dmConversations)
    .innerJoin(workflows, eq(workflows.id, dmConversations.workflowId))
    .where(and(eq(dmConversations.id, id), mine(self)))
    .limit(1);
  if (!row) throw notFound();
  return { ...row.chat, agent: faceOf({ name: row.agentName, config: row.agentConfig }), lastMessage: null, answering: row.chat.answerDueAt !== null };
}

/** The chat's lines, oldest first (the latest `limit`). */
export async function listAgentChatMessages(caller: Caller, id: string, limit: number = AGENT_CHAT_LIMITS.pageMessages): Promise<AgentChatMessage[]> {
  const chat = await getAgentChat(caller, id);
  const rows = await db.select().from(dmMessages).where(eq(dmMessages.conversationId, chat.id)).orderBy(desc(dmMessages.at), desc(dmMessages.id)).limit(limit);
  return rows.reverse();
}

/** Stores the member's message and makes the agent's answer due (the worker answers it). */
async function addUserMessage(chatId: string, text: string, tx: DbOrTx): Promise<AgentChatMessage> {
  const now = new Date();
  const [message] = await tx.insert(dmMessages).values({ conversationId: chatId, role: "user", content: text, at: now }).returning();
  // A message written while an answer is being made pushes the due time past that answer's claim: it gets its own.
  await tx
    .update(dmConversations)
    .set({ messageCount: sql`${dmConversations.messageCount} + 1`, lastMessageAt: now, answerDueAt: now })
    .where(eq(dmConversations.id, chatId));
  await notifyMany([{ channel: AGENT_CHAT_DUE_CHANNEL, payload: chatId }], tx);
  return message!;
}

/** Starts a chat with one of the organization's active AI agents, with its first message when given. */
export async function startAgentChat(caller: Caller, input: StartAgentChatInput): Promise<{ chat: AgentChatSummary; message: AgentChatMessage | null }> {
  const self = await selfOf(caller);
  const agent = await agentOf(self.organizationId, input.workflowId);
  const invalid = (key: string) => new AppError("validation_failed", tText(key), [{ path: "workflowId", message: tText(key) }]);
  if (!agent) throw invalid("agent-chats:errors.agent");
  if (agent.provider !== "openai") throw invalid("agent-chats:errors.notAi");
  if (!agent.isActive) throw invalid("agent-chats:errors.inactive");
  return db.transaction(async (tx) => {
    const [chat] = await tx
      .insert(dmConversations)
      .values({ organizationId: self.organizationId, userId: self.userId, workflowId: agent.id, title: input.title ?? null })
      .returning();
    const message = input.text ? await addUserMessage(chat!.id, input.text, tx) : null;
    return { chat: await getAgentChat(caller, chat!.id, tx), message };
  });
}

/** The member writes to the agent; an archived chat (or an agent switched off or removed) takes no messages. */
export async function sendAgentChatMessage(caller: Caller, id: string, text: string): Promise<AgentChatMessage> {
  const chat = await getAgentChat(caller, id);
  if (chat.archivedAt) throw new AppError("conflict", tText("agent-chats:errors.archived"));
  const agent = await agentOf(chat.organizationId, chat.workflowId);
  if (!agent?.isActive || agent.provider !== "openai") throw new AppError("conflict", tText("agent-chats:errors.inactive"));
  return db.transaction((tx) => addUserMessage(chat.id, text, tx));
}

/** The member read the chat: no unread answers left. */
export async function markAgentChatRead(caller: Caller, id: string): Promise<void> {
  const chat = await getAgentChat(caller, id);
  if (chat.unreadCount === 0 && chat.lastReadAt && chat.lastMessageAt && chat.lastReadAt >= chat.lastMessageAt) return;
  await db.update(dmConversations).set({ unreadCount: 0, lastReadAt: new Date() }).where(eq(dmConversations.id, chat.id));
}

/** Rename (null = the agent's name), pin or unpin, archive or unarchive. */
export async function updateAgentChat(caller: Caller, id: string, patch: UpdateAgentChatInput): Promise<AgentChatSummary> {
  const chat = await getAgentChat(caller, id);
  const set: Partial<typeof dmConversations.$inferInsert> = {};
  if (patch.title !== undefined) set.title = patch.title;
  if (patch.pinned !== undefined) set.pinned = patch.pinned;
  if (patch.archived !== undefined) set.archivedAt = patch.archived ? (chat.archivedAt ?? new Date()) : null;
  await db.update(dmConversations).set(set).where(eq(dmConversations.id, chat.id));
  return getAgentChat(caller, id);
}

/** Unread answers over the caller's open chats (the navigation badge). */
export async function unreadAgentChatCount(caller: Caller): Promise<number> {
  const self = await selfOf(caller);
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${dmConversations.unreadCount}), 0)::int` })
    .from(dmConversations)
    .where(and(mine(self), isNull(dmConversations.archivedAt), gt(dmConversations.unreadCount, 0)));
  return row?.n ?? 0;
}

// ——— The agent's answers (a job per due chat) ———

const chatLease = { table: "dm_conversations", lease: "locked_until" } as const;

const answerQueue: JobQueue = {
  ...chatLease,
  due: (t, now) => sql`${t}.answer_due_at <= ${now}`,
  order: (t) => [sql`${t}.answer_due_at`],
  returning: sql`u.id, u.locked_until`,
};

type DueChat = { id: string; lockedUntil: Date; claimedAt: Date };

/** The chat's lines the model reads: the last user message is the new one, the lines before it its history. */
async function turnOf(chatId: string): Promise<{ text: string; history: ChatTurn[] } | null> {
  const rows = await db
    .select({ role: dmMessages.role, content: dmMessages.content })
    .from(dmMessages)
    .where(and(eq(dmMessages.conversationId, chatId), inArray(dmMessages.role, ["user", "assistant"])))
    .orderBy(desc(dmMessages.at), desc(dmMessages.id))
    .limit(TURN_LINES);
  const [latest, ...earlier] = rows;
  if (latest?.role !== "user") return null;
  return { text: latest.content, history: earlier.reverse().map((r) => ({ role: r.role as "user" | "assistant", content: r.content })) };
}

/**
 * The answer (its tool calls, then its text) or the failure, stored with the chat's counters in one
 * transaction, and the chat let go (fenced by the claim's lease). The due time stays when a newer message
 * pushed it past this claim: that one gets its own answer.
 */
async function finishAnswer(job: DueChat, lines: { role: AgentChatMessage["role"]; content: string; tokens?: number | null }[]) {
  await db.transaction(async (tx) => {
    const base = Date.now();
    if (lines.length > 0) {
      await tx
        .insert(dmMessages)
        .values(lines.map((l, i) => ({ conversationId: job.id, role: l.role, content: l.content, tokens: l.tokens ?? null, at: new Date(base + i) })));
    }
    const answered = lines.some((l) => l.role !== "tool");
    await tx
      .update(dmConversations)
      .set({
        lockedUntil: null,
        answerDueAt: sql`case when ${dmConversations.answerDueAt} <= ${job.claimedAt.toISOString()}::timestamptz then null else ${dmConversations.answerDueAt} end`,
        ...(lines.length > 0
          ? {
              messageCount: sql`${dmConversations.messageCount} + ${lines.length}`,
              unreadCount: sql`${dmConversations.unreadCount} + ${answered ? 1 : 0}`,
              lastMessageAt: new Date(base + lines.length - 1),
            }
          : {}),
      })
      .where(and(eq(dmConversations.id, job.id), eq(dmConversations.lockedUntil, job.lockedUntil)));
  });
}

/** One answer: the model reads the chat, its text streams to the member's live topic, then is stored. */
async function answerChat(job: DueChat): Promise<void> {
  const [row] = await db
    .select({ chat: dmConversations, workflow: workflows, orgLocale: organizations.language, userLocale: users.language, timeZone: organizations.timeZone })
    .from(dmConversations)
    .innerJoin(workflows, eq(workflows.id, dmConversations.workflowId))
    .innerJoin(organizations, eq(organizations.id, dmConversations.organizationId))
    .innerJoin(users, eq(users.id, dmConversations.userId))
    .where(eq(dmConversations.id, job.id))
    .limit(1);
  if (!row) return;
  const { chat, workflow } = row;
  const topic = liveTopics.userAgentChats(chat.userId);
  await withLocale({ locale: row.userLocale ?? row.orgLocale, timeZone: row.timeZone }, async () => {
    const turn = await turnOf(chat.id);
    if (!turn) {
      await finishAnswer(job, []);
      return;
    }
    let reply: EngineReply;
    try {
      if (!workflow.isActive || workflow.provider !== "openai") throw new EngineError(tText("agent-chats:errors.inactive"));
      const engine = engineFor(workflow);
      const stream = engine.stream({ ...turn, providerThreadId: chat.id, direct: { organizationId: chat.organizationId } });
      let text = "";
      let published = 0;
      let step = await stream.next();
      while (!step.done) {
        text += step.value;
        if (Date.now() - published >= DELTA_EVERY_MS) {
          published = Date.now();
          await publishLive(topic, { chatId: chat.id, kind: "delta", text: text.slice(-DELTA_CHARS) });
        }
        step = await stream.next();
      }
      reply = step.value;
    } catch (err) {
      const reason = err instanceof EngineError || err instanceof AppError ? err.message : tText("agent-chats:errors.failed");
      if (!(err instanceof EngineError)) log.warn("agent chat answer failed", { chatId: chat.id, err });
      await finishAnswer(job, [{ role: "error", content: reason }]);
      await publishLive(topic, { chatId: chat.id, kind: "done" });
      return;
    }
    const tools = (reply.tools ?? []).map((call) => ({ role: "tool" as const, content: JSON.stringify(call) }));
    await finishAnswer(job, [...tools, { role: "assistant", content: reply.content, tokens: reply.tokens ?? null }]);
    await publishLive(topic, { chatId: chat.id, kind: "done" });
  });
}

/** Due answers as jobs: claimed under the chat's lease (SKIP LOCKED), one chat's answers one after another. */
export function agentChatAnswerJobs(clock: () => Date = () => new Date()): JobKind<DueChat> {
  return {
    name: "agent-chat-answers",
    async claim(limit) {
      const claimedAt = clock();
      const rows = await claimDue<{ id: string; locked_until: Date | string }>(answerQueue, { limit, leaseMs: CLAIM_MS, now: claimedAt });
      return rowsOf<{ id: string; locked_until: Date | string }>(rows).map((r) => ({ id: r.id, lockedUntil: new Date(r.locked_until), claimedAt }));
    },
    run: (job) => answerChat(job),
    // Given back with the due time kept: another process answers at once.
    release: async (jobs) => {
      await releaseLeases(
        chatLease,
        jobs.map((j) => ({ id: j.id, leaseUntil: j.lockedUntil })),
      );
    },
    idOf: (job) => job.id,
    keyOf: (job) => job.id,
  };
}

/** One pass: answers every chat whose answer is due at `now`. Returns how many were claimed. */
export async function processDueAgentChatAnswers(now = new Date(), limit = 20): Promise<number> {
  return (
    await runJobsOnce(
      agentChatAnswerJobs(() => now),
      limit,
    )
  ).jobs.length;
}
