import type { Instance } from "@/db/schema";
import type { PropsWithChildren } from "@kitajs/html";
import { t, tText } from "@/lib/i18n";
import { CsrfField, Time } from "../components/ui";
import { StatusBadge, isPairing } from "./_status";

export type QrView = { code: string; image: string };

type Props = {
  instance: Instance;
  csrfToken: string;
  qr?: QrView;
  /** Where this panel's actions live: `/instances/<id>` in the admin, `/try` for visitors. */
  base: string;
  canManage: boolean;
  error?: string;
  /** Visitors may not log out (there is nothing to log out of in their sandbox before sign-up). */
  showLogout?: boolean;
};

/**
 * The connection panel: status, QR code while pairing, connect / simulate scan / log out. While
 * pairing it re-fetches itself every 2 s (hx-trigger) and stops once connected, so the QR rotates and
 * the page flips to "Connected" without a reload.
 */
/** A one-button form: htmx swaps the panel, without JavaScript it posts and the server redirects back. */
function Action({ action, csrfToken, confirm, children }: PropsWithChildren<{ action: string; csrfToken: string; confirm?: string }>) {
  return (
    <form method="post" action={action} hx-post={action} hx-target="#connection" hx-swap="outerHTML" hx-confirm={confirm}>
      <CsrfField token={csrfToken} />
      {children}
    </form>
  );
}

const jidLabel = (jid: string | null) => (jid ? `(+${jid.split("@")[0]})` : "");

export function ConnectionPanel({ instance, csrfToken, qr, base, canManage, error, showLogout = true }: Props) {
  const pairing = isPairing(instance.status);
  return (
    <section
      id="connection"
      class="card"
      aria-live="polite"
      hx-get={pairing ? `${base}/connection` : undefined}
      hx-trigger={pairing ? "every 2s" : undefined}
      hx-target={pairing ? "this" : undefined}
      hx-swap={pairing ? "outerHTML" : undefined}
    >
      <div class="row">
        <h2 style="margin:0">{t("instances:connection.title")}</h2>
        <StatusBadge status={instance.status} />
      </div>
      {error ? (
        <p class="error" role="alert" safe>
          {error}
        </p>
      ) : (
        ""
      )}
      {instance.status === "connected" ? (
        <p>
          {t("instances:connection.pairedWith")} <strong safe>{instance.waName ?? "WhatsApp"}</strong>{" "}
          <span class="muted" safe>
            {jidLabel(instance.waJid)}
          </span>
          . {t("instances:connection.connectedSince")} <Time at={instance.lastConnectedAt} />.
        </p>
      ) : (
        ""
      )}
      {pairing && qr ? (
        <div class="qr">
          <p>
            {t("instances:connection.scan")}
            {instance.provider === "sandbox" ? t("instances:connection.scanSandbox") : ""}.
          </p>
          <img
            src={qr.image}
            alt={tText("instances:connection.qrAlt")}
            width="264"
            height="264"
            style="image-rendering:pixelated;max-width:100%;height:auto;background:#fff"
          />
          {instance.provider === "sandbox" ? (
            <p class="small">
              <a href={qr.code} target="_blank" rel="noopener">
                {t("instances:connection.openLink")}
              </a>
            </p>
          ) : (
            ""
          )}
          <p class="small muted">{t("instances:connection.waitingPhone")}</p>
        </div>
      ) : (
        ""
      )}
      {pairing && !qr && !error ? <p class="muted">{t("instances:connection.waitingProvider")}</p> : ""}
      {instance.status === "disconnected" || instance.status === "logged_out" ? <p class="muted">{t("instances:connection.notPaired")}</p> : ""}
      {canManage ? (
        <div class="row">
          {instance.status !== "connected" ? (
            <Action action={`${base}/connect`} csrfToken={csrfToken}>
              <button type="submit">{t(pairing ? "instances:connection.newQr" : "instances:connection.connect")}</button>
            </Action>
          ) : (
            ""
          )}
          {instance.provider === "sandbox" && instance.status === "qr" ? (
            <Action action={`${base}/scan`} csrfToken={csrfToken}>
              <button type="submit" class="secondary">
                {t("instances:connection.simulateScan")}
              </button>
            </Action>
          ) : (
            ""
          )}
          {showLogout && instance.status !== "logged_out" && instance.status !== "disconnected" ? (
            <Action action={`${base}/logout`} csrfToken={csrfToken} confirm={tText("instances:connection.logoutConfirm")}>
              <button type="submit" class="secondary">
                {t("instances:connection.logout")}
              </button>
            </Action>
          ) : (
            ""
          )}
        </div>
      ) : (
        ""
      )}
    </section>
  );
}
