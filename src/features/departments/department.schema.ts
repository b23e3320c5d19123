import { z } from "zod";
import { tText } from "@/lib/i18n";

export const DEPARTMENT_LIMITS = {
  name: 60,
  /** A week: longer idle times are better served by resolving by hand. */
  autoCloseMinutesMax: 10_080,
  autoCloseMessage: 1024,
  members: 500,
  /** WhatsApp list messages carry at most 10 rows. */
  menuOptions: 10,
  greeting: 1000,
  maxAttempts: 10,
  reason: 500,
} as const;

/** Form fields arrive as "" when not set; JSON may send null. Both mean "none". */
const blankToNull = (v: unknown) => (v === "" ? null : v);
/** A checkbox posts "on" (or nothing); JSON sends a boolean. */
const checkbox = z.preprocess((v) => (v === "on" || v === "true" ? true : v === "false" || v === "" ? false : v), z.boolean());
/** One id or a list of them (a form's repeated field arrives as a string when only one is ticked). */
const idList = (message: () => string, max: number) =>
  z.preprocess((v) => (v === undefined || v === "" ? [] : Array.isArray(v) ? v : [v]), z.array(z.uuid({ error: message })).max(max, { error: message }));

const name = z
  .string({ error: () => tText("departments:errors.name", { max: DEPARTMENT_LIMITS.name }) })
  .trim()
  .min(1, { error: () => tText("departments:errors.name", { max: DEPARTMENT_LIMITS.name }) })
  .max(DEPARTMENT_LIMITS.name, { error: () => tText("departments:errors.name", { max: DEPARTMENT_LIMITS.name }) });

export const departmentInputSchema = z.object({
  name,
  /** `#rrggbb`, the badge colour. */
  color: z
    .string()
    .trim()
    .regex(/^#[0-9a-fA-F]{6}$/, { error: () => tText("departments:errors.color") })
    .transform((v) => v.toLowerCase())
    .optional(),
  active: checkbox.optional(),
  /** Resolve after this many minutes without a contact reply; null = never. */
  autoCloseMinutes: z
    .preprocess(
      (v) => (v === "" ? null : typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
      z
        .number({ error: () => tText("departments:errors.autoCloseMinutes", { max: DEPARTMENT_LIMITS.autoCloseMinutesMax }) })
        .int({ error: () => tText("departments:errors.autoCloseMinutes", { max: DEPARTMENT_LIMITS.autoCloseMinutesMax }) })
        .min(1, { error: () => tText("departments:errors.autoCloseMinutes", { max: DEPARTMENT_LIMITS.autoCloseMinutesMax }) })
        .max(DEPARTMENT_LIMITS.autoCloseMinutesMax, {
          error: () => tText("departments:errors.autoCloseMinutes", { max: DEPARTMENT_LIMITS.autoCloseMinutesMax }),
        })
        .nullable(),
    )
    .optional(),
  /** Sent to the contact when auto-close resolves the conversation; null = none. */
  autoCloseMessage: z
    .preprocess(
      blankToNull,
      z
        .string()
        .trim()
        .max(DEPARTMENT_LIMITS.autoCloseMessage, { error: () => tText("departments:errors.autoCloseMessage", { max: DEPARTMENT_LIMITS.autoCloseMessage }) })
        .nullable(),
    )
    .optional(),
  /** The members' user ids (members of the organization); replaces the list when given. */
  memberIds: idList(() => tText("departments:errors.members"), DEPARTMENT_LIMITS.members).optional(),
});
export type DepartmentInput = z.output<typeof departmentInputSchema>;
/** PATCH: only what is sent changes. */
export const departmentPatchSchema = departmentInputSchema.partial();
export type DepartmentPatch = z.output<typeof departmentPatchSchema>;

/** The greeting menu of one instance. `options`: department ids in the order the menu numbers them. */
export const greetingMenuSchema = z.object({
  enabled: checkbox.default(false),
  greeting: z
    .string()
    .trim()
    .max(DEPARTMENT_LIMITS.greeting, { error: () => tText("departments:errors.greeting", { max: DEPARTMENT_LIMITS.greeting }) })
    .default(""),
  options: idList(() => tText("departments:errors.options", { max: DEPARTMENT_LIMITS.menuOptions }), DEPARTMENT_LIMITS.menuOptions).default([]),
  maxAttempts: z
    .preprocess(
      (v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v === "" ? undefined : v),
      z
        .number({ error: () => tText("departments:errors.maxAttempts", { max: DEPARTMENT_LIMITS.maxAttempts }) })
        .int({ error: () => tText("departments:errors.maxAttempts", { max: DEPARTMENT_LIMITS.maxAttempts }) })
        .min(1, { error: () => tText("departments:errors.maxAttempts", { max: DEPARTMENT_LIMITS.maxAttempts }) })
        .max(DEPARTMENT_LIMITS.maxAttempts, { error: () => tText("departments:errors.maxAttempts", { max: DEPARTMENT_LIMITS.maxAttempts }) }),
    )
    .default(3),
  /** Where the conversation goes after `maxAttempts` invalid answers; null = a human, unrouted. */
  fallbackDepartmentId: z.preprocess(blankToNull, z.uuid({ error: () => tText("departments:errors.fallback") }).nullable()).default(null),
});
export type GreetingMenuInput = z.output<typeof greetingMenuSchema>;

/** A transfer: to a department and/or an agent (null: none), with the reason shown on the activity line. */
export const transferSchema = z.object({
  departmentId: z.preprocess(
    (v) => (v === "" ? undefined : v === "none" ? null : v),
    z
      .uuid({ error: () => tText("departments:errors.unknownDepartment") })
      .nullable()
      .optional(),
  ),
  userId: z.preprocess(
    (v) => (v === "" ? undefined : v === "none" ? null : v),
    z
      .uuid({ error: () => tText("members:errors.notMember") })
      .nullable()
      .optional(),
  ),
  reason: z
    .string({ error: () => tText("departments:errors.reason", { max: DEPARTMENT_LIMITS.reason }) })
    .trim()
    .min(1, { error: () => tText("departments:errors.reason", { max: DEPARTMENT_LIMITS.reason }) })
    .max(DEPARTMENT_LIMITS.reason, { error: () => tText("departments:errors.reason", { max: DEPARTMENT_LIMITS.reason }) }),
});
export type TransferBody = z.output<typeof transferSchema>;
