import Html from "@kitajs/html";
import type { Role } from "@/db/schema";
import { currentLocale, formatDateTime, tText } from "@/lib/i18n";

/**
 * Every email LivChat sends: subject, plain text and HTML in one place. Values that come from users
 * (names, organization names, reasons) are escaped in the HTML and stripped of line breaks in subjects;
 * the words come from src/i18n/emails.ts.
 */
export type MailContent = { subject: string; text: string; html: string };

const PRODUCT = "LivChat";

/** One line, no control characters, bounded: safe inside a subject header. */
function oneLine(value: string, max = 80): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point (header injection).
  const flat = value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const esc = (value: string) => Html.escapeHtml(value);

/** Paragraphs (already escaped HTML) and an optional button link, in a minimal inline-styled shell. */
function layout(paragraphs: string[], action?: { label: string; url: string }): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${p}</p>`).join("");
  const button = action
    ? `<p style="margin:24px 0"><a href="${esc(action.url)}" style="background:#1f6feb;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${esc(action.label)}</a></p>` +
      `<p style="margin:0 0 16px;color:#555;font-size:13px">${esc(tText("emails:orPaste"))}<br>${esc(action.url)}</p>`
    : "";
  return `<!doctype html><html lang="${currentLocale()}"><body style="font-family:system-ui,sans-serif;font-size:15px;color:#111;max-width:560px;margin:0 auto;padding:24px">${body}${button}<p style="color:#777;font-size:12px;margin-top:32px">${PRODUCT}</p></body></html>`;
}

function text(lines: string[]): string {
  return `${lines.join("\n\n")}\n\n— ${PRODUCT}\n`;
}

/** Catalog text for the HTML version: every value escaped first (tText inserts values as they are). */
function html(key: string, vars: Record<string, string | number> = {}): string {
  return tText(key, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === "string" ? esc(v) : v])));
}

/**
 * The templates read the current locale: callers compose inside `withLocale` with the recipient's
 * language (their account's, else the organization's or the visitor's) and zone.
 */
export const mailTemplates = {
  invitation(p: { organizationName: string; inviterName: string | null; role: Role; url: string; expiresAt: Date }): MailContent {
    const until = formatDateTime(p.expiresAt);
    const vars = {
      organization: p.organizationName,
      inviter: p.inviterName || tText("emails:invitation.someone"),
      role: tText(`members:roles.${p.role}`),
      product: PRODUCT,
      until,
    };
    return {
      subject: tText("emails:invitation.subject", { organization: oneLine(p.organizationName), product: PRODUCT }),
      text: text([tText("emails:invitation.intro", vars), tText("emails:invitation.accept", { url: p.url }), tText("emails:invitation.expiry", vars)]),
      html: layout([html("emails:invitation.intro", vars), html("emails:invitation.expiry", vars)], { label: tText("emails:invitation.button"), url: p.url }),
    };
  },

  passwordReset(p: { url: string; expiresInMinutes: number }): MailContent {
    const vars = { product: PRODUCT, count: p.expiresInMinutes };
    return {
      subject: tText("emails:passwordReset.subject", vars),
      text: text([tText("emails:passwordReset.intro", vars), p.url, tText("emails:passwordReset.expiry", vars)]),
      html: layout([html("emails:passwordReset.intro", vars), html("emails:passwordReset.expiry", vars)], {
        label: tText("emails:passwordReset.button"),
        url: p.url,
      }),
    };
  },

  emailVerification(p: { name: string; url: string; expiresInHours: number }): MailContent {
    const vars = { name: p.name, product: PRODUCT, count: p.expiresInHours };
    return {
      subject: tText("emails:emailVerification.subject", vars),
      text: text([tText("emails:emailVerification.intro", vars), p.url, tText("emails:emailVerification.expiry", vars)]),
      html: layout([html("emails:emailVerification.intro", vars), html("emails:emailVerification.expiry", vars)], {
        label: tText("emails:emailVerification.button"),
        url: p.url,
      }),
    };
  },

  /** To the owner of an address someone tried to sign up with again (sign-up never says it is taken). */
  signUpAttempt(p: { loginUrl: string; resetUrl: string }): MailContent {
    return {
      subject: tText("emails:signUpAttempt.subject", { product: PRODUCT }),
      text: text([
        tText("emails:signUpAttempt.intro", { product: PRODUCT }),
        tText("emails:signUpAttempt.signIn", { url: p.loginUrl }),
        tText("emails:signUpAttempt.forgot", { url: p.resetUrl }),
        tText("emails:signUpAttempt.ignore"),
      ]),
      html: layout(
        [
          html("emails:signUpAttempt.intro", { product: PRODUCT }),
          html("emails:signUpAttempt.forgotHtml", { url: p.resetUrl }),
          html("emails:signUpAttempt.ignore"),
        ],
        { label: tText("emails:signUpAttempt.button"), url: p.loginUrl },
      ),
    };
  },

  registrationApproved(p: { name: string; organizationName: string; url: string; confirm: boolean }): MailContent {
    const vars = { name: p.name, organization: p.organizationName, product: PRODUCT };
    const next = tText(p.confirm ? "emails:registrationApproved.confirmNext" : "emails:registrationApproved.signInNext");
    return {
      subject: tText("emails:registrationApproved.subject", vars),
      text: text([tText("emails:registrationApproved.intro", vars), `${next} ${p.url}`]),
      html: layout([html("emails:registrationApproved.intro", vars), esc(next)], {
        label: tText(p.confirm ? "emails:registrationApproved.confirmButton" : "emails:registrationApproved.signInButton"),
        url: p.url,
      }),
    };
  },

  registrationRejected(p: { name: string; reason: string }): MailContent {
    const vars = { name: p.name, reason: p.reason, product: PRODUCT };
    return {
      subject: tText("emails:registrationRejected.subject", vars),
      text: text([tText("emails:registrationRejected.intro", vars), tText("emails:registrationRejected.reason", vars)]),
      html: layout([html("emails:registrationRejected.intro", vars), html("emails:registrationRejected.reason", vars)]),
    };
  },
};
