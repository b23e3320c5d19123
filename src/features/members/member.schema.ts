import { z } from "zod";
import { ROLES } from "@/db/schema";

export const EMAIL_MAX = 254;
/** Invitation links stop working after this long. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const roleSchema = z.enum(ROLES, { error: "Choose a role" });

export const changeRoleSchema = z.object({ role: roleSchema });

export const createInvitationSchema = z.object({
  email: z
    .string({ error: "Enter an email address" })
    .trim()
    .toLowerCase()
    .max(EMAIL_MAX, `Use at most ${EMAIL_MAX} characters`)
    .pipe(z.email("Enter a valid email address")),
  role: roleSchema,
});

export type CreateInvitationInput = z.infer<typeof createInvitationSchema>;

/** Labels and one-line explanations shown next to the role pickers. */
export const ROLE_HELP: Record<(typeof ROLES)[number], string> = {
  owner: "Everything, including granting owner",
  admin: "Members, API keys, webhooks, devices and settings",
  supervisor: "Instances and automation",
  agent: "Inbox and contacts",
};
