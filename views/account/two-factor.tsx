import type { AdminContext } from "@/auth/plugin";
import type { SessionUser } from "@/auth/session";
import { ACCOUNT_LIMITS } from "@/features/account/account.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { Badge, CsrfField, Field, Time } from "../components/ui";
import { AccountShell } from "./_shell";

type Props = {
  user: SessionUser;
  admin?: AdminContext;
  csrfToken: string;
  flash?: Flash;
  /** The active organization requires two-factor of its admins and this user has none yet. */
  required?: string;
  /** Enrolment waiting for its first code. */
  pending?: { secret: string; uri: string; qr: string } | null;
  unusedRecoveryCodes?: number;
  /** The codes minted by the post that redirected here: shown this once. */
  recoveryCodes?: string[];
  /** Which form a refused post came from, with its errors. */
  refused?: { form: "confirm" | "disable" | "regenerate"; errors: FieldError[]; message?: string };
};

const codeField = (errors: FieldError[] | undefined, hint: string) => (
  <Field label="Code" name="code" errors={errors} required maxlength={ACCOUNT_LIMITS.code} autocomplete="one-time-code" hint={hint} />
);

function FormMessage({ message }: { message?: string }) {
  if (!message) return "";
  return (
    <p class="flash flash-error" role="alert" safe>
      {message}
    </p>
  );
}

export function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <section class="card created-secret" role="status" id="recovery-codes">
      <h2>Your recovery codes</h2>
      <p>
        Each code signs you in once if you lose your authenticator. Store them somewhere safe now: they <strong>will not be shown again</strong>.
      </p>
      <pre id="recovery-code-list" class="secret" safe>
        {codes.join("\n")}
      </pre>
      <button type="button" class="secondary" data-copy="#recovery-code-list">
        Copy
      </button>
    </section>
  );
}

export function TwoFactorPage(p: Props) {
  const enabled = p.user.totpEnabledAt !== null;
  const errorsFor = (form: "confirm" | "disable" | "regenerate") => (p.refused?.form === form ? p.refused.errors : undefined);
  const messageFor = (form: "confirm" | "disable" | "regenerate") => (p.refused?.form === form ? p.refused.message : undefined);
  return (
    <AccountShell title="Two-factor authentication" tab="two-factor" admin={p.admin} csrfToken={p.csrfToken} flash={p.flash}>
      {p.required ? (
        <p class="flash flash-info" role="status" id="two-factor-required" safe>
          {p.required}
        </p>
      ) : (
        ""
      )}
      {p.recoveryCodes ? <RecoveryCodes codes={p.recoveryCodes} /> : ""}
      <section class="card">
        <h2>
          Two-factor authentication {enabled ? <Badge tone="ok">On</Badge> : <Badge tone="muted">Off</Badge>}
        </h2>
        {enabled ? (
          <p>
            On since <Time at={p.user.totpEnabledAt} />. Signing in asks for a code from your authenticator app after your password or provider.{" "}
            <span safe>{`${p.unusedRecoveryCodes ?? 0} unused recovery code${p.unusedRecoveryCodes === 1 ? "" : "s"} left.`}</span>
          </p>
        ) : p.pending ? (
          <>
            <p>Scan this QR code with an authenticator app (1Password, Google Authenticator, Authy…), then enter the 6-digit code it shows.</p>
            <img src={p.pending.qr} alt="QR code for your authenticator app" width="220" height="220" id="totp-qr" />
            <p class="small">
              Cannot scan? Enter this key by hand: <code id="totp-secret" safe>{p.pending.secret}</code>
            </p>
            <FormMessage message={messageFor("confirm")} />
            <form method="post" action="/account/two-factor/confirm" id="totp-confirm-form">
              <CsrfField token={p.csrfToken} />
              {codeField(errorsFor("confirm"), "The 6 digits your app shows now.")}
              <button type="submit">Turn on two-factor</button>
            </form>
            <form method="post" action="/account/two-factor/cancel">
              <CsrfField token={p.csrfToken} />
              <button type="submit" class="link">
                Cancel set-up
              </button>
            </form>
          </>
        ) : (
          <>
            <p>Protect your account with a second step at sign-in: a code from an authenticator app on your phone.</p>
            <form method="post" action="/account/two-factor/setup" id="totp-setup-form">
              <CsrfField token={p.csrfToken} />
              <button type="submit">Set up two-factor</button>
            </form>
          </>
        )}
      </section>
      {enabled ? (
        <>
          <section class="card">
            <h2>New recovery codes</h2>
            <p class="muted small">Replaces all your recovery codes with ten new ones.</p>
            <FormMessage message={messageFor("regenerate")} />
            <form method="post" action="/account/two-factor/recovery-codes" id="recovery-codes-form">
              <CsrfField token={p.csrfToken} />
              {codeField(errorsFor("regenerate"), "A code from your authenticator app.")}
              <button type="submit" class="secondary">
                Generate new codes
              </button>
            </form>
          </section>
          <section class="card danger-zone">
            <h2>Turn off two-factor</h2>
            <FormMessage message={messageFor("disable")} />
            <form method="post" action="/account/two-factor/disable" id="totp-disable-form">
              <CsrfField token={p.csrfToken} />
              {p.user.passwordHash ? (
                <Field label="Password" name="password" type="password" errors={errorsFor("disable")} required maxlength={ACCOUNT_LIMITS.passwordMax} autocomplete="current-password" />
              ) : (
                ""
              )}
              {codeField(errorsFor("disable"), "A code from your authenticator app, or a recovery code.")}
              <button type="submit" class="danger">
                Turn off
              </button>
            </form>
          </section>
        </>
      ) : (
        ""
      )}
    </AccountShell>
  );
}
