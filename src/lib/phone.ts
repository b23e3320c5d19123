/** Normalizes a phone number or WhatsApp JID ("5511999990001@s.whatsapp.net") to E.164, or null. */
export function toE164(input: string): string | null {
  const raw = input.split("@")[0]!.split(":")[0]!.trim();
  const digits = raw.replace(/[\s().-]/g, "").replace(/^\+/, "");
  if (!/^[1-9]\d{6,14}$/.test(digits)) return null;
  return `+${digits}`;
}

/** E.164 → the digits-only form WhatsApp providers expect. */
export function toDigits(e164: string): string {
  return e164.replace(/^\+/, "");
}
