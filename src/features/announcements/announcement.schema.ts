import { z } from "zod";
import { ANNOUNCEMENT_TYPES, ROLES } from "@/db/schema";
import { tText, zonedWallTimeToDate } from "@/lib/i18n";

export const ANNOUNCEMENT_LIMITS = { title: 120, message: 2000 } as const;

/** A `datetime-local` value (`2026-12-24T18:00`) is a wall time in the reader's zone; "" is "never expires". */
const expiry = z.preprocess(
  (v) => (v === "" || v === undefined ? null : typeof v === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v) ? zonedWallTimeToDate(v) : v),
  z
    .date({ error: () => tText("announcements:errors.expiresAtInvalid") })
    .refine((d) => !Number.isNaN(d.getTime()), { error: () => tText("announcements:errors.expiresAtInvalid") })
    .refine((d) => d.getTime() > Date.now(), { error: () => tText("announcements:errors.expiresAtPast") })
    .nullable(),
);

export const createAnnouncementSchema = z.object({
  title: z.string().trim().min(1).max(ANNOUNCEMENT_LIMITS.title),
  message: z.string().trim().min(1).max(ANNOUNCEMENT_LIMITS.message),
  type: z.enum(ANNOUNCEMENT_TYPES, { error: () => tText("announcements:errors.typeInvalid") }),
  /** Roles that see the banner; at least one. */
  targetRoles: z
    .array(z.enum(ROLES, { error: () => tText("announcements:errors.rolesInvalid") }))
    .min(1, { error: () => tText("announcements:errors.rolesRequired") })
    .transform((roles) => [...new Set(roles)]),
  expiresAt: expiry,
});
export type CreateAnnouncementInput = z.infer<typeof createAnnouncementSchema>;
