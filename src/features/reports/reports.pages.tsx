import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import { takeFlash } from "@/lib/flash";
import { ReportsPage } from "@views/reports/index";
import { reportCsv, reportCsvFileName } from "./reports.csv";
import { reportQuerySchema } from "./reports.schema";
import { conversationReport, reportFilterOptions } from "./reports.service";

/** The reports page (charts, tables, filters) and its CSV export — supervisors and above. */
export const reportsPages = new Elysia({ name: "reports-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/reports",
    async ({ admin, csrfToken, cookie, query, set }) => {
      const parsed = reportQuerySchema.safeParse(query);
      const errors: FieldError[] | undefined = parsed.success
        ? undefined
        : parsed.error.issues.map((i) => ({ path: String(i.path[0] ?? "from"), message: i.message }));
      if (!parsed.success) set.status = 422;
      const [report, filters] = await Promise.all([conversationReport(admin, parsed.success ? parsed.data : {}), reportFilterOptions(admin)]);
      return ReportsPage({ admin, csrfToken, flash: takeFlash(cookie), report, filters, query: parsed.success ? query : {}, errors });
    },
    { member: "supervisor" },
  )
  .get(
    "/reports/export.csv",
    async ({ admin, query, set }) => {
      const parsed = reportQuerySchema.safeParse(query);
      if (!parsed.success) {
        set.status = 422;
        return parsed.error.issues.map((i) => `${String(i.path[0] ?? "from")}: ${i.message}`).join("\n");
      }
      const report = await conversationReport(admin, parsed.data);
      set.headers["content-type"] = "text/csv; charset=utf-8";
      set.headers["content-disposition"] = `attachment; filename="${reportCsvFileName(report)}"`;
      return reportCsv(report);
    },
    { member: "supervisor" },
  );
