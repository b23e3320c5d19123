import { z } from "zod";
import { tText } from "@/lib/i18n";

export const CANNED_REPLY_LIMITS = { shortcut: 40, title: 120, body: 4096, search: 40, suggestions: 8 } as const;

/** Form fields arrive as "" when not set; JSON may send null. Both mean "none". */
const blankToNull = (v: unknown) => (v === "" ? null : v);

export const createCannedReplySchema = z.object({
  /** Typed after `/` in the reply box: lowercase letters, digits, `_` and `-`. */
  shortcut: z
    .string()
    .trim()
    .min(1)
    .max(CANNED_REPLY_LIMITS.shortcut)
    .regex(/^[a-z0-9][a-z0-9_-]*$/, { error: () => tText("canned-replies:errors.shortcutFormat") }),
  title: z.string().trim().min(1).max(CANNED_REPLY_LIMITS.title),
  body: z.string().trim().min(1).max(CANNED_REPLY_LIMITS.body),
  /** Null: offered in every conversation; else only in conversations routed to this department (an id of the organization's). */
  departmentId: z.preprocess(blankToNull, z.uuid({ error: () => tText("canned-replies:errors.departmentInvalid") }).nullable()).optional(),
  /** An upload's id (POST /v1/media) sent along with the text. */
  mediaId: z.preprocess(blankToNull, z.uuid({ error: () => tText("canned-replies:errors.mediaInvalid") }).nullable()).optional(),
});
export type CreateCannedReplyInput = z.infer<typeof createCannedReplySchema>;

/** PATCH: only what is sent changes. */
export const updateCannedReplySchema = createCannedReplySchema.partial();
export type UpdateCannedReplyInput = z.infer<typeof updateCannedReplySchema>;

export const cannedReplyQuerySchema = z.object({ q: z.string().trim().max(CANNED_REPLY_LIMITS.search).optional() });
