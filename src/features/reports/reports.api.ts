import { Elysia } from "elysia";
import { authPlugin } from "@/auth/plugin";
import { ok } from "@/lib/openapi";
import { reportCsv, reportCsvFileName } from "./reports.csv";
import { csvResponse, reportJsonSchema } from "./reports.openapi";
import { reportQuerySchema } from "./reports.schema";
import { conversationReport } from "./reports.service";

const tags = ["Reports"];
const description =
  "`from`/`to`: days (`YYYY-MM-DD`) in the organization's time zone, both included (default: the last 30 days, at most 731). " +
  "`bucket`: day, week (Monday first) or month. `groupBy`: agent, department or instance. Filters: departmentId, agentUserId, instanceId. " +
  "A conversation cycle counts on the day it started (first response and resolution included); an NPS answer on the day it was given.";

/** `/v1/reports`: the conversation report as JSON or CSV, read from the daily rollup. */
export const reportsApi = new Elysia({ name: "reports-api" })
  .use(authPlugin)
  .get("/v1/reports/conversations", async ({ caller, query }) => conversationReport(caller, query), {
    apiKey: "messages:read",
    query: reportQuerySchema,
    detail: {
      tags,
      summary: "Conversations, first-response and resolution times, bot vs human, NPS — by period and group",
      description,
      responses: ok(reportJsonSchema),
    },
  })
  .get(
    "/v1/reports/conversations/csv",
    async ({ caller, query, set }) => {
      const report = await conversationReport(caller, query);
      set.headers["content-type"] = "text/csv; charset=utf-8";
      set.headers["content-disposition"] = `attachment; filename="${reportCsvFileName(report)}"`;
      return reportCsv(report);
    },
    {
      apiKey: "messages:read",
      query: reportQuerySchema,
      detail: { tags, summary: "The same report as CSV (one row per bucket, or per group with groupBy)", description, responses: csvResponse },
    },
  );
