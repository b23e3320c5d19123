import { z } from "zod";
import { tText } from "@/lib/i18n";

export const TEMPLATE_LIMITS = { key: 100, body: 4096, variants: 10, locale: 20, category: 50 } as const;

const body = z.string().trim().min(1).max(TEMPLATE_LIMITS.body);

export const createTemplateSchema = z.object({
  key: z
    .string()
    .trim()
    .min(1)
    .max(TEMPLATE_LIMITS.key)
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, { error: () => tText("templates:errors.keyFormat") }),
  body,
  /** Extra variants; one of body + variants is chosen at random each send. */
  variants: z.array(body).max(TEMPLATE_LIMITS.variants).default([]),
  /** Declared variables (the placeholders found in the texts are always required too). */
  variables: z
    .array(z.string().regex(/^[\w.-]+$/, { error: () => tText("templates:errors.variableFormat") }))
    .max(50)
    .default([]),
  locale: z.string().trim().max(TEMPLATE_LIMITS.locale).nullish(),
  category: z.string().trim().max(TEMPLATE_LIMITS.category).nullish(),
  active: z.boolean().default(true),
});
export type CreateTemplateInput = z.infer<typeof createTemplateSchema>;

/**
 * PATCH: only what is sent changes. Not `createTemplateSchema.partial()`: zod 4 still applies the
 * defaults inside it, so a PATCH of the body alone would clear the variants and re-activate the template.
 */
const { shape } = createTemplateSchema;
export const updateTemplateSchema = z.object({
  key: shape.key.optional(),
  body: body.optional(),
  variants: shape.variants.unwrap().optional(),
  variables: shape.variables.unwrap().optional(),
  locale: shape.locale,
  category: shape.category,
  active: shape.active.unwrap().optional(),
});
export type UpdateTemplateInput = z.infer<typeof updateTemplateSchema>;

export const previewTemplateSchema = z.object({ variables: z.record(z.string(), z.string().max(1000)).default({}) });
