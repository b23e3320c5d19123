import { z } from "zod";
import { timestamp } from "@/lib/openapi";

const interval = z.object({
  day: z.number().int().describe("0 = Sunday … 6 = Saturday"),
  start: z.string().describe("HH:MM, the organization's time zone"),
  end: z.string().describe("HH:MM (24:00 = midnight), after start"),
});
const holiday = z.object({
  date: z.string().describe("YYYY-MM-DD (with yearly: only month and day count)"),
  name: z.string().nullable(),
  yearly: z.boolean(),
});

/** The JSON `/v1/business-hours` answers (businessHoursJson), documented in /openapi.json. */
export const businessHoursJsonSchema = z.object({
  id: z.string(),
  departmentId: z.string().nullable().describe("Null: the organization's default schedule"),
  enabled: z.boolean().describe("Off: always open"),
  timeZone: z.string().describe("The organization's time zone the times are in"),
  intervals: z.array(interval),
  holidays: z.array(holiday),
  outOfHoursMessage: z.string().nullable().describe("Sent once per conversation and closed period outside hours; null = no reply"),
  updatedAt: timestamp(),
});

export const businessHoursListSchema = z.object({ data: z.array(businessHoursJsonSchema) });
