import { z } from "zod";
import { REGISTRATION_STATUSES } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const REGISTRATION_LIMITS = { rejectionReason: 500 } as const;
export const REGISTRATIONS_PAGE_SIZE = 50;

/** Rejecting needs a reason: the applicant is told it. */
export const rejectRegistrationSchema = z.object({
  reason: z
    .string({ error: () => tText("registrations:errors.reasonRequired") })
    .trim()
    .min(1, { error: () => tText("registrations:errors.reasonRequired") })
    .max(REGISTRATION_LIMITS.rejectionReason),
});

export const registrationListSchema = z.object({
  status: z.enum(REGISTRATION_STATUSES).catch("pending"),
});
