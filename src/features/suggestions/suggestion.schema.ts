import { z } from "zod";

export const SUGGESTION_LIMITS = { text: 4096, note: 1000, changelog: 500, reviewNote: 2000 } as const;

/** Events a workflow needs before the periodic worker asks the model for a prompt suggestion by itself. */
export const AUTO_SUGGEST_MIN_EVENTS = 5;

/** Send a draft: as drafted (no `text`, or the same text) or edited (`text` differs: the final text is recorded). */
export const sendSuggestionSchema = z.object({
  text: z.string().trim().min(1).max(SUGGESTION_LIMITS.text).optional(),
});
export type SendSuggestionInput = z.infer<typeof sendSuggestionSchema>;

/** Discard a draft; the note (why) goes into the learning event. */
export const discardSuggestionSchema = z.object({
  note: z.string().trim().max(SUGGESTION_LIMITS.note).optional(),
});

export const REPLY_MODES = ["inherit", "auto", "draft"] as const;
export const replyModeSchema = z.object({ mode: z.enum(REPLY_MODES) });

export const departmentModeSchema = z.object({ draftReplies: z.boolean() });

/** Ask the model for a prompt suggestion from the workflow's learning events not analysed yet. */
export const generatePromptSuggestionSchema = z.object({ workflowId: z.string().uuid() });

export const applyPromptSuggestionSchema = z.object({
  /** Defaults to the suggestion's own changelog. */
  changelog: z.string().trim().min(1).max(SUGGESTION_LIMITS.changelog).optional(),
});

export const rejectPromptSuggestionSchema = z.object({
  note: z.string().trim().min(1).max(SUGGESTION_LIMITS.reviewNote),
});

export const promptSuggestionQuerySchema = z.object({
  status: z.enum(["pending", "applied", "rejected"]).optional(),
  workflowId: z.string().uuid().optional(),
});

export const learningEventQuerySchema = z.object({ workflowId: z.string().uuid().optional() });

/**
 * What the model must answer when asked for a prompt change (AI SDK structured output): the problem the
 * corrections show, its root cause, the whole new instructions, a changelog line and its confidence.
 */
export const promptProposalSchema = z.object({
  problemIdentified: z.string().min(1).max(2000),
  rootCauseAnalysis: z.string().min(1).max(4000),
  suggestedPrompt: z.string().min(1).max(20_000),
  changelog: z.string().min(1).max(SUGGESTION_LIMITS.changelog),
  confidence: z.number().min(0).max(1),
});
export type PromptProposal = z.infer<typeof promptProposalSchema>;
