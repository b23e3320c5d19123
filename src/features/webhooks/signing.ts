import { createHmac, randomBytes } from "node:crypto";
import { decryptSecretCached } from "@/lib/crypto";

/** Rotation grace: the previous secret keeps signing this long so subscribers can roll over. */
export const SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

const SECRET_PREFIX = "whsec_";

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
}

/** A secret's HMAC key: the bytes base64-encoded after `whsec_`. */
function signingKey(secretEnc: string): Buffer {
  const secret = decryptSecretCached(secretEnc);
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, "base64");
}

/** The keys that sign a request at `now`: the current secret's, plus the previous one's during its grace window. */
export function signingSecrets(webhook: { secretEnc: string; previousSecretEnc: string | null; previousSecretExpiresAt: Date | null }, now: Date): Buffer[] {
  const keys = [signingKey(webhook.secretEnc)];
  if (webhook.previousSecretEnc && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt.getTime() > now.getTime()) {
    keys.push(signingKey(webhook.previousSecretEnc));
  }
  return keys;
}

/**
 * The three Standard Webhooks headers for one request: `v1,` + base64 HMAC-SHA256 of
 * `{id}.{timestamp}.{body}` under the secret's bytes (the spec's scheme; tests verify every signature
 * with the `standardwebhooks` and `svix` libraries). Signed with the runtime's native HMAC, not the
 * pure-JS SHA-256 inside `standardwebhooks`, which cost most of the app's CPU per delivery.
 * Every key (current first, then a previous one still in its grace window) contributes one
 * space-separated entry, so subscribers holding either secret verify.
 * `at` is wall-clock time: subscribers reject timestamps more than 5 minutes off their own clock.
 */
export function signatureHeaders(input: { msgId: string; body: string; secrets: Buffer[]; at?: Date }) {
  const at = input.at ?? new Date();
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signed = `${input.msgId}.${timestamp}.`;
  const signatures = input.secrets.map((key) => `v1,${createHmac("sha256", key).update(signed).update(input.body).digest("base64")}`);
  return {
    "webhook-id": input.msgId,
    "webhook-timestamp": timestamp,
    "webhook-signature": signatures.join(" "),
  };
}
