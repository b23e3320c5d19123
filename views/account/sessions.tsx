import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { SessionRow } from "@/features/account/account.service";
import type { Flash } from "@/lib/flash";
import { Badge, CsrfField, Time } from "../components/ui";
import { AccountShell } from "./_shell";

/** The browser's own description, shortened; sessions made before user agents were kept have none. */
const deviceLabel = (userAgent: string | null) => (userAgent ? userAgent.slice(0, 120) : "Unknown browser");

type Props = { admin?: AdminContext; csrfToken: string; flash?: Flash; sessions: SessionRow[] };

export function SessionsPage({ admin, csrfToken, flash, sessions }: Props) {
  const others = sessions.filter((s) => !s.current).length;
  return (
    <AccountShell title="Sessions" tab="sessions" admin={admin} csrfToken={csrfToken} flash={flash}>
      <section class="card">
        <h2>Active sessions</h2>
        <p class="muted small">Every browser signed in to your account. Sign out any you do not recognise, then change your password.</p>
        <div class="table-wrap">
          <table id="session-table" class="stack-table">
            <thead>
              <tr>
                <th>Device</th>
                <th>IP address</th>
                <th>Signed in</th>
                <th>Last seen</th>
                <th>
                  <span class="sr-only">Actions</span>
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
                    {s.current ? <Badge tone="ok">This browser</Badge> : ""}
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
                          Sign out
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
              Sign out everywhere else
            </button>
          </form>
        ) : (
          <p class="muted small">This is your only session.</p>
        )}
      </section>
    </AccountShell>
  );
}
