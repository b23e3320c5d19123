import { createTransport } from "nodemailer";
import { config } from "@/config";
import { log } from "@/lib/logger";
import type { MailContent } from "./mail-templates";

type Transport = ReturnType<typeof createTransport>;

// One pooled transport per SMTP_URL; rebuilt when the URL changes (tests point it at their own server).
let current: { url: string; transport: Transport } | undefined;

function transport(url: string): Transport {
  if (current?.url !== url) {
    current?.transport.close();
    current = {
      url,
      // Short timeouts: a sign-up or an invitation must not hang for nodemailer's default two minutes.
      transport: createTransport({ url, pool: true, maxConnections: 2, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 }),
    };
  }
  return current.transport;
}

/** True when `SMTP_URL` is set: links travel by email; otherwise the admin shows them. */
export function mailEnabled(): boolean {
  return !!config.smtpUrl;
}

/**
 * Sends one email through `SMTP_URL` (from `MAIL_FROM`). Returns false when email is not configured;
 * throws when the SMTP server refuses or cannot be reached.
 */
export async function sendMail(to: string, content: MailContent): Promise<boolean> {
  if (!config.smtpUrl) return false;
  await transport(config.smtpUrl).sendMail({ from: config.mailFrom, to, subject: content.subject, text: content.text, html: content.html });
  return true;
}

/**
 * What a failed send may log: nodemailer's code (EAUTH, ECONNECTION, EENVELOPE…) and the SMTP reply
 * code, never its message, which can quote recipients.
 */
export function mailError(err: unknown): Record<string, unknown> {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown };
  return { code: typeof e.code === "string" ? e.code : "unknown", responseCode: typeof e.responseCode === "number" ? e.responseCode : undefined };
}

/**
 * Sends without making the caller wait, for answers that must not depend on the mail (password reset
 * and sign-up look the same whether or not the address has an account). Failures are logged by kind,
 * never with the address.
 */
export function sendMailInBackground(to: string, content: MailContent, kind: string): void {
  const sending = sendMail(to, content)
    .catch((err) => {
      log.warn("email not sent", { kind, ...mailError(err) });
    })
    .finally(() => inFlight.delete(sending));
  inFlight.add(sending);
}

const inFlight = new Set<Promise<unknown>>();

/** Resolves once every background send started so far has been accepted or has failed (shutdown, tests). */
export async function backgroundMailSettled(): Promise<void> {
  while (inFlight.size > 0) await Promise.all([...inFlight]);
}
