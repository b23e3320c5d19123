import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { config } from "@/config";
import { withLocale } from "@/lib/i18n";
import { mailTemplates as templates } from "@/lib/mail-templates";
import { mailEnabled, sendMail } from "@/lib/mailer";
import { startSmtpServer, type SmtpServer } from "../helpers/smtp";

/** The templates read the current locale (the callers choose the recipient's); these assertions read English. */
const mailTemplates = {
  passwordReset: (p: Parameters<typeof templates.passwordReset>[0]) => withLocale({ locale: "en" }, () => templates.passwordReset(p)),
  invitation: (p: Parameters<typeof templates.invitation>[0]) => withLocale({ locale: "en", timeZone: "UTC" }, () => templates.invitation(p)),
  registrationRejected: (p: Parameters<typeof templates.registrationRejected>[0]) => withLocale({ locale: "en" }, () => templates.registrationRejected(p)),
};

let smtp: SmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer({ auth: { user: "relay", pass: "s3cret pass" } });
});
afterAll(() => smtp.stop());
afterEach(() => {
  config.smtpUrl = undefined;
});

describe("mailer", () => {
  test("without SMTP_URL nothing is sent and mailEnabled is false", async () => {
    config.smtpUrl = undefined;
    expect(mailEnabled()).toBe(false);
    expect(await sendMail("a@example.test", mailTemplates.passwordReset({ url: "http://x/y", expiresInMinutes: 60 }))).toBe(false);
    expect(smtp.mails).toHaveLength(0);
  });

  test("with SMTP_URL a message reaches the SMTP server, authenticated, from MAIL_FROM, in text and HTML", async () => {
    config.smtpUrl = smtp.url;
    const previousFrom = config.mailFrom;
    config.mailFrom = "LivChat Test <robot@livchat.test>";
    try {
      expect(mailEnabled()).toBe(true);
      const sent = await sendMail(
        "Someone@Example.test",
        mailTemplates.passwordReset({ url: "http://localhost:3000/password/reset/abc", expiresInMinutes: 60 }),
      );
      expect(sent).toBe(true);
    } finally {
      config.mailFrom = previousFrom;
    }
    const mail = await smtp.waitFor("someone@example.test", "Reset your LivChat password");
    expect(mail.from).toBe('"LivChat Test" <robot@livchat.test>');
    expect(mail.text).toContain("http://localhost:3000/password/reset/abc");
    expect(mail.html).toContain('href="http://localhost:3000/password/reset/abc"');
  });

  test("wrong SMTP credentials or an unreachable server throw instead of pretending to send", async () => {
    config.smtpUrl = smtp.url.replace("s3cret%20pass", "wrong");
    await expect(sendMail("a@example.test", mailTemplates.passwordReset({ url: "http://x/y", expiresInMinutes: 60 }))).rejects.toThrow();
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = closed.port;
    closed.stop(true);
    config.smtpUrl = `smtp://127.0.0.1:${port}`;
    await expect(sendMail("a@example.test", mailTemplates.passwordReset({ url: "http://x/y", expiresInMinutes: 60 }))).rejects.toThrow();
  });
});

describe("mail templates", () => {
  test("user-supplied values are escaped in HTML and flattened in subjects", () => {
    const mail = mailTemplates.invitation({
      organizationName: "Evil <script>alert(1)</script>\r\nBcc: victim@example.test",
      inviterName: "<img src=x onerror=alert(1)>",
      role: "agent",
      url: 'http://localhost:3000/invitations/tok"><b>',
      expiresAt: new Date("2026-12-10T00:00:00Z"),
    });
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).not.toContain("<img");
    expect(mail.html).not.toContain('"><b>');
    expect(mail.html).toContain("&lt;script&gt;");
    const rejected = mailTemplates.registrationRejected({ name: "<b>Bob</b>", reason: "<a href=//evil>click</a>" });
    expect(rejected.html).not.toContain("<a href=//evil>");
    expect(rejected.text).toContain("<a href=//evil>click</a>");
  });
});

describe("mailer logs", () => {
  test("a failed send logs the kind and SMTP codes, never the recipient", async () => {
    const { spyOn } = await import("bun:test");
    const { sendMailInBackground, backgroundMailSettled } = await import("@/lib/mailer");
    const previousLevel = config.logLevel;
    config.logLevel = "warn";
    config.smtpUrl = smtp.url.replace("s3cret%20pass", "wrong");
    const errors = spyOn(console, "error").mockImplementation(() => {});
    try {
      sendMailInBackground("private.person@example.test", mailTemplates.passwordReset({ url: "http://x/y", expiresInMinutes: 60 }), "password_reset");
      await backgroundMailSettled();
      const line = String(errors.mock.calls[0]?.[0] ?? "");
      expect(JSON.parse(line)).toMatchObject({ msg: "email not sent", kind: "password_reset", code: "EAUTH", responseCode: 535 });
      expect(line).not.toContain("private.person");
    } finally {
      errors.mockRestore();
      config.logLevel = previousLevel;
    }
  });
});
