import { and, asc, eq, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { contacts, conversations, flows, messages, organizations, threads, workflows, type FollowUpStage } from "@/db/schema";
import { recordBotFailure } from "@/features/conversations/routing";
import { bindConversationToWorkflow, handoffConversation, type Contact, type Conversation } from "@/features/conversations/conversation.service";
import { initialFlowState, runFlowTurn, type FlowEffects, type FlowState } from "@/features/flows/flow.engine";
import { getSteps, publishedVersion } from "@/features/flows/flow.service";
import { onInboundMessage, type InboundMessageContext } from "@/features/inbound/inbound.service";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { renderTemplate } from "@/features/templates/template.render";
import { createDraft, draftsReplies } from "@/features/suggestions/suggestion.service";
import { templateContext } from "@/features/templates/template.service";
import { awaitingTranscription, holdForTranscription, onTranscriptionSettled, type TranscriptionSettled } from "@/features/transcription/transcription.service";
import { fireTrigger, organizationAutomates } from "@/features/triggers/trigger.service";
import { EngineError } from "@/features/workflows/engines/engine";
import {
  advanceFollowUp,
  armFollowUps,
  claimDueThreads,
  finishReplyTurn,
  openAutomationThread,
  recordTurn,
  releaseThreads,
  resetFollowUps,
  saveThreadState,
  scheduleReply,
  stopConversationTimers,
  withThreadLock,
  type Thread,
} from "@/features/workflows/thread.service";
import { engineFor, workflowForFlow, type Workflow } from "@/features/workflows/workflow.service";
import { threadContext } from "@/features/workflows/memory";
import { awaitingMedia, transcriptWaitable, turnInput, visionOf } from "@/features/workflows/media-context";
import { systemCaller } from "@/lib/caller";
import { withLocale, type RequestLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { type JobKind, runJobsOnce } from "@/workers/jobs";

/** Default wait for more inbound messages before a bound workflow answers them as one turn. */
export const DEFAULT_DEBOUNCE_SECONDS = 3;
/** How long a worker holds a thread it claimed (a crashed worker's claim expires by itself). */
const CLAIM_MS = 120_000;
const AI_TIMEOUT_MS = 30_000;
/** How often a due turn looks again while one of its messages is a voice note still being transcribed. */
const TRANSCRIPT_RECHECK_MS = 2_000;

type Ctx = { organizationId: string; conversation: Conversation; contact: Contact };

/** Sends a bot/workflow text through the conversation's instance (queued like any outbound message). */
async function sendToContact(ctx: Ctx, text: string, sentBy: "bot" | "workflow") {
  const { message } = await queueOutboundMessage(
    systemCaller(`automation:${sentBy}`, ctx.organizationId),
    // By contact: a group or a person known only by a LID is reached as the provider allows.
    { instanceId: ctx.conversation.instanceId, contactId: ctx.contact.id, type: "text", text },
    { sentBy },
  );
  return message;
}

/** Hands a conversation to a human (audited as automation): every automation stops until it is resolved. */
async function handToHuman(ctx: Ctx, reason: string) {
  await handoffConversation(systemCaller(`automation: ${reason}`, ctx.organizationId), ctx.conversation.id, "human");
  await stopConversationTimers(ctx.conversation.id);
  log.info("conversation handed to a human", { conversationId: ctx.conversation.id, reason });
}

function flowEffects(ctx: Ctx): FlowEffects & { spoke: boolean } {
  const effects = {
    spoke: false,
    async send(text: string) {
      await sendToContact(ctx, text, "bot");
      effects.spoke = true;
    },
    handoff: () => handToHuman(ctx, "flow hand-off step"),
    async callWorkflow(workflowId: string) {
      await bindConversationToWorkflow(ctx.organizationId, ctx.conversation.id, workflowId);
    },
  };
  return effects;
}

async function activeThreadOf(conversationId: string): Promise<(Thread & { provider: Workflow["provider"] }) | undefined> {
  const [row] = await db
    .select({ thread: threads, provider: workflows.provider })
    .from(threads)
    .innerJoin(workflows, eq(workflows.id, threads.workflowId))
    .where(and(eq(threads.conversationId, conversationId), eq(threads.status, "active")))
    .orderBy(sql`${threads.createdAt} desc`)
    .limit(1);
  return row ? { ...row.thread, provider: row.provider } : undefined;
}

/**
 * Starts the live version of a flow for the conversation as a thread and runs its first turn. Any
 * other active thread of the conversation is archived: one automation speaks at a time.
 */
export async function startFlow(ctx: Ctx, flowId: string, now = new Date()): Promise<Thread | undefined> {
  const [chosen] = await db
    .select()
    .from(flows)
    .where(and(eq(flows.id, flowId), eq(flows.organizationId, ctx.organizationId)))
    .limit(1);
  if (!chosen) return undefined;
  const live = chosen.status === "published" ? chosen : await publishedVersion(ctx.organizationId, chosen.lineageId);
  if (!live) {
    log.warn("trigger names a flow with no published version", { flowId });
    return undefined;
  }
  const workflow = await workflowForFlow(ctx.organizationId, live);
  const first = (await getSteps(live.id))[0];
  const thread = await openAutomationThread({
    workflowId: workflow.id,
    organizationId: ctx.organizationId,
    contactId: ctx.contact.id,
    conversationId: ctx.conversation.id,
    title: live.name,
    state: initialFlowState(live.id, first?.key ?? null),
  });
  await runFlowThread(ctx, thread, null, now);
  return thread;
}

async function runFlowThread(ctx: Ctx, thread: Thread, input: string | null, now: Date, inputIds: string[] = []) {
  await withThreadLock(thread.id, async () => {
    const [fresh] = await db.select().from(threads).where(eq(threads.id, thread.id));
    if (fresh?.status !== "active") return;
    const effects = flowEffects(ctx);
    try {
      const state = await runFlowTurn(ctx.organizationId, fresh, input, effects, ctx.contact, inputIds);
      if (effects.spoke && !state.ended) {
        const [flow] = await db
          .select({ followUps: flows.followUps })
          .from(flows)
          .where(eq(flows.id, (state as FlowState).flowId));
        await armFollowUps(thread.id, flow?.followUps ?? [], now);
      }
    } catch (err) {
      log.error("flow turn failed", { threadId: thread.id, err });
      await recordBotFailure(ctx.organizationId, ctx.conversation.id, err instanceof Error ? err.message : "flow failed");
      await handToHuman(ctx, "flow failed");
    }
  });
}

/** Binds the conversation to a workflow thread and schedules the debounced answer. */
async function scheduleWorkflowTurn(ctx: Ctx, workflow: Workflow, now: Date) {
  if (workflow.provider === "flow") {
    const flowId = (workflow.config as { flowId?: string }).flowId;
    if (flowId) await startFlow(ctx, flowId, now);
    return;
  }
  const debounce = Number((workflow.config as { debounceSeconds?: number }).debounceSeconds ?? DEFAULT_DEBOUNCE_SECONDS);
  const dueAt = new Date(now.getTime() + debounce * 1000);
  let thread = await activeThreadOf(ctx.conversation.id);
  if (!thread || thread.workflowId !== workflow.id) {
    const created = await openAutomationThread({
      workflowId: workflow.id,
      organizationId: ctx.organizationId,
      contactId: ctx.contact.id,
      conversationId: ctx.conversation.id,
      title: ctx.contact.name ?? ctx.contact.phone,
      state: { answeredUntil: null },
    });
    thread = { ...created, provider: workflow.provider };
  }
  // Each new message pushes the turn back: a burst of messages is answered once.
  await scheduleReply(thread.id, dueAt);
}

/**
 * What automation does with a new inbound message: nothing while a human handles the conversation;
 * otherwise the running flow consumes it, or a trigger fires, or the bound workflow answers it.
 */
export async function handleInboundMessage({ instance, contact, conversation, message }: InboundMessageContext, now = new Date()): Promise<void> {
  if (!instance.organizationId || message.isPrivateNote) return;
  // A blocked contact's messages are stored for the record; no trigger, flow or workflow hears them.
  if (contact.blocked) return;
  if (conversation.handledBy === "human") return;
  if (!conversation.workflowId && !(await organizationAutomates(instance.organizationId))) return;
  // One round trip for the conversation's current state, its running thread, if any, and its organization's locale.
  const [row] = await db
    .select({
      conversation: conversations,
      thread: threads,
      provider: workflows.provider,
      locale: organizations.language,
      timeZone: organizations.timeZone,
      automationInGroups: organizations.automationInGroups,
    })
    .from(conversations)
    .leftJoin(threads, and(eq(threads.conversationId, conversations.id), eq(threads.status, "active")))
    .leftJoin(workflows, eq(workflows.id, threads.workflowId))
    .leftJoin(organizations, eq(organizations.id, conversations.organizationId))
    .where(eq(conversations.id, conversation.id))
    .orderBy(sql`${threads.createdAt} desc nulls last`)
    .limit(1);
  const current = row?.conversation;
  if (!current || current.handledBy === "human") return;
  // Groups are left to people unless the organization turned automation on for them (settings).
  if (contact.kind === "group" && !row.automationInGroups) return;
  const ctx: Ctx = { organizationId: instance.organizationId, conversation: current, contact };
  const active = row.thread && row.provider ? { ...row.thread, provider: row.provider } : undefined;
  // What automation writes to the contact follows the organization's language, not the provider webhook's request.
  await withLocale({ locale: row.locale ?? undefined, timeZone: row.timeZone ?? undefined }, () =>
    automateInbound(ctx, active, instance.id, message.body ?? "", now, choiceIds(message)),
  );
}

/** A chosen button, list row or template quick reply: its payload id, which triggers and flow choices match besides the text. */
function choiceIds(message: InboundMessageContext["message"]): string[] {
  const id = message.context?.interactive?.id;
  return id ? [id] : [];
}

/** The running flow consumes the message, or a trigger fires, or the bound workflow is scheduled to answer. */
async function automateInbound(
  ctx: Ctx,
  active: (Thread & { provider: Workflow["provider"] }) | undefined,
  instanceId: string,
  text: string,
  now: Date,
  ids: string[] = [],
) {
  if (active && (active.nextFollowUpAt || active.followUpStage > 0)) {
    await resetFollowUps(active.id);
  }
  if (active?.provider === "flow") {
    await runFlowThread(ctx, active, text, now, ids);
    return;
  }

  const isFirstMessage = async () => {
    const [{ inbound }] = (await db
      .select({ inbound: sql<number>`count(*)::int` })
      .from(messages)
      .where(and(eq(messages.conversationId, ctx.conversation.id), eq(messages.direction, "inbound")))) as [{ inbound: number }];
    return inbound <= 1;
  };
  const trigger = await fireTrigger(ctx.organizationId, instanceId, ctx.contact.id, [text, ...ids], isFirstMessage, now);
  if (trigger?.action === "reply_template" && trigger.templateKey) {
    try {
      const { body } = await renderTemplate(ctx.organizationId, { key: trigger.templateKey, variables: templateContext(ctx.contact) });
      await sendToContact(ctx, body, "bot");
    } catch (err) {
      log.warn("trigger reply failed", { triggerId: trigger.id, err });
    }
    return;
  }
  if (trigger?.action === "start_flow" && trigger.flowId) {
    await startFlow(ctx, trigger.flowId, now);
    return;
  }
  let workflowId = ctx.conversation.workflowId;
  if (trigger?.action === "hand_to_workflow" && trigger.workflowId) {
    workflowId = trigger.workflowId;
    await bindConversationToWorkflow(ctx.organizationId, ctx.conversation.id, workflowId);
  }
  if (!workflowId) return;
  const [workflow] = await db.select().from(workflows).where(eq(workflows.id, workflowId));
  if (!workflow?.isActive) return;
  await scheduleWorkflowTurn(ctx, workflow, now);
}

/** The thread's conversation, contact and workflow, and its organization's language and zone (workers have no request to set them). */
async function loadCtx(thread: Thread): Promise<(Ctx & { workflow: Workflow; locale: RequestLocale }) | undefined> {
  if (!thread.conversationId || !thread.organizationId) return undefined;
  const [row] = await db
    .select({
      conversation: conversations,
      contact: contacts,
      workflow: workflows,
      locale: { locale: organizations.language, timeZone: organizations.timeZone },
    })
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .innerJoin(workflows, eq(workflows.id, thread.workflowId))
    .innerJoin(organizations, eq(organizations.id, conversations.organizationId))
    .where(eq(conversations.id, thread.conversationId));
  if (!row) return undefined;
  return { organizationId: thread.organizationId, conversation: row.conversation, contact: row.contact, workflow: row.workflow, locale: row.locale };
}

/**
 * Answers one debounced turn: the contact's messages since the last answer go to the workflow as
 * one message; the reply is sent through the instance and evented as `thread.reply`. A failing or
 * slow provider is never silence: the fallback template is sent, or the conversation goes to a human.
 */
async function answerTurn(thread: Thread, now: Date) {
  const ctx = await loadCtx(thread);
  // Blocked after the turn was scheduled: the workflow does not get what it sent.
  if (!ctx || ctx.conversation.handledBy === "human" || !ctx.workflow.isActive || ctx.contact.blocked) return;
  // Whatever this turn writes for people (hand-off reasons, provider errors) is in the organization's language.
  await withLocale(ctx.locale, () => answerLoadedTurn(thread, ctx, now));
}

async function answerLoadedTurn(thread: Thread, ctx: Ctx & { workflow: Workflow }, now: Date) {
  const state = thread.state as { answeredUntil?: string | null };
  const pending = await db
    // created_at as text keeps its microseconds (a JS Date would round them and re-answer a message).
    // A voice note's words are its transcript.
    .select({
      id: messages.id,
      type: messages.type,
      body: messages.body,
      media: messages.media,
      transcript: messages.transcript,
      createdAt: sql<string>`${messages.createdAt}::text`,
    })
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, ctx.conversation.id),
        eq(messages.direction, "inbound"),
        state.answeredUntil ? sql`${messages.createdAt} > ${state.answeredUntil}::timestamptz` : undefined,
        sql`${messages.createdAt} <= ${now.toISOString()}::timestamptz`,
      ),
    )
    .orderBy(asc(messages.createdAt));
  // A voice note still being transcribed: the turn waits for its words instead of answering without them
  // (its transcription always settles: transcribed, failed, or its audio given up on), up to a bound.
  // An image or document still downloading is waited for too, a bounded time (media-context.ts).
  if ((await awaitingTranscription(transcriptWaitable(pending, now))) || awaitingMedia(pending, now)) {
    await scheduleReply(thread.id, new Date(now.getTime() + TRANSCRIPT_RECHECK_MS));
    return;
  }
  // Images as image parts for a vision model (else "[imagem: legenda]"), voice notes as their transcript, documents as their text.
  const { text, parts } = await turnInput(pending, { vision: visionOf(ctx.workflow.config) });
  if (!text) return;
  const answeredUntil = pending.at(-1)!.createdAt;
  const config = ctx.workflow.config as { fallbackTemplateKey?: string; followUps?: FollowUpStage[] };
  try {
    const engine = engineFor(ctx.workflow, AI_TIMEOUT_MS);
    // An AI model's thread goes as memory keeps it: the summary of older turns + the recent ones.
    const memory =
      ctx.workflow.provider === "openai"
        ? await threadContext(ctx.workflow, thread, { instanceId: ctx.conversation.instanceId, timeoutMs: AI_TIMEOUT_MS })
        : null;
    // Hybrid mode (HITL): the reply waits in the inbox as a draft an agent sends, edits or discards;
    // decided before the turn, whose tools may then not send to the contact either.
    const drafting = await draftsReplies(ctx.conversation, ctx.workflow);
    const reply = await engine.complete({
      text,
      parts,
      history: memory?.history ?? [],
      summary: memory?.summary,
      providerThreadId: thread.providerThreadId,
      draft: drafting,
    });
    if (drafting) {
      await createDraft({
        organizationId: ctx.organizationId,
        conversationId: ctx.conversation.id,
        threadId: thread.id,
        workflowId: ctx.workflow.id,
        messageContext: text,
        suggestedText: reply.content,
        tokens: reply.tokens,
      });
      await saveThreadState(thread.id, { ...state, answeredUntil });
      return;
    }
    // The reply is queued first (its own transaction, with the quota and block checks); the turn,
    // the `thread.reply` event and the answered-until mark then commit together.
    const message = await sendToContact(ctx, reply.content, "workflow");
    await db.transaction(async (tx) => {
      await recordTurn(thread, text, reply, { instanceId: ctx.conversation.instanceId, data: { messageId: message.id } }, tx);
      await saveThreadState(thread.id, { ...state, answeredUntil }, {}, tx);
    });
    await armFollowUps(thread.id, config.followUps ?? [], now);
  } catch (err) {
    log.warn("workflow turn failed", { threadId: thread.id, err });
    await saveThreadState(thread.id, { ...state, answeredUntil });
    // The agent who looks at the conversation sees that the bot failed, even when the fallback answered.
    await recordBotFailure(ctx.organizationId, ctx.conversation.id, err instanceof EngineError ? err.message : "workflow failed");
    if (config.fallbackTemplateKey) {
      try {
        const { body } = await renderTemplate(ctx.organizationId, { key: config.fallbackTemplateKey, variables: templateContext(ctx.contact) });
        await sendToContact(ctx, body, "bot");
        return;
      } catch (fallbackErr) {
        log.warn("fallback template failed", { err: fallbackErr });
      }
    }
    await handToHuman(ctx, err instanceof EngineError ? err.message : "workflow failed");
  }
}

/** A thread claimed by the automation worker, with the time it was claimed at (the turn's `now`). */
type DueThread = { thread: Thread; now: Date };

/**
 * Automation turns as jobs (src/workers/jobs.ts) on the clock `clock`: the threads whose `column` is
 * due are claimed under the thread's lease; one conversation's threads run one after another.
 */
function threadJobs(name: string, column: "reply_due_at" | "next_follow_up_at", clock: () => Date, run: (job: DueThread) => Promise<void>): JobKind<DueThread> {
  return {
    name,
    async claim(limit) {
      const now = clock();
      return (await claimDueThreads(column, now, limit, CLAIM_MS)).map((thread) => ({ thread, now }));
    },
    run,
    // Given back with the due time kept: another process takes the turn at once.
    release: (jobs) => releaseThreads(jobs.map((j) => j.thread)),
    idOf: (job) => job.thread.id,
    keyOf: (job) => job.thread.conversationId ?? job.thread.id,
  };
}

/** Debounced workflow answers that are due (the automation worker's loop; processDueReplies for one pass). */
export function replyTurnJobs(clock: () => Date = () => new Date()): JobKind<DueThread> {
  return threadJobs("automation-replies", "reply_due_at", clock, async ({ thread, now }) => {
    try {
      await answerTurn(thread, now);
    } finally {
      await finishReplyTurn(thread, now);
    }
  });
}

/** Follow-ups that are due (the automation worker's loop; processDueFollowUps for one pass). */
export function followUpJobs(clock: () => Date = () => new Date()): JobKind<DueThread> {
  return threadJobs("automation-follow-ups", "next_follow_up_at", clock, async ({ thread, now }) => {
    try {
      await sendDueFollowUp(thread, now);
    } finally {
      await releaseThreads([thread]);
    }
  });
}

/** One pass: answers every debounced turn due at `now`. Returns how many were claimed. */
export async function processDueReplies(now = new Date(), limit = 20): Promise<number> {
  return (
    await runJobsOnce(
      replyTurnJobs(() => now),
      limit,
    )
  ).jobs.length;
}

/** One pass: sends every follow-up due at `now`. Returns how many were claimed. */
export async function processDueFollowUps(now = new Date(), limit = 20): Promise<number> {
  return (
    await runJobsOnce(
      followUpJobs(() => now),
      limit,
    )
  ).jobs.length;
}

/**
 * Sends the next follow-up stage of a thread whose contact stayed silent after the bot spoke (an
 * inbound message disarms them), up to the last stage.
 */
async function sendDueFollowUp(thread: Thread, now: Date): Promise<void> {
  const ctx = await loadCtx(thread);
  if (!ctx || ctx.conversation.handledBy === "human" || ctx.conversation.status === "resolved") {
    await advanceFollowUp(thread.id, thread.followUpStage, null);
    return;
  }
  let stages: FollowUpStage[] = (ctx.workflow.config as { followUps?: FollowUpStage[] }).followUps ?? [];
  if (ctx.workflow.provider === "flow") {
    const [flow] = await db
      .select({ followUps: flows.followUps })
      .from(flows)
      .where(eq(flows.id, (thread.state as FlowState).flowId));
    stages = flow?.followUps ?? [];
  }
  const stage = stages[thread.followUpStage];
  if (stage) {
    try {
      // A follow-up is written to the contact: rendered in the organization's language and zone.
      const { body } = await withLocale(ctx.locale, () =>
        renderTemplate(ctx.organizationId, {
          key: stage.templateKey,
          variables: templateContext(ctx.contact, (thread.state as FlowState).variables ?? {}),
        }),
      );
      await sendToContact(ctx, body, "bot");
    } catch (err) {
      log.warn("follow-up not sent", { threadId: thread.id, stage: thread.followUpStage, err });
    }
  }
  const nextStage = thread.followUpStage + 1;
  const next = stages[nextStage];
  await advanceFollowUp(thread.id, nextStage, next ? new Date(now.getTime() + next.delaySeconds * 1000) : null);
}

/** A voice note that transcription handles is heard once its transcription settles (transcribedHook), not now. */
const automationHook = async (ctx: InboundMessageContext) => {
  if (await holdForTranscription(ctx.message)) return;
  await handleInboundMessage(ctx);
};
/** The held voice note, with its transcript as the text (or as it was, when transcription failed). */
const transcribedHook = ({ transcript, ...ctx }: TranscriptionSettled) =>
  handleInboundMessage({ ...ctx, message: { ...ctx.message, body: transcript?.trim() ? transcript : ctx.message.body } });

/**
 * Subscribes automation to every stored inbound message (after its transaction committed). Called by
 * the composition root (src/routes.ts); idempotent, since tests build many apps in one process.
 */
export function wireAutomation(): void {
  if (!onInboundMessage.includes(automationHook)) onInboundMessage.push(automationHook);
  if (!onTranscriptionSettled.includes(transcribedHook)) onTranscriptionSettled.push(transcribedHook);
}
