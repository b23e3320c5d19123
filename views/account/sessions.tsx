import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { SessionRow } from "@/features/account/account.service";
import type { Flash } from "@/lib/flash";
import { t, tText } from "@/lib/i18n";
import { Badge, CsrfField, Time } from "../components/ui";
import { AccountShell } from "./_shell";

/** The browser's own description, shortened; sessions made before user agents were kept have none. */
const deviceLabel = (userAgent: string | null) => (userAgent ? userAgent.slice(0, 120) : tText("account:sessions.unknownBrowser"));

type Props = { admin?: AdminContext; csrfToken: string; flash?: Flash; sessions: SessionRow[] };

export function SessionsPage({ admin, csrfToken, flash, sessions }: Props) {
  const others = sessions.filter((s) => !s.current).length;
  return (
    <AccountShell title={tText("account:sessions.title")} tab="sessions" admin={admin} csrfToken={csrfToken} flash={flash}>
      <section class="card">
        <h2>{t("account:sessions.active")}</h2>
        <p class="muted small">{t("account:sessions.intro")}</p>
        <div class="table-wrap">
          <table id="session-table" class="stack-table">
            <thead>
              <tr>
                <th>{t("account:sessions.device")}</th>
                <th>{t("account:sessions.ip")}</th>
                <th>{t("account:sessions.signedIn")}</th>
                <th>{t("account:sessions.lastSeen")}</th>
                <th>
                  <span class="sr-only">{t("account:sessions.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr data-session={s.publicId} class={s.current ? "current-session" : undefined}>
                  <td>
                    <span class="small" title={s.userAgent ? Html.escapeHtml(s.userAgent) : undefined} safe>
                      {deviceLabel(s.userAgent)}
                    </span>{" "}
                    {s.current ? <Badge tone="ok">{t("account:sessions.thisBrowser")}</Badge> : ""}
                  </td>
                  <td>
                    <code safe>{s.ip ?? "—"}</code>
                  </td>
                  <td>
                    <Time at={s.createdAt} />
                  </td>
                  <td>
                    <Time at={s.lastSeenAt ?? s.createdAt} />
                  </td>
                  <td>
                    {s.current ? (
                      ""
                    ) : (
                      <form method="post" action={`/account/sessions/${s.publicId}/revoke`}>
                        <CsrfField token={csrfToken} />
                        <button type="submit" class="secondary">
                          {t("account:sessions.signOut")}
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {others > 0 ? (
          <form method="post" action="/account/sessions/revoke-others" id="revoke-others-form">
            <CsrfField token={csrfToken} />
            <button type="submit" class="danger">
              {t("account:sessions.signOutOthers")}
            </button>
          </form>
        ) : (
          <p class="muted small">{t("account:sessions.onlySession")}</p>
        )}
      </section>
    </AccountShell>
  );
}
