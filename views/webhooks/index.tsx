import type { AdminContext } from "@/auth/plugin";
import type { Webhook, WebhookStats } from "@/features/webhooks/webhook.service";
import type { Flash } from "@/lib/flash";
import { formatNumber, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { Badge, EmptyState, Time } from "../components/ui";

export function WebhookStatus({ webhook }: { webhook: Webhook }) {
  if (!webhook.active) return <Badge tone="bad">{t("webhooks:status.disabled")}</Badge>;
  if (webhook.failingSince) return <Badge tone="warn">{t("webhooks:status.failing")}</Badge>;
  return <Badge tone="ok">{t("webhooks:status.active")}</Badge>;
}

export function SuccessRate({ stats }: { stats: WebhookStats | undefined }) {
  if (!stats || stats.successRate === null) return <span class="muted">{t("webhooks:stats.none")}</span>;
  const pct = Math.round(stats.successRate * 1000) / 10;
  const tone = pct >= 99 ? "ok" : pct >= 90 ? "warn" : "bad";
  return (
    <span class="success-rate">
      <Badge tone={tone}>{t("webhooks:stats.percent", { value: formatNumber(pct) })}</Badge>{" "}
      <small class="muted" safe>{`${formatNumber(stats.succeeded)}/${formatNumber(stats.succeeded + stats.failing)}`}</small>
    </span>
  );
}

export function eventTypesLabel(types: string[] | null): string {
  if (!types) return tText("webhooks:allEvents");
  return types.length <= 3 ? types.join(", ") : `${types.slice(0, 3).join(", ")} +${types.length - 3}`;
}

/** The signing secret, rendered only in the response to create or rotate (served no-store). */
export function SecretCard({ secret, title, note }: { secret: string; title: string; note?: string }) {
  return (
    <div class="card created-secret" role="status">
      <h2 safe>{title}</h2>
      <p>{t("webhooks:secret.copyNow")}</p>
      {note ? (
        <p class="small muted" safe>
          {note}
        </p>
      ) : (
        ""
      )}
      <div class="row">
        <code id="webhook-secret" class="secret" safe>
          {secret}
        </code>
        <button type="button" class="secondary" data-copy="#webhook-secret" data-copied={tText("webhooks:secret.copied")}>
          {t("webhooks:secret.copy")}
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
    <AdminLayout title={tText("webhooks:list.title")} admin={admin} csrfToken={csrfToken} active="webhooks" flash={flash}>
      <div class="row">
        <h1>{t("webhooks:list.title")}</h1>
        <span class="spacer" />
        <a class="button" href="/webhooks/new">
          {t("webhooks:list.newEndpoint")}
        </a>
      </div>
      <p class="muted small">{t("webhooks:list.intro")}</p>
      {hooks.length === 0 ? (
        <EmptyState>{t("webhooks:list.empty")}</EmptyState>
      ) : (
        <div class="table-wrap">
          <table id="webhook-table" class="stack-table">
            <thead>
              <tr>
                <th>{t("webhooks:list.endpoint")}</th>
                <th>{t("webhooks:list.events")}</th>
                <th>{t("webhooks:list.success")}</th>
                <th>{t("webhooks:list.status")}</th>
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
                    {w.kind !== "webhook" ? <span class="badge">{t(`webhooks:kind.${w.kind}`)}</span> : ""}
                  </td>
                  <td class="small" data-label={tText("webhooks:list.events")} safe>
                    {eventTypesLabel(w.eventTypes)}
                  </td>
                  <td data-label={tText("webhooks:list.success")}>
                    <SuccessRate stats={stats.get(w.id)} />
                  </td>
                  <td data-label={tText("webhooks:list.status")}>
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
        {t("webhooks:secret.continue")}
      </a>
    </AdminLayout>
  );
}
