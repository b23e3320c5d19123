import { z } from "zod";

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
        .max(100, "Use at most 100 characters")
        .regex(/^[a-z0-9_.]+\*?$/, "Letters, digits, dots and underscores, optionally ending in *")
        .optional(),
    ),
    /** A user id, or `type:api_key` / `type:device` / `type:system` for non-user actors. */
    actor: z.preprocess(
      blank,
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(new RegExp(`^(type:(${ACTOR_TYPES.join("|")})|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`), "Choose an actor")
        .optional(),
    ),
    from: z.preprocess(blank, z.iso.date("Use a date (YYYY-MM-DD)").optional()),
    to: z.preprocess(blank, z.iso.date("Use a date (YYYY-MM-DD)").optional()),
    /** Id of the last row of the previous page. */
    cursor: z.preprocess(blank, z.uuid("Invalid page cursor").optional()),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { path: ["to"], message: "Must be on or after the start date" });

export type AuditFilter = z.infer<typeof auditFilterSchema>;
