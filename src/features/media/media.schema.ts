import { z } from "zod";
import { MEDIA_STATUSES } from "@/db/schema";
import { tText } from "@/lib/i18n";

/** The media answer of `/v1/media` and of `media.status` events. */
export const mediaJsonSchema = z.object({
  id: z.string(),
  direction: z.enum(["inbound", "upload"]),
  status: z.enum(MEDIA_STATUSES),
  mimeType: z.string().nullable(),
  declaredMimeType: z.string().nullable(),
  mimeMismatch: z.boolean(),
  fileName: z.string().nullable(),
  size: z.number().nullable(),
  sha256: z.string().nullable(),
  error: z.string().nullable(),
  messageId: z.string().nullable(),
  url: z.string().nullable(),
  urlExpiresAt: z.string().nullable(),
  createdAt: z.string(),
  storedAt: z.string().nullable(),
});

/** The retention sweeper's bounds: at least a day, at most ten years. */
export const MEDIA_RETENTION_LIMITS = { minDays: 1, maxDays: 3650 } as const;

/** Settings → Media: delete media older than `days` (empty: keep it). */
export const mediaRetentionSchema = z.object({
  days: z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (!v) return null;
      const n = Number(v);
      if (!Number.isInteger(n) || n < MEDIA_RETENTION_LIMITS.minDays || n > MEDIA_RETENTION_LIMITS.maxDays) {
        ctx.addIssue({ code: "custom", message: tText("media:settings.daysRange", MEDIA_RETENTION_LIMITS) });
        return z.NEVER;
      }
      return n;
    }),
});
