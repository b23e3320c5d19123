import type { UsageDay } from "@/features/usage/usage.service";
import type { UsageMetric } from "@/features/usage/usage.service";
import { currentLocale, formatNumber, tText } from "@/lib/i18n";

export type ChartSeries = { metric: UsageMetric; label: string; color: string };

const W = 720;
const H = 220;
const PAD = { top: 12, right: 12, bottom: 28, left: 48 };

/** 1, 2, 5 × 10^n at or above `n`, so gridlines land on round numbers. */
export function niceMax(n: number): number {
  if (n <= 4) return 4;
  const exp = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= n) return m * exp;
  return 10 * exp;
}

/** Short counts for tiles and axes in the reader's language: "1.2K" / "1,2 mil". */
export function compact(n: number): string {
  return new Intl.NumberFormat(currentLocale(), { notation: "compact", maximumFractionDigits: 1 }).format(n);
}

/**
 * A stacked bar chart per day as inline SVG, rendered on the server: no CDN, no client script, and
 * it scales with the container (viewBox). Each bar carries a <title> tooltip with the exact numbers.
 */
export function UsageChart({ title, days, series }: { title: string; days: UsageDay[]; series: ChartSeries[] }) {
  const totals = days.map((d) => series.reduce((sum, s) => sum + d[s.metric], 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(1, slot * 0.78);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const labelEvery = Math.max(1, Math.ceil(days.length / 8));
  const grand = totals.reduce((a, b) => a + b, 0);
  return (
    <figure class="usage-chart card">
      <figcaption>
        <strong safe>{title}</strong>
        <span class="legend">
          {series.map((s) => (
            <span class="legend-item">
              <span class="swatch" style={`background:${s.color}`} />
              <span safe>{s.label}</span>
            </span>
          ))}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={tText("usage:charts.summary", { title, total: formatNumber(grand), days: days.length })}
        preserveAspectRatio="none"
      >
        {[0, 0.25, 0.5, 0.75, 1].map((f) => (
          <g>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} class="grid" />
            <text x={PAD.left - 6} y={y(max * f) + 4} text-anchor="end" class="axis" safe>
              {compact(max * f)}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          let base = 0;
          const x = PAD.left + i * slot + (slot - barW) / 2;
          const tip = `${d.day} · ${series.map((s) => `${s.label}: ${formatNumber(d[s.metric])}`).join(" · ")}`;
          return (
            <g class="bar">
              <title safe>{tip}</title>
              <rect x={x - (slot - barW) / 2} y={PAD.top} width={slot} height={plotH} class="hit" />
              {series.map((s) => {
                const v = d[s.metric];
                if (v <= 0) return "";
                const top = y(base + v);
                const height = y(base) - top;
                base += v;
                return <rect x={x} y={top} width={barW} height={Math.max(0.5, height)} fill={s.color} />;
              })}
              {i % labelEvery === 0 ? (
                <text x={x + barW / 2} y={H - 8} text-anchor="middle" class="axis" safe>
                  {d.day.slice(5)}
                </text>
              ) : (
                ""
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
