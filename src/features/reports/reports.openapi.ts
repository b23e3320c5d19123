import { z } from "zod";
import type { Responses } from "@/lib/openapi";

const metrics = {
  conversations: z.number().int().describe("Conversation cycles started (a contact's message while none was open, or a reopening)"),
  firstResponses: z.number().int().describe("Cycles that got a first response (human or bot)"),
  avgFirstResponseSeconds: z.number().int().nullable(),
  resolved: z.number().int(),
  botResolved: z.number().int().describe("Resolved without a person writing or holding the conversation"),
  humanResolved: z.number().int(),
  avgResolutionSeconds: z.number().int().nullable(),
  npsAnswers: z.number().int(),
  avgNps: z.number().nullable().describe("Average 0–10 answer"),
  nps: z.number().int().nullable().describe("% promoters − % detractors; null without answers"),
};

const rowSchema = z.object({
  key: z.string().nullable().describe("The bucket's first day (series) or the agent / department / instance id (groups)"),
  label: z.string().nullable(),
  ...metrics,
});

export const reportJsonSchema = z.object({
  from: z.string().describe("First day (organization's zone)"),
  to: z.string().describe("Last day, included"),
  timeZone: z.string(),
  bucket: z.enum(["day", "week", "month"]),
  groupBy: z.enum(["none", "agent", "department", "instance"]),
  totals: z.object(metrics),
  series: z.array(rowSchema),
  groups: z.array(rowSchema),
});

/** The CSV export: one row per bucket (or per group with groupBy), the columns of the JSON rows. */
export const csvResponse: Responses = {
  200: { description: "CSV (UTF-8, comma-separated, header row)", content: { "text/csv": { schema: { type: "string" } } } },
};
