import { z } from "zod";
import { USAGE_METRICS } from "@/db/schema";

const counts = z.object(Object.fromEntries(USAGE_METRICS.map((m) => [m, z.number().int()])) as Record<(typeof USAGE_METRICS)[number], z.ZodNumber>);

/** The JSON `GET /v1/usage` answers, documented in /openapi.json. */
export const usageReportSchema = z.object({
  from: z.string().describe("YYYY-MM-DD, inclusive"),
  to: z.string().describe("YYYY-MM-DD, inclusive"),
  instanceId: z.string().nullable(),
  metrics: z.array(z.enum(USAGE_METRICS)),
  totals: counts,
  data: z.array(counts.extend({ day: z.string().describe("YYYY-MM-DD (UTC)") })),
});
