import { z } from "zod";
import { tText } from "@/lib/i18n";
import { isUuid } from "@/lib/ids";
import { isCursor } from "@/lib/pager";

export const AUDIT_PAGE_SIZE = 50;

/** Form inputs send "" for untouched fields; treat that as absent. */
const blank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

export const ACTOR_TYPES = ["user", "api_key", "device", "system"] as const;

export const auditFilterSchema = z
  .object({
    /** Exact action, or a prefix ending in `*` ("member.*"). */
    action: z.preprocess(
      blank,
      z
        .string()
        .trim()
        .max(100, { error: () => tText("audit:errors.actionTooLong", { count: 100 }) })
        .regex(/^[a-z0-9_.]+\*?$/, { error: () => tText("audit:errors.actionPattern") })
        .optional(),
    ),
    /** A user id, or `type:api_key` / `type:device` / `type:system` for non-user actors. */
    actor: z.preprocess(
      blank,
      z
        .string()
        .trim()
        .toLowerCase()
        .refine((v) => ACTOR_TYPES.some((type) => v === `type:${type}`) || isUuid(v), { error: () => tText("audit:errors.actor") })
        .optional(),
    ),
    from: z.preprocess(blank, z.iso.date({ error: () => tText("audit:errors.date") }).optional()),
    to: z.preprocess(blank, z.iso.date({ error: () => tText("audit:errors.date") }).optional()),
    /** The previous page's `nextCursor`. */
    cursor: z.preprocess(
      blank,
      z
        .string()
        .refine(isCursor, { error: () => tText("audit:errors.cursor") })
        .optional(),
    ),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { path: ["to"], error: () => tText("audit:errors.range") });

export type AuditFilter = z.infer<typeof auditFilterSchema>;
