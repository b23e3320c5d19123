import { z } from "zod";
import { CONTACT_FIELD_TYPES } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const FIELD_DEFINITION_LIMITS = { keyMax: 40, labelMax: 80, perOrganization: 50 } as const;

/** Keys are the jsonb key, the CSV column name and the filter name: lower-case letters, digits and `_`. */
export const fieldDefinitionCreateSchema = z.object({
  key: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z][a-z0-9_]*$/, { error: () => tText("contacts:schema.fieldKeyInvalid") })
    .max(FIELD_DEFINITION_LIMITS.keyMax, { error: () => tText("contacts:schema.fieldKeyInvalid") }),
  label: z
    .string()
    .trim()
    .min(1, { error: () => tText("contacts:schema.fieldLabelRequired") })
    .max(FIELD_DEFINITION_LIMITS.labelMax),
  type: z.enum(CONTACT_FIELD_TYPES, { error: () => tText("contacts:schema.fieldTypeInvalid") }),
});
export type FieldDefinitionCreateInput = z.output<typeof fieldDefinitionCreateSchema>;

/** The key and type are fixed once values exist under them; the label can change. */
export const fieldDefinitionUpdateSchema = z.object({ label: fieldDefinitionCreateSchema.shape.label });
