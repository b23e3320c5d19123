import type { GamificationPeriodKind } from "@/db/schema";
import { addDays } from "@/features/reports/reports.service";

/** A scoring period: its key and its days (organization's zone, both included). */
export type Period = { kind: GamificationPeriodKind; key: string; from: string; to: string };

const pad = (n: number) => String(n).padStart(2, "0");

/** ISO week (Monday first) of a `YYYY-MM-DD` day: its year and number. */
function isoWeek(day: string): { year: number; week: number; monday: string } {
  const d = new Date(`${day}T00:00:00Z`);
  const weekday = (d.getUTCDay() + 6) % 7;
  const monday = addDays(day, -weekday);
  const thursday = new Date(`${addDays(monday, 3)}T00:00:00Z`);
  const year = thursday.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const week1Monday = addDays(jan4.toISOString().slice(0, 10), -((jan4.getUTCDay() + 6) % 7));
  const week = Math.round((Date.parse(monday) - Date.parse(week1Monday)) / (7 * 86_400_000)) + 1;
  return { year, week, monday };
}

function lastDayOfMonth(year: number, month: number): string {
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

/** The period of `kind` containing `day`. */
export function periodContaining(kind: GamificationPeriodKind, day: string): Period {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  if (kind === "weekly") {
    const w = isoWeek(day);
    return { kind, key: `${w.year}-W${pad(w.week)}`, from: w.monday, to: addDays(w.monday, 6) };
  }
  if (kind === "quarterly") {
    const q = Math.floor((month - 1) / 3) + 1;
    return { kind, key: `${year}-Q${q}`, from: `${year}-${pad(q * 3 - 2)}-01`, to: lastDayOfMonth(year, q * 3) };
  }
  return { kind, key: `${year}-${pad(month)}`, from: `${year}-${pad(month)}-01`, to: lastDayOfMonth(year, month) };
}

/** The period a key names (`2026-03`, `2026-W09`, `2026-Q1`); null for a malformed key. */
export function periodOfKey(key: string): Period | null {
  const m = /^(\d{4})-(?:(\d{2})|W(\d{2})|Q([1-4]))$/.exec(key);
  if (!m) return null;
  const year = Number(m[1]);
  if (m[2]) {
    const month = Number(m[2]);
    if (month < 1 || month > 12) return null;
    return periodContaining("monthly", `${year}-${pad(month)}-01`);
  }
  if (m[3]) {
    const week = Number(m[3]);
    const jan4 = `${year}-01-04`;
    const monday = addDays(isoWeek(jan4).monday, (week - 1) * 7);
    const period = periodContaining("weekly", monday);
    return period.key === key ? period : null;
  }
  const q = Number(m[4]);
  return periodContaining("quarterly", `${year}-${pad(q * 3 - 2)}-01`);
}

/** The period just before `period`. */
export function previousPeriod(period: Period): Period {
  return periodContaining(period.kind, addDays(period.from, -1));
}
