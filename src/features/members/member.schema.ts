import { z } from "zod";
import { ROLES } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const EMAIL_MAX = 254;
/** Invitation links stop working after this long. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const roleSchema = z.enum(ROLES, { error: () => tText("members:errors.chooseRole") });

export const changeRoleSchema = z.object({ role: roleSchema });

export const createInvitationSchema = z.object({
  email: z
    .string({ error: () => tText("members:errors.enterEmail") })
    .trim()
    .toLowerCase()
    .max(EMAIL_MAX)
    .pipe(z.email()),
  role: roleSchema,
});

export type CreateInvitationInput = z.infer<typeof createInvitationSchema>;
