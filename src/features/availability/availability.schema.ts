import { z } from "zod";
import { AVAILABILITY_STATUSES } from "@/db/schema";
import { tText } from "@/lib/i18n";

export const AVAILABILITY_LIMITS = { capacityMax: 100, awayAfterMinutesMax: 24 * 60 } as const;

export const setAvailabilitySchema = z.object({
  status: z.enum(AVAILABILITY_STATUSES, { error: () => tText("availability:errors.status") }),
});

/** Form fields arrive as strings: "" means none (the department's default capacity). */
const numberish = (v: unknown) => (v === "" || v === null ? null : typeof v === "string" ? Number(v) : v);

export const memberCapacitySchema = z.object({
  /** Null: the default capacity of each department the member belongs to. */
  capacity: z.preprocess(
    numberish,
    z
      .number({ error: () => tText("availability:errors.capacity") })
      .int({ error: () => tText("availability:errors.capacity") })
      .min(0, { error: () => tText("availability:errors.capacity") })
      .max(AVAILABILITY_LIMITS.capacityMax, { error: () => tText("availability:errors.capacity") })
      .nullable(),
  ),
});

export const availabilitySettingsSchema = z.object({
  /** Online members turn away after this many minutes without a request or heartbeat. */
  awayAfterMinutes: z.preprocess(
    numberish,
    z
      .number({ error: () => tText("availability:errors.awayAfter") })
      .int({ error: () => tText("availability:errors.awayAfter") })
      .min(1, { error: () => tText("availability:errors.awayAfter") })
      .max(AVAILABILITY_LIMITS.awayAfterMinutesMax, { error: () => tText("availability:errors.awayAfter") }),
  ),
});
export type AvailabilitySettingsInput = z.infer<typeof availabilitySettingsSchema>;

export const assignmentSettingsSchema = z.object({
  autoAssign: z.boolean(),
  defaultCapacity: z.preprocess(
    numberish,
    z
      .number({ error: () => tText("availability:errors.capacity") })
      .int({ error: () => tText("availability:errors.capacity") })
      .min(0, { error: () => tText("availability:errors.capacity") })
      .max(AVAILABILITY_LIMITS.capacityMax, { error: () => tText("availability:errors.capacity") }),
  ),
});
export type AssignmentSettingsInput = z.infer<typeof assignmentSettingsSchema>;
