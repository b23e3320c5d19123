import type { Holiday, OpeningInterval } from "@/db/schema";
import { zonedWallTimeToDate } from "@/lib/i18n";

/**
 * Evaluating a weekly schedule in a time zone. No date library is in the tree and Bun has no Temporal
 * yet, so wall-clock time comes from Intl (the platform's tz database, read through lib/i18n's
 * zonedWallTimeToDate for wall time → instant): a zone's offset is read at each instant, which is right both for Brazil's zones (no DST since 2019) and for zones with DST, where a
 * day may last 23 or 25 hours. Pure functions: no database, no clock.
 */
export type Schedule = {
  timeZone: string;
  /** Off: always open. */
  enabled: boolean;
  intervals: readonly OpeningInterval[];
  holidays: readonly Holiday[];
};

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How far back or ahead a search for an opening looks (a year of holidays plus a margin). */
const SEARCH_DAYS = 400;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

type WallTime = { year: number; month: number; day: number; hour: number; minute: number; second: number };

function wallTime(at: Date, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatterOf(timeZone).formatToParts(at)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

/** The instant a wall-clock minute of a local day happens in the zone (minute 1440 = the next day's midnight). */
function zonedInstant(d: LocalDay, minuteOfDay: number, timeZone: string): number {
  const day = minuteOfDay >= 1440 ? addDays(d, 1) : d;
  const m = minuteOfDay % 1440;
  return zonedWallTimeToDate(`${day.year}-${pad(day.month)}-${pad(day.day)}T${pad(Math.floor(m / 60))}:${pad(m % 60)}`, timeZone).getTime();
}

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
}

const pad = (n: number) => String(n).padStart(2, "0");

function isHoliday(holidays: readonly Holiday[], year: number, month: number, day: number): boolean {
  const monthDay = `${pad(month)}-${pad(day)}`;
  const date = `${year}-${monthDay}`;
  return holidays.some((h) => h.date === date || (h.yearly && h.date.slice(5) === monthDay));
}

type LocalDay = { year: number; month: number; day: number };

/** The calendar day `offset` days after `d` (proleptic Gregorian, no zone involved). */
function addDays(d: LocalDay, offset: number): LocalDay {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day) + offset * DAY);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** The open intervals of one local day as [start, end) instants, in order (none on a holiday). */
function openIntervalsOn(schedule: Schedule, d: LocalDay): [number, number][] {
  if (isHoliday(schedule.holidays, d.year, d.month, d.day)) return [];
  const weekday = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return schedule.intervals
    .filter((i) => i.day === weekday)
    .map((i): [number, number] => [zonedInstant(d, minutesOf(i.start), schedule.timeZone), zonedInstant(d, minutesOf(i.end), schedule.timeZone)])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
}

function localDayOf(ms: number, timeZone: string): LocalDay {
  const w = wallTime(new Date(ms), timeZone);
  return { year: w.year, month: w.month, day: w.day };
}

/** Whether the schedule is open at an instant (always, when business hours are off). */
export function isOpenAt(schedule: Schedule, at: Date): boolean {
  if (!schedule.enabled) return true;
  const ms = at.getTime();
  return openIntervalsOn(schedule, localDayOf(ms, schedule.timeZone)).some(([s, e]) => s <= ms && ms < e);
}

/**
 * Milliseconds of open time between two instants (0 when `to` is not after `from`): what an SLA clock
 * counts, paused while closed. Business hours off: the plain elapsed time.
 */
export function businessMsBetween(schedule: Schedule, from: Date, to: Date): number {
  const start = from.getTime();
  const end = to.getTime();
  if (end <= start) return 0;
  if (!schedule.enabled) return end - start;
  let total = 0;
  // One day before the start's local day: an interval ending at 24:00 of the previous day never reaches it, but a zone's day can begin before `start` in UTC.
  let day = addDays(localDayOf(start, schedule.timeZone), -1);
  const last = localDayOf(end, schedule.timeZone);
  const lastKey = Date.UTC(last.year, last.month - 1, last.day);
  while (Date.UTC(day.year, day.month - 1, day.day) <= lastKey) {
    for (const [s, e] of openIntervalsOn(schedule, day)) {
      const overlap = Math.min(e, end) - Math.max(s, start);
      if (overlap > 0) total += overlap;
    }
    day = addDays(day, 1);
  }
  return total;
}

/**
 * When the closed period around `at` began: the end of the last opening before it, or null when the
 * schedule is open at `at`. A schedule with no opening in the searched year reports the epoch, so every
 * message of an always-closed schedule falls in one period.
 */
export function closedSince(schedule: Schedule, at: Date): Date | null {
  if (isOpenAt(schedule, at)) return null;
  const ms = at.getTime();
  let day = localDayOf(ms, schedule.timeZone);
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const ended = openIntervalsOn(schedule, day)
      .map(([, e]) => e)
      .filter((e) => e <= ms);
    if (ended.length > 0) return new Date(Math.max(...ended));
    day = addDays(day, -1);
  }
  return new Date(0);
}

/** The next time the schedule opens after `at` (null: no opening within a year). */
export function nextOpening(schedule: Schedule, at: Date): Date | null {
  if (isOpenAt(schedule, at)) return at;
  const ms = at.getTime();
  let day = localDayOf(ms, schedule.timeZone);
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const start = openIntervalsOn(schedule, day).find(([s]) => s > ms);
    if (start) return new Date(start[0]);
    day = addDays(day, 1);
  }
  return null;
}
