import Html from "@kitajs/html";

/**
 * Every email LivChat sends: subject, plain text and HTML in one place. Values that come from users
 * (names, organization names, reasons) are escaped in the HTML and stripped of line breaks in subjects.
 */
export type MailContent = { subject: string; text: string; html: string };

const PRODUCT = "LivChat";

/** One line, no control characters, bounded: safe inside a subject header. */
function oneLine(value: string, max = 80): string {
  const flat = value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const esc = (value: string) => Html.escapeHtml(value);

/** Paragraphs (already escaped HTML) and an optional button link, in a minimal inline-styled shell. */
function layout(paragraphs: string[], action?: { label: string; url: string }): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${p}</p>`).join("");
  const button = action
    ? `<p style="margin:24px 0"><a href="${esc(action.url)}" style="background:#1f6feb;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${esc(action.label)}</a></p>` +
      `<p style="margin:0 0 16px;color:#555;font-size:13px">Or paste this link into your browser:<br>${esc(action.url)}</p>`
    : "";
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;font-size:15px;color:#111;max-width:560px;margin:0 auto;padding:24px">${body}${button}<p style="color:#777;font-size:12px;margin-top:32px">${PRODUCT}</p></body></html>`;
}

function text(lines: string[]): string {
  return `${lines.join("\n\n")}\n\n— ${PRODUCT}\n`;
}

export const mailTemplates = {
  invitation(p: { organizationName: string; inviterName: string; role: string; url: string; expiresAt: Date }): MailContent {
    const until = p.expiresAt.toUTCString();
    return {
      subject: `You are invited to join ${oneLine(p.organizationName)} on ${PRODUCT}`,
      text: text([
        `${p.inviterName} invited you to join ${p.organizationName} on ${PRODUCT} as ${p.role}.`,
        `Accept the invitation: ${p.url}`,
        `The link works once and expires on ${until}. If you did not expect it, ignore this email.`,
      ]),
      html: layout(
        [
          `${esc(p.inviterName)} invited you to join <strong>${esc(p.organizationName)}</strong> on ${PRODUCT} as ${esc(p.role)}.`,
          `The link works once and expires on ${esc(until)}. If you did not expect it, ignore this email.`,
        ],
        { label: "Accept the invitation", url: p.url },
      ),
    };
  },

  passwordReset(p: { url: string; expiresInMinutes: number }): MailContent {
    return {
      subject: `Reset your ${PRODUCT} password`,
      text: text([
        `Someone asked to reset the password of your ${PRODUCT} account. If it was you, choose a new password here:`,
        p.url,
        `The link works once and expires in ${p.expiresInMinutes} minutes. Using it signs you out everywhere. If you did not ask, ignore this email: your password stays as it is.`,
      ]),
      html: layout(
        [
          `Someone asked to reset the password of your ${PRODUCT} account. If it was you, choose a new password:`,
          `The link works once and expires in ${p.expiresInMinutes} minutes. Using it signs you out everywhere. If you did not ask, ignore this email: your password stays as it is.`,
        ],
        { label: "Choose a new password", url: p.url },
      ),
    };
  },

  emailVerification(p: { name: string; url: string; expiresInHours: number }): MailContent {
    return {
      subject: `Confirm your email address for ${PRODUCT}`,
      text: text([
        `Hi ${p.name}, confirm this address to finish creating your ${PRODUCT} account:`,
        p.url,
        `The link expires in ${p.expiresInHours} hours. If you did not sign up, ignore this email.`,
      ]),
      html: layout(
        [
          `Hi ${esc(p.name)}, confirm this address to finish creating your ${PRODUCT} account.`,
          `The link expires in ${p.expiresInHours} hours. If you did not sign up, ignore this email.`,
        ],
        { label: "Confirm my email", url: p.url },
      ),
    };
  },

  /** To the owner of an address someone tried to sign up with again (sign-up never says it is taken). */
  signUpAttempt(p: { loginUrl: string; resetUrl: string }): MailContent {
    return {
      subject: `Someone tried to sign up to ${PRODUCT} with your email`,
      text: text([
        `Someone tried to create a ${PRODUCT} account with this email address, which already has one. No new account was created.`,
        `If it was you, sign in instead: ${p.loginUrl}`,
        `Forgot your password? Reset it: ${p.resetUrl}`,
        `If it was not you, you can ignore this email.`,
      ]),
      html: layout(
        [
          `Someone tried to create a ${PRODUCT} account with this email address, which already has one. No new account was created.`,
          `Forgot your password? <a href="${esc(p.resetUrl)}">Reset it</a>.`,
          `If it was not you, you can ignore this email.`,
        ],
        { label: "Sign in", url: p.loginUrl },
      ),
    };
  },

  registrationApproved(p: { name: string; organizationName: string; url: string; confirm: boolean }): MailContent {
    const next = p.confirm ? "Confirm your email address to sign in:" : "You can sign in now:";
    return {
      subject: `Your ${PRODUCT} account was approved`,
      text: text([`Hi ${p.name}, your request to create ${p.organizationName} on ${PRODUCT} was approved.`, `${next} ${p.url}`]),
      html: layout([`Hi ${esc(p.name)}, your request to create <strong>${esc(p.organizationName)}</strong> on ${PRODUCT} was approved.`, next], {
        label: p.confirm ? "Confirm and sign in" : "Sign in",
        url: p.url,
      }),
    };
  },

  registrationRejected(p: { name: string; reason: string }): MailContent {
    return {
      subject: `Your ${PRODUCT} sign-up request was declined`,
      text: text([`Hi ${p.name}, an administrator declined your request to create an account.`, `Reason: ${p.reason}`]),
      html: layout([
        `Hi ${esc(p.name)}, an administrator declined your request to create an account.`,
        `Reason: ${esc(p.reason)}`,
      ]),
    };
  },
};
