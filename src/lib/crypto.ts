import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { config } from "@/config";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** URL-safe random token (base64url) of `bytes` random bytes. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** Random base62 string without modulo bias (rejection sampling). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * Hex SHA-256 of a string. Bun's native one-shot hasher: it runs on every /v1 request (the API key
 * cache is keyed by the key's hash), where node:crypto's createHash costs about 3 µs against 1 µs.
 */
export function sha256Hex(value: string): string {
  return Bun.SHA256.hash(value, "hex");
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export type AppSecret = { secret: string; source: "APP_SECRET" | "file" };

export const appSecretFile = () => join(config.dataDir, "app-secret");

/** APP_SECRET, else the key generated earlier into the data dir; null when there is neither. */
export function configuredAppSecret(): AppSecret | null {
  if (config.appSecret) return { secret: config.appSecret, source: "APP_SECRET" };
  const file = appSecretFile();
  if (existsSync(file)) return { secret: readFileSync(file, "utf8").trim(), source: "file" };
  return null;
}

/**
 * Writes a new random key into the data dir (the embedded default needs no configuration). Only the
 * boot check calls this, after making sure the database holds nothing encrypted under another key.
 */
export function generateAppSecretFile(): AppSecret {
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(appSecretFile(), secret, { mode: 0o600, flag: "wx" });
  return { secret, source: "file" };
}

let appSecret: string | undefined;
function loadAppSecret(): string {
  if (appSecret) return appSecret;
  const configured = configuredAppSecret();
  // Generating one here would silently orphan every secret already stored: boot (lib/app-secret) decides.
  if (!configured) throw new Error("No APP_SECRET: set it, or start LivChat once (src/index.ts) to generate one into DATA_DIR");
  appSecret = configured.secret;
  return appSecret;
}

/**
 * A value that identifies the key without revealing it (HMAC of a constant under it). The database
 * keeps it so boot can tell a changed or lost APP_SECRET from the right one.
 */
export function appSecretCheckValue(secret: string): string {
  return createHmac("sha256", `livchat:check:${secret}`).update("livchat app-secret check v1").digest("base64url");
}

const encryptionKeyOf = (secret: string) => createHash("sha256").update(`livchat:aes:${secret}`).digest();

let encryptionKey: Buffer | undefined;
function key(): Buffer {
  encryptionKey ??= encryptionKeyOf(loadAppSecret());
  return encryptionKey;
}

/** AES-256-GCM: "v1." + base64url(iv ‖ tag ‖ ciphertext). */
export function encryptSecret(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(), iv);
  const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64url")}`;
}

export function decryptSecret(encrypted: string): string {
  return decryptWith(key(), encrypted);
}

/**
 * Plaintexts by ciphertext, for values decrypted on a hot path (a webhook's signing secret and header
 * values, once per delivery otherwise). A ciphertext never changes meaning (a new value is a new
 * ciphertext: fresh IV), so it is a safe key; a failure is not cached. Bounded: the oldest entry goes first.
 */
const decrypted = new Map<string, string>();
const DECRYPTED_MAX = 4096;

export function decryptSecretCached(encrypted: string): string {
  const hit = decrypted.get(encrypted);
  if (hit !== undefined) return hit;
  const plain = decryptSecret(encrypted);
  if (decrypted.size >= DECRYPTED_MAX) decrypted.delete(decrypted.keys().next().value as string);
  decrypted.set(encrypted, plain);
  return plain;
}

function decryptWith(aesKey: Buffer, encrypted: string): string {
  if (!encrypted.startsWith("v1.")) throw new Error("unknown secret format");
  const raw = Buffer.from(encrypted.slice(3), "base64url");
  const decipher = createDecipheriv("aes-256-gcm", aesKey, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}

/** Whether `encrypted` was encrypted under `secret` (GCM authenticates, so a wrong key always fails). */
export function decryptsWith(secret: string, encrypted: string): boolean {
  try {
    decryptWith(encryptionKeyOf(secret), encrypted);
    return true;
  } catch {
    return false;
  }
}

/** Signs a small value (the device cookie) with an HMAC under the app secret. */
export function signValue(value: string): string {
  const mac = createHmac("sha256", `livchat:sign:${loadAppSecret()}`).update(value).digest("base64url");
  return `${value}.${mac}`;
}

export function unsignValue(signed: string): string | null {
  const dot = signed.lastIndexOf(".");
  if (dot <= 0) return null;
  const value = signed.slice(0, dot);
  return safeEqual(signValue(value), signed) ? value : null;
}

/** HMAC-SHA256 (base64url) of `value` under the app secret, keyed per `purpose` so macs never cross uses. */
export function macOf(purpose: string, value: string): string {
  return createHmac("sha256", `livchat:${purpose}:${loadAppSecret()}`).update(value).digest("base64url");
}
