import { stringify } from "csv-stringify/sync";
import { tText } from "@/lib/i18n";
import type { Report, ReportRow } from "./reports.service";

const COLUMNS = [
  "conversations",
  "firstResponses",
  "avgFirstResponseSeconds",
  "resolved",
  "botResolved",
  "humanResolved",
  "avgResolutionSeconds",
  "npsAnswers",
  "avgNps",
  "nps",
] as const satisfies readonly (keyof ReportRow)[];

/**
 * A report as CSV (csv-stringify quotes names with commas, quotes or line breaks): one row per bucket, or
 * per agent / department / instance when the report is broken down; machine column names, empty for null.
 */
export function reportCsv(report: Report): string {
  const grouped = report.groupBy !== "none";
  const rows = grouped ? report.groups : report.series;
  const head = grouped ? [report.groupBy, `${report.groupBy}Name`] : ["period"];
  return stringify(
    rows.map((r) => [...(grouped ? [r.key ?? "", r.label ?? tText("reports:unknown")] : [r.key ?? ""]), ...COLUMNS.map((c) => r[c] ?? "")]),
    { header: true, columns: [...head, ...COLUMNS] },
  );
}

export function reportCsvFileName(report: Report): string {
  return `report-${report.from}-${report.to}${report.groupBy === "none" ? "" : `-${report.groupBy}`}.csv`;
}
