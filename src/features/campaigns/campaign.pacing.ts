import type { ActiveHours, Pacing } from "@/db/schema/campaigns";

/**
 * The pure rules of campaign pacing, each taking the time it is asked about (so tests drive a clock):
 * active hours in the organization's zone, the gap between two sends of one number, and the daily cap
 * of a number (lower while it warms up).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Weekday (0 = Sunday), day key and minute of the day at `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): { weekday: number; day: string; minute: number } {
  const p: Record<string, string> = {};
  for (const part of formatterOf(timeZone).formatToParts(at)) p[part.type] = part.value;
  return { weekday: WEEKDAYS.indexOf(p.weekday!), day: `${p.year}-${p.month}-${p.day}`, minute: (Number(p.hour) % 24) * 60 + Number(p.minute) };
}

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
}

/** Inside the active hours: an allowed weekday and start <= time < end (in the zone). */
export function withinActiveHours(hours: ActiveHours, at: Date, timeZone: string): boolean {
  const local = localTime(at, timeZone);
  if (!hours.weekdays.includes(local.weekday)) return false;
  return minutesOf(hours.start) <= local.minute && local.minute < minutesOf(hours.end);
}

/** Inside the campaign's schedule (start, end) and active hours. */
export function sendingAllowed(c: { startsAt: Date | null; endsAt: Date | null; activeHours: ActiveHours }, at: Date, timeZone: string): boolean {
  if (c.startsAt && at < c.startsAt) return false;
  if (c.endsAt && at >= c.endsAt) return false;
  return withinActiveHours(c.activeHours, at, timeZone);
}

/** The wait after a send: 60 s / rate, lengthened by up to `jitterPercent` (never shortened, so never above the rate). */
export function gapMs(pacing: Pacing, random: number = Math.random()): number {
  const base = 60_000 / pacing.perMinute;
  return Math.ceil(base * (1 + (pacing.jitterPercent / 100) * random));
}

/**
 * The day's cap of a number `ageDays` old: the campaign's cap, or while younger than `warmupDays`
 * a linear ramp from `warmupStartPerDay` on day 0 up to the cap.
 */
export function dailyCapFor(pacing: Pacing, ageDays: number): number {
  if (pacing.warmupDays <= 0 || ageDays >= pacing.warmupDays) return pacing.dailyCap;
  const start = Math.min(pacing.warmupStartPerDay, pacing.dailyCap);
  const ramp = start + ((pacing.dailyCap - start) * Math.max(0, ageDays)) / pacing.warmupDays;
  return Math.max(1, Math.floor(ramp));
}

/** Whole days between a number's first known time and `at`. */
export function ageInDays(since: Date, at: Date): number {
  return Math.max(0, Math.floor((at.getTime() - since.getTime()) / 86_400_000));
}

/** The variant a target gets: by its position (sequential rotation) or at random. */
export function variantIndexFor(rotation: "sequential" | "random", count: number, position: number, random: number = Math.random()): number {
  if (count <= 1) return 0;
  return rotation === "sequential" ? position % count : Math.floor(random * count) % count;
}
