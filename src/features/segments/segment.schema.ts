import { z } from "zod";
import { tText } from "@/lib/i18n";
import { UFS } from "@/features/contacts/contact-fields";
import { tagsSchema } from "@/features/contacts/contact.schema";

export const SEGMENT_LIMITS = { nameMax: 80, previewSize: 20, customMax: 10, perOrganization: 200 } as const;

/** An ISO date or date-time (a form's `datetime-local` value reads in UTC unless it carries an offset). */
const instantSchema = z
  .string()
  .trim()
  .refine((v) => v === "" || !Number.isNaN(new Date(v).getTime()), { error: () => tText("segments:schema.dateInvalid") })
  .transform((v) => (v === "" ? undefined : new Date(v).toISOString()))
  .optional();

/** The saved filter: every condition given must hold; opted-out and blocked contacts are left out unless `excludeOptedOut` is false. */
export const segmentFilterSchema = z.object({
  tags: tagsSchema.optional(),
  city: z
    .string()
    .trim()
    .max(120)
    .transform((v) => v || undefined)
    .optional(),
  state: z
    .string()
    .trim()
    .toUpperCase()
    .refine((v) => v === "" || (UFS as readonly string[]).includes(v), { error: () => tText("segments:schema.stateInvalid") })
    .transform((v) => v || undefined)
    .optional(),
  custom: z
    .record(
      z
        .string()
        .regex(/^[a-z][a-z0-9_]*$/)
        .max(40),
      z.union([z.string().max(200), z.number(), z.boolean()]).transform(String),
    )
    .refine((r) => Object.keys(r).length <= SEGMENT_LIMITS.customMax, { error: () => tText("segments:schema.customMax", { count: SEGMENT_LIMITS.customMax }) })
    .optional(),
  lastInteractionAfter: instantSchema,
  lastInteractionBefore: instantSchema,
  excludeOptedOut: z.boolean().optional(),
});
export type SegmentFilterInput = z.output<typeof segmentFilterSchema>;

export const segmentCreateSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, { error: () => tText("segments:schema.nameRequired") })
    .max(SEGMENT_LIMITS.nameMax, { error: () => tText("segments:schema.nameMax", { count: SEGMENT_LIMITS.nameMax }) }),
  filter: segmentFilterSchema.default({}),
});
export type SegmentCreateInput = z.output<typeof segmentCreateSchema>;

export const segmentUpdateSchema = segmentCreateSchema.partial();
export type SegmentUpdateInput = z.output<typeof segmentUpdateSchema>;
