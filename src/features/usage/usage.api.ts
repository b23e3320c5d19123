import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { USAGE_METRICS } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { ok } from "@/lib/openapi";
import { usageReportSchema } from "./usage.openapi";
import { usageQuerySchema } from "./usage.schema";
import { resolveUsageRange, usageReport } from "./usage.service";

/** `/v1/usage`: per-day metered counts of the key's organization. */
export const usageApi = new Elysia({ name: "usage-api", prefix: "/v1/usage" }).use(authPlugin).get(
  "/",
  async ({ apiKey, query }) => {
    // A key bound to one instance sees that instance's usage only.
    if (apiKey.instanceId && query.instanceId && query.instanceId !== apiKey.instanceId)
      throw new AppError("not_found", tText("usage:errors.instanceNotFound"));
    const instanceId = apiKey.instanceId ?? query.instanceId;
    if (!apiKey.organizationId) {
      // Unclaimed (try-before-sign-up) keys are not metered: an all-zero report of the valid range.
      const { from, to } = resolveUsageRange(query);
      return { from, to, instanceId: instanceId ?? null, metrics: USAGE_METRICS, totals: Object.fromEntries(USAGE_METRICS.map((m) => [m, 0])), data: [] };
    }
    const report = await usageReport(apiKey.organizationId, { ...query, instanceId });
    return { from: report.from, to: report.to, instanceId: report.instanceId, metrics: USAGE_METRICS, totals: report.totals, data: report.days };
  },
  {
    apiKey: "usage:read",
    query: usageQuerySchema,
    detail: {
      tags: ["Usage"],
      summary: "Usage per day",
      description:
        "Counts per UTC day of `api_calls`, `messages_sent`, `messages_received`, `deliveries_succeeded`, `deliveries_failed`, `ai_tokens` (model tokens of AI workflow turns, written at once). " +
        "`from`/`to` are inclusive `YYYY-MM-DD` days (default: the last 30 days; at most 366 days); `instanceId` narrows to one instance. " +
        "API calls are written in batches every few seconds, so the current minute may not show yet. Needs the `usage:read` scope.",
      responses: ok(usageReportSchema),
    },
  },
);
