import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { decryptSecret } from "@/lib/crypto";

/** Rotation grace: the previous secret keeps signing this long so subscribers can roll over. */
export const SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** The secrets that sign a request at `now`: the current one, plus the previous one during its grace window. */
export function signingSecrets(webhook: { secretEnc: string; previousSecretEnc: string | null; previousSecretExpiresAt: Date | null }, now: Date): string[] {
  const secrets = [decryptSecret(webhook.secretEnc)];
  if (webhook.previousSecretEnc && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt.getTime() > now.getTime()) {
    secrets.push(decryptSecret(webhook.previousSecretEnc));
  }
  return secrets;
}

/**
 * The three Standard Webhooks headers for one request, signed with the official `standardwebhooks`
 * library. Every secret in `secrets` (current first, then a previous one still in its grace window)
 * contributes one space-separated `v1,…` entry, so subscribers holding either secret verify.
 * `at` is wall-clock time: subscribers reject timestamps more than 5 minutes off their own clock.
 */
export function signatureHeaders(input: { msgId: string; body: string; secrets: string[]; at?: Date }) {
  const at = input.at ?? new Date();
  const signatures = input.secrets.map((secret) => new Webhook(secret).sign(input.msgId, at, input.body));
  return {
    "webhook-id": input.msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}
