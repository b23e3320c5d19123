import type { AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import type { AiTokenBudget, UsageReport } from "@/features/usage/usage.service";
import { USAGE_LIMITS, usageMetricLabel } from "@/features/usage/usage.schema";
import { formatNumber, t, tText } from "@/lib/i18n";
import { USAGE_METRICS } from "@/db/schema";
import { EmptyState, Field, fieldError } from "../components/ui";
import { AdminLayout } from "../layouts/admin";
import { UsageChart, compact } from "./_chart";

export type UsageFilterValues = { from?: string; to?: string; instanceId?: string };

type Props = {
  admin: AdminContext;
  csrfToken: string;
  report: UsageReport | null;
  values: UsageFilterValues;
  errors?: FieldError[];
  instances: { id: string; name: string }[];
  today: string;
  budget: AiTokenBudget;
  canSetLimit: boolean;
  flash?: Flash;
};

/** This month's AI tokens against the organization's monthly limit; admins set the limit here. */
export function AiTokenLimitForm(props: { budget: AiTokenBudget; value?: string; errors?: FieldError[]; canSetLimit: boolean }) {
  const { used, limit, month } = props.budget;
  return (
    <section id="ai-token-limit" class="card">
      <h2>{t("usage:aiTokens.title")}</h2>
      <p safe>
        {limit === null
          ? tText("usage:aiTokens.usedNoLimit", { used: formatNumber(used), month })
          : tText("usage:aiTokens.used", { used: formatNumber(used), limit: formatNumber(limit), month })}
      </p>
      {limit !== null && used >= limit ? <p class="error">{t("usage:aiTokens.reached")}</p> : ""}
      {props.canSetLimit ? (
        <form method="post" action="/usage/ai-token-limit" hx-post="/usage/ai-token-limit" hx-target="#ai-token-limit" hx-swap="outerHTML" class="row">
          <Field
            label={tText("usage:aiTokens.limitLabel")}
            name="aiTokensPerMonth"
            value={props.value ?? (limit === null ? "" : String(limit))}
            errors={props.errors}
            hint={tText("usage:aiTokens.limitHint")}
          />
          <button type="submit">{t("usage:aiTokens.save")}</button>
        </form>
      ) : (
        ""
      )}
    </section>
  );
}

const PRESETS = [7, 30, 90, 365] as const;

function presetHref(days: number, today: string, instanceId?: string): string {
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const q = new URLSearchParams({ from, to: today });
  if (instanceId) q.set("instanceId", instanceId);
  return `/usage?${q}`;
}

function DateField({ label, name, value, errors }: { label: string; name: string; value?: string; errors?: FieldError[] }) {
  const error = fieldError(errors, name);
  return (
    <div class={error ? "field has-error" : "field"}>
      <label for={`f-${name}`} safe>
        {label}
      </label>
      <input id={`f-${name}`} name={name} type="date" value={value} aria-invalid={error ? "true" : undefined} />
      {error ? (
        <small class="error" safe>
          {error}
        </small>
      ) : (
        ""
      )}
    </div>
  );
}

/** Usage: range selector, one chart per metric group, and the per-day table. */
export function UsagePage({ admin, csrfToken, report, values, errors, instances, today, budget, canSetLimit, flash }: Props) {
  const instanceError = fieldError(errors, "instanceId");
  const from = report?.from ?? values.from;
  const to = report?.to ?? values.to;
  return (
    <AdminLayout title={tText("usage:title")} admin={admin} csrfToken={csrfToken} active="usage" flash={flash}>
      <link rel="stylesheet" href="/static/usage.css" />
      <h1>{t("usage:title")}</h1>
      <AiTokenLimitForm budget={budget} canSetLimit={canSetLimit} />
      <form method="get" action="/usage" class="card usage-filters">
        <DateField label={tText("usage:filters.from")} name="from" value={from} errors={errors} />
        <DateField label={tText("usage:filters.to")} name="to" value={to} errors={errors} />
        <div class={instanceError ? "field has-error" : "field"}>
          <label for="f-instanceId">{t("usage:filters.instance")}</label>
          <select id="f-instanceId" name="instanceId">
            <option value="">{t("usage:filters.allInstances")}</option>
            {instances.map((i) => (
              <option value={i.id} selected={i.id === values.instanceId} safe>
                {i.name}
              </option>
            ))}
          </select>
          {instanceError ? (
            <small class="error" safe>
              {instanceError}
            </small>
          ) : (
            ""
          )}
        </div>
        <div class="row filter-actions">
          <button type="submit">{t("usage:filters.show")}</button>
        </div>
        <div class="row presets">
          <span class="muted small">{t("usage:filters.last")}</span>
          {PRESETS.map((d) => (
            <a href={presetHref(d, today, values.instanceId)} class="small">
              {t("usage:filters.days", { count: d })}
            </a>
          ))}
        </div>
      </form>
      {!report ? (
        <EmptyState>{t("usage:fixRange", { count: USAGE_LIMITS.maxRangeDays })}</EmptyState>
      ) : (
        <>
          <div class="grid usage-totals">
            {USAGE_METRICS.map((m) => (
              <div class="card">
                <div class="muted small" safe>
                  {usageMetricLabel(m)}
                </div>
                <div class="stat" title={formatNumber(report.totals[m])} safe>
                  {compact(report.totals[m])}
                </div>
              </div>
            ))}
          </div>
          {USAGE_METRICS.every((m) => !report.totals[m]) ? <EmptyState>{t("usage:nothingYet")}</EmptyState> : ""}
          <div class="usage-charts">
            <UsageChart
              title={tText("usage:charts.apiCalls")}
              days={report.days}
              series={[{ metric: "api_calls", label: tText("usage:charts.apiCalls"), color: "#128c7e" }]}
            />
            <UsageChart
              title={tText("usage:charts.messages")}
              days={report.days}
              series={[
                { metric: "messages_sent", label: tText("usage:charts.sent"), color: "#2f6fde" },
                { metric: "messages_received", label: tText("usage:charts.received"), color: "#8fb3f0" },
              ]}
            />
            <UsageChart
              title={tText("usage:charts.deliveries")}
              days={report.days}
              series={[
                { metric: "deliveries_succeeded", label: tText("usage:charts.ok"), color: "#1a7f37" },
                { metric: "deliveries_failed", label: tText("usage:charts.failed"), color: "#cf222e" },
              ]}
            />
            <UsageChart
              title={tText("usage:charts.aiTokens")}
              days={report.days}
              series={[{ metric: "ai_tokens", label: tText("usage:charts.aiTokens"), color: "#8250df" }]}
            />
          </div>
          <p class="muted small">{t("usage:note")}</p>
          <h2>{t("usage:perDay")}</h2>
          <div class="table-wrap">
            <table class="usage-table">
              <thead>
                <tr>
                  <th>{t("usage:day")}</th>
                  {USAGE_METRICS.map((m) => (
                    <th class="num" safe>
                      {usageMetricLabel(m)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {[...report.days].reverse().map((d) => (
                  <tr>
                    <td class="nowrap" safe>
                      {d.day}
                    </td>
                    {USAGE_METRICS.map((m) => (
                      <td class="num" safe>
                        {formatNumber(d[m])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th>{t("usage:total")}</th>
                  {USAGE_METRICS.map((m) => (
                    <th class="num" safe>
                      {formatNumber(report.totals[m])}
                    </th>
                  ))}
                </tr>
              </tfoot>
            </table>
          </div>
        </>
      )}
    </AdminLayout>
  );
}
