import { z } from "zod";
import { tText } from "@/lib/i18n";

export const LABEL_LIMITS = { name: 40, perOrganization: 200 } as const;

export const createLabelSchema = z.object({
  name: z.string().trim().min(1).max(LABEL_LIMITS.name),
  /** `#rrggbb` (what a colour input sends). */
  color: z
    .string()
    .trim()
    .regex(/^#[0-9a-fA-F]{6}$/, { error: () => tText("labels:errors.color") })
    .transform((v) => v.toLowerCase()),
});
export type CreateLabelInput = z.output<typeof createLabelSchema>;

/** PATCH: only what is sent changes. */
export const updateLabelSchema = createLabelSchema.partial();
export type UpdateLabelInput = z.output<typeof updateLabelSchema>;

/** Adding a label to a conversation. */
export const conversationLabelSchema = z.object({ labelId: z.uuid() });

/** The inbox's label form: `change=add` or `remove`. */
export const conversationLabelFormSchema = conversationLabelSchema.extend({ change: z.enum(["add", "remove"]).default("add") });
