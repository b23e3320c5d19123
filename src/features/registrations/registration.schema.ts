import { z } from "zod";
import { REGISTRATION_STATUSES } from "@/db/schema";

export const REGISTRATION_LIMITS = { rejectionReason: 500 } as const;
export const REGISTRATIONS_PAGE_SIZE = 50;

/** Rejecting needs a reason: the applicant is told it. */
export const rejectRegistrationSchema = z.object({
  reason: z
    .string({ error: "Say why the request is declined" })
    .trim()
    .min(1, "Say why the request is declined")
    .max(REGISTRATION_LIMITS.rejectionReason, `At most ${REGISTRATION_LIMITS.rejectionReason} characters`),
});

export const registrationListSchema = z.object({
  status: z.enum(REGISTRATION_STATUSES).catch("pending"),
});
