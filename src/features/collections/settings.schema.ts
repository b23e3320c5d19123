import { z } from "zod";
import { PAYMENT_METHODS } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const SETTINGS_LIMITS = { reminderDaysMax: 30, promiseMaxDaysMax: 365 } as const;

const msg = (key: string, values?: Record<string, string | number>) => ({ error: () => tText(`collections:errors.${key}`, values) });
const blankToNull = (v: unknown) => (v === "" ? null : v);

/** The organization's collection rules; every field optional on update (omitted = unchanged). */
export const settingsSchema = z.object({
  remindersEnabled: z.preprocess((v) => (v === "on" || v === "true" ? true : v === "false" ? false : v), z.boolean()).optional(),
  reminderDaysBefore: z.coerce
    .number()
    .int()
    .min(0, msg("reminderDays", { max: SETTINGS_LIMITS.reminderDaysMax }))
    .max(SETTINGS_LIMITS.reminderDaysMax, msg("reminderDays", { max: SETTINGS_LIMITS.reminderDaysMax }))
    .optional(),
  promiseMaxDays: z
    .preprocess(
      blankToNull,
      z.coerce
        .number()
        .int()
        .min(1, msg("promiseMaxDays", { max: SETTINGS_LIMITS.promiseMaxDaysMax }))
        .max(SETTINGS_LIMITS.promiseMaxDaysMax, msg("promiseMaxDays", { max: SETTINGS_LIMITS.promiseMaxDaysMax }))
        .nullable(),
    )
    .optional(),
  allowedMethods: z
    .array(z.enum(PAYMENT_METHODS, msg("methodUnknown")))
    .min(1, msg("methodsRequired"))
    .optional(),
});
export type SettingsInput = z.output<typeof settingsSchema>;
