import { z } from "zod";
import { tText } from "@/lib/i18n";

export const PROMPT_LIMITS = {
  /** The same bound as a workflow's `config.systemPrompt` had: it is the same text. */
  instructions: 20_000,
  changelog: 500,
  personaName: 80,
  personaRole: 120,
  personality: 1_000,
  expertiseItem: 60,
  expertiseItems: 20,
  avatarUrl: 2_048,
} as const;

export const instructionsSchema = z.string().max(PROMPT_LIMITS.instructions);

/** `PUT /v1/workflows/:id/prompt/draft` and the Instructions tab's editor (autosave or save). */
export const saveDraftSchema = z.object({ instructions: instructionsSchema });
export type SaveDraftInput = z.infer<typeof saveDraftSchema>;

/** Publishing: the draft's text (or the given one) becomes the next version. */
export const publishSchema = z.object({
  instructions: instructionsSchema.optional(),
  changelog: z.string().trim().min(1).max(PROMPT_LIMITS.changelog),
});
export type PublishInput = z.infer<typeof publishSchema>;

/** `:version` is read by the service: anything but a version number names no version (404, like an unknown id). */
export const versionParams = z.object({ id: z.string().uuid(), version: z.string().max(100) });

/** Both optional: `to` defaults to the version in use, `from` to the one before `to`. */
export const diffQuerySchema = z.object({
  from: z.coerce.number().int().min(1).max(1_000_000).optional(),
  to: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

/**
 * A workflow's persona (seed 003 `agents`): who the model speaks as. Everything is optional; the
 * model settings of the persona (temperature, max tokens) are the workflow's own `temperature` and
 * `maxTokens`. The avatar is an https image URL the admin's browser loads (never fetched by LivChat),
 * or nothing: initials of the name are shown instead.
 */
export const personaSchema = z.object({
  name: z.string().trim().min(1).max(PROMPT_LIMITS.personaName).optional(),
  avatarUrl: z
    .string()
    .max(PROMPT_LIMITS.avatarUrl)
    .url({ error: () => tText("prompts:errors.avatarUrl") })
    .refine((u) => /^https:\/\//i.test(u), { error: () => tText("prompts:errors.avatarUrl") })
    .optional(),
  role: z.string().trim().min(1).max(PROMPT_LIMITS.personaRole).optional(),
  personality: z.string().trim().min(1).max(PROMPT_LIMITS.personality).optional(),
  expertise: z.array(z.string().trim().min(1).max(PROMPT_LIMITS.expertiseItem)).max(PROMPT_LIMITS.expertiseItems).optional(),
});
export type Persona = z.infer<typeof personaSchema>;
