import { generateText, Output } from "ai";
import { and, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { learningEvents, promptSuggestions, workflows } from "@/db/schema";
import { auditChange } from "@/features/audit/audit.service";
import { currentPromptVersion, publishPromptVersion } from "@/features/prompts/prompt.service";
import { aiTokensAvailable, recordAiTokens } from "@/features/usage/usage.service";
import { getWorkflow, workflowLanguageModel, type Workflow } from "@/features/workflows/workflow.service";
import { systemCaller, type Caller } from "@/lib/caller";
import { AppError, conflict, pgCode } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { log } from "@/lib/logger";
import { organizationOf } from "@/lib/tenant";
import { AUTO_SUGGEST_MIN_EVENTS, promptProposalSchema } from "./suggestion.schema";
import { assertAutomationManager } from "./suggestion.service";

export type PromptSuggestion = typeof promptSuggestions.$inferSelect;

export function promptSuggestionJson(s: PromptSuggestion) {
  return {
    id: s.id,
    workflowId: s.workflowId,
    status: s.status,
    origin: s.origin,
    problemIdentified: s.problemIdentified,
    rootCauseAnalysis: s.rootCauseAnalysis,
    currentPrompt: s.currentPrompt,
    suggestedPrompt: s.suggestedPrompt,
    changelog: s.changelog,
    confidence: s.confidence,
    affectedConversations: s.affectedConversations,
    eventCount: s.eventCount,
    tokens: s.tokens,
    createdBy: s.createdBy,
    reviewedBy: s.reviewedBy,
    reviewNotes: s.reviewNotes,
    reviewedAt: s.reviewedAt,
    appliedVersion: s.appliedVersion,
    createdAt: s.createdAt,
  };
}

/** Events handed to the model at most (the newest); older ones wait for the next suggestion. */
const MAX_EVENTS = 40;
const MODEL_TIMEOUT_MS = 60_000;
/** A generation this old was left by a crashed process: cleared so the workflow can be analysed again. */
const STALE_GENERATION_MS = 10 * 60_000;

const notFound = () => new AppError("not_found", tText("suggestions:errors.promptSuggestionNotFound"));

/** The organization's own AI workflow (system workflows and other providers have no versioned instructions). */
async function ownAiWorkflow(organizationId: string, workflowId: string, path = "workflowId"): Promise<Workflow> {
  const missing = () =>
    new AppError("validation_failed", tText("suggestions:errors.workflowInvalid"), [{ path, message: tText("suggestions:errors.workflowInvalid") }]);
  if (!isUuid(workflowId)) throw missing();
  let w: Workflow;
  try {
    w = await getWorkflow(organizationId, workflowId);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") throw missing();
    throw err;
  }
  if (w.organizationId !== organizationId || w.provider !== "openai") throw missing();
  return w;
}

/** What the model is told: the current instructions and the corrections people made to its drafts. */
function analysisPrompt(instructions: string, events: (typeof learningEvents.$inferSelect)[]): string {
  const lines = events.map((e, i) =>
    [
      `### Correction ${i + 1} (${e.eventType === "discarded" ? "draft discarded" : "draft edited before sending"})`,
      `Customer: ${e.userMessage}`,
      `AI draft: ${e.aiResponse}`,
      e.correctResponse ? `Sent instead: ${e.correctResponse}` : "",
      e.feedback ? `Agent's note: ${e.feedback}` : "",
    ]
      .filter(Boolean)
      .join("\n"),
  );
  return [`## Current instructions\n${instructions || "(none)"}`, `## Corrections by human agents`, ...lines].join("\n\n");
}

const SYSTEM = [
  "You improve the instructions (system prompt) of a customer-service assistant.",
  "Human agents reviewed the assistant's draft replies: they edited some before sending and discarded others.",
  "Find the problem these corrections have in common and its root cause in the instructions, then write the complete new instructions that fix it, keeping everything that still applies.",
  "Write in the language of the current instructions (or of the conversations when there are none).",
  "confidence is between 0 and 1: how sure you are that the change fixes the corrections without side effects.",
].join(" ");

/**
 * Asks the workflow's model, with AI SDK structured output (a zod schema), for a prompt change from its
 * learning events not analysed yet; the result waits for a human review. One generation per workflow
 * at a time (409 otherwise); the events it analysed are linked to it. Tokens are metered.
 */
export async function generatePromptSuggestion(caller: Caller, workflowId: string, origin: "manual" | "auto" = "manual"): Promise<PromptSuggestion> {
  assertAutomationManager(caller);
  const organizationId = organizationOf(caller);
  const w = await ownAiWorkflow(organizationId, workflowId);
  const events = await db
    .select()
    .from(learningEvents)
    .where(and(eq(learningEvents.organizationId, organizationId), eq(learningEvents.workflowId, w.id), isNull(learningEvents.promptSuggestionId)))
    .orderBy(desc(learningEvents.createdAt))
    .limit(MAX_EVENTS);
  if (events.length === 0) {
    throw new AppError("validation_failed", tText("suggestions:errors.noEvents"), [{ path: "workflowId", message: tText("suggestions:errors.noEvents") }]);
  }
  if (!(await aiTokensAvailable(organizationId))) throw new AppError("quota_exceeded", tText("suggestions:errors.tokenLimit"));
  const current = await currentPromptVersion(w);
  const currentPrompt = current?.instructions ?? "";
  let claimed: PromptSuggestion;
  try {
    [claimed] = (await db
      .insert(promptSuggestions)
      .values({ organizationId, workflowId: w.id, origin, status: "generating", currentPrompt, createdBy: caller.type === "user" ? caller.id : null })
      .returning()) as [PromptSuggestion];
  } catch (err) {
    if (pgCode(err) === "23505") throw conflict(tText("suggestions:errors.alreadyGenerating"));
    throw err;
  }
  try {
    const result = await generateText({
      model: workflowLanguageModel(w, { timeoutMs: MODEL_TIMEOUT_MS }),
      system: SYSTEM,
      prompt: analysisPrompt(currentPrompt, [...events].reverse()),
      output: Output.object({ schema: promptProposalSchema }),
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(MODEL_TIMEOUT_MS),
    });
    const tokens = result.totalUsage.totalTokens ?? (result.totalUsage.inputTokens ?? 0) + (result.totalUsage.outputTokens ?? 0);
    await recordAiTokens({ organizationId, instanceId: null, tokens });
    const proposal = result.output;
    const affected = [...new Set(events.map((e) => e.conversationId).filter((id): id is string => !!id))];
    return await db.transaction(async (tx) => {
      const [saved] = await tx
        .update(promptSuggestions)
        .set({
          status: "pending",
          problemIdentified: proposal.problemIdentified,
          rootCauseAnalysis: proposal.rootCauseAnalysis,
          suggestedPrompt: proposal.suggestedPrompt,
          changelog: proposal.changelog.slice(0, 500),
          confidence: Math.min(1, Math.max(0, proposal.confidence)),
          affectedConversations: affected,
          eventCount: events.length,
          tokens,
        })
        .where(eq(promptSuggestions.id, claimed.id))
        .returning();
      await tx
        .update(learningEvents)
        .set({ promptSuggestionId: claimed.id })
        .where(
          inArray(
            learningEvents.id,
            events.map((e) => e.id),
          ),
        );
      await auditChange(
        tx,
        organizationId,
        caller,
        "prompt_suggestion.generated",
        { type: "workflow", id: w.id },
        { suggestionId: claimed.id, origin, events: events.length },
      );
      return saved!;
    });
  } catch (err) {
    await db.delete(promptSuggestions).where(eq(promptSuggestions.id, claimed.id));
    if (err instanceof AppError) throw err;
    log.warn("prompt suggestion failed", { workflowId: w.id, error: String((err as Error)?.message ?? err).slice(0, 300) });
    throw new AppError("provider_error", tText("suggestions:errors.modelFailed"));
  }
}

export async function listPromptSuggestions(
  caller: Caller,
  opts: { status?: "pending" | "applied" | "rejected"; workflowId?: string; limit?: number } = {},
): Promise<(PromptSuggestion & { workflowName: string })[]> {
  const rows = await db
    .select({ suggestion: promptSuggestions, workflowName: workflows.name })
    .from(promptSuggestions)
    .innerJoin(workflows, eq(workflows.id, promptSuggestions.workflowId))
    .where(
      and(
        eq(promptSuggestions.organizationId, organizationOf(caller)),
        opts.status ? eq(promptSuggestions.status, opts.status) : sql`${promptSuggestions.status} <> 'generating'`,
        opts.workflowId && isUuid(opts.workflowId) ? eq(promptSuggestions.workflowId, opts.workflowId) : undefined,
      ),
    )
    .orderBy(desc(promptSuggestions.createdAt))
    .limit(opts.limit ?? 100);
  return rows.map((r) => ({ ...r.suggestion, workflowName: r.workflowName }));
}

export async function getPromptSuggestion(caller: Caller, id: string, tx: DbOrTx = db): Promise<PromptSuggestion & { workflowName: string }> {
  if (!isUuid(id)) throw notFound();
  const [row] = await tx
    .select({ suggestion: promptSuggestions, workflowName: workflows.name })
    .from(promptSuggestions)
    .innerJoin(workflows, eq(workflows.id, promptSuggestions.workflowId))
    .where(and(eq(promptSuggestions.id, id), eq(promptSuggestions.organizationId, organizationOf(caller)), sql`${promptSuggestions.status} <> 'generating'`))
    .limit(1);
  if (!row) throw notFound();
  return { ...row.suggestion, workflowName: row.workflowName };
}

/**
 * Applies a pending suggestion: its instructions are published as the workflow's next prompt version
 * (the PROMPTS service, source `suggestion`, the suggestion's changelog unless one is given). Refused
 * (409) when the live instructions changed since the model saw them.
 */
export async function applyPromptSuggestion(caller: Caller, id: string, input: { changelog?: string }): Promise<PromptSuggestion> {
  assertAutomationManager(caller);
  const organizationId = organizationOf(caller);
  const suggestion = await getPromptSuggestion(caller, id);
  if (suggestion.status !== "pending") throw conflict(tText("suggestions:errors.notPendingReview"));
  const w = await getWorkflow(organizationId, suggestion.workflowId);
  return db.transaction(async (tx) => {
    const current = await currentPromptVersion(w, tx);
    if ((current?.instructions ?? "") !== suggestion.currentPrompt) throw conflict(tText("suggestions:errors.promptChanged"));
    const version = await publishPromptVersion(
      caller,
      w.id,
      { instructions: suggestion.suggestedPrompt, changelog: input.changelog ?? suggestion.changelog, source: "suggestion" },
      tx,
    );
    const [applied] = await tx
      .update(promptSuggestions)
      .set({ status: "applied", appliedVersion: version.version, reviewedBy: caller.type === "user" ? caller.id : null, reviewedAt: new Date() })
      .where(and(eq(promptSuggestions.id, suggestion.id), eq(promptSuggestions.status, "pending")))
      .returning();
    if (!applied) throw conflict(tText("suggestions:errors.notPendingReview"));
    await auditChange(
      tx,
      organizationId,
      caller,
      "prompt_suggestion.applied",
      { type: "workflow", id: w.id },
      { suggestionId: suggestion.id, version: version.version },
    );
    return applied;
  });
}

/** Rejects a pending suggestion with the reviewer's note. */
export async function rejectPromptSuggestion(caller: Caller, id: string, input: { note: string }): Promise<PromptSuggestion> {
  assertAutomationManager(caller);
  const organizationId = organizationOf(caller);
  const suggestion = await getPromptSuggestion(caller, id);
  return db.transaction(async (tx) => {
    const [rejected] = await tx
      .update(promptSuggestions)
      .set({ status: "rejected", reviewNotes: input.note, reviewedBy: caller.type === "user" ? caller.id : null, reviewedAt: new Date() })
      .where(and(eq(promptSuggestions.id, suggestion.id), eq(promptSuggestions.status, "pending")))
      .returning();
    if (!rejected) throw conflict(tText("suggestions:errors.notPendingReview"));
    await auditChange(
      tx,
      organizationId,
      caller,
      "prompt_suggestion.rejected",
      { type: "workflow", id: suggestion.workflowId },
      { suggestionId: suggestion.id },
    );
    return rejected;
  });
}

/**
 * The periodic worker's pass: every AI workflow with at least AUTO_SUGGEST_MIN_EVENTS learning events
 * not analysed yet, and no suggestion waiting for review, gets one (generated as the system). Stale
 * generations of crashed processes are cleared first. Returns how many were generated.
 */
export async function runAutoPromptSuggestions(now = new Date()): Promise<number> {
  await db
    .delete(promptSuggestions)
    .where(and(eq(promptSuggestions.status, "generating"), lt(promptSuggestions.createdAt, new Date(now.getTime() - STALE_GENERATION_MS))));
  const due = await db
    .select({ organizationId: learningEvents.organizationId, workflowId: learningEvents.workflowId })
    .from(learningEvents)
    .innerJoin(workflows, and(eq(workflows.id, learningEvents.workflowId), eq(workflows.provider, "openai")))
    .where(
      and(
        isNull(learningEvents.promptSuggestionId),
        sql`not exists (select 1 from ${promptSuggestions} p where p.workflow_id = ${learningEvents.workflowId} and p.status in ('pending', 'generating'))`,
      ),
    )
    .groupBy(learningEvents.organizationId, learningEvents.workflowId)
    .having(sql`count(*) >= ${AUTO_SUGGEST_MIN_EVENTS}`)
    .limit(20);
  let generated = 0;
  for (const row of due) {
    if (!row.workflowId) continue;
    try {
      await generatePromptSuggestion(systemCaller("hitl:prompt-suggestions", row.organizationId), row.workflowId, "auto");
      generated++;
    } catch (err) {
      log.warn("automatic prompt suggestion not generated", { workflowId: row.workflowId, err: String((err as Error)?.message ?? err).slice(0, 200) });
    }
  }
  return generated;
}
