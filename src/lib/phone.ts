import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from "libphonenumber-js";

/**
 * Phone numbers, parsed and checked by libphonenumber-js (Google's metadata) instead of a hand-written
 * pattern, in ONE canonical E.164 form so that one person is one contact.
 *
 * Accepted means "possible" (a known country calling code and a length that country uses), not
 * "valid" (inside a range the metadata knows as assigned): WhatsApp traffic carries numbers newer than
 * any metadata build and Meta's own test numbers (+1 555 …), and an inbound message must never be
 * dropped because our copy of the metadata is older than the number.
 *
 * Brazil's ninth digit: since 2016 every Brazilian mobile number has 9 digits after the area code
 * (a leading 9 added to the old 8), yet WhatsApp still reports many older accounts without it
 * (5511 9999-0001 instead of 5511 99999-0001). A Brazilian number with an 8-digit subscriber part
 * starting with 6–9 (the mobile ranges; 2–5 are fixed lines, which never got the extra digit) is
 * therefore the same line as the one with the 9: both resolve to the 9-digit form.
 */

/** The region assumed for numbers typed without a country code (forms, API input). */
export const DEFAULT_REGION: CountryCode = "BR";

/** Drops a WhatsApp JID's server and device parts ("5511999990001:12@s.whatsapp.net" → "5511999990001"). */
function jidUser(input: string): string {
  return input.split("@")[0]!.split(":")[0]!.trim();
}

/** Brazilian mobile without the ninth digit → with it; every other number unchanged. */
function withBrazilianNinthDigit(p: PhoneNumber): string {
  const national = p.nationalNumber as string;
  if (p.countryCallingCode === "55" && national.length === 10 && /^[1-9][1-9][6-9]/.test(national)) {
    return `+55${national.slice(0, 2)}9${national.slice(2)}`;
  }
  return p.number as string;
}

function canonical(p: PhoneNumber | undefined): string | null {
  if (!p?.isPossible()) return null;
  return withBrazilianNinthDigit(p);
}

/** True for inputs that are a WhatsApp id of something other than a phone (a LID, a group, a newsletter). */
function isNonPhoneJid(input: string): boolean {
  const at = input.indexOf("@");
  return at >= 0 && !/^@(s\.whatsapp\.net|c\.us)$/i.test(input.slice(at).trim());
}

/**
 * A number as providers and stored data carry it — country code first, "+" optional, or a phone JID
 * ("5511999990001@s.whatsapp.net") — to canonical E.164, or null (also for `@lid`/`@g.us` ids).
 */
export function toE164(input: string): string | null {
  if (isNonPhoneJid(input)) return null;
  const raw = jidUser(input).replace(/^00/, "");
  const digits = raw.replace(/[\s().-]/g, "").replace(/^\+/, "");
  if (!/^\d+$/.test(digits)) return null;
  return canonical(parsePhoneNumberFromString(`+${digits}`));
}

/**
 * A number as a person types it (forms, API bodies): international with or without "+", or national
 * in the default region ("(11) 99999-0001"). Without a "+", a valid number of the default region is read
 * as one, else as international. Canonical E.164, or null.
 */
export function parsePhone(input: string, region: CountryCode = DEFAULT_REGION): string | null {
  const value = input.trim();
  if (!value || isNonPhoneJid(value)) return null;
  const raw = jidUser(value);
  if (/^(\+|00)/.test(raw) || value.includes("@")) return toE164(raw);
  if (!/^[\d\s().-]+$/.test(raw)) return null;
  // National first: people type their own country's numbers without a country code, and a valid
  // national number can also read as a valid foreign one ("(81) 98888-1111", a Recife mobile, is a
  // valid Japanese +81 number). A number typed with its country code (5511…, 44…) is not a valid
  // national one, so it still reads as international.
  const national = parsePhoneNumberFromString(raw, region);
  if (national?.isValid()) return canonical(national);
  const international = parsePhoneNumberFromString(`+${raw.replace(/\D/g, "")}`);
  if (international?.isValid()) return canonical(international);
  return canonical(international) ?? canonical(national);
}

/** E.164 → the digits-only form WhatsApp providers expect. */
export function toDigits(e164: string): string {
  return e164.replace(/^\+/, "");
}
