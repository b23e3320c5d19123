import { describe, expect, test } from "bun:test";
import { businessMsBetween, closedSince, isOpenAt, nextOpening, type Schedule } from "@/features/business-hours/schedule";

const HOUR = 3_600_000;
const weekdays = [1, 2, 3, 4, 5].flatMap((day) => [
  { day, start: "08:00", end: "12:00" },
  { day, start: "13:00", end: "18:00" },
]);

const saoPaulo: Schedule = {
  timeZone: "America/Sao_Paulo",
  enabled: true,
  intervals: weekdays,
  holidays: [
    { date: "2000-12-25", name: "Natal", yearly: true },
    { date: "2026-12-08", name: "Feriado municipal", yearly: false },
  ],
};

describe("isOpenAt", () => {
  test("weekday intervals in São Paulo (UTC−3, no DST)", () => {
    // Friday 2026-12-04.
    expect(isOpenAt(saoPaulo, new Date("2026-12-04T10:59:00Z"))).toBe(false); // 07:59
    expect(isOpenAt(saoPaulo, new Date("2026-12-04T11:00:00Z"))).toBe(true); // 08:00
    expect(isOpenAt(saoPaulo, new Date("2026-12-04T15:30:00Z"))).toBe(false); // 12:30 lunch
    expect(isOpenAt(saoPaulo, new Date("2026-12-04T20:59:00Z"))).toBe(true); // 17:59
    expect(isOpenAt(saoPaulo, new Date("2026-12-04T21:00:00Z"))).toBe(false); // 18:00 closes
    // Saturday 09:00.
    expect(isOpenAt(saoPaulo, new Date("2026-12-05T12:00:00Z"))).toBe(false);
  });

  test("the local day decides, not UTC's: Friday 20:00 in São Paulo is Saturday in UTC", () => {
    const lateFriday: Schedule = { ...saoPaulo, intervals: [{ day: 5, start: "19:00", end: "24:00" }] };
    expect(isOpenAt(lateFriday, new Date("2026-12-05T02:30:00Z"))).toBe(true); // Fri 23:30 local, Sat UTC
    expect(isOpenAt(lateFriday, new Date("2026-12-05T03:00:00Z"))).toBe(false); // Sat 00:00 local
  });

  test("holidays: a yearly one every year, a dated one only that year", () => {
    // 2026-12-25 and 2028-12-25 are weekdays (Friday, Monday) at 10:00 local.
    expect(isOpenAt(saoPaulo, new Date("2026-12-25T13:00:00Z"))).toBe(false);
    expect(isOpenAt(saoPaulo, new Date("2028-12-25T13:00:00Z"))).toBe(false);
    expect(isOpenAt(saoPaulo, new Date("2026-12-08T13:00:00Z"))).toBe(false);
    expect(isOpenAt(saoPaulo, new Date("2027-12-08T13:00:00Z"))).toBe(true); // Wednesday, not a holiday that year
  });

  test("the same wall-clock schedule in another zone is another instant", () => {
    const lisbon: Schedule = { ...saoPaulo, timeZone: "Europe/Lisbon", holidays: [] };
    // Friday 08:30 in Lisbon (UTC+0 in December) is 05:30 in São Paulo.
    expect(isOpenAt(lisbon, new Date("2026-12-04T08:30:00Z"))).toBe(true);
    expect(isOpenAt(saoPaulo, new Date("2026-12-04T08:30:00Z"))).toBe(false);
  });

  test("business hours off: always open", () => {
    expect(isOpenAt({ ...saoPaulo, enabled: false }, new Date("2026-12-06T03:00:00Z"))).toBe(true);
  });
});

describe("businessMsBetween (SLA time excluding closed hours)", () => {
  test("Friday 17:00 → Monday 09:00 counts one hour Friday and one Monday", () => {
    expect(businessMsBetween(saoPaulo, new Date("2026-12-04T20:00:00Z"), new Date("2026-12-07T12:00:00Z"))).toBe(2 * HOUR);
  });

  test("the lunch break and a holiday do not count", () => {
    // Thursday 2026-12-24 11:00 → Monday 2026-12-28 09:00: 1 h + 5 h Thursday, Friday the 25th is a holiday, 1 h Monday.
    expect(businessMsBetween(saoPaulo, new Date("2026-12-24T14:00:00Z"), new Date("2026-12-28T12:00:00Z"))).toBe(7 * HOUR);
  });

  test("inside one interval it is the plain elapsed time; reversed or equal instants are zero", () => {
    expect(businessMsBetween(saoPaulo, new Date("2026-12-04T11:10:00Z"), new Date("2026-12-04T11:40:00Z"))).toBe(30 * 60_000);
    expect(businessMsBetween(saoPaulo, new Date("2026-12-04T12:00:00Z"), new Date("2026-12-04T11:00:00Z"))).toBe(0);
  });

  test("a zone with DST: an all-day schedule counts the real 23 h and 25 h days of New York", () => {
    const allDay: Schedule = {
      timeZone: "America/New_York",
      enabled: true,
      intervals: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" })),
      holidays: [],
    };
    // 2026-03-08 (spring forward) from local midnight (05:00Z) to the next local midnight (04:00Z).
    expect(businessMsBetween(allDay, new Date("2026-03-08T05:00:00Z"), new Date("2026-03-09T04:00:00Z"))).toBe(23 * HOUR);
    // 2026-11-01 (fall back) from local midnight (04:00Z) to the next (05:00Z).
    expect(businessMsBetween(allDay, new Date("2026-11-01T04:00:00Z"), new Date("2026-11-02T05:00:00Z"))).toBe(25 * HOUR);
  });

  test("a New York office: 09:00–17:00 is 8 h a day on both sides of the DST change", () => {
    const office: Schedule = { timeZone: "America/New_York", enabled: true, intervals: [{ day: 1, start: "09:00", end: "17:00" }], holidays: [] };
    // Monday 2026-03-02 (EST, 14:00Z–22:00Z) and Monday 2026-03-09 (EDT, 13:00Z–21:00Z).
    expect(businessMsBetween(office, new Date("2026-03-02T00:00:00Z"), new Date("2026-03-03T00:00:00Z"))).toBe(8 * HOUR);
    expect(isOpenAt(office, new Date("2026-03-09T13:30:00Z"))).toBe(true);
    expect(isOpenAt(office, new Date("2026-03-02T13:30:00Z"))).toBe(false);
    expect(businessMsBetween(office, new Date("2026-03-02T00:00:00Z"), new Date("2026-03-10T00:00:00Z"))).toBe(16 * HOUR);
  });

  test("business hours off: the plain elapsed time", () => {
    expect(businessMsBetween({ ...saoPaulo, enabled: false }, new Date("2026-12-05T00:00:00Z"), new Date("2026-12-06T00:00:00Z"))).toBe(24 * HOUR);
  });
});

describe("closed periods", () => {
  test("closedSince names the last closing; nextOpening the next opening", () => {
    const sunday = new Date("2026-12-06T15:00:00Z");
    expect(closedSince(saoPaulo, sunday)?.toISOString()).toBe("2026-12-04T21:00:00.000Z"); // Friday 18:00
    expect(nextOpening(saoPaulo, sunday)?.toISOString()).toBe("2026-12-07T11:00:00.000Z"); // Monday 08:00
    // Lunch is its own closed period.
    expect(closedSince(saoPaulo, new Date("2026-12-04T15:30:00Z"))?.toISOString()).toBe("2026-12-04T15:00:00.000Z");
    expect(closedSince(saoPaulo, new Date("2026-12-04T12:00:00Z"))).toBeNull();
  });

  test("a schedule never open is one closed period since the epoch", () => {
    const never: Schedule = { ...saoPaulo, intervals: [] };
    expect(closedSince(never, new Date("2026-12-04T12:00:00Z"))?.getTime()).toBe(0);
    expect(nextOpening(never, new Date("2026-12-04T12:00:00Z"))).toBeNull();
  });
});
