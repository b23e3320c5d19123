import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { waitFor } from "./wait";

export type ReceivedMail = { from: string; to: string[]; subject: string; text: string; html: string; raw: string };

/**
 * A real SMTP server on 127.0.0.1 (smtp-server) that keeps every message it accepts, parsed.
 * `auth` makes it require those credentials, as a provider's relay would.
 */
export async function startSmtpServer(opts: { auth?: { user: string; pass: string } } = {}) {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    logger: false,
    // The app's pooled connection stays open between messages; do not wait for it when stopping.
    closeTimeout: 50,
    disabledCommands: opts.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return callback(null, { user: auth.username });
      callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const parsed = await simpleParser(raw);
        mails.push({
          from: parsed.from?.text ?? "",
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          subject: parsed.subject ?? "",
          text: parsed.text ?? "",
          html: typeof parsed.html === "string" ? parsed.html : "",
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  const credentials = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : "";
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    mails,
    /** The messages sent to `to` so far. */
    to: (to: string) => mails.filter((m) => m.to.includes(to.toLowerCase())),
    /** Waits for a message to `to` matching `subject` (mail often leaves after the HTTP answer). */
    waitFor(to: string, subject: RegExp | string = "", timeoutMs = 5000): Promise<ReceivedMail> {
      const matches = (m: ReceivedMail) =>
        m.to.includes(to.toLowerCase()) && (typeof subject === "string" ? m.subject.includes(subject) : subject.test(m.subject));
      return waitFor(() => mails.find(matches), {
        timeoutMs,
        what: () => `an email to ${to} matching ${subject} (got: ${mails.map((m) => `${m.to.join(",")}: ${m.subject}`).join("; ") || "none"})`,
      });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpServer = Awaited<ReturnType<typeof startSmtpServer>>;

/** The first link to `path` (e.g. "/password/reset/") in a message's text. */
export function linkIn(mail: ReceivedMail, path: string): string {
  const match = mail.text.match(new RegExp(`https?://[^\\s]+${path.replace(/[/]/g, "\\/")}[A-Za-z0-9_-]+`));
  if (!match) throw new Error(`no ${path} link in: ${mail.text}`);
  return match[0]!;
}
