import type { AdminContext } from "@/auth/plugin";
import type { SessionUser } from "@/auth/session";
import { ACCOUNT_LIMITS } from "@/features/account/account.schema";
import type { FieldError } from "@/lib/errors";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
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
  <Field
    label={tText("account:twoFactor.code")}
    name="code"
    errors={errors}
    required
    maxlength={ACCOUNT_LIMITS.code}
    autocomplete="one-time-code"
    hint={hint}
  />
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
      <h2>{t("account:twoFactor.recoveryTitle")}</h2>
      <p>{t("account:twoFactor.recoveryExplain")}</p>
      <pre id="recovery-code-list" class="secret" safe>
        {codes.join("\n")}
      </pre>
      <button type="button" class="secondary" data-copy="#recovery-code-list">
        {t("account:twoFactor.copy")}
      </button>
    </section>
  );
}

export function TwoFactorPage(p: Props) {
  const enabled = p.user.totpEnabledAt !== null;
  const errorsFor = (form: "confirm" | "disable" | "regenerate") => (p.refused?.form === form ? p.refused.errors : undefined);
  const messageFor = (form: "confirm" | "disable" | "regenerate") => (p.refused?.form === form ? p.refused.message : undefined);
  return (
    <AccountShell title={tText("account:twoFactor.title")} tab="two-factor" admin={p.admin} csrfToken={p.csrfToken} flash={p.flash}>
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
          {t("account:twoFactor.title")}{" "}
          {enabled ? <Badge tone="ok">{t("account:twoFactor.on")}</Badge> : <Badge tone="muted">{t("account:twoFactor.off")}</Badge>}
        </h2>
        {enabled ? (
          <p>
            {t("account:twoFactor.onSince")} <Time at={p.user.totpEnabledAt} />. {t("account:twoFactor.onExplain")}{" "}
            <span>{t("account:twoFactor.unusedCodes", { count: p.unusedRecoveryCodes ?? 0 })}</span>
          </p>
        ) : p.pending ? (
          <>
            <p>{t("account:twoFactor.scan")}</p>
            <img src={p.pending.qr} alt={tText("account:twoFactor.qrAlt")} width="220" height="220" id="totp-qr" />
            <p class="small">
              {t("account:twoFactor.cannotScan")}{" "}
              <code id="totp-secret" safe>
                {p.pending.secret}
              </code>
            </p>
            <FormMessage message={messageFor("confirm")} />
            <form method="post" action="/account/two-factor/confirm" id="totp-confirm-form">
              <CsrfField token={p.csrfToken} />
              {codeField(errorsFor("confirm"), tText("account:twoFactor.codeNowHint"))}
              <button type="submit">{t("account:twoFactor.turnOn")}</button>
            </form>
            <form method="post" action="/account/two-factor/cancel">
              <CsrfField token={p.csrfToken} />
              <button type="submit" class="link">
                {t("account:twoFactor.cancelSetup")}
              </button>
            </form>
          </>
        ) : (
          <>
            <p>{t("account:twoFactor.protect")}</p>
            <form method="post" action="/account/two-factor/setup" id="totp-setup-form">
              <CsrfField token={p.csrfToken} />
              <button type="submit">{t("account:twoFactor.setUp")}</button>
            </form>
          </>
        )}
      </section>
      {enabled ? (
        <>
          <section class="card">
            <h2>{t("account:twoFactor.newCodes")}</h2>
            <p class="muted small">{t("account:twoFactor.newCodesExplain")}</p>
            <FormMessage message={messageFor("regenerate")} />
            <form method="post" action="/account/two-factor/recovery-codes" id="recovery-codes-form">
              <CsrfField token={p.csrfToken} />
              {codeField(errorsFor("regenerate"), tText("account:twoFactor.appCodeHint"))}
              <button type="submit" class="secondary">
                {t("account:twoFactor.generate")}
              </button>
            </form>
          </section>
          <section class="card danger-zone">
            <h2>{t("account:twoFactor.turnOffTitle")}</h2>
            <FormMessage message={messageFor("disable")} />
            <form method="post" action="/account/two-factor/disable" id="totp-disable-form">
              <CsrfField token={p.csrfToken} />
              {p.user.passwordHash ? (
                <Field
                  label={tText("account:twoFactor.password")}
                  name="password"
                  type="password"
                  errors={errorsFor("disable")}
                  required
                  maxlength={ACCOUNT_LIMITS.passwordMax}
                  autocomplete="current-password"
                />
              ) : (
                ""
              )}
              {codeField(errorsFor("disable"), tText("account:twoFactor.appOrRecoveryHint"))}
              <button type="submit" class="danger">
                {t("account:twoFactor.turnOff")}
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
