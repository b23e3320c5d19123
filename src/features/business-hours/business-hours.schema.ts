import { z } from "zod";
import { tText } from "@/lib/i18n";

export const BUSINESS_HOURS_LIMITS = { intervalsPerDay: 6, holidays: 100, holidayName: 80, message: 1000 } as const;

const TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

export const openingIntervalSchema = z
  .object({
    /** 0 = Sunday … 6 = Saturday. */
    day: z.number().int().min(0).max(6),
    start: z.string().regex(TIME, { error: () => tText("business-hours:errors.time") }),
    end: z.string().regex(TIME, { error: () => tText("business-hours:errors.time") }),
  })
  .refine((i) => minutes(i.end) > minutes(i.start), { path: ["end"], error: () => tText("business-hours:errors.endBeforeStart") });

export const holidaySchema = z.object({
  date: z
    .string()
    .regex(DATE, { error: () => tText("business-hours:errors.date") })
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), {
      error: () => tText("business-hours:errors.date"),
    }),
  name: z
    .string()
    .trim()
    .max(BUSINESS_HOURS_LIMITS.holidayName)
    .nullable()
    .optional()
    .transform((v) => v || null),
  /** Repeats every year on the same month and day. */
  yearly: z.boolean().optional().default(false),
});

/** Overlapping intervals on one weekday are refused (they would double-count SLA time nowhere, but read as a typo). */
function overlaps(intervals: { day: number; start: string; end: string }[]): boolean {
  for (let day = 0; day < 7; day++) {
    const of = intervals.filter((i) => i.day === day).sort((a, b) => minutes(a.start) - minutes(b.start));
    for (let i = 1; i < of.length; i++) if (minutes(of[i]!.start) < minutes(of[i - 1]!.end)) return true;
  }
  return false;
}

export const businessHoursSchema = z.object({
  enabled: z.boolean().optional().default(true),
  intervals: z
    .array(openingIntervalSchema)
    .max(7 * BUSINESS_HOURS_LIMITS.intervalsPerDay)
    .refine((list) => !overlaps(list), { error: () => tText("business-hours:errors.overlap") }),
  holidays: z.array(holidaySchema).max(BUSINESS_HOURS_LIMITS.holidays).optional().default([]),
  /** Sent outside hours, once per conversation and closed period; null or "" = no reply. */
  outOfHoursMessage: z
    .string()
    .trim()
    .max(BUSINESS_HOURS_LIMITS.message)
    .nullable()
    .optional()
    .transform((v) => v || null),
});
export type BusinessHoursInput = z.infer<typeof businessHoursSchema>;
export type BusinessHoursInputRaw = z.input<typeof businessHoursSchema>;

/**
 * The form's text fields: one per weekday ("08:00-12:00, 13:00-18:00"), holidays one per line
 * ("2026-04-03 Sexta-feira Santa" once; "12-25 Natal" every year). Parsing errors name the field.
 */
export function businessHoursFromForm(form: {
  enabled: boolean;
  days: string[];
  holidays: string[];
  outOfHoursMessage: string;
}): { ok: true; value: BusinessHoursInputRaw } | { ok: false; errors: { path: string; message: string }[] } {
  const errors: { path: string; message: string }[] = [];
  const intervals: { day: number; start: string; end: string }[] = [];
  form.days.forEach((text, day) => {
    for (const part of text
      .split(/[,;]/)
      .map((p) => p.trim())
      .filter(Boolean)) {
      const m = /^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/.exec(part);
      if (!m) {
        errors.push({ path: `day${day}`, message: tText("business-hours:errors.dayFormat") });
        return;
      }
      intervals.push({ day, start: m[1]!.padStart(5, "0"), end: m[2]!.padStart(5, "0") });
    }
  });
  const holidays: { date: string; name: string | null; yearly: boolean }[] = [];
  for (const line of form.holidays) {
    const m = /^(\d{4}-\d{2}-\d{2}|\d{2}-\d{2})(?:\s+(.*))?$/.exec(line);
    if (!m) {
      errors.push({ path: "holidays", message: tText("business-hours:errors.holidayFormat") });
      break;
    }
    const yearly = m[1]!.length === 5;
    // A yearly holiday is stored on a leap year so 02-29 stays valid.
    holidays.push({ date: yearly ? `2000-${m[1]}` : m[1]!, name: m[2]?.trim() || null, yearly });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { enabled: form.enabled, intervals, holidays, outOfHoursMessage: form.outOfHoursMessage } };
}
