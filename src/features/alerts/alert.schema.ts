import { z } from "zod";
import { ALERT_TYPES } from "@/db/schema";
import { tText } from "@/lib/i18n";
import { isCursor } from "@/lib/pager";

export const ALERT_LIMITS = { message: 500, notes: 1000, pageSize: 50, apiMax: 200, keywords: 50, keyword: 60 } as const;

const emptyToUndefined = (v: unknown) => (v === "" ? undefined : v);

export const alertListQuerySchema = z.object({
  status: z.preprocess(emptyToUndefined, z.enum(["open", "resolved", "all"]).optional()),
  type: z.preprocess(emptyToUndefined, z.enum(ALERT_TYPES).optional()),
  conversationId: z.preprocess(emptyToUndefined, z.uuid().optional()),
  limit: z.coerce.number().int().min(1).max(ALERT_LIMITS.apiMax).optional(),
  cursor: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(isCursor, { error: () => tText("common:errors.invalidCursor") })
      .optional(),
  ),
});
export type AlertListQuery = z.infer<typeof alertListQuerySchema>;

export const resolveAlertSchema = z.object({ notes: z.string().trim().max(ALERT_LIMITS.notes).nullable().optional() });

/**
 * The organization's urgency words, one per line or comma-separated in the form; a JSON array in the API.
 * Matching ignores case and accents ("urgência" matches "URGENCIA").
 */
export const alertSettingsSchema = z.object({
  urgencyKeywords: z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(/[\n,]/)
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(z.string().trim().min(1).max(ALERT_LIMITS.keyword)).max(ALERT_LIMITS.keywords),
  ),
});
export type AlertSettingsInput = z.infer<typeof alertSettingsSchema>;

/** A department's targets in minutes; null (or an empty form field) removes one. */
const minutes = z.preprocess((v) => (v === "" || v === undefined ? null : v), z.coerce.number().int().min(1).max(525_600).nullable());
export const departmentTargetsSchema = z.object({ firstResponseMinutes: minutes, resolutionMinutes: minutes });
export type DepartmentTargetsInput = z.infer<typeof departmentTargetsSchema>;
