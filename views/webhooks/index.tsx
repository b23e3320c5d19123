import Html from "@kitajs/html";
import type { AdminContext } from "@/auth/plugin";
import type { Webhook, WebhookStats } from "@/features/webhooks/webhook.service";
import type { Flash } from "@/lib/flash";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Time } from "../components/ui";

export function WebhookStatus({ webhook }: { webhook: Webhook }) {
  if (!webhook.active) return <Badge tone="bad">disabled</Badge>;
  if (webhook.failingSince) return <Badge tone="warn">failing</Badge>;
  return <Badge tone="ok">active</Badge>;
}

export function SuccessRate({ stats }: { stats: WebhookStats | undefined }) {
  if (!stats || stats.successRate === null) return <span class="muted">no deliveries</span>;
  const pct = Math.round(stats.successRate * 1000) / 10;
  const tone = pct >= 99 ? "ok" : pct >= 90 ? "warn" : "bad";
  return (
    <span class="success-rate">
      <Badge tone={tone}>{Html.escapeHtml(`${pct} %`)}</Badge>{" "}
      <small class="muted" safe>{`${stats.succeeded}/${stats.succeeded + stats.failing}`}</small>
    </span>
  );
}

export function eventTypesLabel(types: string[] | null): string {
  if (!types) return "all events";
  return types.length <= 3 ? types.join(", ") : `${types.slice(0, 3).join(", ")} +${types.length - 3}`;
}

/** The signing secret, rendered only in the response to create or rotate (served no-store). */
export function SecretCard({ secret, title, note }: { secret: string; title: string; note?: string }) {
  return (
    <div class="card created-secret" role="status">
      <h2 safe>{title}</h2>
      <p>
        Copy the signing secret now: it <strong>will not be shown again</strong>. Verify each request with any Standard Webhooks library, e.g.{" "}
        <code>new Webhook(secret).verify(body, headers)</code>.
      </p>
      {note ? <p class="small muted" safe>{note}</p> : ""}
      <div class="row">
        <code id="webhook-secret" class="secret" safe>
          {secret}
        </code>
        <button type="button" class="secondary" data-copy="#webhook-secret">
          Copy
        </button>
      </div>
    </div>
  );
}

export function WebhooksPage({
  admin,
  csrfToken,
  flash,
  hooks,
  stats,
}: {
  admin: AdminContext;
  csrfToken: string;
  flash?: Flash;
  hooks: Webhook[];
  stats: Map<string, WebhookStats>;
}) {
  return (
    <AdminLayout title="Webhooks" admin={admin} csrfToken={csrfToken} active="webhooks" flash={flash}>
      <div class="row">
        <h1>Webhooks</h1>
        <span class="spacer" />
        <a class="button" href="/webhooks/new">
          New endpoint
        </a>
      </div>
      <p class="muted small">
        Every event is POSTed to your endpoints, signed per Standard Webhooks (<code>webhook-id</code>, <code>webhook-timestamp</code>,{" "}
        <code>webhook-signature</code>), and retried for about a day and a half until a 2xx answer.
      </p>
      {hooks.length === 0 ? (
        <EmptyState>No endpoints yet. Add one to receive events as they happen.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table id="webhook-table" class="stack-table">
            <thead>
              <tr>
                <th>Endpoint</th>
                <th>Events</th>
                <th>Success (24 h)</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {hooks.map((w) => (
                <tr id={`webhook-${w.id}`}>
                  <td>
                    <a href={`/webhooks/${w.id}`} safe>
                      {w.name || w.url}
                    </a>
                    {w.name ? (
                      <div class="small muted" safe>
                        {w.url}
                      </div>
                    ) : (
                      ""
                    )}
                  </td>
                  <td class="small" data-label="Events" safe>
                    {eventTypesLabel(w.eventTypes)}
                  </td>
                  <td data-label="Success (24 h)">
                    <SuccessRate stats={stats.get(w.id)} />
                  </td>
                  <td data-label="Status">
                    <WebhookStatus webhook={w} />
                    {!w.active && w.disabledAt ? (
                      <div class="small muted">
                        <Time at={w.disabledAt} />
                      </div>
                    ) : (
                      ""
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AdminLayout>
  );
}

/** Shown after create or rotate: the secret once, then links on. */
export function SecretPage({
  admin,
  csrfToken,
  webhook,
  secret,
  title,
  note,
}: {
  admin: AdminContext;
  csrfToken: string;
  webhook: Webhook;
  secret: string;
  title: string;
  note?: string;
}) {
  return (
    <AdminLayout title={title} admin={admin} csrfToken={csrfToken} active="webhooks">
      <h1 safe>{webhook.name || webhook.url}</h1>
      <SecretCard secret={secret} title={title} note={note} />
      <a class="button" href={`/webhooks/${webhook.id}`}>
        Continue to the endpoint
      </a>
    </AdminLayout>
  );
}
