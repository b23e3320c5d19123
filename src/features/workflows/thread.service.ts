import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { contacts, threadMessages, threads, type FollowUpStage } from "@/db/schema";
import { recordEvent } from "@/features/events/event.service";
import { AppError, conflict, validationFailed } from "@/lib/errors";
import { keysetPage } from "@/lib/pager";
import { claimDue, type JobQueue, releaseLeases, tryLease } from "@/workers/jobs";
import { tText } from "@/lib/i18n";
import { EngineError, type EngineReply } from "./engines/engine";
import { engineFor, getWorkflow, type Workflow } from "./workflow.service";
import { threadContext } from "./memory";

export type Thread = typeof threads.$inferSelect;
export type ThreadMessage = typeof threadMessages.$inferSelect;

/** A turn holds the thread at most this long; a crashed process's lock expires by itself. */
const LOCK_MS = 120_000;

export function toPublicThread(t: Thread) {
  return {
    id: t.id,
    workflowId: t.workflowId,
    organizationId: t.organizationId,
    contactId: t.contactId,
    conversationId: t.conversationId,
    providerThreadId: t.providerThreadId,
    title: t.title,
    messageCount: t.messageCount,
    status: t.status,
    lastMessageAt: t.lastMessageAt,
    /** Memory's summary of the turns no longer sent to the model (memory.ts). */
    lastContext: t.lastContext,
    lastContextAt: t.lastContextAt,
    createdAt: t.createdAt,
  };
}

export function toPublicThreadMessage(m: ThreadMessage) {
  return { id: m.id, role: m.role, content: m.content, tokens: m.tokens, promptVersion: m.promptVersion, summarized: m.summarizedAt !== null, at: m.at };
}

export async function createThread(
  organizationId: string,
  workflowId: string,
  input: { title?: string; contactId?: string; userId?: string | null; deviceId?: string | null; conversationId?: string | null },
  tx: DbOrTx = db,
): Promise<Thread> {
  const workflow = await getWorkflow(organizationId, workflowId, tx);
  if (!workflow.isActive) throw conflict(tText("workflows:errors.inactive"));
  if (input.contactId) {
    const [contact] = await tx
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.id, input.contactId), eq(contacts.organizationId, organizationId)))
      .limit(1);
    if (!contact) throw validationFailed([{ path: "contactId", message: tText("workflows:errors.contactNotFound") }]);
  }
  const [thread] = await tx
    .insert(threads)
    .values({
      workflowId: workflow.id,
      organizationId,
      userId: input.userId ?? null,
      deviceId: input.deviceId ?? null,
      contactId: input.contactId ?? null,
      conversationId: input.conversationId ?? null,
      providerThreadId: crypto.randomUUID(),
      title: input.title ?? null,
    })
    .returning();
  return thread!;
}

export async function getThread(organizationId: string, id: string, tx: DbOrTx = db): Promise<Thread> {
  const [t] = await tx
    .select()
    .from(threads)
    .where(and(eq(threads.id, id), eq(threads.organizationId, organizationId)))
    .limit(1);
  if (!t) throw new AppError("not_found", tText("workflows:errors.threadNotFound"));
  return t;
}

export async function listThreads(organizationId: string, workflowId: string, opts: { status?: "active" | "archived"; limit: number; cursor?: string }) {
  return keysetPage(
    { sortBy: threads.createdAt, id: threads.id },
    opts,
    (q) =>
      db
        .select({ thread: threads, sortKey: q.sortKey })
        .from(threads)
        .where(
          and(
            eq(threads.organizationId, organizationId),
            eq(threads.workflowId, workflowId),
            opts.status ? eq(threads.status, opts.status) : undefined,
            q.after,
          ),
        )
        .orderBy(...q.orderBy)
        .limit(q.limit),
    (r) => r.thread,
    (r) => r.thread.id,
  );
}

export async function listThreadMessages(organizationId: string, threadId: string, limit = 200): Promise<ThreadMessage[]> {
  await getThread(organizationId, threadId);
  const rows = await db
    .select()
    .from(threadMessages)
    .where(eq(threadMessages.threadId, threadId))
    .orderBy(desc(threadMessages.at), desc(threadMessages.id))
    .limit(limit);
  return rows.reverse();
}

export async function setThreadStatus(organizationId: string, id: string, status: "active" | "archived"): Promise<Thread> {
  await getThread(organizationId, id);
  const [t] = await db
    .update(threads)
    .set({ status })
    .where(and(eq(threads.id, id), eq(threads.organizationId, organizationId)))
    .returning();
  return t!;
}

const localTails = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding the thread: turns of one thread never overlap, in this process (a promise
 * chain) or across processes (the thread's `locked_until` lease, the same one the automation worker
 * claims due turns with: src/workers/jobs.ts).
 */
export async function withThreadLock<T>(threadId: string, fn: () => Promise<T>, waitMs = LOCK_MS): Promise<T> {
  const previous = localTails.get(threadId) ?? Promise.resolve();
  const run = previous
    .catch(() => {})
    .then(async () => {
      const deadline = Date.now() + waitMs;
      let delay = 25;
      let lease = await tryLease(threadLease, threadId, { leaseMs: LOCK_MS });
      while (!lease) {
        if (Date.now() > deadline) throw new AppError("conflict", tText("workflows:errors.threadBusy"));
        await Bun.sleep(delay);
        delay = Math.min(delay * 2, 500);
        lease = await tryLease(threadLease, threadId, { leaseMs: LOCK_MS });
      }
      try {
        return await fn();
      } finally {
        await releaseLeases(threadLease, [{ id: threadId, leaseUntil: lease }]);
      }
    });
  localTails.set(threadId, run);
  try {
    return await run;
  } finally {
    if (localTails.get(threadId) === run) localTails.delete(threadId);
  }
}

/**
 * Stores a user turn and the assistant's reply together, bumps the counters atomically and, in the
 * same transaction, records the `thread.reply` event.
 */
export async function recordTurn(
  thread: Pick<Thread, "id" | "organizationId" | "workflowId" | "conversationId" | "contactId">,
  userText: string,
  reply: EngineReply,
  event: { instanceId?: string | null; data?: Record<string, unknown> } = {},
  tx?: DbOrTx,
): Promise<{ thread: Thread; reply: ThreadMessage }> {
  const run = async (t: DbOrTx) => {
    const now = Date.now();
    await t.insert(threadMessages).values({ threadId: thread.id, role: "user", content: userText, at: new Date(now) });
    // The turn's tool calls, between the question and the answer: `{tool, input, output|error}` as JSON.
    const tools = reply.tools ?? [];
    if (tools.length > 0) {
      await t
        .insert(threadMessages)
        .values(tools.map((call, i) => ({ threadId: thread.id, role: "tool" as const, content: JSON.stringify(call), at: new Date(now + 1 + i) })));
    }
    const answeredAt = new Date(now + 1 + tools.length);
    const [assistant] = await t
      .insert(threadMessages)
      .values({
        threadId: thread.id,
        role: "assistant",
        content: reply.content,
        tokens: reply.tokens ?? null,
        promptVersion: reply.promptVersion ?? null,
        at: answeredAt,
      })
      .returning();
    const [updated] = await t
      .update(threads)
      .set({ messageCount: sql`${threads.messageCount} + ${2 + tools.length}`, lastMessageAt: answeredAt })
      .where(eq(threads.id, thread.id))
      .returning();
    await recordEvent(
      {
        organizationId: thread.organizationId,
        instanceId: event.instanceId ?? null,
        type: "thread.reply",
        data: {
          threadId: thread.id,
          workflowId: thread.workflowId,
          conversationId: thread.conversationId,
          contactId: thread.contactId,
          threadMessageId: assistant!.id,
          text: reply.content,
          ...event.data,
        },
      },
      t,
    );
    return { thread: updated!, reply: assistant! };
  };
  return tx ? run(tx) : db.transaction(run);
}

/**
 * One turn: the user's text goes to the workflow's engine (with history for `openai`, with the
 * thread id for `ast`), the reply is stored and returned. `onToken` receives streamed deltas.
 * Engine failures become 502 provider_error; nothing is stored for a failed turn.
 */
export async function sendThreadMessage(
  organizationId: string,
  threadId: string,
  text: string,
  opts: { onToken?: (delta: string) => void | Promise<void>; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ thread: Thread; reply: ThreadMessage; workflow: Workflow }> {
  const thread = await getThread(organizationId, threadId);
  if (thread.status === "archived") throw conflict(tText("workflows:errors.threadArchived"));
  const workflow = await getWorkflow(organizationId, thread.workflowId);
  if (!workflow.isActive) throw conflict(tText("workflows:errors.inactive"));
  if (workflow.provider === "flow") {
    throw new AppError("validation_failed", tText("workflows:errors.flowNoChat"), [{ path: "workflowId", message: tText("workflows:errors.flowNoChatField") }]);
  }
  return withThreadLock(threadId, async () => {
    let reply: EngineReply;
    try {
      const engine = engineFor(workflow, opts.timeoutMs);
      // An AI model's thread goes as memory keeps it: the summary of older turns + the recent ones (memory.ts).
      const context = workflow.provider === "openai" ? await threadContext(workflow, thread, { timeoutMs: opts.timeoutMs }) : null;
      const request = {
        text,
        history: context?.history ?? [],
        summary: context?.summary,
        providerThreadId: thread.providerThreadId,
        signal: opts.signal,
      };
      if (opts.onToken) {
        const stream = engine.stream(request);
        let step = await stream.next();
        while (!step.done) {
          await opts.onToken(step.value);
          step = await stream.next();
        }
        reply = step.value;
      } else {
        reply = await engine.complete(request);
      }
    } catch (err) {
      if (err instanceof EngineError) throw new AppError("provider_error", err.message);
      throw err;
    }
    const stored = await recordTurn(thread, text, reply);
    return { ...stored, workflow };
  });
}

/*
 * Threads that automation runs (flows, bound workflows, try-it runs): every write of those threads'
 * state, timers and leases goes through these, so the rules for a thread live in one file.
 */

type OpenThreadInput = {
  workflowId: string;
  organizationId: string;
  title: string | null;
  state: Record<string, unknown>;
  contactId?: string | null;
  conversationId?: string | null;
  userId?: string | null;
};

/**
 * Opens a thread the system chose the workflow for (no checks as in createThread). For a conversation,
 * its other active threads are archived first: one automation speaks at a time.
 */
export async function openAutomationThread(input: OpenThreadInput, tx: DbOrTx = db): Promise<Thread> {
  if (input.conversationId) await archiveConversationThreads(input.conversationId, tx);
  const [thread] = await tx
    .insert(threads)
    .values({
      workflowId: input.workflowId,
      organizationId: input.organizationId,
      userId: input.userId ?? null,
      contactId: input.contactId ?? null,
      conversationId: input.conversationId ?? null,
      providerThreadId: crypto.randomUUID(),
      title: input.title,
      state: input.state,
    })
    .returning();
  return thread!;
}

/** Archives the conversation's active threads and stops their timers. */
export async function archiveConversationThreads(conversationId: string, tx: DbOrTx = db): Promise<void> {
  await tx
    .update(threads)
    .set({ status: "archived", replyDueAt: null, nextFollowUpAt: null })
    .where(and(eq(threads.conversationId, conversationId), eq(threads.status, "active")));
}

/** A workflow stopped answering these conversations (its binding was removed): their threads of it are archived. */
export async function archiveWorkflowThreads(workflowId: string, conversationIds: string[], tx: DbOrTx = db): Promise<void> {
  if (conversationIds.length === 0) return;
  await tx
    .update(threads)
    .set({ status: "archived", replyDueAt: null, nextFollowUpAt: null })
    .where(and(eq(threads.workflowId, workflowId), inArray(threads.conversationId, conversationIds)));
}

/** A human took the conversation: no pending answer or follow-up of any of its threads fires. */
export async function stopConversationTimers(conversationId: string): Promise<void> {
  await db.update(threads).set({ replyDueAt: null, nextFollowUpAt: null }).where(eq(threads.conversationId, conversationId));
}

/** The debounced answer is due at `dueAt` (each new inbound message pushes it back). */
export async function scheduleReply(threadId: string, dueAt: Date): Promise<void> {
  await db.update(threads).set({ replyDueAt: dueAt }).where(eq(threads.id, threadId));
}

/** Arms the first follow-up stage after the bot spoke (or disarms when there are none). */
export async function armFollowUps(threadId: string, stages: FollowUpStage[], now: Date): Promise<void> {
  await db
    .update(threads)
    .set({ followUpStage: 0, nextFollowUpAt: stages[0] ? new Date(now.getTime() + stages[0].delaySeconds * 1000) : null })
    .where(eq(threads.id, threadId));
}

/** The contact spoke: pending follow-ups start over after the bot's next message. */
export async function resetFollowUps(threadId: string): Promise<void> {
  await db.update(threads).set({ followUpStage: 0, nextFollowUpAt: null }).where(eq(threads.id, threadId));
}

/** Moves to follow-up stage `stage`, due at `dueAt` (null: none left). */
export async function advanceFollowUp(threadId: string, stage: number, dueAt: Date | null): Promise<void> {
  await db.update(threads).set({ followUpStage: stage, nextFollowUpAt: dueAt }).where(eq(threads.id, threadId));
}

/** Stores the thread's automation state; an ended flow run archives its thread. */
export async function saveThreadState(
  threadId: string,
  state: Record<string, unknown>,
  opts: { ended?: boolean; touch?: boolean } = {},
  tx: DbOrTx = db,
): Promise<void> {
  await tx
    .update(threads)
    .set({ state, ...(opts.ended ? { status: "archived" as const } : {}), ...(opts.touch ? { lastMessageAt: new Date() } : {}) })
    .where(eq(threads.id, threadId));
}

/** Appends transcript lines (a try-it run's turn) strictly after `base`, in order, and bumps the counters. */
export async function appendThreadLines(threadId: string, lines: { role: ThreadMessage["role"]; content: string }[], base: number): Promise<void> {
  if (lines.length === 0) return;
  await db.insert(threadMessages).values(lines.map((l, i) => ({ threadId, role: l.role, content: l.content, at: new Date(base + i) })));
  await db
    .update(threads)
    .set({ messageCount: sql`${threads.messageCount} + ${lines.length}`, lastMessageAt: new Date(base + lines.length) })
    .where(eq(threads.id, threadId));
}

/**
 * A thread's lease (`locked_until`): one turn at a time, whoever runs it — the worker's due answer or
 * follow-up, a chat request, a flow step. A crashed process's lease runs out by itself.
 */
const threadLease = { table: "threads", lease: "locked_until" } as const;

/**
 * The automation worker's two queues on threads (src/workers/jobs.ts): debounced answers due at
 * `reply_due_at`, follow-ups due at `next_follow_up_at`; only active, unpaused threads.
 */
const threadQueues: Record<"reply_due_at" | "next_follow_up_at", JobQueue> = {
  reply_due_at: {
    ...threadLease,
    due: (t, now) => sql`${t}.reply_due_at <= ${now} and ${t}.status = 'active' and ${t}.paused = false`,
    order: (t) => [sql`${t}.reply_due_at`],
  },
  next_follow_up_at: {
    ...threadLease,
    due: (t, now) => sql`${t}.next_follow_up_at <= ${now} and ${t}.status = 'active' and ${t}.paused = false`,
    order: (t) => [sql`${t}.next_follow_up_at`],
  },
};

/**
 * Claims threads whose `column` is due at `now`, holding them for `holdMs` (SKIP LOCKED: each goes to
 * one worker). The due time stays set until the turn is done (finishReplyTurn, advanceFollowUp), so a
 * turn whose process died is claimed again once its lease runs out.
 */
export async function claimDueThreads(column: "reply_due_at" | "next_follow_up_at", now: Date, limit: number, holdMs: number): Promise<Thread[]> {
  const claimed = await claimDue(threadQueues[column], { limit, leaseMs: holdMs, now });
  if (claimed.length === 0) return [];
  return db
    .select()
    .from(threads)
    .where(
      inArray(
        threads.id,
        claimed.map((c) => c.id),
      ),
    );
}

/** Lets go of threads claimed by claimDueThreads (fenced: a lease that ran out and was taken again is left alone). */
export async function releaseThreads(claimed: Pick<Thread, "id" | "lockedUntil">[]): Promise<void> {
  await releaseLeases(
    threadLease,
    claimed.map((t) => ({ id: t.id, leaseUntil: t.lockedUntil })),
  );
}

/**
 * A debounced answer claimed at `claimedAt` is done (answered, or nothing to answer): the thread is let
 * go and its due time cleared — unless a newer message pushed it past `claimedAt` meanwhile, which the
 * next turn answers.
 */
export async function finishReplyTurn(thread: Pick<Thread, "id" | "lockedUntil">, claimedAt: Date): Promise<void> {
  await releaseLeases(threadLease, [{ id: thread.id, leaseUntil: thread.lockedUntil }], {
    set: sql`reply_due_at = case when u.reply_due_at <= ${claimedAt.toISOString()}::timestamptz then null else u.reply_due_at end`,
  });
}

/** Sign-up claims a visitor device's threads for the new organization (inside the claim's transaction). */
export async function claimDeviceThreads(deviceId: string, organizationId: string, tx: DbOrTx): Promise<void> {
  await tx
    .update(threads)
    .set({ organizationId })
    .where(and(eq(threads.deviceId, deviceId), isNull(threads.organizationId)));
}

/** A conversation folded into another (contacts merged): its threads follow. */
export async function moveConversationThreads(fromConversationId: string, toConversationId: string, tx: DbOrTx): Promise<void> {
  await tx.update(threads).set({ conversationId: toConversationId }).where(eq(threads.conversationId, fromConversationId));
}

/** A visitor contact merged into the organization's contact: its threads follow. */
export async function moveContactThreads(fromContactId: string, toContactId: string, tx: DbOrTx): Promise<void> {
  await tx.update(threads).set({ contactId: toContactId }).where(eq(threads.contactId, fromContactId));
}

/** The latest tool calls of the conversation's threads, newest first (the inbox shows them to agents). */
export async function conversationToolCalls(organizationId: string, conversationId: string, limit = 10): Promise<{ content: string; at: Date }[]> {
  return db
    .select({ content: threadMessages.content, at: threadMessages.at })
    .from(threadMessages)
    .innerJoin(threads, eq(threads.id, threadMessages.threadId))
    .where(and(eq(threads.organizationId, organizationId), eq(threads.conversationId, conversationId), eq(threadMessages.role, "tool")))
    .orderBy(desc(threadMessages.at))
    .limit(limit);
}

/**
 * Memory's rotation (memory.ts): the thread's summary becomes `summary` and the rows it folded are
 * flagged `summarized_at` — kept for people and audit, no longer sent to the model. One transaction.
 */
export async function storeThreadSummary(threadId: string, summary: string, foldedIds: string[], at: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(threads).set({ lastContext: summary, lastContextAt: at }).where(eq(threads.id, threadId));
    if (foldedIds.length > 0) {
      await tx
        .update(threadMessages)
        .set({ summarizedAt: at })
        .where(and(eq(threadMessages.threadId, threadId), inArray(threadMessages.id, foldedIds)));
    }
  });
}

/** The memory summary of a conversation's latest thread that has one (the inbox shows it to agents). */
export async function conversationMemory(organizationId: string, conversationId: string): Promise<{ summary: string; at: Date | null } | null> {
  const [row] = await db
    .select({ summary: threads.lastContext, at: threads.lastContextAt })
    .from(threads)
    .where(and(eq(threads.organizationId, organizationId), eq(threads.conversationId, conversationId), sql`${threads.lastContext} is not null`))
    .orderBy(desc(threads.lastContextAt))
    .limit(1);
  return row?.summary ? { summary: row.summary, at: row.at } : null;
}
