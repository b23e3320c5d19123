import { describe, expect, test } from "bun:test";
import { parsePhone, toDigits, toE164 } from "@/lib/phone";

describe("toE164 (numbers as providers send them)", () => {
  test("digits with country code, with or without +, and phone JIDs", () => {
    expect(toE164("5511999990001")).toBe("+5511999990001");
    expect(toE164("+55 11 99999-0001")).toBe("+5511999990001");
    expect(toE164("5511999990001@s.whatsapp.net")).toBe("+5511999990001");
    expect(toE164("5511999990001:12@s.whatsapp.net")).toBe("+5511999990001");
    expect(toE164("16505551234")).toBe("+16505551234");
    // Meta's test numbers are outside assigned ranges but possible: kept.
    expect(toE164("15550100000")).toBe("+15550100000");
  });

  test("Brazilian mobiles with and without the ninth digit are one number", () => {
    expect(toE164("551199990001")).toBe("+5511999990001");
    expect(toE164("551199990001@s.whatsapp.net")).toBe("+5511999990001");
    expect(toE164("+55 21 8888-0002")).toBe("+5521988880002");
    expect(toE164("556181112222")).toBe("+5561981112222");
    // Fixed lines (subscriber starting 2–5) never got the ninth digit.
    expect(toE164("552133334444")).toBe("+552133334444");
    expect(toE164("551150001234")).toBe("+551150001234");
    // Other countries are untouched.
    expect(toE164("5491155554444")).toBe("+5491155554444");
  });

  test("non-phone ids and garbage are refused", () => {
    expect(toE164("123456789012345@lid")).toBeNull();
    expect(toE164("120363025246125888@g.us")).toBeNull();
    expect(toE164("abc")).toBeNull();
    expect(toE164("000000000000")).toBeNull();
    expect(toE164("12")).toBeNull();
    expect(toE164("+999 1234567")).toBeNull();
    expect(toE164("")).toBeNull();
  });
});

describe("parsePhone (numbers as people type them; default region BR)", () => {
  test("international input", () => {
    expect(parsePhone("+5511999990001")).toBe("+5511999990001");
    expect(parsePhone("5511999990001")).toBe("+5511999990001");
    // A Brazilian number typed nationally that also reads as a valid foreign one (+81, Japan) is Brazilian.
    expect(parsePhone("(81) 98888-1111")).toBe("+5581988881111");
    expect(parsePhone("81988881111")).toBe("+5581988881111");
    expect(parsePhone("447911123456")).toBe("+447911123456");
    expect(parsePhone("0055 11 99999 0001")).toBe("+5511999990001");
    expect(parsePhone("+1 650 555 1234")).toBe("+16505551234");
    expect(parsePhone("+15550100000")).toBe("+15550100000");
    expect(parsePhone("+44 20 7946 0958")).toBe("+442079460958");
  });

  test("national Brazilian input, with and without the ninth digit", () => {
    expect(parsePhone("(11) 99999-0001")).toBe("+5511999990001");
    expect(parsePhone("11 99999-0001")).toBe("+5511999990001");
    expect(parsePhone("11 9999-0001")).toBe("+5511999990001");
    expect(parsePhone("+55 11 9999-0001")).toBe("+5511999990001");
    expect(parsePhone("(21) 3333-4444")).toBe("+552133334444");
  });

  test("refuses what is no phone", () => {
    for (const bad of ["", "abc", "12", "123456789012345@lid", "+0 123", "11-abc-0001"]) expect(parsePhone(bad)).toBeNull();
  });
});

test("toDigits strips the plus", () => {
  expect(toDigits("+5511999990001")).toBe("5511999990001");
});
