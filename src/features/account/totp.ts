import * as OTPAuth from "otpauth";
import QRCode from "qrcode";
import { randomBytes } from "node:crypto";
import { sha256Hex } from "@/lib/crypto";

/**
 * RFC 6238 with the parameters every authenticator app understands (SHA-1, 6 digits, 30 s).
 * One step either side is accepted for clock drift, as Google Authenticator's own guidance suggests.
 */
const TOTP_PARAMS = { algorithm: "SHA1", digits: 6, period: 30 } as const;
const DRIFT_STEPS = 1;
const ISSUER = "LivChat";

export const RECOVERY_CODE_COUNT = 10;

/** A fresh 160-bit seed (RFC 4226's recommended length), base32 as authenticator apps show it. */
export function generateTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

function totp(secretBase32: string, label = "") {
  return new OTPAuth.TOTP({ ...TOTP_PARAMS, issuer: ISSUER, label, secret: OTPAuth.Secret.fromBase32(secretBase32) });
}

/** The otpauth:// URI the QR code carries. */
export function totpUri(secretBase32: string, accountLabel: string): string {
  return totp(secretBase32, accountLabel).toString();
}

/** The QR code of the enrolment URI as a data: URL (no request leaves the server). */
export function totpQrDataUrl(uri: string): Promise<string> {
  return QRCode.toDataURL(uri, { errorCorrectionLevel: "M", margin: 1, width: 220 });
}

/** Six digits, spaces ignored (apps display "123 456"). */
export function normalizeTotpCode(input: string): string | null {
  const code = input.replace(/\s+/g, "");
  return /^\d{6}$/.test(code) ? code : null;
}

/** The time step a valid code belongs to, or null; the caller refuses steps already used. */
export function totpStepFor(secretBase32: string, code: string, now = Date.now()): number | null {
  const delta = totp(secretBase32).validate({ token: code, timestamp: now, window: DRIFT_STEPS });
  if (delta === null) return null;
  return OTPAuth.TOTP.counter({ period: TOTP_PARAMS.period, timestamp: now }) + delta;
}

// Crockford-style base32 without look-alikes (no 0/1/I/L/O/U): 10 characters ≈ 50 random bits.
const RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
const RECOVERY_LENGTH = 10;

/** Ten codes shown as "XXXXX-XXXXX"; only their hashes are stored. */
export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    let code = "";
    while (code.length < RECOVERY_LENGTH) {
      for (const byte of randomBytes(RECOVERY_LENGTH * 2)) {
        // 240 = 8 × 30: rejection sampling keeps every character equally likely.
        if (byte < 240) code += RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.length];
        if (code.length === RECOVERY_LENGTH) break;
      }
    }
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
}

/** Upper-case, separators dropped; null when it cannot be a recovery code. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]+/g, "");
  return code.length === RECOVERY_LENGTH && [...code].every((c) => RECOVERY_ALPHABET.includes(c)) ? code : null;
}

/** Codes carry 50 random bits, so a plain SHA-256 is enough to make a leaked table useless. */
export function hashRecoveryCode(normalized: string): string {
  return sha256Hex(`livchat:recovery:${normalized}`);
}
