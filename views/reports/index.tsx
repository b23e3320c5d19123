import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { Report, ReportRow } from "@/features/reports/reports.service";
import { REPORT_BUCKETS, REPORT_DIMENSIONS } from "@/features/reports/reports.schema";
import { t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { EmptyState, fieldError } from "../components/ui";

type Option = { id: string; name: string };
export type ReportFilters = { departments: Option[]; agents: Option[]; instances: Option[] };

/** Seconds as "1 h 5 min", "3 min 20 s" or "45 s". */
function duration(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${seconds} s`;
}

/**
 * Conversations and resolved per bucket as grouped bars, server-rendered SVG (no chart library: a static
 * image that scales with viewBox to 375 px and needs no script).
 */
export function ConversationsChart(props: { series: ReportRow[] }) {
  const rows = props.series;
  const width = 720;
  const height = 220;
  const pad = 28;
  const max = Math.max(1, ...rows.map((r) => r.conversations));
  const slot = (width - pad * 2) / Math.max(1, rows.length);
  const bar = Math.max(2, slot * 0.38);
  const y = (v: number) => height - pad - ((height - pad * 2) * v) / max;
  return (
    <svg class="report-chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={tText("reports:chartConversations")} width="100%">
      <line x1={String(pad)} y1={String(height - pad)} x2={String(width - pad)} y2={String(height - pad)} stroke="currentColor" stroke-opacity="0.3" />
      <text x={String(pad)} y="14" font-size="12" fill="currentColor" safe>
        {String(max)}
      </text>
      {rows.map((r, i) => {
        const x = pad + i * slot + slot * 0.1;
        return (
          <g data-key={r.key ?? ""}>
            <rect
              x={x.toFixed(1)}
              y={y(r.conversations).toFixed(1)}
              width={bar.toFixed(1)}
              height={(height - pad - y(r.conversations)).toFixed(1)}
              fill="#4f46e5"
            >
              <title safe>{`${r.key}: ${r.conversations}`}</title>
            </rect>
            <rect
              x={(x + bar).toFixed(1)}
              y={y(r.resolved).toFixed(1)}
              width={bar.toFixed(1)}
              height={(height - pad - y(r.resolved)).toFixed(1)}
              fill="#16a34a"
            >
              <title safe>{`${r.key}: ${r.resolved}`}</title>
            </rect>
            {rows.length <= 16 ? (
              <text x={(x + bar).toFixed(1)} y={String(height - 8)} font-size="10" text-anchor="middle" fill="currentColor" safe>
                {(r.key ?? "").slice(5)}
              </text>
            ) : (
              ""
            )}
          </g>
        );
      })}
      <g font-size="11" fill="currentColor">
        <rect x={String(width - 200)} y="6" width="10" height="10" fill="#4f46e5" />
        <text x={String(width - 186)} y="15">
          {t("reports:legendConversations")}
        </text>
        <rect x={String(width - 100)} y="6" width="10" height="10" fill="#16a34a" />
        <text x={String(width - 86)} y="15">
          {t("reports:legendResolved")}
        </text>
      </g>
    </svg>
  );
}

function MetricsTable(props: { rows: ReportRow[]; firstColumn: string; id: string }) {
  if (props.rows.length === 0) return <EmptyState>{t("reports:noData")}</EmptyState>;
  const c = (k: string) => tText(`reports:columns.${k}`);
  return (
    <div class="table-wrap">
      <table class="stack-table" id={props.id}>
        <thead>
          <tr>
            <th safe>{props.firstColumn}</th>
            <th safe>{c("conversations")}</th>
            <th safe>{c("avgFirstResponse")}</th>
            <th safe>{c("resolved")}</th>
            <th safe>{c("botResolved")}</th>
            <th safe>{c("humanResolved")}</th>
            <th safe>{c("avgResolution")}</th>
            <th safe>{c("npsAnswers")}</th>
            <th safe>{c("nps")}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr data-key={r.key ?? ""}>
              <td data-label="" safe>
                {r.label ?? tText("reports:unknown")}
              </td>
              <td data-label={c("conversations")} safe>
                {String(r.conversations)}
              </td>
              <td data-label={c("avgFirstResponse")} safe>
                {duration(r.avgFirstResponseSeconds)}
              </td>
              <td data-label={c("resolved")} safe>
                {String(r.resolved)}
              </td>
              <td data-label={c("botResolved")} safe>
                {String(r.botResolved)}
              </td>
              <td data-label={c("humanResolved")} safe>
                {String(r.humanResolved)}
              </td>
              <td data-label={c("avgResolution")} safe>
                {duration(r.avgResolutionSeconds)}
              </td>
              <td data-label={c("npsAnswers")} safe>
                {String(r.npsAnswers)}
              </td>
              <td data-label={c("nps")} safe>
                {r.nps === null ? "—" : String(r.nps)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Select(props: { name: string; label: string; options: Option[]; value: string | undefined }) {
  return (
    <div class="field">
      <label for={`r-${props.name}`} safe>
        {props.label}
      </label>
      <select id={`r-${props.name}`} name={props.name}>
        <option value="">{t("reports:filters.all")}</option>
        {props.options.map((o) => (
          <option value={o.id} selected={o.id === props.value} safe>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}

export function ReportsPage(props: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  report: Report;
  query: Record<string, string | undefined>;
  filters: ReportFilters;
  errors?: FieldError[];
}) {
  const r = props.report;
  const qs = new URLSearchParams(Object.entries(props.query).filter((e): e is [string, string] => Boolean(e[1]))).toString();
  const err = (path: string) => fieldError(props.errors, path);
  return (
    <AdminLayout title={tText("reports:title")} admin={props.admin} csrfToken={props.csrfToken} active="reports" flash={props.flash}>
      <h1>{t("reports:title")}</h1>
      <p class="muted">{t("reports:intro")}</p>
      <form class="row card wrap" method="get" action="/reports">
        <div class={err("from") ? "field has-error" : "field"}>
          <label for="r-from">{t("reports:filters.from")}</label>
          <input id="r-from" type="date" name="from" value={r.from} />
          {err("from") ? (
            <small class="error" safe>
              {err("from")}
            </small>
          ) : (
            ""
          )}
        </div>
        <div class={err("to") ? "field has-error" : "field"}>
          <label for="r-to">{t("reports:filters.to")}</label>
          <input id="r-to" type="date" name="to" value={r.to} />
          {err("to") ? (
            <small class="error" safe>
              {err("to")}
            </small>
          ) : (
            ""
          )}
        </div>
        <div class="field">
          <label for="r-bucket">{t("reports:filters.bucket")}</label>
          <select id="r-bucket" name="bucket">
            {REPORT_BUCKETS.map((b) => (
              <option value={b} selected={b === r.bucket}>
                {t(`reports:buckets.${b}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="r-groupBy">{t("reports:filters.groupBy")}</label>
          <select id="r-groupBy" name="groupBy">
            {REPORT_DIMENSIONS.map((d) => (
              <option value={d} selected={d === r.groupBy}>
                {t(`reports:dimensions.${d}`)}
              </option>
            ))}
          </select>
        </div>
        <Select name="departmentId" label={tText("reports:filters.department")} options={props.filters.departments} value={props.query.departmentId} />
        <Select name="agentUserId" label={tText("reports:filters.agent")} options={props.filters.agents} value={props.query.agentUserId} />
        <Select name="instanceId" label={tText("reports:filters.instance")} options={props.filters.instances} value={props.query.instanceId} />
        <div class="field">
          <button type="submit">{t("reports:filters.apply")}</button>
        </div>
      </form>
      <p>
        <a class="button secondary" href={`/reports/export.csv${qs ? `?${qs}` : ""}`} download="">
          {t("reports:filters.csv")}
        </a>
      </p>
      <section class="card">
        <h2>{t("reports:totals")}</h2>
        <MetricsTable id="report-totals" rows={[{ key: null, label: `${r.from} – ${r.to}`, ...r.totals }]} firstColumn={tText("reports:columns.period")} />
      </section>
      <section class="card">
        <h2>{t("reports:chartConversations")}</h2>
        {r.series.length === 0 ? <EmptyState>{t("reports:noData")}</EmptyState> : <ConversationsChart series={r.series} />}
      </section>
      <section class="card">
        <h2>{t("reports:series")}</h2>
        <MetricsTable id="report-series" rows={r.series} firstColumn={tText("reports:columns.period")} />
      </section>
      {r.groupBy === "none" ? (
        ""
      ) : (
        <section class="card">
          <h2>{t("reports:groups")}</h2>
          <MetricsTable id="report-groups" rows={r.groups} firstColumn={tText(`reports:dimensions.${r.groupBy}`)} />
        </section>
      )}
    </AdminLayout>
  );
}
