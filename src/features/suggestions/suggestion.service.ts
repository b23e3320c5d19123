import { and, desc, eq, sql } from "drizzle-orm";
import { can } from "@/auth/roles";
import { db, type DbOrTx } from "@/db/client";
import { departmentReplyModes, departments, learningEvents, suggestedResponses, workflows, type FollowUpStage } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { setConversationReplyMode, type ReplyMode } from "@/features/conversations/conversation.ai-state";
import { getConversation, publishInbox, type Conversation } from "@/features/conversations/conversation.service";
import { recordEvent } from "@/features/events/event.service";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { armFollowUps, recordTurn } from "@/features/workflows/thread.service";
import type { Workflow } from "@/features/workflows/workflow.service";
import type { Caller } from "@/lib/caller";
import { AppError, conflict, forbidden } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { organizationOf } from "@/lib/tenant";
import type { SendSuggestionInput } from "./suggestion.schema";

export type SuggestedResponse = typeof suggestedResponses.$inferSelect;
export type LearningEvent = typeof learningEvents.$inferSelect;

export function suggestionJson(s: SuggestedResponse) {
  return {
    id: s.id,
    conversationId: s.conversationId,
    workflowId: s.workflowId,
    threadId: s.threadId,
    messageContext: s.messageContext,
    suggestedText: s.suggestedText,
    finalText: s.finalText,
    status: s.status,
    wasEdited: s.wasEdited,
    wasApproved: s.wasApproved,
    tokens: s.tokens,
    messageId: s.messageId,
    decidedBy: s.decidedBy,
    decidedAt: s.decidedAt,
    createdAt: s.createdAt,
  };
}

export function learningEventJson(e: LearningEvent) {
  return {
    id: e.id,
    workflowId: e.workflowId,
    conversationId: e.conversationId,
    suggestionId: e.suggestionId,
    eventType: e.eventType,
    userMessage: e.userMessage,
    aiResponse: e.aiResponse,
    correctResponse: e.correctResponse,
    feedback: e.feedback,
    promptSuggestionId: e.promptSuggestionId,
    createdAt: e.createdAt,
  };
}

const notFound = () => new AppError("not_found", tText("suggestions:errors.notFound"));

/** Supervisors and above set department modes and review prompt suggestions; a `/v1` key's scope was checked by its route. */
export function assertAutomationManager(caller: Caller): void {
  if (caller.type === "user" && !(caller.role && can.manageAutomation(caller.role))) throw forbidden(tText("suggestions:errors.manageOnly"));
}

// ——— Hybrid mode ———

/**
 * Whether the AI drafts instead of sending for this conversation: a "draft only" workflow always
 * drafts; otherwise the conversation's own mode (`draft` / `auto`) decides, and `inherit` follows its
 * department's hybrid setting (no department or no setting: the AI sends).
 */
export async function draftsReplies(
  conversation: Pick<Conversation, "aiReplyMode" | "departmentId">,
  workflow: Pick<Workflow, "config">,
  tx: DbOrTx = db,
): Promise<boolean> {
  if ((workflow.config as { draftOnly?: unknown }).draftOnly === true) return true;
  if (conversation.aiReplyMode !== "inherit") return conversation.aiReplyMode === "draft";
  if (!conversation.departmentId) return false;
  const [mode] = await tx
    .select({ draft: departmentReplyModes.draftReplies })
    .from(departmentReplyModes)
    .where(eq(departmentReplyModes.departmentId, conversation.departmentId))
    .limit(1);
  return mode?.draft === true;
}

/**
 * Stores the AI's draft for the conversation (automation calls this instead of sending in hybrid mode):
 * a draft still waiting is superseded, and open inboxes are told at once (live).
 */
export async function createDraft(input: {
  organizationId: string;
  conversationId: string;
  threadId: string | null;
  workflowId: string | null;
  messageContext: string;
  suggestedText: string;
  tokens?: number | null;
}): Promise<SuggestedResponse> {
  return db.transaction(async (tx) => {
    await tx
      .update(suggestedResponses)
      .set({ status: "superseded" })
      .where(and(eq(suggestedResponses.conversationId, input.conversationId), eq(suggestedResponses.status, "pending")));
    const [row] = await tx
      .insert(suggestedResponses)
      .values({ ...input, tokens: input.tokens ?? null })
      .returning();
    await recordEvent({ organizationId: input.organizationId, type: "suggestion.created", data: { suggestion: suggestionJson(row!) } }, tx);
    await publishInbox({ organizationId: input.organizationId }, input.conversationId, tx);
    return row!;
  });
}

/** A draft of the caller's organization in a conversation the caller may see; anything else is 404. */
export async function getSuggestion(caller: Caller, id: string, tx: DbOrTx = db): Promise<SuggestedResponse> {
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select()
    .from(suggestedResponses)
    .where(and(eq(suggestedResponses.id, id), eq(suggestedResponses.organizationId, organizationOf(caller))))
    .limit(1);
  if (!row) throw notFound();
  try {
    await getConversation(caller, row.conversationId, tx);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") throw notFound();
    throw err;
  }
  return row;
}

/** The conversation's drafts, newest first (the caller must see the conversation). */
export async function listConversationSuggestions(caller: Caller, conversationId: string, limit = 50): Promise<SuggestedResponse[]> {
  const { conversation } = await getConversation(caller, conversationId);
  return db
    .select()
    .from(suggestedResponses)
    .where(and(eq(suggestedResponses.conversationId, conversation.id), eq(suggestedResponses.organizationId, organizationOf(caller))))
    .orderBy(desc(suggestedResponses.createdAt))
    .limit(limit);
}

/** The draft waiting in the conversation, if any (what the inbox shows above the reply box). */
export async function pendingSuggestion(caller: Caller, conversationId: string): Promise<{ conversation: Conversation; suggestion: SuggestedResponse | null }> {
  const { conversation } = await getConversation(caller, conversationId);
  const [row] = await db
    .select()
    .from(suggestedResponses)
    .where(and(eq(suggestedResponses.conversationId, conversation.id), eq(suggestedResponses.status, "pending")))
    .limit(1);
  return { conversation, suggestion: row ?? null };
}

/** Claims a waiting draft for a decision (one agent wins; a decided or superseded one is a 409). */
async function claimPending(suggestion: SuggestedResponse, set: Partial<typeof suggestedResponses.$inferInsert>, tx: DbOrTx): Promise<SuggestedResponse> {
  const [claimed] = await tx
    .update(suggestedResponses)
    .set(set)
    .where(and(eq(suggestedResponses.id, suggestion.id), eq(suggestedResponses.status, "pending")))
    .returning();
  if (!claimed) throw conflict(tText("suggestions:errors.notPending"));
  return claimed;
}

const deciderOf = (caller: Caller) => (caller.type === "user" ? caller.id : null);

/**
 * Sends a draft to the contact, as drafted or edited (`text`). The suggested and final texts, the
 * edited and approved flags, who and when are recorded; an edit becomes a learning event; the turn
 * goes into the workflow's thread with the text that was really sent.
 */
export async function sendSuggestion(caller: Caller, id: string, input: SendSuggestionInput): Promise<SuggestedResponse> {
  const organizationId = organizationOf(caller);
  const suggestion = await getSuggestion(caller, id);
  const row = await getConversation(caller, suggestion.conversationId);
  const finalText = input.text ?? suggestion.suggestedText;
  const edited = finalText.trim() !== suggestion.suggestedText.trim();
  // Claimed before sending so two agents never both send it; a refused send gives it back.
  const claimed = await claimPending(
    suggestion,
    { status: "sent", finalText, wasEdited: edited, wasApproved: true, decidedBy: deciderOf(caller), decidedAt: new Date() },
    db,
  );
  let messageId: string;
  try {
    const { message } = await queueOutboundMessage(
      caller,
      { instanceId: row.conversation.instanceId, contactId: row.contact.id, type: "text", text: finalText },
      { sentBy: caller.type === "user" ? "user" : "api" },
    );
    messageId = message.id;
  } catch (err) {
    await db
      .update(suggestedResponses)
      .set({ status: "pending", finalText: null, wasEdited: false, wasApproved: false, decidedBy: null, decidedAt: null })
      .where(eq(suggestedResponses.id, claimed.id));
    throw err;
  }
  const done = await db.transaction(async (tx) => {
    const [sent] = await tx.update(suggestedResponses).set({ messageId }).where(eq(suggestedResponses.id, claimed.id)).returning();
    await recordEvent({ organizationId, instanceId: row.conversation.instanceId, type: "suggestion.decided", data: { suggestion: suggestionJson(sent!) } }, tx);
    if (edited) {
      await tx.insert(learningEvents).values({
        organizationId,
        workflowId: suggestion.workflowId,
        conversationId: suggestion.conversationId,
        suggestionId: suggestion.id,
        eventType: "explicit_correction",
        userMessage: suggestion.messageContext,
        aiResponse: suggestion.suggestedText,
        correctResponse: finalText,
        createdBy: deciderOf(caller),
      });
    }
    if (suggestion.threadId && suggestion.workflowId) {
      await recordTurn(
        {
          id: suggestion.threadId,
          organizationId,
          workflowId: suggestion.workflowId,
          conversationId: suggestion.conversationId,
          contactId: row.contact.id,
        },
        suggestion.messageContext,
        { content: finalText, tokens: suggestion.tokens ?? undefined },
        { instanceId: row.conversation.instanceId, data: { messageId, suggestionId: suggestion.id, edited } },
        tx,
      );
    }
    await auditChange(
      tx,
      organizationId,
      caller,
      edited ? "suggestion.edited_and_sent" : "suggestion.sent",
      { type: "conversation", id: suggestion.conversationId },
      { suggestionId: suggestion.id, messageId },
    );
    await publishInbox({ organizationId }, suggestion.conversationId, tx);
    return sent!;
  });
  // As when the bot speaks by itself: the workflow's follow-ups start after the reply went out.
  if (suggestion.threadId && suggestion.workflowId) {
    const [w] = await db.select({ config: workflows.config }).from(workflows).where(eq(workflows.id, suggestion.workflowId)).limit(1);
    const stages = (w?.config as { followUps?: FollowUpStage[] } | undefined)?.followUps ?? [];
    await armFollowUps(suggestion.threadId, stages, new Date());
  }
  return done;
}

/** Throws a draft away; it becomes a learning event (with the agent's note, if any). */
export async function discardSuggestion(caller: Caller, id: string, input: { note?: string }): Promise<SuggestedResponse> {
  const organizationId = organizationOf(caller);
  const suggestion = await getSuggestion(caller, id);
  return db.transaction(async (tx) => {
    const discarded = await claimPending(suggestion, { status: "discarded", decidedBy: deciderOf(caller), decidedAt: new Date() }, tx);
    await recordEvent({ organizationId, type: "suggestion.decided", data: { suggestion: suggestionJson(discarded) } }, tx);
    await tx.insert(learningEvents).values({
      organizationId,
      workflowId: suggestion.workflowId,
      conversationId: suggestion.conversationId,
      suggestionId: suggestion.id,
      eventType: "discarded",
      userMessage: suggestion.messageContext,
      aiResponse: suggestion.suggestedText,
      feedback: input.note || null,
      createdBy: deciderOf(caller),
    });
    await auditChange(
      tx,
      organizationId,
      caller,
      "suggestion.discarded",
      { type: "conversation", id: suggestion.conversationId },
      { suggestionId: suggestion.id },
    );
    await publishInbox({ organizationId }, suggestion.conversationId, tx);
    return discarded;
  });
}

/** A conversation's hybrid mode (any member who sees the conversation may switch it). */
export async function setReplyMode(caller: Caller, conversationId: string, mode: ReplyMode) {
  return setConversationReplyMode(caller, conversationId, mode);
}

// ——— Departments ———

export type DepartmentMode = { id: string; name: string; active: boolean; draftReplies: boolean };

/** The organization's departments with their hybrid setting. */
export async function listDepartmentModes(caller: Caller): Promise<DepartmentMode[]> {
  return db
    .select({
      id: departments.id,
      name: departments.name,
      active: departments.active,
      draftReplies: sql<boolean>`coalesce(${departmentReplyModes.draftReplies}, false)`,
    })
    .from(departments)
    .leftJoin(departmentReplyModes, eq(departmentReplyModes.departmentId, departments.id))
    .where(eq(departments.organizationId, organizationOf(caller)))
    .orderBy(departments.name);
}

/** Turns hybrid mode on or off for a department of the organization (supervisors and above); 404 for another's. */
export async function setDepartmentReplyMode(caller: Caller, departmentId: string, draftReplies: boolean, tx?: DbOrTx): Promise<DepartmentMode> {
  assertAutomationManager(caller);
  const organizationId = organizationOf(caller);
  const missing = () => new AppError("not_found", tText("suggestions:errors.departmentNotFound"));
  if (!isUuid(departmentId)) throw missing();
  return inTransaction(tx, async (tx) => {
    const [department] = await tx
      .select({ id: departments.id, name: departments.name, active: departments.active })
      .from(departments)
      .where(and(eq(departments.id, departmentId), eq(departments.organizationId, organizationId)))
      .limit(1);
    if (!department) throw missing();
    await tx
      .insert(departmentReplyModes)
      .values({ departmentId, organizationId, draftReplies })
      .onConflictDoUpdate({ target: departmentReplyModes.departmentId, set: { draftReplies, updatedAt: new Date() } });
    await auditChange(
      tx,
      organizationId,
      caller,
      "suggestion.department_mode_changed",
      { type: "department", id: departmentId },
      { name: department.name, draftReplies },
    );
    return { ...department, draftReplies };
  });
}

// ——— Learning events ———

/** The organization's learning events, newest first (optionally one workflow's). */
export async function listLearningEvents(
  caller: Caller,
  opts: { workflowId?: string; limit?: number } = {},
): Promise<(LearningEvent & { workflowName: string | null })[]> {
  const rows = await db
    .select({ event: learningEvents, workflowName: workflows.name })
    .from(learningEvents)
    .leftJoin(workflows, eq(workflows.id, learningEvents.workflowId))
    .where(and(eq(learningEvents.organizationId, organizationOf(caller)), opts.workflowId ? eq(learningEvents.workflowId, opts.workflowId) : undefined))
    .orderBy(desc(learningEvents.createdAt))
    .limit(opts.limit ?? 100);
  return rows.map((r) => ({ ...r.event, workflowName: r.workflowName }));
}
