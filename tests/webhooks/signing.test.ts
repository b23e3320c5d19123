import { describe, expect, test } from "bun:test";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { generateWebhookSecret, signatureHeaders, signingSecrets } from "@/features/webhooks/signing";
import { encryptSecret } from "@/lib/crypto";

// Signing uses the runtime's native HMAC; these are the two libraries subscribers verify with.
const body = JSON.stringify({ type: "message.received", data: { text: "Olá, ção ✓", n: 1 } });

function sign(current: string, previous?: string) {
  const hook = {
    secretEnc: encryptSecret(current),
    previousSecretEnc: previous ? encryptSecret(previous) : null,
    previousSecretExpiresAt: previous ? new Date(Date.now() + 60_000) : null,
  };
  return signatureHeaders({ msgId: "msg_2b8c1f", body, secrets: signingSecrets(hook, new Date()) });
}

describe("webhook signatures", () => {
  test("verify with the standardwebhooks and svix libraries", () => {
    const secret = generateWebhookSecret();
    const headers = sign(secret);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new StandardWebhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // svix's verify returns nothing and throws on a bad signature; it also reads its own svix-* names.
    expect(() => new SvixWebhook(secret).verify(body, headers)).not.toThrow();
    const svixNamed = { "svix-id": headers["webhook-id"], "svix-timestamp": headers["webhook-timestamp"], "svix-signature": headers["webhook-signature"] };
    expect(() => new SvixWebhook(secret).verify(body, svixNamed)).not.toThrow();
  });

  test("a different secret or a changed body does not verify", () => {
    const headers = sign(generateWebhookSecret());
    expect(() => new StandardWebhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new SvixWebhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    const secret = generateWebhookSecret();
    expect(() => new StandardWebhook(secret).verify(`${body} `, sign(secret))).toThrow();
  });

  test("during rotation both the current and the previous secret verify", () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const headers = sign(current, previous);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(new StandardWebhook(current).verify(body, headers)).toBeTruthy();
    expect(() => new SvixWebhook(previous).verify(body, headers)).not.toThrow();
  });

  test("the same signature as the standardwebhooks library's own", () => {
    const secret = generateWebhookSecret();
    const at = new Date();
    const ours = signatureHeaders({
      msgId: "msg_1",
      body,
      at,
      secrets: signingSecrets({ secretEnc: encryptSecret(secret), previousSecretEnc: null, previousSecretExpiresAt: null }, at),
    });
    expect(ours["webhook-signature"]).toBe(new StandardWebhook(secret).sign("msg_1", at, body));
  });
});
