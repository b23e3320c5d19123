import { z } from "zod";
import { HANDLING_STATUSES, NPS_CATEGORIES } from "@/db/schema";
import { tText } from "@/lib/i18n";
import { isCursor } from "@/lib/pager";

export const SATISFACTION_LIMITS = {
  template: 1000,
  commentPrompt: 500,
  comment: 2000,
  notes: 4000,
  pageSize: 50,
  apiMax: 200,
  /** How long after resolution the survey takes a score. */
  answerWindowHours: 24,
  /** How long after the score the next message is taken as the comment. */
  commentWindowMinutes: 30,
} as const;

const emptyToUndefined = (v: unknown) => (v === "" ? undefined : v);
const blankToNull = (v: unknown) => (v === "" ? null : v);
/** Checkbox: "on"/"true" checked, absent unchecked; JSON sends a boolean. */
const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean());

/** A department's survey: sent after resolution when enabled; the template must ask for a 0–10 score. */
export const surveySettingsSchema = z.object({
  enabled: checkbox,
  template: z.string().trim().min(1).max(SATISFACTION_LIMITS.template),
  commentPrompt: z.preprocess(blankToNull, z.string().trim().min(1).max(SATISFACTION_LIMITS.commentPrompt).nullable()).optional(),
});
export type SurveySettingsInput = z.infer<typeof surveySettingsSchema>;

/** A detractor's handling task: status, notes, and the 1–5 handling score. */
export const updateTaskSchema = z
  .object({
    handlingStatus: z.enum(HANDLING_STATUSES).optional(),
    handlingNotes: z.preprocess(blankToNull, z.string().trim().max(SATISFACTION_LIMITS.notes).nullable()).optional(),
    handlingScore: z.preprocess(blankToNull, z.coerce.number().int().min(1).max(5).nullable()).optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { error: () => tText("satisfaction:errors.nothingToChange"), path: ["handlingStatus"] });
export type UpdateTaskInput = z.infer<typeof updateTaskSchema>;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: () => tText("satisfaction:errors.date") });

export const feedbackListQuerySchema = z.object({
  category: z.preprocess(emptyToUndefined, z.enum(NPS_CATEGORIES).optional()),
  handlingStatus: z.preprocess(emptyToUndefined, z.enum(HANDLING_STATUSES).optional()),
  /** Only tasks (detractors' answers). */
  tasks: z.preprocess((v) => (v === "" ? undefined : v === "true" || v === "1" || v === true), z.boolean().optional()),
  limit: z.coerce.number().int().min(1).max(SATISFACTION_LIMITS.apiMax).optional(),
  cursor: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(isCursor, { error: () => tText("common:errors.invalidCursor") })
      .optional(),
  ),
});
export type FeedbackListQuery = z.infer<typeof feedbackListQuerySchema>;

/** The dashboard's period (dates in the organization's zone, `to` inclusive) and bucket. */
export const npsQuerySchema = z
  .object({
    from: z.preprocess(emptyToUndefined, isoDate.optional()),
    to: z.preprocess(emptyToUndefined, isoDate.optional()),
    bucket: z.preprocess(emptyToUndefined, z.enum(["day", "week", "month"]).optional()),
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { error: () => tText("satisfaction:errors.range"), path: ["to"] });
export type NpsQuery = z.infer<typeof npsQuerySchema>;
