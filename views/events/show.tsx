import type { AdminContext } from "@/auth/plugin";
import type { Event, EventDelivery } from "@/features/events/event.service";
import { eventPayload } from "@/features/events/event.schema";
import { deliveryErrorText } from "@/features/webhooks/webhook.schema";
import { Badge, EmptyState, Time } from "../components/ui";
import { formatNumber, t, tText } from "@/lib/i18n";
import { AdminLayout } from "../layouts/admin";
import { eventTone } from "./_row";

type Props = {
  admin: AdminContext;
  csrfToken: string;
  event: Event;
  instanceName: string | null;
  /** Null when the viewer may not see webhooks. */
  deliveries: EventDelivery[] | null;
};

const deliveryTone = (status: string) => (status === "succeeded" ? "ok" : status === "pending" ? "muted" : status === "failed" ? "warn" : "bad");
const DELIVERY_STATUS_LABEL: Record<string, string> = {
  pending: "events:deliveryStatus.pending",
  succeeded: "events:deliveryStatus.succeeded",
  failed: "events:deliveryStatus.failed",
  exhausted: "events:deliveryStatus.exhausted",
  cancelled: "events:deliveryStatus.cancelled",
};

/** One event: its metadata, the exact payload subscribers receive, and where it was delivered. */
export function EventShowPage({ admin, csrfToken, event, instanceName, deliveries }: Props) {
  const instanceLabel: string = event.instanceId ? `${instanceName ?? tText("events:show.deletedInstance")} · ${event.instanceId}` : "—";
  return (
    <AdminLayout title={tText("events:show.title", { type: event.type })} admin={admin} csrfToken={csrfToken} active="events">
      <link rel="stylesheet" href="/static/events.css" />
      <p>
        <a href="/events">{t("events:show.back")}</a>
      </p>
      <h1>
        <Badge tone={eventTone(event.type)}>
          <span safe>{event.type}</span>
        </Badge>
      </h1>
      <dl class="card event-meta">
        <dt>{t("events:show.id")}</dt>
        <dd>
          <code safe>{event.id}</code>
        </dd>
        <dt>{t("events:show.at")}</dt>
        <dd>
          <Time at={event.at} />
        </dd>
        <dt>{t("events:show.instance")}</dt>
        <dd safe>{instanceLabel}</dd>
        <dt>{t("events:show.apiKey")}</dt>
        <dd safe>{event.apiKeyId ?? "—"}</dd>
        <dt>{t("events:show.device")}</dt>
        <dd safe>{event.deviceId ?? "—"}</dd>
      </dl>
      <h2>{t("events:show.payload")}</h2>
      <pre class="event-json" safe>
        {JSON.stringify(eventPayload(event), null, 2)}
      </pre>
      {deliveries === null ? (
        ""
      ) : (
        <>
          <h2>{t("events:show.deliveries")}</h2>
          {deliveries.length === 0 ? (
            <EmptyState>{t("events:show.noDeliveries")}</EmptyState>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>{t("events:show.webhook")}</th>
                    <th>{t("events:show.status")}</th>
                    <th>{t("events:show.attempts")}</th>
                    <th>{t("events:show.lastResponse")}</th>
                  </tr>
                </thead>
                <tbody>
                  {deliveries.map((d) => (
                    <tr>
                      <td>
                        <a href={`/webhooks/${d.webhookId}`} safe>
                          {d.webhookName || d.webhookUrl}
                        </a>
                      </td>
                      <td>
                        <Badge tone={deliveryTone(d.status)}>
                          <span safe>{DELIVERY_STATUS_LABEL[d.status] ? tText(DELIVERY_STATUS_LABEL[d.status]!) : d.status}</span>
                        </Badge>
                      </td>
                      <td safe>{formatNumber(d.attempts)}</td>
                      <td class="small" safe>
                        {d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : d.lastError ? deliveryErrorText(d.lastError) : "—"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </AdminLayout>
  );
}
